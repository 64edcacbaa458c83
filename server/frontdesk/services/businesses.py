"""Creating businesses (tenants), their secret API keys, and finding one by its public key."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from frontdesk import languages, money
from frontdesk.models import ApiKey, Business, StaffRole, StaffUser
from frontdesk.services import audit, staff
from frontdesk.services.errors import Invalid, NotFound

SECRET_KEY_PREFIX = "sk_"


@dataclass(frozen=True)
class NewBusiness:
    business: Business
    owner: StaffUser
    # Shown once, at creation; only its hash is stored.
    secret_api_key: str


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "business"


def normalise_origin(origin: str) -> str:
    """`https://shop.example.com` from what a person types; refuses paths and other schemes."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("bad origin", {"allowed_origins": f"{origin!r} is not an http(s) origin"})
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise Invalid(
            "bad origin",
            {"allowed_origins": f"{origin!r} has a path; an origin is scheme, host and port"},
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    session: Session, *, business: Business, name: str = "", actor: audit.Actor | None = None
) -> tuple[ApiKey, str]:
    """A new secret key, and the key itself (shown once). In the audit trail as `actor`'s when
    someone asked for it; the business's first key is made with the business."""
    key = SECRET_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(
        business_id=business.id, name=name[:200], prefix=key[:10], key_hash=hash_api_key(key)
    )
    session.add(api_key)
    session.flush()
    if actor:
        actor.record(
            session, business.id, "api_key.created", "api_key", api_key.id, prefix=api_key.prefix
        )
    return api_key, key


def create(
    session: Session,
    *,
    name: str,
    owner_email: str,
    owner_password: str,
    currency: str = "USD",
    allowed_origins: list[str] | None = None,
    slug: str | None = None,
    **settings: Any,
) -> NewBusiness:
    """A business with its owner and a first secret API key. Needs an unscoped session."""
    if not name.strip():
        raise Invalid("name required", {"name": "A business needs a name."})
    if "@" not in owner_email:
        raise Invalid("bad email", {"owner_email": f"{owner_email!r} is not an email address"})
    try:
        code = money.normalise_currency(currency)
    except money.MoneyError as exc:
        raise Invalid("bad currency", {"currency": str(exc)}) from None
    origins = [normalise_origin(origin) for origin in allowed_origins or []]
    base_slug = slug or slugify(name)
    candidate, n = base_slug, 1
    while session.exec(select(Business.id).where(Business.slug == candidate)).first():
        n += 1
        candidate = f"{base_slug}-{n}"
    owner_taken = session.exec(
        select(StaffUser.id).where(StaffUser.email == owner_email.strip().lower())
    ).first()
    if owner_taken:
        raise Invalid("email taken", {"owner_email": "This email already signs in to a business."})
    # Until the owner says otherwise, customers who cannot pay online are sent to the owner.
    settings.setdefault("contact_email", owner_email.strip().lower())
    business = Business(
        name=name.strip(), slug=candidate, currency=code, allowed_origins=origins, **settings
    )
    session.add(business)
    session.flush()
    owner = staff.create(
        session,
        business=business,
        email=owner_email,
        password=owner_password,
        role=StaffRole.OWNER,
        name="",
    )
    _, key = create_api_key(session, business=business, name="first key")
    return NewBusiness(business, owner, key)


def get(session: Session, business_id: str) -> Business:
    business = session.get(Business, business_id)
    if business is None:
        raise NotFound("no such business")
    return business


def by_publishable_key(session: Session, publishable_key: str) -> Business:
    business = session.exec(
        select(Business).where(Business.publishable_key == publishable_key)
    ).first()
    if business is None:
        raise NotFound("no such business")
    return business


def today(business: Business, now: datetime | None = None) -> date:
    """The date in the business's own time zone, which is what due dates mean: at `now` (the
    app's clock, where the caller has it), else at the wall clock's now."""
    zone = ZoneInfo(business.time_zone)
    return (now.astimezone(zone) if now else datetime.now(zone)).date()


def origin_allowed(business: Business, origin: str, *, own_origin: str) -> bool:
    """May a page on `origin` show this business's portal? Our own hosted page always may."""
    return origin == own_origin or origin in business.allowed_origins


def by_slug(session: Session, slug: str) -> Business:
    business = session.exec(select(Business).where(Business.slug == slug)).first()
    if business is None:
        raise NotFound("no such business")
    return business


def by_api_key(session: Session, key: str) -> tuple[Business, ApiKey]:
    """The business a secret API key belongs to, if the key is live. Needs an unscoped session."""
    if not key.startswith(SECRET_KEY_PREFIX):
        raise NotFound("no such key")
    api_key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key))).first()
    if api_key is None or api_key.revoked_at is not None:
        raise NotFound("no such key")
    now = datetime.now(UTC)
    # Minute precision is enough for "last used", and spares a write on every request.
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        api_key.last_used_at = now
    return get(session, api_key.business_id), api_key


