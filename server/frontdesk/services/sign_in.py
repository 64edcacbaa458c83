"""Signing in without a password: an emailed link (used once) and a 6-digit code, both for 15
minutes. Asking answers the same whether or not the address belongs to a customer."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from frontdesk import languages, tokens
from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Initiator, SignInRequest, utcnow
from frontdesk.services import audit, outbox
from frontdesk.services.links import Links
from frontdesk.tokens import InvalidToken, Purpose

LIFETIME = timedelta(minutes=15)
MAX_ATTEMPTS = 5


def _code_hash(secret_keys: tuple[str, ...], nonce: str, code: str) -> str:
    return hmac.new(secret_keys[0].encode(), f"{nonce}:{code}".encode(), hashlib.sha256).hexdigest()


def request(
    session: Session,
    *,
    business: Business,
    email: str,
    links: Links,
) -> None:
    """Email a sign-in link and code if `email` is an enabled customer's; otherwise nothing.
    The work is the same either way, so the answer's timing tells nothing."""
    address = email.strip().lower()
    customer = session.exec(
        select(Customer)
        .where(Customer.email == address, col(Customer.portal_enabled).is_(True))
        .order_by(col(Customer.created_at))
    ).first()
    nonce, code = secrets.token_urlsafe(24), f"{secrets.randbelow(10**6):06d}"
    code_hash = _code_hash(links.secret_keys, nonce, code)
    if customer is None:
        return
    session.add(
        SignInRequest(
            business_id=business.id,
            customer_id=customer.id,
            nonce=nonce,
            code_hash=code_hash,
            expires_at=utcnow() + LIFETIME,
        )
    )
    token = links.token(Purpose.MAGIC_LINK, customer, n=nonce)
    page = links.portal_page(business)
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "business": business.name,
            "link": f"{page}#frontdesk={token}",
            "code": code,
        }
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("Your sign-in link for %(business)s") % said,
            text=gettext(
                "Hello %(name)s,\n\nOpen your %(business)s account with this link:\n\n"
                "%(link)s\n\nOr type this code where you asked: %(code)s\n\n"
                "The link and the code work once, for 15 minutes. If you did not ask, ignore "
                "this.\n"
            )
            % said,
        )


def consume_link(session: Session, *, customer: Customer, claims: tokens.Claims) -> None:
    """Spend the link's nonce (a POST from the portal does this, never a mail scanner's GET)."""
    found = session.exec(
        select(SignInRequest).where(SignInRequest.nonce == str(claims.extra.get("n", "")))
    ).first()
    if found is None or found.customer_id != customer.id:
        raise InvalidToken("this link is not valid")
    if found.used_at is not None:
        raise InvalidToken("this link was already used")
    if found.expires_at <= utcnow():
        raise InvalidToken("this link has expired", expired=True)
    found.used_at = utcnow()


def record(session: Session, business: Business, customer: Customer, *, via: str, ip: str) -> None:
    """A sign-in, in the customer's activity, with the way they came."""
    actor = audit.Actor(Initiator.CUSTOMER, customer.id, ip)
    actor.record(session, business.id, "customer.signed_in", "customer", customer.id, via=via)


def check_code(
    session: Session,
    *,
    business: Business,
    email: str,
    code: str,
    secret_keys: tuple[str, ...],
    ip: str = "",
) -> Customer:
    """The customer whose latest open request carries this code; five tries per request."""
    address = email.strip().lower()
    latest = session.exec(
        select(SignInRequest, Customer)
        .join(Customer, col(Customer.id) == SignInRequest.customer_id)
        .where(Customer.email == address, col(SignInRequest.used_at).is_(None))
        .order_by(col(SignInRequest.created_at).desc())
    ).first()
    if latest is None:
        raise InvalidToken("that code is not right")
    found, customer = latest
    if found.expires_at <= utcnow() or found.attempts >= MAX_ATTEMPTS:
        raise InvalidToken("that code has expired: ask for a new one", expired=True)
    found.attempts += 1
    if not hmac.compare_digest(found.code_hash, _code_hash(secret_keys, found.nonce, code.strip())):
        raise InvalidToken("that code is not right")
    if not customer.portal_enabled:
        raise InvalidToken("portal access has been turned off for this account")
    found.used_at = utcnow()
    record(session, business, customer, via="a code from an email", ip=ip)
    return customer
