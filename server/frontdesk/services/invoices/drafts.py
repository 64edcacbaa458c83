"""Writing invoices: numbers, drafts from lines, editing a draft, sending and voiding."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from frontdesk.models import (
    Business,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    utcnow,
)
from frontdesk.services import audit
from frontdesk.services import lines as line_pricing
from frontdesk.services.errors import Invalid
from frontdesk.services.invoices.paid import paid_amounts
from frontdesk.services.lines import LineInput


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
    actor: audit.Actor | None = None,
) -> Invoice:
    """A new invoice (a draft unless `send`), in the audit trail as `actor`'s when someone
    asked (the demo's and the tests' invoices are made without one)."""
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
    if actor:
        actor.record(
            session, business.id, "invoice.created", "customer", customer.id, invoice=number
        )
    return invoice


def replace_draft(
    session: Session,
    *,
    business: Business,
    invoice: Invoice,
    lines: list[LineInput],
    issue_date: date,
    due_date: date,
    notes: str,
    actor: audit.Actor,
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
    actor.record(
        session,
        business.id,
        "invoice.edited",
        "customer",
        invoice.customer_id,
        number=invoice.number,
    )
    return invoice


def send(session: Session, *, business: Business, invoice: Invoice) -> Invoice:
    """Open a draft: the customer sees it in the portal and it counts towards their balance."""
    if invoice.status == InvoiceStatus.DRAFT:
        invoice.status, invoice.sent_at = InvoiceStatus.OPEN, utcnow()
    elif invoice.status == InvoiceStatus.VOID:
        raise Invalid("A void invoice cannot be sent.")
    return invoice


def void(session: Session, *, business: Business, invoice: Invoice, actor: audit.Actor) -> Invoice:
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
    actor.record(
        session,
        business.id,
        "invoice.void",
        "customer",
        invoice.customer_id,
        invoice=invoice.number,
    )
    return invoice