@dataclass(frozen=True)
class PortalSettings:
    allow_payments: bool
    allow_invoices: bool
    allow_estimates: bool
    allow_profile_updates: bool
    tips_enabled: bool
    tip_percents: str  # "18, 20, 25" as typed
    allow_partial_payments: bool
    partial_payment_minimum: int
    secure_pay_page: bool
    contact_email: str = ""
    contact_phone: str = ""
    allow_service_requests: bool = True
    allow_todos: bool = True
    allow_messages: bool = True
    allow_documents: bool = True
    allow_subscriptions: bool = True
    allow_booking: bool = False
    language: str = ""  # none sent: the one it has


def update_portal(
    session: Session, business: Business, wanted: PortalSettings, actor: audit.Actor
) -> list[str]:
    """Apply the portal switches; the portal honours them on its next request. Returns what
    changed."""
    try:
        tips = sorted(
            {
                int((Decimal(part.strip()) * 100).to_integral_value())
                for part in wanted.tip_percents.replace("%", "").split(",")
                if part.strip()
            }
        )
    except InvalidOperation:
        raise Invalid(
            "Tips need fixing.", {"tip_percents": "List percentages like 18, 20, 25."}
        ) from None
    if wanted.tips_enabled and not tips:
        raise Invalid("Tips need fixing.", {"tip_percents": "List at least one percentage."})
    if any(not 0 < bp <= 10_000 for bp in tips) or len(tips) > 5:
        raise Invalid(
            "Tips need fixing.", {"tip_percents": "Up to five percentages between 0 and 100."}
        )
    if wanted.partial_payment_minimum < 0:
        raise Invalid("The minimum needs fixing.", {"partial_payment_minimum": "Not below 0."})
    email, phone = wanted.contact_email.strip(), wanted.contact_phone.strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise Invalid("The contact needs fixing.", {"contact_email": "Enter an email address."})
    if phone and not re.fullmatch(r"\+?[0-9][0-9 ().-]{4,38}", phone):
        raise Invalid(
            "The contact needs fixing.",
            {"contact_phone": "Enter a phone number, like +1 555 0100."},
        )
    language = wanted.language or business.language
    if language not in languages.available():
        raise Invalid(
            "The language needs fixing.", {"language": "Choose one of the languages listed."}
        )
    changed = []
    values: dict[str, Any] = {
        "language": language,
        "allow_payments": wanted.allow_payments,
        "allow_invoices": wanted.allow_invoices,
        "allow_estimates": wanted.allow_estimates,
        "allow_profile_updates": wanted.allow_profile_updates,
        "allow_service_requests": wanted.allow_service_requests,
        "allow_todos": wanted.allow_todos,
        "allow_messages": wanted.allow_messages,
        "allow_documents": wanted.allow_documents,
        "allow_subscriptions": wanted.allow_subscriptions,
        "allow_booking": wanted.allow_booking,
        "tips_enabled": wanted.tips_enabled,
        "tip_basis_points": tips or business.tip_basis_points,
        "allow_partial_payments": wanted.allow_partial_payments,
        "partial_payment_minimum": wanted.partial_payment_minimum,
        "secure_pay_page": wanted.secure_pay_page,
        "contact_email": email or None,
        "contact_phone": phone or None,
    }
    for name, value in values.items():
        if getattr(business, name) != value:
            setattr(business, name, value)
            changed.append(name)
    if changed:
        actor.record(
            session,
            business.id,
            "settings.portal_changed",
            "business",
            business.id,
            changed=changed,
        )
    return changed


def update_embed(
    session: Session,
    business: Business,
    *,
    origins: list[str],
    portal_page_url: str,
    actor: audit.Actor,
) -> list[str]:
    """Where the portal may load (exact origins) and the page it lives on (for emailed links)."""
    cleaned = []
    for origin in origins:
        if origin.strip():
            cleaned.append(normalise_origin(origin))
    page = portal_page_url.strip()
    if page:
        parts = urlsplit(page)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(
                "The page address needs fixing.",
                {"portal_page_url": "Enter the full address, like https://example.com/account."},
            )
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        if origin not in cleaned:
            raise Invalid(
                "The page address needs fixing.",
                {"portal_page_url": f"Add {origin} to the allowed websites first."},
            )
    changed = []
    if business.allowed_origins != sorted(set(cleaned)):
        business.allowed_origins = sorted(set(cleaned))
        changed.append("allowed_origins")
    if (business.portal_page_url or "") != page:
        business.portal_page_url = page or None
        changed.append("portal_page_url")
    if changed:
        actor.record(
            session, business.id, "settings.embed_changed", "business", business.id, changed=changed
        )
    return changed


def api_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at).desc())).all())


def revoke_api_key(session: Session, key_id: str, actor: audit.Actor | None = None) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("no such key")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        if actor:
            actor.record(
                session, key.business_id, "api_key.revoked", "api_key", key.id, prefix=key.prefix
            )
    return key
