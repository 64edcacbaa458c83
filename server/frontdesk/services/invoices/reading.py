"""Reading invoices: their displayed status, pages of them, one by id, number or external id, their
lines and the recent charges."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Generic, NamedTuple, TypeVar

import sqlalchemy
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from frontdesk.db import in_business, prebuilt, read
from frontdesk.driver_reads import columns_of, loaded
from frontdesk.models import (
    Business,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentStatus,
)
from frontdesk.services.errors import NotFound
from frontdesk.services.invoices.paid import paid_expression, processing_expression


class DisplayStatus(StrEnum):
    DRAFT = "draft"
    UNPAID = "unpaid"
    OVERDUE = "overdue"
    PARTIALLY_PAID = "partially_paid"
    # A bank (ACH) payment is on its way: not yet money, no longer simply unpaid.
    PROCESSING = "processing"
    PAID = "paid"
    VOID = "void"


class OpenInvoice(NamedTuple):
    """An open invoice as a balance shows it, read as a row: building an entity for each one
    cost more than the query, and nothing that shows a balance changes an invoice."""

    id: str
    customer_id: str
    number: str
    status: str
    currency: str
    issue_date: date
    due_date: date
    total: int


# What a view reads: the entity, or the row of an open one.
B = TypeVar("B", bound="Invoice | OpenInvoice", covariant=True)


@dataclass(frozen=True)
class InvoiceStanding(Generic[B]):
    """An invoice (the entity, or an open one's row) with what was paid on it, ready for a page
    or a balance."""

    invoice: B
    paid: int
    processing: bool = False

    @property
    def amount_due(self) -> int:
        if self.invoice.status != InvoiceStatus.OPEN:
            return 0
        return max(self.invoice.total - self.paid, 0)

    def status(self, today: date) -> DisplayStatus:
        stored = self.invoice.status
        if stored != InvoiceStatus.OPEN:
            return DisplayStatus(stored)
        if self.processing:
            return DisplayStatus.PROCESSING
        if self.invoice.due_date < today:
            return DisplayStatus.OVERDUE
        if self.paid > 0:
            return DisplayStatus.PARTIALLY_PAID
        return DisplayStatus.UNPAID


class InvoiceView(InvoiceStanding[Invoice]):
    """An invoice entity with what was paid on it: what pages and payments use."""


def for_customer(session: Session, *, customer: Customer) -> list[InvoiceView]:
    """Every invoice of one customer, drafts and void ones too, newest first (the dashboard)."""
    rows = session.exec(
        select(Invoice)
        .where(Invoice.customer_id == customer.id)
        .order_by(col(Invoice.issue_date).desc(), col(Invoice.created_at).desc())
    ).all()
    return views(session, list(rows))


def recent(
    session: Session, *, status: str | None, page: int, per_page: int = 25
) -> tuple[list[tuple[InvoiceView, Customer]], bool]:
    """A page of the business's invoices, newest first, with their customers (the dashboard)."""
    statement = select(Invoice, Customer).join(Customer, col(Customer.id) == Invoice.customer_id)
    if status in {s.value for s in InvoiceStatus}:
        statement = statement.where(Invoice.status == status)
    rows = session.exec(
        statement.order_by(col(Invoice.created_at).desc(), col(Invoice.id).desc())
        .limit(per_page + 1)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    shown = rows[:per_page]
    seen = views(session, [invoice for invoice, _ in shown])
    return [(view, customer) for view, (_, customer) in zip(seen, shown, strict=True)], len(
        rows
    ) > per_page


def get_by_reference(session: Session, *, business: Business, reference: str) -> Invoice:
    """An invoice by our id, or by the business's own id written as `external:<id>`."""
    if reference.startswith("external:"):
        found = session.exec(
            select(Invoice).where(Invoice.external_id == reference.removeprefix("external:"))
        ).first()
        if found is None:
            raise NotFound("no such invoice")
        return found
    return get(session, business=business, invoice_id=reference)


# What was paid on each invoice and whether a bank payment is on its way to it, in one query.
_STANDING = prebuilt(
    select(Invoice.id, paid_expression(), processing_expression()).where(
        in_business(Invoice), col(Invoice.id).in_(bindparam("ids", expanding=True))
    )
)


def views(session: Session, invoices: list[Invoice]) -> list[InvoiceView]:
    if not invoices:
        return []
    ids = [invoice.id for invoice in invoices]
    standing = {
        invoice_id: (int(paid), bool(processing))
        for invoice_id, paid, processing in session.exec(_STANDING, params={"ids": ids})
    }
    return [InvoiceView(invoice, *standing.get(invoice.id, (0, False))) for invoice in invoices]


def get(session: Session, *, business: Business, invoice_id: str) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.business_id != business.id:
        raise NotFound("no such invoice")
    return invoice


# Open invoices, oldest due first: the order a whole-balance payment settles them in.
_OPEN_WHERE = (
    in_business(Invoice),
    col(Invoice.customer_id).in_(bindparam("customers", expanding=True)),
    col(Invoice.status) == InvoiceStatus.OPEN,
)
_OLDEST_DUE_FIRST = (col(Invoice.due_date), col(Invoice.number))
# An invoice's columns, then what was paid on it and whether a payment is on its way: rows
# read straight from the driver and loaded as entities (driver_reads.loaded).
_STANDING_COLUMNS = (*columns_of(Invoice), paid_expression(), processing_expression())
_OPEN = prebuilt(
    sqlalchemy.select(*_STANDING_COLUMNS).where(*_OPEN_WHERE).order_by(*_OLDEST_DUE_FIRST)
)
_OPEN_ROWS = prebuilt(
    sqlalchemy.select(
        *(col(getattr(Invoice, name)) for name in OpenInvoice._fields),
        paid_expression(),
        processing_expression(),
    )
    .where(*_OPEN_WHERE)
    .order_by(*_OLDEST_DUE_FIRST)
)


def open_for_customers(
    session: Session, *, business: Business, customer_ids: list[str]
) -> list[InvoiceView]:
    """Open invoices, oldest due first, as entities: what a payment settles."""
    return _standing_views(session, read(session, _OPEN, {"customers": customer_ids}))


def open_rows_for_customers(
    session: Session, *, business: Business, customer_ids: list[str]
) -> list[InvoiceStanding[OpenInvoice]]:
    """Open invoices, oldest due first, as rows: what a balance shows."""
    rows = read(session, _OPEN_ROWS, {"customers": customer_ids})
    width = len(OpenInvoice._fields)
    return [
        InvoiceStanding(OpenInvoice(*row[:width]), int(row[width]), bool(row[width + 1]))
        for row in rows
    ]


def _standing_views(session: Session, rows: Iterable[Sequence[Any]]) -> list[InvoiceView]:
    """Views of rows of _STANDING_COLUMNS: an invoice, what was paid on it and whether a payment
    is on its way."""
    width = len(_STANDING_COLUMNS) - 2
    return [
        InvoiceView(loaded(session, Invoice, row[:width]), int(row[width]), bool(row[width + 1]))
        for row in rows
    ]


PAGE_SIZE = 10
# Invoices the customer sees: sent, open or paid (not drafts, not voided).
_SENT = col(Invoice.status).in_([InvoiceStatus.OPEN, InvoiceStatus.PAID])
_NEWEST_FIRST = (col(Invoice.issue_date).desc(), col(Invoice.number).desc())
# The customer's invoices unfiltered, a page and one more (is there another page?): the list as
# the portal first shows it, built once; the filtered lists are built for each request.
_PAGE = prebuilt(
    sqlalchemy.select(*_STANDING_COLUMNS)
    .where(
        in_business(Invoice),
        col(Invoice.customer_id) == bindparam("customer"),
        _SENT,
    )
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def list_page(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    status: DisplayStatus | None,
    page: int,
    today: date,
) -> tuple[list[InvoiceView], bool]:
    """One page of the customer's invoices, newest first, and whether another page follows."""
    # A page and one more: is there another page?
    window = {"limit": PAGE_SIZE + 1, "offset": (page - 1) * PAGE_SIZE}
    if status is None:
        rows = read(session, _PAGE, {"customer": customer.id, **window}).all()
    else:
        rows = list(session.execute(_filtered(customer, status, today), window).all())
    shown = _standing_views(session, rows)
    return shown[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _filtered(
    customer: Customer, status: DisplayStatus, today: date
) -> sqlalchemy.Select[*tuple[Any, ...]]:
    query = sqlalchemy.select(*_STANDING_COLUMNS).where(
        col(Invoice.customer_id) == customer.id,
        _SENT,
    )
    is_open = col(Invoice.status) == InvoiceStatus.OPEN
    if status == DisplayStatus.PAID:
        query = query.where(col(Invoice.status) == InvoiceStatus.PAID)
    elif status == DisplayStatus.OVERDUE:
        query = query.where(is_open, col(Invoice.due_date) < today)
    elif status == DisplayStatus.PROCESSING:
        processing = (
            select(PaymentAllocation.invoice_id)
            .join(Payment, col(Payment.id) == PaymentAllocation.payment_id)
            .where(Payment.status == PaymentStatus.PROCESSING)
        )
        query = query.where(is_open, col(Invoice.id).in_(processing))
    elif status == DisplayStatus.UNPAID:
        query = query.where(is_open, col(Invoice.due_date) >= today, paid_expression() == 0)
    elif status == DisplayStatus.PARTIALLY_PAID:
        query = query.where(is_open, col(Invoice.due_date) >= today, paid_expression() > 0)
    return query.order_by(*_NEWEST_FIRST).limit(bindparam("limit")).offset(bindparam("offset"))


# A sent invoice of one customer by its number (drafts and others' invoices do not exist), and an
# invoice's lines: what its page shows.
_NUMBERED = prebuilt(
    sqlalchemy.select(*_STANDING_COLUMNS).where(
        in_business(Invoice),
        col(Invoice.number) == bindparam("number"),
        col(Invoice.customer_id) == bindparam("customer"),
        col(Invoice.status) != InvoiceStatus.DRAFT,
    )
)
_LINES = prebuilt(
    sqlalchemy.select(*columns_of(InvoiceLine))
    .where(in_business(InvoiceLine), col(InvoiceLine.invoice_id) == bindparam("invoice"))
    .order_by(col(InvoiceLine.position))
)


def get_for_customer(
    session: Session, *, business: Business, customer: Customer, number: str
) -> InvoiceView:
    """A sent invoice of this customer by its number; drafts and others' invoices do not exist."""
    found = _standing_views(
        session, read(session, _NUMBERED, {"number": number, "customer": customer.id})
    )
    if not found:
        raise NotFound("no such invoice")
    return found[0]


def lines(session: Session, *, invoice: Invoice) -> list[InvoiceLine]:
    return [
        loaded(session, InvoiceLine, row) for row in read(session, _LINES, {"invoice": invoice.id})
    ]


@dataclass(frozen=True)
class Charge:
    """One billed line, as the customer's recent-charges list shows it."""

    description: str
    amount: int
    tax_amount: int
    invoice_number: str
    issue_date: date


RECENT = 20
# The latest invoices first (an index walk), then their lines: the work stays the same however
# many invoices the customer has had over the years.
_LATEST = (
    select(Invoice.id)
    .where(
        in_business(Invoice),
        Invoice.customer_id == bindparam("customer"),
        _SENT,
    )
    .order_by(col(Invoice.issue_date).desc(), col(Invoice.number).desc())
    .limit(RECENT)
)
# Five columns: beyond sqlmodel's typed select, so SQLAlchemy's own builds it.
_RECENT = prebuilt(
    sqlalchemy.select(
        col(InvoiceLine.description),
        col(InvoiceLine.amount),
        col(InvoiceLine.tax_amount),
        col(Invoice.number),
        col(Invoice.issue_date),
    )
    .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
    .where(
        in_business(InvoiceLine),
        in_business(Invoice),
        col(Invoice.id).in_(_LATEST.scalar_subquery()),
    )
    .order_by(col(Invoice.issue_date).desc(), col(Invoice.number).desc(), col(InvoiceLine.position))
    .limit(RECENT)
)


def recent_charges(session: Session, *, business: Business, customer: Customer) -> list[Charge]:
    """The customer's last RECENT billed lines, newest first."""
    return [Charge(*row) for row in read(session, _RECENT, {"customer": customer.id})]
