"""Recording payments and applying them to invoices."""

from __future__ import annotations

from sqlmodel import Session

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
    utcnow,
)
from frontdesk.services import invoices


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
