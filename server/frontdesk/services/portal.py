"""The customer's side: turning a token into a portal session, and what each portal view shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from frontdesk import tokens
from frontdesk.models import Business, Customer, Estimate, EstimateStatus
from frontdesk.services import customers, invoices, sign_in
from frontdesk.services.customers import Balance
from frontdesk.tokens import InvalidToken, Purpose

# Tokens a customer can arrive with; each is exchanged for a short-lived portal session.
EXCHANGEABLE = (Purpose.EMBED, Purpose.PAYMENT_ACTION, Purpose.PAY_LINK, Purpose.MAGIC_LINK)


@dataclass(frozen=True)
class Limits:
    """What a session may not do, carried by its token from arrival to every renewal."""

    # The business looking at the customer's portal from its dashboard: nothing can change.
    read_only: bool = False
    # A pay-only link: the pay step and nothing else of the account.
    pay_only: bool = False

    def claims(self) -> dict[str, int]:
        return {k: 1 for k, on in (("ro", self.read_only), ("po", self.pay_only)) if on}

    @classmethod
    def of(cls, claims: tokens.Claims) -> Limits:
        return cls(read_only=bool(claims.extra.get("ro")), pay_only=bool(claims.extra.get("po")))


@dataclass(frozen=True)
class Arrival:
    customer: Customer
    # Where the token itself sends the customer ("complete/pay_..."), if anywhere.
    destination: str = ""
    limits: Limits = Limits()


def exchange(
    session: Session, *, business: Business, token: str, secret_keys: tuple[str, ...]
) -> Arrival:
    """The customer an arrival token names, still valid and still theirs; InvalidToken if not."""
    expired = False
    for purpose in EXCHANGEABLE:
        try:
            claims = tokens.read(secret_keys, purpose, token)
        except InvalidToken as exc:
            expired = expired or exc.expired
            continue
        customer = customers.for_token(session, business=business, claims=claims)
        if purpose == Purpose.PAYMENT_ACTION:
            return Arrival(customer, f"complete/{claims.extra.get('p', '')}")
        if purpose == Purpose.PAY_LINK:
            return Arrival(customer, str(claims.extra.get("d", "pay")), Limits.of(claims))
        if purpose == Purpose.MAGIC_LINK:
            sign_in.consume_link(session, customer=customer, claims=claims)
            return Arrival(customer)
        return Arrival(customer, limits=Limits.of(claims))
    if expired:
        raise InvalidToken("this link has expired", expired=True)
    raise InvalidToken("this link is not valid")


def customer_token(
    secret_keys: tuple[str, ...], purpose: Purpose, customer: Customer, **extra: Any
) -> str:
    """A token of this purpose naming the customer, their business and their link version."""
    return tokens.mint(
        secret_keys,
        purpose,
        business_id=customer.business_id,
        customer_id=customer.id,
        link_version=customer.link_version,
        **extra,
    )


def action_link(
    secret_keys: tuple[str, ...],
    base_url: str,
    business: Business,
    customer: Customer,
    payment_id: str,
) -> str:
    """The emailed link back to a payment waiting for the customer, on the business's own page
    (token in the fragment, never sent to its server), or on our hosted page."""
    token = customer_token(secret_keys, Purpose.PAYMENT_ACTION, customer, p=payment_id)
    return f"{_portal_page(base_url, business)}#frontdesk={token}"


def _portal_page(base_url: str, business: Business) -> str:
    return business.portal_page_url or f"{base_url}/p/{business.slug}"


def payment_link(
    secret_keys: tuple[str, ...],
    base_url: str,
    business: Business,
    customer: Customer,
    view: str = "pay",
    *,
    pay_only: bool = False,
) -> str:
    """The customer's permanent link to the pay step (or another view, `invoice/INV-1042`);
    `pay_only` keeps its session to paying. Revoking their links ends every copy."""
    extra: dict[str, object] = {} if view == "pay" else {"d": view}
    extra.update(Limits(pay_only=pay_only).claims())
    token = customer_token(secret_keys, Purpose.PAY_LINK, customer, **extra)
    return f"{_portal_page(base_url, business)}#frontdesk={token}"


def pay_page_token(secret_keys: tuple[str, ...], customer: Customer, payment_id: str) -> str:
    return customer_token(secret_keys, Purpose.PAY_PAGE, customer, p=payment_id)


def session_token(
    secret_keys: tuple[str, ...], customer: Customer, limits: Limits = Limits()
) -> str:
    return customer_token(secret_keys, Purpose.PORTAL_SESSION, customer, **limits.claims())


def view_only_token(secret_keys: tuple[str, ...], customer: Customer) -> str:
    """An embed token for the business's own look at the customer's portal (dashboard)."""
    return customer_token(secret_keys, Purpose.EMBED, customer, **Limits(read_only=True).claims())


def from_session(
    session: Session,
    *,
    business: Business,
    token: str,
    secret_keys: tuple[str, ...],
    max_age: int,
) -> tuple[Customer, Limits]:
    """The session's customer, and what the session may not do."""
    claims = tokens.read(secret_keys, Purpose.PORTAL_SESSION, token, max_age=max_age)
    customer = customers.for_token(session, business=business, claims=claims)
    return customer, Limits.of(claims)


# The portal's sections, in navigation order, and the business switch each depends on.
SECTIONS = {
    "invoices": "allow_invoices",
    "estimates": "allow_estimates",
    "payments": None,
    "profile": "allow_profile_updates",
}


def section_enabled(business: Business, section: str | None) -> bool:
    if section == "pay":
        return payments_on(business)
    switch = SECTIONS.get(section or "")
    return switch is None or bool(getattr(business, switch))


def payments_on(business: Business) -> bool:
    """Online payment needs the business's switch and a connected processor account."""
    return business.allow_payments and bool(business.processor_account)


def sections(business: Business) -> list[str]:
    return [name for name in SECTIONS if section_enabled(business, name)]


def download_token(secret_keys: tuple[str, ...], customer: Customer, document: str) -> str:
    """A five-minute link to one document (`invoice:INV-1042`, `receipt:pay_...`)."""
    return customer_token(secret_keys, Purpose.DOWNLOAD, customer, d=document)


def from_download_token(
    session: Session, *, business: Business, token: str, secret_keys: tuple[str, ...]
) -> tuple[Customer, str]:
    claims = tokens.read(secret_keys, Purpose.DOWNLOAD, token)
    customer = customers.for_token(session, business=business, claims=claims)
    return customer, str(claims.extra.get("d", ""))


@dataclass(frozen=True)
class Home:
    balance: Balance
    awaiting_estimate: Estimate | None
    recent_charges: list[invoices.Charge]


def home(session: Session, *, business: Business, customer: Customer, today: date) -> Home:
    balance = customers.balance(session, business=business, customer=customer)
    estimate = session.exec(
        select(Estimate)
        .where(
            Estimate.customer_id == customer.id,
            Estimate.status == EstimateStatus.SENT,
            col(Estimate.expires_on) >= today,
        )
        .order_by(col(Estimate.issue_date).desc())
        .limit(1)
    ).first()
    charges = invoices.recent_charges(session, business=business, customer=customer)
    return Home(balance, estimate, charges)
