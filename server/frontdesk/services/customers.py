"""Customers of one business: creating, finding, checking a token's customer, and the balance."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_
from sqlalchemy import update as update_rows
from sqlmodel import Session, col, select

from frontdesk.db import in_business, prebuilt, read
from frontdesk.models import Business, CreditNote, Customer, Invoice, Payment, PaymentStatus
from frontdesk.services import audit, events, invoices
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.invoices import InvoiceStanding, OpenInvoice
from frontdesk.tokens import Claims, InvalidToken

# Spelled out so Python, JSON Schema (the API's document) and pydantic read it alike: their \s
# differ on \x1c-\x1f, \x85 and \ufeff, so those are named.
_PART = r"[^@\s\x1c-\x1f\x85\ufeff]+"
EMAIL = rf"^{_PART}@{_PART}\.{_PART}$"
EMAIL_PATTERN = re.compile(EMAIL)


class AccessDisabled(InvalidToken):
    """The token is fine but the business turned this customer's portal access off."""


class BalanceState(StrEnum):
    SETTLED = "settled"
    IN_CREDIT = "in_credit"
    OWING = "owing"


@dataclass(frozen=True)
class Balance:
    """What the customer owes (positive) or holds in credit (negative), with the invoices owed."""

    amount: int
    currency: str
    credit: int
    open_invoices: Sequence[InvoiceStanding[Invoice | OpenInvoice]]

    @property
    def state(self) -> BalanceState:
        if self.amount > 0:
            return BalanceState.OWING
        if self.amount < 0:
            return BalanceState.IN_CREDIT
        return BalanceState.SETTLED

    @property
    def oldest_due_date(self) -> date | None:
        due = [view.invoice.due_date for view in self.open_invoices if view.amount_due > 0]
        return min(due, default=None)


def create(
    session: Session,
    *,
    business: Business,
    name: str,
    email: str,
    external_id: str | None = None,
    actor: audit.Actor | None = None,
    **fields: Any,
) -> Customer:
    """A new customer, in the audit trail as `actor`'s when someone asked (the demo's and the
    tests' customers are made without one)."""
    errors = {}
    if not name.strip():
        errors["name"] = "Enter the customer's name."
    if not EMAIL_PATTERN.match(email.strip()):
        errors["email"] = "Enter an email address like name@example.com."
    if (
        external_id is not None
        and session.exec(select(Customer.id).where(Customer.external_id == external_id)).first()
    ):
        errors["external_id"] = "Another customer already has this external id."
    if errors:
        raise Invalid("The customer needs fixing.", errors)
    customer = Customer(
        business_id=business.id,
        name=name.strip(),
        email=email.strip().lower(),
        external_id=external_id,
        **fields,
    )
    session.add(customer)
    if actor:
        session.flush()
        actor.record(session, business.id, "customer.created", "customer", customer.id, name=name)
    return customer


def update(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    changes: dict[str, Any],
    actor: audit.Actor,
) -> list[str]:
    """The business's own edit (dashboard or API): the fields that differ change, and are
    returned. Turning portal access off ends every link and session the customer holds."""
    errors = {}
    if "name" in changes and not str(changes["name"]).strip():
        errors["name"] = "Enter the customer's name."
    if "email" in changes and not EMAIL_PATTERN.match(str(changes["email"]).strip()):
        errors["email"] = "Enter an email address like name@example.com."
    external_id = changes.get("external_id")
    if external_id and external_id != customer.external_id:
        taken = session.exec(select(Customer.id).where(Customer.external_id == external_id))
        if taken.first():
            errors["external_id"] = "Another customer already has this external id."
    if errors:
        raise Invalid("The customer needs fixing.", errors)
    if "email" in changes:
        changes = {**changes, "email": str(changes["email"]).strip().lower()}
    changed = sorted(field for field, value in changes.items() if getattr(customer, field) != value)
    for field in changed:
        setattr(customer, field, changes[field])
    if "portal_enabled" in changed:
        if not customer.portal_enabled:
            customer.link_version += 1
        turned = "enabled" if customer.portal_enabled else "disabled"
        actor.record(session, business.id, f"customer.portal_{turned}", "customer", customer.id)
    if set(changed) - {"portal_enabled"}:
        actor.record(
            session,
            business.id,
            "customer.updated",
            "customer",
            customer.id,
            changed=[field for field in changed if field != "portal_enabled"],
        )
    if changed:
        # The business's own system hears of every change, whoever made it.
        announce(session, business, customer, changed, by="business")
    return changed


def announce(
    session: Session, business: Business, customer: Customer, changed: list[str], *, by: str
) -> None:
    data = {"customer": customer.id, "external_id": customer.external_id, "changed": changed}
    events.emit(session, business=business, type="customer.updated", data={**data, "by": by})


def revoke_links(
    session: Session, *, business: Business, customer: Customer, actor: audit.Actor, renewed: bool
) -> None:
    """Every link, token and portal session this customer holds stops working at once (to make
    new ones, when `renewed`)."""
    customer.link_version += 1
    change = "regenerated" if renewed else "revoked"
    actor.record(session, business.id, f"customer.links_{change}", "customer", customer.id)


