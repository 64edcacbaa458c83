"""Money going back: refunds the business asks for (saying what becomes of the invoices) and
the duplicate rule's refund of a second payment for invoices already settled. Every refund
records its cause and, where it touches invoices, how much of each it takes back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session, col, func, select

from frontdesk import languages, money
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    CreditNote,
    Customer,
    Invoice,
    InvoiceEffect,
    Payment,
    PaymentAllocation,
    PaymentMethodKind,
    PaymentStatus,
    Refund,
    RefundAllocation,
    RefundCause,
)
from frontdesk.processors import RefundMade
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.services import audit, connect, customers, events, invoices, outbox
from frontdesk.services.errors import Invalid
from frontdesk.services.invoices import REFUND_COUNTS
from frontdesk.services.payments import fees


class Refunder(Protocol):
    """What a refund needs of a processor: Stripe's itself, PayPal's through the adapter in
    services/payments/paypal.py."""

    def refund(
        self,
        account: str,
        intent_id: str,
        *,
        amount: int,
        key: str,
        reason: str,
        refund_application_fee: bool = False,
    ) -> RefundMade: ...


STATUS = {"succeeded": PaymentStatus.SUCCEEDED, "pending": PaymentStatus.PENDING}
EFFECTS = {
    InvoiceEffect.CREDIT: "The customer no longer owes it",
    InvoiceEffect.REOPEN: "The customer still owes it",
}


@dataclass(frozen=True)
class RefundPlan:
    """A refund the business asked for, checked and worked out, before anything moves."""

    payment: Payment
    amount: int
    effect: InvoiceEffect
    # What comes back from each invoice (by id); the rest of `amount` is the tip.
    shares: dict[str, int]
    numbers: dict[str, str]

    @property
    def from_tip(self) -> int:
        return self.amount - sum(self.shares.values())


def plan(
    session: Session,
    *,
    business: Business,
    payment: Payment,
    amount: int | None,
    effect: InvoiceEffect | str,
) -> RefundPlan:
    """Check a refund the business asks for: a full (amount None) or partial refund, never more
    than is left of the payment; what it takes back from invoices comes first (the tip last);
    `effect` says whether the customer still owes that (reopen) or not (credit)."""
    if payment.status != PaymentStatus.SUCCEEDED or not payment.processor_reference:
        raise Invalid("Only a completed card or bank payment can be refunded.")
    left = payment.charged - _refunded(session, payment)
    wanted = left if amount is None else amount
    if not 0 < wanted <= left:
        shown = money.format_amount(left, payment.currency, business.locale)
        low = money.format_amount(1, payment.currency, business.locale)
        raise Invalid("Choose another amount.", {"amount": f"Refund between {low} and {shown}."})
    if effect not in EFFECTS:
        raise Invalid(
            "Say what happens to the invoice.",
            {"effect": "Choose whether the customer still owes the refunded amount."},
        )
    shares = _from_invoices(session, payment, wanted)
    return RefundPlan(payment, wanted, InvoiceEffect(effect), shares, _numbers(session, shares))


def refund(
    session: Session,
    *,
    business: Business,
    payment: Payment,
    amount: int | None,
    reason: str,
    effect: InvoiceEffect | str,
    cause: RefundCause,
    actor: str,
    processor: Refunder,
    paypal: PayPalProcessor | None = None,
) -> Refund:
    """Make the refund `plan` describes, under the customer's lock so that two refunds (two
    staff members, a retried API call) never give back more than was paid. A payment made with
    PayPal goes back through `paypal`; `processor` (Stripe) refunds the others."""
    customers.lock(session, payment.customer_id)
    session.refresh(payment)
    planned = plan(session, business=business, payment=payment, amount=amount, effect=effect)
    processor = _refunder(payment, processor, paypal)
    row = _made(
        session,
        business=business,
        payment=payment,
        amount=planned.amount,
        key=f"{payment.id}:refund:{_count(session, payment) + 1}",
        processor=processor,
        reason=reason or "Refunded by the business",
        cause=cause,
        actor=actor,
        effect=planned.effect if planned.shares else InvoiceEffect.NONE,
        shares=planned.shares,
    )
    for invoice_id, share in planned.shares.items():
        if planned.effect == InvoiceEffect.CREDIT:
            session.add(
                CreditNote(
                    business_id=business.id,
                    customer_id=payment.customer_id,
                    invoice_id=invoice_id,
                    amount=share,
                    currency=payment.currency,
                    reason=f"Refund on {planned.numbers[invoice_id]}: no longer owed",
                )
            )
    for invoice_id in planned.shares:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        invoices.settle(session, business=business, invoice=invoice)
    session.flush()
    audit.record(
        session,
        business=business,
        actor_type=str(cause),
        actor_id=actor,
        action="payment.refunded",
        target_type="customer",
        target_id=payment.customer_id,
        detail={
            "payment": payment.id,
            "refund": row.id,
            "amount": row.amount,
            "invoice_effect": str(row.invoice_effect),
        },
    )
    return row


def for_duplicate(
    session: Session,
    *,
    business: Business,
    payment: Payment,
    excess: dict[str, int],
    collided_with: str,
    processor: Refunder,
) -> Refund:
    """Give back what `payment` would have paid twice (`excess` per invoice), and its tip too
    when nothing of it is left applied. The caller holds the customer's lock."""
    taken = sum(excess.values())
    amount = taken + (payment.tip if taken == payment.amount else 0)
    numbers = _numbers(session, excess)
    return _made(
        session,
        business=business,
        payment=payment,
        amount=amount,
        key=f"{payment.id}:duplicate-refund",
        processor=processor,
        reason=(
            f"Paid twice: {', '.join(sorted(numbers.values()))} already settled by {collided_with}"
        ),
        cause=RefundCause.DUPLICATE,
        actor="",
        effect=InvoiceEffect.NONE,
        shares=excess,
        collided_with=collided_with,
    )


