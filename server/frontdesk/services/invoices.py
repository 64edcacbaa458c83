"""Invoices: creating them from lines, what has been paid on them, and their displayed status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from frontdesk.models import (
    Business,
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    utcnow,
)
from frontdesk.services import lines as line_pricing
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.lines import LineInput


class DisplayStatus(StrEnum):
    DRAFT = "draft"
    UNPAID = "unpaid"
    OVERDUE = "overdue"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


@dataclass(frozen=True)
class InvoiceView:
    """An invoice with what was paid on it, ready for a page or a balance."""

    invoice: Invoice
    paid: int

    @property
    def amount_due(self) -> int:
        if self.invoice.status != InvoiceStatus.OPEN:
            return 0
        return max(self.invoice.total - self.paid, 0)

    def status(self, today: date) -> DisplayStatus:
        stored = self.invoice.status
        if stored != InvoiceStatus.OPEN:
            return DisplayStatus(stored.value)
        if self.invoice.due_date < today:
            return DisplayStatus.OVERDUE
        if self.paid > 0:
            return DisplayStatus.PARTIALLY_PAID
        return DisplayStatus.UNPAID


def next_number(session: Session, *, business: Business) -> str:
    count = session.exec(select(func.count()).select_from(Invoice)).one()
    return f"INV-{1001 + count}"


def create(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    lines: list[LineInput],
    issue_date: date,
    due_date: date,
    number: str | None = None,
    notes: str = "",
    send: bool = False,
) -> Invoice:
    line_pricing.validate(lines)
    if due_date < issue_date:
        raise Invalid("due before issue", {"due_date": "The due date is before the issue date."})
    number = number or next_number(session, business=business)
    if session.exec(select(Invoice.id).where(Invoice.number == number)).first():
        raise Invalid("number taken", {"number": f"Invoice {number} already exists."})
    invoice = Invoice(
        business_id=business.id,
        customer_id=customer.id,
        number=number,
        currency=business.currency,
        issue_date=issue_date,
        due_date=due_date,
        notes=notes,
    )
    rows = []
    for position, line in enumerate(lines):
        row = InvoiceLine(
            business_id=business.id, invoice_id=invoice.id, description="", unit_amount=0
        )
        line_pricing.fill(row, line, position)
        rows.append(row)
    totals = line_pricing.totals(list(rows))
    invoice.subtotal, invoice.tax_total, invoice.total = (
        totals.subtotal,
        totals.tax_total,
        totals.total,
    )
    if send:
        invoice.status = InvoiceStatus.OPEN
        invoice.sent_at = utcnow()
    session.add(invoice)
    session.add_all(rows)
    return invoice


def paid_amounts(session: Session, invoice_ids: Iterable[str]) -> dict[str, int]:
    """Succeeded payments plus applied credit, per invoice, in two queries whatever the count."""
    ids = list(invoice_ids)
    if not ids:
        return {}
    paid: dict[str, int] = dict.fromkeys(ids, 0)
    payment_rows = session.exec(
        select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount))
        .join(Payment, col(Payment.id) == PaymentAllocation.payment_id)
        .where(col(PaymentAllocation.invoice_id).in_(ids))
        .where(Payment.status == PaymentStatus.SUCCEEDED)
        .group_by(PaymentAllocation.invoice_id)
    ).all()
    credit_rows = session.exec(
        select(CreditNote.invoice_id, func.sum(CreditNote.amount))
        .where(col(CreditNote.invoice_id).in_(ids))
        .group_by(CreditNote.invoice_id)
    ).all()
    for invoice_id, amount in [*payment_rows, *credit_rows]:
        if invoice_id is not None:
            paid[invoice_id] += int(amount or 0)
    return paid


def views(session: Session, invoices: list[Invoice]) -> list[InvoiceView]:
    paid = paid_amounts(session, (invoice.id for invoice in invoices))
    return [InvoiceView(invoice, paid[invoice.id]) for invoice in invoices]


def get(session: Session, *, business: Business, invoice_id: str) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.business_id != business.id:
        raise NotFound("no such invoice")
    return invoice


def open_for_customers(
    session: Session, *, business: Business, customer_ids: list[str]
) -> list[InvoiceView]:
    """Open invoices, oldest due first: the order a whole-balance payment settles them in."""
    invoices = session.exec(
        select(Invoice)
        .where(col(Invoice.customer_id).in_(customer_ids), Invoice.status == InvoiceStatus.OPEN)
        .order_by(col(Invoice.due_date), col(Invoice.number))
    ).all()
    return views(session, list(invoices))


def list_for_customer(
    session: Session, *, business: Business, customer: Customer, limit: int = 25, offset: int = 0
) -> list[InvoiceView]:
    invoices = session.exec(
        select(Invoice)
        .where(Invoice.customer_id == customer.id, Invoice.status != InvoiceStatus.DRAFT)
        .order_by(col(Invoice.issue_date).desc(), col(Invoice.number).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return views(session, list(invoices))
