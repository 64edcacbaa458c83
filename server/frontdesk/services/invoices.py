"""Invoices: creating them from lines, what has been paid on them, and their displayed status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, func
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
    Refund,
    RefundAllocation,
    utcnow,
)
from frontdesk.services import events
from frontdesk.services import lines as line_pricing
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.lines import LineInput


class DisplayStatus(StrEnum):
    DRAFT = "draft"
    UNPAID = "unpaid"
    OVERDUE = "overdue"
    PARTIALLY_PAID = "partially_paid"
    # A bank (ACH) payment is on its way: not yet money, no longer simply unpaid.
    PROCESSING = "processing"
    PAID = "paid"
    VOID = "void"


@dataclass(frozen=True)
class InvoiceView:
    """An invoice with what was paid on it, ready for a page or a balance."""

    invoice: Invoice
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
    external_id: str | None = None,
) -> Invoice:
    line_pricing.validate(lines)
    if due_date < issue_date:
        raise Invalid("due before issue", {"due_date": "The due date is before the issue date."})
    number = number or next_number(session, business=business)
    if session.exec(select(Invoice.id).where(Invoice.number == number)).first():
        raise Invalid("number taken", {"number": f"Invoice {number} already exists."})
    if (
        external_id
        and session.exec(select(Invoice.id).where(Invoice.external_id == external_id)).first()
    ):
        raise Invalid(
            "external id taken", {"external_id": "Another invoice already has this external id."}
        )
    invoice = Invoice(
        business_id=business.id,
        customer_id=customer.id,
        number=number,
        currency=business.currency,
        issue_date=issue_date,
        due_date=due_date,
        notes=notes,
        external_id=external_id,
    )
    rows = line_pricing.build(
        lines,
        lambda: InvoiceLine(
            business_id=business.id, invoice_id=invoice.id, description="", unit_amount=0
        ),
    )
    line_pricing.set_totals(invoice, rows)
    if send:
        invoice.status = InvoiceStatus.OPEN
        invoice.sent_at = utcnow()
    session.add(invoice)
    session.add_all(rows)
    return invoice


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


def replace_draft(
    session: Session,
    *,
    business: Business,
    invoice: Invoice,
    lines: list[LineInput],
    issue_date: date,
    due_date: date,
    notes: str,
) -> Invoice:
    """Edit a draft: its lines are written again and its totals worked out again."""
    if invoice.status != InvoiceStatus.DRAFT:
        raise Invalid("Only a draft can be edited; this invoice was already sent.")
    line_pricing.validate(lines)
    if due_date < issue_date:
        raise Invalid("due before issue", {"due_date": "The due date is before the issue date."})
    for old in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)):
        session.delete(old)
    rows = line_pricing.build(
        lines,
        lambda: InvoiceLine(
            business_id=business.id, invoice_id=invoice.id, description="", unit_amount=0
        ),
    )
    line_pricing.set_totals(invoice, rows)
    invoice.issue_date, invoice.due_date, invoice.notes = issue_date, due_date, notes
    session.add_all(rows)
    return invoice


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


def send(session: Session, *, business: Business, invoice: Invoice) -> Invoice:
    """Open a draft: the customer sees it in the portal and it counts towards their balance."""
    if invoice.status == InvoiceStatus.DRAFT:
        invoice.status, invoice.sent_at = InvoiceStatus.OPEN, utcnow()
    elif invoice.status == InvoiceStatus.VOID:
        raise Invalid("A void invoice cannot be sent.")
    return invoice


def void(session: Session, *, business: Business, invoice: Invoice) -> Invoice:
    """Cancel an invoice nothing has been paid on; paid money is refunded instead."""
    if invoice.status == InvoiceStatus.VOID:
        return invoice
    if invoice.status == InvoiceStatus.PAID or paid_amounts(session, [invoice.id])[invoice.id]:
        raise Invalid("Money has been paid on this invoice: refund the payment instead.")
    pending = session.exec(
        select(Payment.id)
        .join(PaymentAllocation, col(PaymentAllocation.payment_id) == Payment.id)
        .where(
            PaymentAllocation.invoice_id == invoice.id,
            col(Payment.status).in_([PaymentStatus.PENDING, PaymentStatus.PROCESSING]),
        )
    ).first()
    if pending:
        raise Invalid("A payment on this invoice is under way; wait for it to finish.")
    invoice.status, invoice.voided_at = InvoiceStatus.VOID, utcnow()
    return invoice


# A refund counts once it is asked for; only a refund the processor failed gives nothing back.
REFUND_COUNTS = (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING)


def paid_amounts(session: Session, invoice_ids: Iterable[str]) -> dict[str, int]:
    """Succeeded payments plus applied credit, less what was refunded from them, per invoice,
    in three queries whatever the count."""
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
    refund_rows = session.exec(
        select(RefundAllocation.invoice_id, func.sum(RefundAllocation.amount))
        .join(Refund, col(Refund.id) == RefundAllocation.refund_id)
        .where(col(RefundAllocation.invoice_id).in_(ids))
        .where(col(Refund.status).in_(REFUND_COUNTS))
        .group_by(RefundAllocation.invoice_id)
    ).all()
    for invoice_id, amount in [*payment_rows, *credit_rows]:
        if invoice_id is not None:
            paid[invoice_id] += int(amount or 0)
    for invoice_id, amount in refund_rows:
        paid[invoice_id] -= int(amount or 0)
    return paid


def settle(session: Session, *, business: Business, invoice: Invoice) -> None:
    """Bring a sent invoice's status in line with what was paid on it: paid once payments and
    credit cover its total, open again when a refund takes part of that back."""
    if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
        return
    session.flush()
    covered = paid_amounts(session, [invoice.id])[invoice.id] >= invoice.total
    if invoice.status == InvoiceStatus.OPEN and covered:
        invoice.status, invoice.paid_at = InvoiceStatus.PAID, utcnow()
        kind = "invoice.paid"
    elif invoice.status == InvoiceStatus.PAID and not covered:
        invoice.status, invoice.paid_at = InvoiceStatus.OPEN, None
        kind = "invoice.reopened"
    else:
        return
    events.emit(
        session,
        business=business,
        type=kind,
        data={
            "invoice": invoice.id,
            "number": invoice.number,
            "external_id": invoice.external_id,
            "customer": invoice.customer_id,
            "total": invoice.total,
            "currency": invoice.currency,
        },
    )


def views(session: Session, invoices: list[Invoice]) -> list[InvoiceView]:
    ids = [invoice.id for invoice in invoices]
    paid = paid_amounts(session, ids)
    processing = (
        set(
            session.exec(
                select(PaymentAllocation.invoice_id)
                .join(Payment, col(Payment.id) == PaymentAllocation.payment_id)
                .where(
                    col(PaymentAllocation.invoice_id).in_(ids),
                    Payment.status == PaymentStatus.PROCESSING,
                )
            ).all()
        )
        if ids
        else set()
    )
    return [
        InvoiceView(invoice, paid[invoice.id], invoice.id in processing) for invoice in invoices
    ]


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


PAGE_SIZE = 10


def _paid_expression() -> ColumnElement[int]:
    """What has been paid on the invoice in the current row, as SQL, for filtering."""
    payments = (
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .join(Payment, col(Payment.id) == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == Invoice.id)
        .where(Payment.status == PaymentStatus.SUCCEEDED)
        .scalar_subquery()
    )
    credit = (
        select(func.coalesce(func.sum(CreditNote.amount), 0))
        .where(CreditNote.invoice_id == Invoice.id)
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(RefundAllocation.amount), 0))
        .join(Refund, col(Refund.id) == RefundAllocation.refund_id)
        .where(RefundAllocation.invoice_id == Invoice.id)
        .where(col(Refund.status).in_(REFUND_COUNTS))
        .scalar_subquery()
    )
    return payments + credit - refunded


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
    query = select(Invoice).where(
        Invoice.customer_id == customer.id,
        col(Invoice.status).in_([InvoiceStatus.OPEN, InvoiceStatus.PAID]),
    )
    is_open = Invoice.status == InvoiceStatus.OPEN
    if status == DisplayStatus.PAID:
        query = query.where(Invoice.status == InvoiceStatus.PAID)
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
        query = query.where(is_open, col(Invoice.due_date) >= today, _paid_expression() == 0)
    elif status == DisplayStatus.PARTIALLY_PAID:
        query = query.where(is_open, col(Invoice.due_date) >= today, _paid_expression() > 0)
    rows = session.exec(
        query.order_by(col(Invoice.issue_date).desc(), col(Invoice.number).desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return views(session, list(rows[:PAGE_SIZE])), len(rows) > PAGE_SIZE


def get_for_customer(
    session: Session, *, business: Business, customer: Customer, number: str
) -> InvoiceView:
    """A sent invoice of this customer by its number; drafts and others' invoices do not exist."""
    invoice = session.exec(
        select(Invoice).where(
            Invoice.number == number,
            Invoice.customer_id == customer.id,
            Invoice.status != InvoiceStatus.DRAFT,
        )
    ).first()
    if invoice is None:
        raise NotFound("no such invoice")
    return views(session, [invoice])[0]