def lock(session: Session, customer_id: str) -> None:
    """Take the customer's lock until this transaction ends: a no-op write on their row, a row
    lock on PostgreSQL and the writer's lock on SQLite. Everything that moves one customer's
    money (starting, applying, refunding, saving a card) takes it first and reads under it."""
    session.execute(
        update_rows(Customer)
        .where(col(Customer.id) == customer_id)
        .values(link_version=Customer.link_version)
        .execution_options(synchronize_session=False)
    )


def get(session: Session, *, business: Business, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.business_id != business.id:
        raise NotFound("no such customer")
    return customer


def for_token(session: Session, *, business: Business, claims: Claims) -> Customer:
    """The customer a token names, if it is still theirs to use; InvalidToken otherwise."""
    return named_by(session.get(Customer, claims.customer_id), business=business, claims=claims)


def named_by(customer: Customer | None, *, business: Business, claims: Claims) -> Customer:
    """The customer found for a token's claims, if the token is still theirs to use."""
    if claims.business_id != business.id:
        raise InvalidToken("this link or session belongs to another business")
    if customer is None or customer.business_id != business.id:
        raise InvalidToken("this link or session is not valid")
    if not customer.portal_enabled:
        raise AccessDisabled("portal access has been turned off for this account")
    if customer.link_version != claims.link_version:
        raise InvalidToken("this link has been replaced by a newer one")
    return customer


# Credit notes not applied to an invoice: held for the customer's next ones.
_UNAPPLIED_CREDIT = prebuilt(
    select(CreditNote.customer_id, func.sum(CreditNote.amount))
    .where(
        in_business(CreditNote),
        col(CreditNote.customer_id).in_(bindparam("customers", expanding=True)),
        col(CreditNote.invoice_id).is_(None),
    )
    .group_by(CreditNote.customer_id)
)


def balances(
    session: Session, *, business: Business, customers: list[Customer]
) -> dict[str, Balance]:
    """Each customer's balance in two queries, however many customers are on the page."""
    ids = [customer.id for customer in customers]
    open_views = invoices.open_rows_for_customers(session, business=business, customer_ids=ids)
    credit_rows = read(session, _UNAPPLIED_CREDIT, {"customers": ids}).all()
    credit = {customer_id: int(amount or 0) for customer_id, amount in credit_rows}
    result = {}
    for customer_id in ids:
        views = [view for view in open_views if view.invoice.customer_id == customer_id]
        owed = sum(view.amount_due for view in views)
        held = credit.get(customer_id, 0)
        result[customer_id] = Balance(owed - held, business.currency, held, views)
    return result


def balance(session: Session, *, business: Business, customer: Customer) -> Balance:
    return balances(session, business=business, customers=[customer])[customer.id]


def list_page(
    session: Session, *, business: Business, limit: int = 50, offset: int = 0
) -> list[Customer]:
    return list(
        session.exec(
            select(Customer)
            .order_by(col(Customer.name), col(Customer.id))
            .limit(limit)
            .offset(offset)
        ).all()
    )


def named_like(query: str) -> ColumnElement[bool]:
    """Customers whose name or email holds `query`, in any case (LIKE's wildcards in it are
    taken as themselves)."""
    wanted = query.strip().lower()
    pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        func.lower(Customer.name).like(pattern, escape="\\"),
        func.lower(Customer.email).like(pattern, escape="\\"),
    )


def search(
    session: Session, *, business: Business, query: str, page: int, per_page: int = 25
) -> tuple[list[Customer], bool]:
    """A page of customers by name whose name or email holds `query`; and whether more follow."""
    statement = select(Customer)
    if query.strip():
        statement = statement.where(
            or_(named_like(query), col(Customer.external_id) == query.strip())
        )
    rows = session.exec(
        statement.order_by(func.lower(Customer.name), col(Customer.id))
        .limit(per_page + 1)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(rows[:per_page]), len(rows) > per_page


def last_payments(session: Session, customer_ids: list[str]) -> dict[str, datetime]:
    """When each customer last paid, in one query."""
    rows = session.exec(
        select(Payment.customer_id, func.max(Payment.succeeded_at))
        .where(
            col(Payment.customer_id).in_(customer_ids),
            Payment.status == PaymentStatus.SUCCEEDED,
        )
        .group_by(Payment.customer_id)
    ).all()
    return {customer_id: when for customer_id, when in rows if when is not None}


def get_by_reference(session: Session, *, business: Business, reference: str) -> Customer:
    """A customer by our id, or by the business's own id written as `external:<id>`."""
    if reference.startswith("external:"):
        customer = session.exec(
            select(Customer).where(Customer.external_id == reference.removeprefix("external:"))
        ).first()
        if customer is None:
            raise NotFound("no such customer")
        return customer
    return get(session, business=business, customer_id=reference)
