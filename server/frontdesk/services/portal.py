"""The customer's side: turning a token into a portal session, and what each portal view shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy
from sqlalchemy import and_, bindparam, delete
from sqlmodel import Session, col, select

from frontdesk import driver_reads, tokens
from frontdesk.db import in_business, prebuilt, read
from frontdesk.models import (
    Business,
    Customer,
    EndedSession,
    Estimate,
    EstimateStatus,
    Initiator,
    new_id,
)
from frontdesk.services import audit, customers, documents, invoices, messages, sign_in, todos
from frontdesk.services.booking import choosing
from frontdesk.services.customers import Balance
from frontdesk.services.errors import Forbidden
from frontdesk.services.links import Limits, Links
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
    session: Session,
    *,
    business: Business,
    token: str,
    secret_keys: tuple[str, ...],
    ip: str = "",
) -> Arrival:
    """The customer an arrival token names, still valid and still theirs; InvalidToken if not.
    A sign-in is in the customer's activity, with the way they came."""
    expired = False
    for purpose in EXCHANGEABLE:
        try:
            claims = tokens.read(secret_keys, purpose, token)
        except InvalidToken as exc:
            expired = expired or exc.expired
            continue
        customer = customers.for_token(session, business=business, claims=claims)
        if not Limits.of(claims).read_only:
            sign_in.record(session, business, customer, via=ARRIVALS[purpose], ip=ip)
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


# How each arrival token came to the customer, as their activity says it.
ARRIVALS = {
    Purpose.EMBED: "the business's website",
    Purpose.PAYMENT_ACTION: "a link to confirm a payment",
    Purpose.PAY_LINK: "their payment link",
    Purpose.MAGIC_LINK: "an emailed sign-in link",
}


@dataclass(frozen=True)
class Signed:
    """Who a portal session's token names, what the session may not do, its id, and when the
    token presented was signed."""

    customer: Customer
    limits: Limits
    session_id: str
    signed_at: datetime


# A session's customer and, if the session was signed out of (by whoever), its end: one query
# for every portal request instead of two.
_SIGNED_IN = prebuilt(
    sqlalchemy.select(*driver_reads.columns_of(Customer), col(EndedSession.id))
    .outerjoin(
        EndedSession,
        and_(
            in_business(EndedSession),
            col(EndedSession.id) == bindparam("session"),
        ),
    )
    .where(in_business(Customer), col(Customer.id) == bindparam("customer"))
)


def from_session(
    session: Session,
    *,
    business: Business,
    token: str,
    secret_keys: tuple[str, ...],
    max_age: int,
) -> Signed:
    """The session's customer, its limits and its id; InvalidToken once signed out of."""
    claims = tokens.read(secret_keys, Purpose.PORTAL_SESSION, token, max_age=max_age)
    session_id = str(claims.extra.get("s", ""))
    said = {"customer": claims.customer_id, "session": session_id}
    row = read(session, _SIGNED_IN, said).first()
    ended = row[-1] if row else None
    customer = driver_reads.loaded(session, Customer, row[:-1]) if row else None
    customer = customers.named_by(customer, business=business, claims=claims)
    if not session_id or ended is not None:
        raise InvalidToken("you signed out of this session")
    return Signed(customer, Limits.of(claims), session_id, claims.signed_at)


def new_session_id() -> str:
    return new_id("ses")


def renewal_due(signed: Signed, *, now: datetime, lifetime: int) -> bool:
    """Is the presented token past half its life? Renewing only then, not with every answer,
    spares a signature per answer; a quiet session so ends between half the lifetime and all of
    it after its last request."""
    return now - signed.signed_at >= timedelta(seconds=lifetime / 2)


def sign_out(
    session: Session,
    *,
    business: Business,
    signed: Signed,
    now: datetime,
    lifetime: int,
    ip: str,
) -> None:
    """Ends this session for good: its tokens are refused from now on, here and in every other
    process (a token renewed a moment ago would otherwise live `lifetime` seconds more)."""
    customer = signed.customer
    # The customer's older ended sessions have expired on their own by now: no longer needed.
    session.execute(
        delete(EndedSession).where(
            col(EndedSession.customer_id) == customer.id, col(EndedSession.expires_at) < now
        )
    )
    ends = now + timedelta(seconds=lifetime)
    ended = EndedSession(
        business_id=business.id, id=signed.session_id, customer_id=customer.id, expires_at=ends
    )
    session.merge(ended)
    actor = audit.Actor(Initiator.CUSTOMER, customer.id, ip)
    actor.record(session, business.id, "customer.signed_out", "customer", customer.id)


