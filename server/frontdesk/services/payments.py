"""Recording payments and applying them to invoices."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethodKind,
    PaymentStatus,
    Refund,
    utcnow,
)
from frontdesk.services import invoices
from frontdesk.services.errors import NotFound


def settle(session: Session, *, invoice: Invoice) -> None:
    """Mark an open invoice paid once succeeded payments and credit cover its total."""
    if invoice.status != InvoiceStatus.OPEN:
        return
    session.flush()
    if invoices.paid_amounts(session, [invoice.id])[invoice.id] >= invoice.total:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = utcnow()


def record_succeeded(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    allocations: list[tuple[Invoice, int]],
    method: PaymentMethodKind,
    idempotency_key: str,
    processor_reference: str | None = None,
    initiated_by: Initiator = Initiator.CUSTOMER,
    tip: int = 0,
) -> Payment:
    """A succeeded payment applied to the given invoices, each settled when fully paid."""
    now = utcnow()
    payment = Payment(
        business_id=business.id,
        customer_id=customer.id,
        amount=sum(amount for _, amount in allocations),
        tip=tip,
        currency=business.currency,
        method=method,
        status=PaymentStatus.SUCCEEDED,
        processor_reference=processor_reference,
        idempotency_key=idempotency_key,
        initiated_by=initiated_by,
        succeeded_at=now,
    )
    session.add(payment)
    for invoice, amount in allocations:
        session.add(
            PaymentAllocation(
                business_id=business.id, payment_id=payment.id, invoice_id=invoice.id, amount=amount
            )
        )
    for invoice, _ in allocations:
        settle(session, invoice=invoice)
    return payment


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    invoice_numbers: list[str]
    refunds: list[Refund]

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.status == PaymentStatus.SUCCEEDED)


def history(
    session: Session, *, business: Business, customer: Customer, payment_id: str | None = None
) -> list[PaymentView]:
    """The customer's payments (or one of them), newest first, with invoices paid and refunds."""
    query = select(Payment).where(
        Payment.customer_id == customer.id,
        col(Payment.status).in_([PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING]),
    )
    if payment_id is not None:
        query = query.where(Payment.id == payment_id)
    rows = list(session.exec(query.order_by(col(Payment.created_at).desc())).all())
    ids = [payment.id for payment in rows]
    numbers: dict[str, list[str]] = {payment_id: [] for payment_id in ids}
    for payment_id, number in session.exec(
        select(PaymentAllocation.payment_id, col(Invoice.number))
        .join(Invoice, col(Invoice.id) == PaymentAllocation.invoice_id)
        .where(col(PaymentAllocation.payment_id).in_(ids))
        .order_by(col(Invoice.number))
    ).all():
        numbers[payment_id].append(number)
    refunds: dict[str, list[Refund]] = {payment_id: [] for payment_id in ids}
    for refund in session.exec(select(Refund).where(col(Refund.payment_id).in_(ids))).all():
        refunds[refund.payment_id].append(refund)
    return [PaymentView(p, numbers[p.id], refunds[p.id]) for p in rows]


def get_for_customer(
    session: Session, *, business: Business, customer: Customer, payment_id: str
) -> PaymentView:
    found = history(session, business=business, customer=customer, payment_id=payment_id)
    if not found:
        raise NotFound("no such payment")
    return found[0]
