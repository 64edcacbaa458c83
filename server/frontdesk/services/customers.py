"""Customers of one business: creating, finding, checking a token's customer, and the balance."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from frontdesk.models import Business, CreditNote, Customer
from frontdesk.services import invoices
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.invoices import InvoiceView
from frontdesk.tokens import Claims, InvalidToken

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
    open_invoices: list[InvoiceView]

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
    **fields: Any,
) -> Customer:
    errors = {}
    if not name.strip():
        errors["name"] = "Enter the customer's name."
    if not _EMAIL.match(email.strip()):
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
    return customer


def get(session: Session, *, business: Business, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.business_id != business.id:
        raise NotFound("no such customer")
    return customer


def for_token(session: Session, *, business: Business, claims: Claims) -> Customer:
    """The customer a token names, if it is still theirs to use; InvalidToken otherwise."""
    if claims.business_id != business.id:
        raise InvalidToken("this link or session belongs to another business")
    customer = session.get(Customer, claims.customer_id)
    if customer is None or customer.business_id != business.id:
        raise InvalidToken("this link or session is not valid")
    if not customer.portal_enabled:
        raise InvalidToken("portal access has been turned off for this account")
    if customer.link_version != claims.link_version:
        raise InvalidToken("this link has been replaced by a newer one")
    return customer


def balances(
    session: Session, *, business: Business, customers: list[Customer]
) -> dict[str, Balance]:
    """Each customer's balance in four queries, however many customers are on the page."""
    ids = [customer.id for customer in customers]
    open_views = invoices.open_for_customers(session, business=business, customer_ids=ids)
    credit_rows = session.exec(
        select(CreditNote.customer_id, func.sum(CreditNote.amount))
        .where(col(CreditNote.customer_id).in_(ids), col(CreditNote.invoice_id).is_(None))
        .group_by(CreditNote.customer_id)
    ).all()
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
