"""A customer's payments as people read them: the invoices each paid, what went back, and
whether it was refunded in full or in part."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from frontdesk.models import (
    Business,
    Customer,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Refund,
)
from frontdesk.services.errors import NotFound
from frontdesk.services.invoices import REFUND_COUNTS

SHOWN = (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING)


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    invoice_numbers: list[str]
    refunds: list[Refund]

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.status in REFUND_COUNTS)

    @property
    def refund_state(self) -> str:
        """ "refunded", "partially_refunded" or "" (nothing went back)."""
        if not self.refunded:
            return ""
        return "refunded" if self.refunded >= self.payment.charged else "partially_refunded"

    @property
    def state(self) -> str:
        """What to call it: its status, unless money went back."""
        return self.refund_state or str(self.payment.status)

    @property
    def kept(self) -> int:
        return self.payment.charged - self.refunded

    @property
    def fee_given_back(self) -> int:
        return sum(r.application_fee_refunded for r in self.refunds if r.status in REFUND_COUNTS)

    @property
    def fee_kept(self) -> int:
        """The platform's fee on what was kept (refunds give back their share of it)."""
        return self.payment.application_fee - self.fee_given_back

    @property
    def received(self) -> int:
        """What reaches the business's account: what was kept, less the platform's fee."""
        return self.kept - self.fee_kept


def history(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    payment_id: str | None = None,
    attempts: bool = False,
) -> list[PaymentView]:
    """The customer's payments (or one of them), newest first, with invoices paid and refunds.
    `attempts` adds the pending, failed and cancelled ones (the business sees those)."""
    query = select(Payment).where(Payment.customer_id == customer.id)
    if not attempts:
        query = query.where(col(Payment.status).in_(SHOWN))
    if payment_id is not None:
        query = query.where(Payment.id == payment_id)
    rows = list(session.exec(query.order_by(col(Payment.created_at).desc())).all())
    return views(session, rows)


def views(session: Session, rows: list[Payment]) -> list[PaymentView]:
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
    for refund in session.exec(
        select(Refund).where(col(Refund.payment_id).in_(ids)).order_by(col(Refund.created_at))
    ).all():
        refunds[refund.payment_id].append(refund)
    return [PaymentView(p, numbers[p.id], refunds[p.id]) for p in rows]


def get_for_customer(
    session: Session, *, business: Business, customer: Customer, payment_id: str
) -> PaymentView:
    found = history(session, business=business, customer=customer, payment_id=payment_id)
    if not found:
        raise NotFound("no such payment")
    return found[0]


def owned(session: Session, *, customer: Customer, payment_id: str) -> Payment:
    """One of this customer's payments made through the processor; NotFound for anyone else's."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.customer_id != customer.id or not payment.processor_reference:
        raise NotFound("no such payment")
    return payment
