"""What has been paid on invoices: payments and credit applied, less refunds taken back, and the
status that follows from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, func
from sqlmodel import Session, col, select

from frontdesk.db import in_business, prebuilt
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Refund,
    RefundAllocation,
    utcnow,
)
from frontdesk.rendering import method_name
from frontdesk.services import events, todos

# A refund counts once it is asked for; only a refund the processor failed gives nothing back.
REFUND_COUNTS = (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING)


def paid_amounts(session: Session, invoice_ids: Iterable[str]) -> dict[str, int]:
    """Succeeded payments plus applied credit, less what was refunded from them, per invoice,
    in one query whatever the count."""
    ids = list(invoice_ids)
    if not ids:
        return {}
    paid: dict[str, int] = dict.fromkeys(ids, 0)
    for invoice_id, amount in session.exec(_PAID, params={"ids": ids}):
        paid[invoice_id] = int(amount)
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
        # In this transaction, under the payment's lock: paid once, closed once.
        todos.close(
            session,
            business=business,
            customer_id=invoice.customer_id,
            rule=f"pay_invoice:{invoice.id}",
            now=invoice.paid_at,
        )
    elif invoice.status == InvoiceStatus.PAID and not covered:
        invoice.status, invoice.paid_at = InvoiceStatus.OPEN, None
        kind = "invoice.reopened"
        todos.reopen(
            session,
            business=business,
            customer_id=invoice.customer_id,
            rule=f"pay_invoice:{invoice.id}",
        )
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


def paid_expression() -> ColumnElement[int]:
    """What has been paid on the invoice in the current row, as SQL, for filtering."""
    payments = (
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .join(Payment, col(Payment.id) == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == Invoice.id)
        .where(Payment.status == PaymentStatus.SUCCEEDED)
        .where(in_business(PaymentAllocation), in_business(Payment))
        .scalar_subquery()
    )
    credit = (
        select(func.coalesce(func.sum(CreditNote.amount), 0))
        .where(CreditNote.invoice_id == Invoice.id, in_business(CreditNote))
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(RefundAllocation.amount), 0))
        .join(Refund, col(Refund.id) == RefundAllocation.refund_id)
        .where(RefundAllocation.invoice_id == Invoice.id)
        .where(col(Refund.status).in_(REFUND_COUNTS))
        .where(in_business(RefundAllocation), in_business(Refund))
        .scalar_subquery()
    )
    return payments + credit - refunded


def processing_expression() -> ColumnElement[bool]:
    """Whether a bank payment is on its way to the invoice in the current row, as SQL."""
    return (
        select(PaymentAllocation.id)
        .join(Payment, col(Payment.id) == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == Invoice.id)
        .where(Payment.status == PaymentStatus.PROCESSING)
        .where(in_business(PaymentAllocation), in_business(Payment))
        .exists()
    )


_PAID = prebuilt(
    select(Invoice.id, paid_expression()).where(
        in_business(Invoice), col(Invoice.id).in_(bindparam("ids", expanding=True))
    )
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
            gettext("Payment (%(method)s)") % {"method": method_name(payment.method)},
            amount,
        )
        for payment, amount in payment_rows
    ]
    entries += [
        Applied(note.created_at, gettext("Account credit"), note.amount) for note in credits
    ]
    entries += [
        Applied(refund.created_at, gettext("Refund"), -amount) for refund, amount in refunds
    ]
    return sorted(entries, key=lambda entry: entry.when)