def _made(
    session: Session,
    *,
    business: Business,
    payment: Payment,
    amount: int,
    key: str,
    processor: Refunder,
    reason: str,
    cause: RefundCause,
    actor: str,
    effect: InvoiceEffect,
    shares: dict[str, int],
    collided_with: str = "",
) -> Refund:
    before = _refunded(session, payment)
    made = processor.refund(
        connect.made_on(business, payment),
        str(payment.processor_reference),
        amount=amount,
        key=key,
        reason=reason,
        refund_application_fee=payment.application_fee > 0,
    )
    status = STATUS.get(made.status, PaymentStatus.FAILED)
    fee_back = (
        fees.refunded(payment.application_fee, payment.charged, before, made.amount)
        if status in REFUND_COUNTS
        else 0
    )
    row = Refund(
        business_id=business.id,
        payment_id=payment.id,
        amount=made.amount,
        currency=payment.currency,
        status=status,
        reason=reason[:1000],
        application_fee_refunded=fee_back,
        cause=cause,
        actor=actor,
        collided_with=collided_with,
        invoice_effect=effect,
        processor_reference=made.id,
        idempotency_key=key,
    )
    session.add(row)
    for invoice_id, share in shares.items():
        session.add(
            RefundAllocation(
                business_id=business.id, refund_id=row.id, invoice_id=invoice_id, amount=share
            )
        )
    _tell_customer(session, business=business, payment=payment, refund=row, shares=shares)
    events.emit(
        session,
        business=business,
        type="payment.refunded",
        data={
            "payment": payment.id,
            "refund": row.id,
            "amount": row.amount,
            "currency": row.currency,
            "cause": str(cause),
            "invoice_effect": str(effect),
        },
    )
    return row


def _tell_customer(
    session: Session,
    *,
    business: Business,
    payment: Payment,
    refund: Refund,
    shares: dict[str, int],
) -> None:
    """The customer hears of money coming back, and why, in the business's name."""
    customer = session.get(Customer, payment.customer_id)
    if customer is None or not customer.portal_enabled:
        return
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "business": business.name,
            "amount": money.format_amount(refund.amount, refund.currency, business.locale),
            "paid": money.format_amount(payment.charged, payment.currency, business.locale),
            "numbers": ", ".join(sorted(_numbers(session, shares).values()))
            or gettext("your account"),
            "note": refund.reason,
        }
        if refund.cause == RefundCause.DUPLICATE:
            subject = gettext("%(business)s refunded %(amount)s: you paid twice")
            why = gettext(
                "You paid %(business)s twice for %(numbers)s, so the second payment, %(amount)s, "
                "went back to you. Nothing more is owed for %(numbers)s."
            )
        else:
            subject = gettext("%(business)s refunded %(amount)s")
            why = gettext(
                "%(business)s refunded %(amount)s of your payment of %(paid)s for %(numbers)s."
            )
            if refund.reason and refund.reason != "Refunded by the business":
                why = " ".join((why, gettext("Their note: %(note)s")))
        text = "".join(
            (
                gettext("Hello %(name)s,") % said,
                "\n\n",
                why % said,
                "\n\n",
                gettext(
                    "It goes back to the card or account you paid with; banks usually take 5 to "
                    "10 business days to show it."
                ),
                "\n",
            )
        )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=subject % said,
            text=text,
        )


def _refunder(payment: Payment, processor: Refunder, paypal: PayPalProcessor | None) -> Refunder:
    """Money goes back the way it came: a PayPal payment's capture can only be refunded there."""
    # Imported here: services/payments/paypal.py builds on apply.py, which builds on this module.
    from frontdesk.services.payments.paypal import PayPalRefunder

    if payment.method != PaymentMethodKind.PAYPAL or isinstance(processor, PayPalRefunder):
        return processor
    if paypal is None:
        raise Invalid("This payment was made with PayPal, which is not set up here to refund it.")
    return PayPalRefunder(paypal, payment.currency)


def _refunded(session: Session, payment: Payment) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id, col(Refund.status).in_(REFUND_COUNTS)
        )
    ).one()
    return int(total)


def _count(session: Session, payment: Payment) -> int:
    return len(session.exec(select(Refund.id).where(Refund.payment_id == payment.id)).all())


def _from_invoices(session: Session, payment: Payment, wanted: int) -> dict[str, int]:
    """How much of `wanted` comes back from each invoice: the last-settled first, never more
    than is still applied to it; whatever is left over comes from the tip."""
    applied = session.exec(
        select(PaymentAllocation.invoice_id, PaymentAllocation.amount)
        .join(Invoice, col(Invoice.id) == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id == payment.id)
        .order_by(col(Invoice.due_date).desc(), col(Invoice.number).desc())
    ).all()
    taken_back = dict(
        session.exec(
            select(RefundAllocation.invoice_id, func.sum(RefundAllocation.amount))
            .join(Refund, col(Refund.id) == RefundAllocation.refund_id)
            .where(Refund.payment_id == payment.id, col(Refund.status).in_(REFUND_COUNTS))
            .group_by(col(RefundAllocation.invoice_id))
        ).all()
    )
    shares: dict[str, int] = {}
    for invoice_id, amount in applied:
        share = min(wanted, amount - int(taken_back.get(invoice_id, 0)))
        if share > 0:
            shares[invoice_id] = share
            wanted -= share
    return shares


def _numbers(session: Session, invoice_ids: dict[str, int]) -> dict[str, str]:
    return dict(
        session.exec(
            select(Invoice.id, Invoice.number).where(col(Invoice.id).in_(list(invoice_ids)))
        ).all()
    )