# The portal's sections, in navigation order, and the business switch each depends on.
SECTIONS = {
    "invoices": "allow_invoices",
    "estimates": "allow_estimates",
    "payments": None,
    "profile": "allow_profile_updates",
    "service_requests": "allow_service_requests",
    "todos": "allow_todos",
    "messages": "allow_messages",
    "documents": "allow_documents",
    "subscriptions": "allow_subscriptions",
    "appointments": "allow_booking",
}
# What a deep link may name (#invoices, #invoice/INV-1042): whole views, and views of one thing
# named after a slash. The server's places and the loader's hash handling both read this table
# (the loader gets it with the portal's shell), so a new view is added here once.
VIEWS = ("home", *SECTIONS, "pay")
# complete: a payment awaiting the customer; request: a service request; plan: a subscription;
# appointment: a visit.
ITEMS = ("invoice", "estimate", "request", "document", "plan", "appointment", "pay", "complete")
# The item is percent-encoded (#invoice/INV%2F2026%2F001), so numbers holding "/" or "#" fit.
DEEP_LINK = rf"^#(({'|'.join(VIEWS)})|({'|'.join(ITEMS)})/[\w.~%-]+)$"


def section_enabled(business: Business, section: str | None) -> bool:
    if section == "pay":
        # The business's switch only: until its account takes charges the pay step says how
        # to pay otherwise, instead of a missing page.
        return business.allow_payments
    switch = SECTIONS.get(section or "")
    return switch is None or bool(getattr(business, switch))


def payments_on(business: Business) -> bool:
    """Online payment needs the business's switch and a connected processor account that the
    processor lets take charges now."""
    return business.allow_payments and bool(business.processor_account) and business.charges_enabled


def sections(business: Business) -> list[str]:
    return [name for name in SECTIONS if section_enabled(business, name)]


def nav(session: Session, *, business: Business, customer: Customer) -> dict[str, int]:
    """What the nav counts beside its tabs, drawn with it: a nav redrawn without them would ask
    for them again with every view it comes with."""
    if not section_enabled(business, "messages"):
        return {}
    return {"unread": messages.unread_by_customer(session, business=business, customer=customer)}


def from_download_token(
    session: Session, *, business: Business, token: str, secret_keys: tuple[str, ...]
) -> tuple[Customer, str]:
    claims = tokens.read(secret_keys, Purpose.DOWNLOAD, token)
    customer = customers.for_token(session, business=business, claims=claims)
    return customer, str(claims.extra.get("d", ""))


class EstimateCard(NamedTuple):
    """An estimate as home names it: its number, until when it holds and what it comes to."""

    number: str
    expires_on: date
    total: int
    currency: str

    @classmethod
    def of(cls, estimate: Estimate) -> EstimateCard:
        return cls(estimate.number, estimate.expires_on, estimate.total, estimate.currency)


@dataclass(frozen=True)
class Home:
    balance: Balance
    awaiting_estimate: EstimateCard | None
    recent_charges: list[invoices.Charge]
    # Open to-dos the customer is to do ("2 things to do").
    todos: int = 0
    # Documents waiting for the customer's signature.
    to_sign: int = 0
    # The next booked visit, from today on.
    next_visit: choosing.Visit | None = None


# The newest estimate waiting for the customer's answer.
_AWAITING = prebuilt(
    select(
        col(Estimate.number), col(Estimate.expires_on), col(Estimate.total), col(Estimate.currency)
    )
    .where(
        in_business(Estimate),
        Estimate.customer_id == bindparam("customer"),
        Estimate.status == EstimateStatus.SENT,
        col(Estimate.expires_on) >= bindparam("today"),
    )
    .order_by(col(Estimate.issue_date).desc())
    .limit(1)
)


# The customer's open to-dos and documents to sign, counted in one query.
_COUNTS = prebuilt(select(todos.OPEN_COUNT, documents.WAITING_COUNT))


def home(session: Session, *, business: Business, customer: Customer, today: date) -> Home:
    balance = customers.balance(session, business=business, customer=customer)
    found = read(session, _AWAITING, {"customer": customer.id, "today": today}).first()
    estimate = EstimateCard._make(found) if found else None
    charges = invoices.recent_charges(session, business=business, customer=customer)
    count, waiting = read(session, _COUNTS, {"customer": customer.id}).one()
    to_sign = waiting if business.allow_documents else 0
    visit = (
        choosing.next_visit(session, business=business, customer=customer, today=today)
        if business.allow_booking
        else None
    )
    return Home(balance, estimate, charges, count, to_sign, visit)


def view_only(
    session: Session, business: Business, customer: Customer, links: Links, actor: audit.Actor
) -> str:
    """A session in which a staff member sees the customer's portal as they do, unable to pay or
    change anything; each look is in the audit trail."""
    actor.record(session, business.id, "customer.portal_viewed", "customer", customer.id)
    return links.view_only(customer)


def embed_token(links: Links, customer: Customer, now: datetime) -> tuple[str, datetime]:
    """A token the business's own site puts in the snippet, and when it stops opening sessions;
    refused while the customer's portal access is off."""
    if not customer.portal_enabled:
        raise Forbidden("Portal access is turned off for this customer.")
    lifetime = tokens.LIFETIME[Purpose.EMBED] or 0
    return links.token(Purpose.EMBED, customer), now.replace(microsecond=0) + timedelta(
        seconds=lifetime
    )


def payment_link(links: Links, business: Business, customer: Customer, *, pay_only: bool) -> str:
    """A permanent link to the customer's account (or to paying only); refused while their
    portal access is off."""
    if not customer.portal_enabled:
        raise Forbidden("Portal access is turned off for this customer.")
    return links.payment(business, customer, pay_only=pay_only)
