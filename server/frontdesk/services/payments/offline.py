"""Money the business received outside the processor (cash, a cheque), applied to invoices."""

from __future__ import annotations

from sqlmodel import Session

from frontdesk import money
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
    new_id,
    utcnow,
)
from frontdesk.services import audit, customers, invoices
from frontdesk.services.errors import Invalid
from frontdesk.services.payments import apply

OFFLINE_METHODS = (PaymentMethodKind.CASH, PaymentMethodKind.CHEQUE)


def record_succeeded(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    allocations: list[tuple[Invoice, int]],
    method: PaymentMethodKind,
    idempotency_key: str,
    initiated_by: Initiator,
) -> Payment:
    """A succeeded payment applied to the given invoices, each settled when fully paid."""
    payment = Payment(
        business_id=business.id,
        customer_id=customer.id,
        amount=sum(amount for _, amount in allocations),
        currency=business.currency,
        method=method,
        status=PaymentStatus.SUCCEEDED,
        idempotency_key=idempotency_key,
        initiated_by=initiated_by,
        succeeded_at=utcnow(),
    )
    session.add(payment)
    for invoice, amount in allocations:
        session.add(
            PaymentAllocation(
                business_id=business.id, payment_id=payment.id, invoice_id=invoice.id, amount=amount
            )
        )
    for invoice, _ in allocations:
        invoices.settle(session, business=business, invoice=invoice)
    apply.announce(session, business=business, payment=payment)
    return payment


def record_offline(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    invoice: Invoice,
    amount: int,
    method: PaymentMethodKind,
    reference: str,
    actor: audit.Actor,
) -> Payment:
    """Cash or a cheque the business received, applied to one invoice (never above what is due)."""
    if method not in OFFLINE_METHODS:
        raise Invalid("Choose cash or cheque.", {"method": "Choose cash or cheque."})
    customers.lock(session, customer.id)
    session.refresh(invoice)
    due = invoices.views(session, [invoice])[0].amount_due
    if invoice.customer_id != customer.id or invoice.status != InvoiceStatus.OPEN or due == 0:
        raise Invalid("This invoice is not open for payment.")
    if not 0 < amount <= due:
        shown = money.format_amount(due, business.currency, business.locale)
        raise Invalid("Choose another amount.", {"amount": f"Enter up to {shown}."})
    payment = record_succeeded(
        session,
        business=business,
        customer=customer,
        allocations=[(invoice, amount)],
        method=method,
        idempotency_key=f"offline:{new_id('rec')}",
        initiated_by=actor.kind,
    )
    payment.description = reference[:500]
    actor.record(
        session, business.id, "invoice.payment", "customer", customer.id, invoice=invoice.number
    )
    return payment
