"""What has been paid on invoices: payments and credit applied, less refunds taken back, and the
status that follows from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    bindparam,
    func,
    literal_column,
    null,
    union_all,
)
from sqlmodel import Session, col, select

from frontdesk.db import in_business, prebuilt, read
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethodKind,
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


# Payments, credit and refunds applied to one invoice, in one read: when, which, how it was paid
# (a payment's method) and how much.
_APPLIED: CompoundSelect[*tuple[Any, ...]] = prebuilt(
    union_all(
        select(
            func.coalesce(Payment.succeeded_at, Payment.created_at),
            literal_column("'payment'"),
            col(Payment.method),
            col(PaymentAllocation.amount),
        )
        .join(PaymentAllocation, col(PaymentAllocation.payment_id) == Payment.id)
        .where(
            in_business(Payment),
            in_business(PaymentAllocation),
            PaymentAllocation.invoice_id == bindparam("invoice"),
            Payment.status == PaymentStatus.SUCCEEDED,
        ),
        select(CreditNote.created_at, literal_column("'credit'"), null(), CreditNote.amount).where(
            in_business(CreditNote), CreditNote.invoice_id == bindparam("invoice")
        ),
        select(Refund.created_at, literal_column("'refund'"), null(), RefundAllocation.amount)
        .join(RefundAllocation, col(RefundAllocation.refund_id) == Refund.id)
        .where(
            in_business(Refund),
            in_business(RefundAllocation),
            RefundAllocation.invoice_id == bindparam("invoice"),
            col(Refund.status).in_(REFUND_COUNTS),
        ),
    )
)


# At the same moment, a payment before credit before a refund.
_KINDS = ("payment", "credit", "refund")


def applied(session: Session, *, invoice: Invoice) -> list[Applied]:
    rows = read(session, _APPLIED, {"invoice": invoice.id})
    return [
        Applied(when, _applied_label(kind, method), -amount if kind == "refund" else amount)
        for when, kind, method, amount in sorted(rows, key=lambda r: (r[0], _KINDS.index(r[1])))
    ]


def _applied_label(kind: str, method: PaymentMethodKind | None) -> str:
    if kind == "payment":
        assert method is not None
        return gettext("Payment (%(method)s)") % {"method": method_name(method)}
    return gettext("Account credit") if kind == "credit" else gettext("Refund")