def lines(session: Session, *, invoice: Invoice) -> list[InvoiceLine]:
    return list(
        session.exec(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice.id)
            .order_by(col(InvoiceLine.position))
        ).all()
    )


@dataclass(frozen=True)
class Applied:
    """A payment or credit applied to an invoice."""

    when: datetime
    label: str
    amount: int


def applied(session: Session, *, invoice: Invoice) -> list[Applied]:
    payment_rows = session.exec(
        select(Payment, PaymentAllocation.amount)
        .join(PaymentAllocation, col(PaymentAllocation.payment_id) == Payment.id)
        .where(
            PaymentAllocation.invoice_id == invoice.id, Payment.status == PaymentStatus.SUCCEEDED
        )
    ).all()
    credits = session.exec(select(CreditNote).where(CreditNote.invoice_id == invoice.id)).all()
    refunds = session.exec(
        select(Refund, RefundAllocation.amount)
        .join(RefundAllocation, col(RefundAllocation.refund_id) == Refund.id)
        .where(RefundAllocation.invoice_id == invoice.id, col(Refund.status).in_(REFUND_COUNTS))
    ).all()
    entries = [
        Applied(
            payment.succeeded_at or payment.created_at,
            f"Payment ({payment.method.replace('_', ' ')})",
            amount,
        )
        for payment, amount in payment_rows
    ]
    entries += [Applied(note.created_at, "Account credit", note.amount) for note in credits]
    entries += [Applied(refund.created_at, "Refund", -amount) for refund, amount in refunds]
    return sorted(entries, key=lambda entry: entry.when)


@dataclass(frozen=True)
class Charge:
    """One billed line, as the customer's recent-charges list shows it."""

    line: InvoiceLine
    invoice_number: str
    issue_date: date


def recent_charges(
    session: Session, *, business: Business, customer: Customer, limit: int = 20
) -> list[Charge]:
    # The latest invoices first (an index walk), then their lines: the work stays the same
    # however many invoices the customer has had over the years.
    latest = (
        select(Invoice.id)
        .where(
            Invoice.customer_id == customer.id,
            col(Invoice.status).in_([InvoiceStatus.OPEN, InvoiceStatus.PAID]),
        )
        .order_by(col(Invoice.issue_date).desc(), col(Invoice.number).desc())
        .limit(limit)
    )
    rows = session.exec(
        select(InvoiceLine, col(Invoice.number), col(Invoice.issue_date))
        .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
        .where(col(Invoice.id).in_(latest.scalar_subquery()))
        .order_by(
            col(Invoice.issue_date).desc(), col(Invoice.number).desc(), col(InvoiceLine.position)
        )
        .limit(limit)
    ).all()
    return [Charge(line, number, issued) for line, number, issued in rows]
