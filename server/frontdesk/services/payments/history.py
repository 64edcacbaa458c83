"""A customer's payments as people read them: the invoices each paid, what went back, and
whether it was refunded in full or in part."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy
from sqlalchemy import bindparam
from sqlmodel import Session, col

from frontdesk.db import in_business, prebuilt, read
from frontdesk.driver_reads import columns_of, loaded
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


# A customer's payments, newest first, of the statuses asked for; one of them by id.
_NEWEST_FIRST = col(Payment.created_at).desc()
_THEIRS = (
    in_business(Payment),
    col(Payment.customer_id) == bindparam("customer"),
    col(Payment.status).in_(bindparam("statuses", expanding=True)),
)
_PAYMENTS = prebuilt(
    sqlalchemy.select(*columns_of(Payment)).where(*_THEIRS).order_by(_NEWEST_FIRST)
)
_PAYMENT = prebuilt(
    sqlalchemy.select(*columns_of(Payment)).where(*_THEIRS, col(Payment.id) == bindparam("payment"))
)
# The invoices each payment paid, and what went back from each.
_NUMBERS = prebuilt(
    sqlalchemy.select(col(PaymentAllocation.payment_id), col(Invoice.number))
    .join(Invoice, col(Invoice.id) == PaymentAllocation.invoice_id)
    .where(
        in_business(PaymentAllocation),
        in_business(Invoice),
        col(PaymentAllocation.payment_id).in_(bindparam("payments", expanding=True)),
    )
    .order_by(col(Invoice.number))
)
_REFUNDS = prebuilt(
    sqlalchemy.select(*columns_of(Refund))
    .where(in_business(Refund), col(Refund.payment_id).in_(bindparam("payments", expanding=True)))
    .order_by(col(Refund.created_at))
)


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
    said = {"customer": customer.id, "statuses": list(PaymentStatus if attempts else SHOWN)}
    if payment_id is None:
        rows = read(session, _PAYMENTS, said)
    else:
        rows = read(session, _PAYMENT, {**said, "payment": payment_id})
    return views(session, [loaded(session, Payment, row) for row in rows])


def views(session: Session, rows: list[Payment]) -> list[PaymentView]:
    if not rows:
        return []
    ids = [payment.id for payment in rows]
    numbers: dict[str, list[str]] = {payment_id: [] for payment_id in ids}
    for payment_id, number in read(session, _NUMBERS, {"payments": ids}):
        numbers[payment_id].append(number)
    refunds: dict[str, list[Refund]] = {payment_id: [] for payment_id in ids}
    for row in read(session, _REFUNDS, {"payments": ids}):
        refund = loaded(session, Refund, row)
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
