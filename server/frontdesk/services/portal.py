"""The customer's side: turning a token into a portal session, and what each portal view shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from frontdesk import tokens
from frontdesk.models import Business, Customer, Estimate, EstimateStatus
from frontdesk.services import customers, invoices, sign_in
from frontdesk.services.customers import Balance
from frontdesk.services.links import Limits
from frontdesk.tokens import InvalidToken, Purpose

NO_LIMITS = Limits()

# Tokens a customer can arrive with; each is exchanged for a short-lived portal session.
EXCHANGEABLE = (Purpose.EMBED, Purpose.PAYMENT_ACTION, Purpose.PAY_LINK, Purpose.MAGIC_LINK)


@dataclass(frozen=True)
class Arrival:
    customer: Customer
    # Where the token itself sends the customer ("complete/pay_..."), if anywhere.
    destination: str = ""
    limits: Limits = NO_LIMITS


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
