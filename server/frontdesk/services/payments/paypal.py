"""Paying invoices with PayPal, exactly once: a checkout (our pending payment and an order at
PayPal for the amount from our records), the capture once the payer approved, and PayPal's
answer applied forward only, under the customer's lock, whether it comes from the capture, a
webhook or reconciliation. The payment then succeeds the way a Stripe one does."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.languages import N_, gettext
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    Payment,
    PaymentAllocation,
    PaymentMethodKind,
    PaymentStatus,
    PayPalCheckout,
    PayPalCheckoutStatus,
    ProcessorEvent,
)
from frontdesk.processors import Declined, Event, Missing, ProcessorError, RefundMade, Unavailable
from frontdesk.processors.paypal import Capture, CaptureStatus, Order, PayPalProcessor
from frontdesk.services import customers
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.payments import apply, intents
from frontdesk.services.payments.apply import Mismatch
from frontdesk.services.payments.selection import Selection
from frontdesk.services.processor_events import Outcome

log = logging.getLogger("frontdesk.payments")
# PayPal lets an order wait three hours for the payer's approval.
LIFETIME = timedelta(hours=3)
# An approved order we have not heard about this long after: ask PayPal.
RECONCILE_AFTER = timedelta(minutes=15)
CAPTURE_EVENTS = {"PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.PENDING", "PAYMENT.CAPTURE.DENIED"}
# A capture that completed stays the capture of a completed payment when refunded later.
TOOK = {CaptureStatus.COMPLETED, CaptureStatus.REFUNDED, CaptureStatus.PARTIALLY_REFUNDED}
FAILED = {CaptureStatus.DECLINED, CaptureStatus.FAILED}
OPEN = (PayPalCheckoutStatus.CREATED, PayPalCheckoutStatus.APPROVED)
ALREADY_GOING = N_(
    "A PayPal payment for this is already going through. It will show here in a moment; "
    "nothing more is needed."
)
WAITING = N_("PayPal has not confirmed this payment yet. It will show here as soon as it does.")


def account(business: Business) -> str:
    """The business's PayPal account (payments made there are marked with it), or a refusal."""
    if not business.paypal_enabled or not business.paypal_merchant_id:
        raise Invalid(gettext("%(business)s does not take PayPal.") % {"business": business.name})
    return f"paypal:{business.paypal_merchant_id}"


def start(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    selection: Selection,
    tip: int,
    processor: PayPalProcessor,
    now: datetime,
) -> PayPalCheckout:
    """A checkout and its order at PayPal (whose id the buttons want). The same invoices asked
    for again (a double click) give the same order; different ones end the older checkout."""
    where = account(business)
    customers.lock(session, customer.id)
    intents.still_due(session, selection)
    wanted = sorted((invoice.id, amount) for invoice, amount in selection.allocations)
    for old in session.exec(
        select(PayPalCheckout).where(
            PayPalCheckout.customer_id == customer.id, col(PayPalCheckout.status).in_(OPEN)
        )
    ).all():
        payment = _payment(session, old)
        if old.status == PayPalCheckoutStatus.APPROVED:
            raise Invalid(gettext(ALREADY_GOING))
        same = (payment.amount, payment.tip) == (selection.amount, tip)
        if same and old.expires_at > now and _allocations(session, payment) == wanted:
            return old
        old.status, payment.status = PayPalCheckoutStatus.EXPIRED, PaymentStatus.CANCELED
    payment = intents.pending(
        session,
        business=business,
        customer=customer,
        selection=selection,
        tip=tip,
        method=PaymentMethodKind.PAYPAL,
        initiated_by=Initiator.CUSTOMER,
    )
    # No platform fee: PayPal pays the business directly.
    payment.processor_account, payment.application_fee = where, 0
    checkout = PayPalCheckout(
        business_id=business.id,
        customer_id=customer.id,
        payment_id=payment.id,
        amount=payment.charged,
        currency=business.currency,
        expires_at=now + LIFETIME,
    )
    session.add(checkout)
    numbers = "+".join(sorted(invoice.number for invoice, _ in selection.allocations))
    order = processor.create_order(
        amount=checkout.amount,
        currency=checkout.currency,
        custom_id=checkout.id,
        # New for every checkout: PayPal refuses a second capture with an invoice id it knows.
        invoice_id=f"{numbers[:80]}-{checkout.id}",
        description=f"{business.name}: {numbers}",
        key=f"{checkout.id}:order",
    )
    checkout.order_id = order.id
    return checkout


@dataclass(frozen=True)
class Captured:
    payment: Payment
    # Why the payment is not done, in words for the payer; "" when it succeeded or is processing.
    message: str = ""


def capture(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    order_id: str,
    processor: PayPalProcessor,
    now: datetime,
) -> Captured:
    """The payer approved `order_id`: take the money. Any number of calls capture once. An order
    that is not this customer's checkout at this business is NotFound, and nothing changes."""
    checkout = session.exec(
        select(PayPalCheckout).where(PayPalCheckout.order_id == order_id)
    ).first()
    if checkout is None or checkout.customer_id != customer.id:
        raise NotFound("no such PayPal payment")
    payment = _locked(session, checkout)
    if checkout.status not in OPEN:
        return Captured(payment)  # captured (or failed, expired) by whoever came first
    # Approved already and unanswered: asked again, with the same request id.
    return _capture_now(session, business=business, checkout=checkout, processor=processor, now=now)


def _capture_now(
    session: Session,
    *,
    business: Business,
    checkout: PayPalCheckout,
    processor: PayPalProcessor,
    now: datetime,
) -> Captured:
    order = processor.retrieve_order(str(checkout.order_id))
    _matches(checkout, order)
    payment = _payment(session, checkout)
    if order.capture is not None and order.capture.status not in FAILED:
        return Captured(
            apply_capture(
                session,
                business=business,
                checkout=checkout,
                capture=order.capture,
                processor=processor,
            )
        )
    # Reconciliation counts from the first approval we acted on, not from the latest retry.
    checkout.status = PayPalCheckoutStatus.APPROVED
    checkout.approved_at = checkout.approved_at or now
    try:
        made = processor.capture_order(
            str(checkout.order_id), key=f"{checkout.id}:capture:{checkout.attempts}"
        )
    except Declined as declined:
        # The payer may approve again with another account or card: a new capture request.
        checkout.status, checkout.attempts = PayPalCheckoutStatus.CREATED, checkout.attempts + 1
        apply.failed(session, business=business, payment=payment, message=declined.message)
        return Captured(payment, declined.message)
    except Unavailable:
        # Maybe captured, maybe not: the webhook or reconciliation will say, and a retry
        # carries the same request id, so PayPal cannot take the money twice.
        log.warning("PayPal did not answer the capture of %s", checkout.order_id)
        return Captured(payment, gettext(WAITING))
    return Captured(
        apply_capture(
            session, business=business, checkout=checkout, capture=made, processor=processor
        )
    )


def apply_capture(
    session: Session,
    *,
    business: Business,
    checkout: PayPalCheckout,
    capture: Capture,
    processor: PayPalProcessor,
) -> Payment:
    """Bring the checkout's payment up to PayPal's capture, forward only. The caller holds the
    customer's lock and read the checkout under it."""
    if (
        capture.custom_id != checkout.id
        or capture.order_id not in ("", checkout.order_id)
        or (capture.amount, capture.currency.upper())
        != (checkout.amount, checkout.currency.upper())
    ):
        raise Mismatch(f"PayPal capture {capture.id} does not match checkout {checkout.id}")
    payment = _payment(session, checkout)
    if payment.status in intents.FINAL:
        return payment
    if capture.status in TOOK:
        checkout.status, checkout.capture_id = PayPalCheckoutStatus.CAPTURED, capture.id
        payment.processor_reference = capture.id
        refunder = PayPalRefunder(processor, payment.currency)
        apply.succeed(session, business=business, payment=payment, refunder=refunder)
    elif capture.status == CaptureStatus.PENDING:
        checkout.status, checkout.capture_id = PayPalCheckoutStatus.PENDING, capture.id
        payment.status, payment.processor_reference = PaymentStatus.PROCESSING, capture.id
    elif capture.status in FAILED and payment.status == PaymentStatus.PROCESSING:
        checkout.status, payment.status = PayPalCheckoutStatus.FAILED, PaymentStatus.FAILED
        apply.failed(
            session, business=business, payment=payment, message="PayPal declined the payment."
        )
    return payment


def on_event(db: Database, event: Event, processor: PayPalProcessor) -> Outcome:
    """A verified PayPal webhook: the capture it names, as PayPal has it now, applied once per
    event. The event's own copy is never trusted for money."""
    if event.type not in CAPTURE_EVENTS:
        # Refunds we make are booked as we make them; others have nothing to move forward.
        log.info("PayPal event %s (%s) needs nothing from us", event.id, event.type)
        return Outcome.IGNORED
    try:
        found = processor.retrieve_capture(event.object_id)
    except Missing:
        return Outcome.REFUSED
    with db.unscoped("a PayPal capture names our checkout, not a business") as session:
        checkout = session.get(PayPalCheckout, found.custom_id) if found.custom_id else None
    if checkout is None:
        log.warning(
            "refused PayPal event %s: capture %s is no checkout of ours", event.id, found.id
        )
        return Outcome.UNKNOWN_ACCOUNT
    try:
        with db.session(checkout.business_id) as session:
            if session.get(ProcessorEvent, event.id) is not None:
                return Outcome.DUPLICATE
            business = session.get(Business, checkout.business_id)
            assert business is not None
            checkout = session.get(PayPalCheckout, checkout.id)
            assert checkout is not None
            _locked(session, checkout)
            apply_capture(
                session, business=business, checkout=checkout, capture=found, processor=processor
            )
            session.add(
                ProcessorEvent(
                    id=event.id,
                    business_id=business.id,
                    type=event.type,
                    payload={"object": found.id, "kind": "capture"},
                )
            )
    except IntegrityError:
        return Outcome.DUPLICATE
    except Mismatch as refused:
        log.warning("refused PayPal event %s: %s", event.id, refused)
        return Outcome.REFUSED
    return Outcome.APPLIED


def reconcile(db: Database, processor: PayPalProcessor, now: datetime) -> int:
    """Ask PayPal about checkouts approved (or held pending) but unheard of for RECONCILE_AFTER,
    and about those never approved once they expire: capture what the payer approved, apply what
    PayPal took or declined, expire the rest. Each in its own transaction under the customer's
    lock. A pending capture whose webhook was lost is finished here, not left processing."""
    due = or_(
        and_(
            col(PayPalCheckout.status).in_(
                [PayPalCheckoutStatus.APPROVED, PayPalCheckoutStatus.PENDING]
            ),
            col(PayPalCheckout.approved_at) <= now - RECONCILE_AFTER,
        ),
        and_(
            col(PayPalCheckout.status) == PayPalCheckoutStatus.CREATED,
            col(PayPalCheckout.expires_at) <= now,
        ),
    )
    with db.unscoped("reconciling PayPal checkouts of every business") as session:
        found = [(c.business_id, c.id) for c in session.exec(select(PayPalCheckout).where(due))]
    decided = 0
    for business_id, checkout_id in found:
        try:
            with db.session(business_id) as session:
                checkout = session.get(PayPalCheckout, checkout_id)
                business = session.get(Business, business_id)
                assert checkout is not None and business is not None
                decided += _reconcile_one(session, business, checkout, processor, now)
        except DatabaseUnavailable:
            raise
        except (ProcessorError, Mismatch):
            log.exception("reconciling PayPal checkout %s failed; trying again", checkout_id)
    return decided


def _reconcile_one(
    session: Session,
    business: Business,
    checkout: PayPalCheckout,
    processor: PayPalProcessor,
    now: datetime,
) -> int:
    _locked(session, checkout)
    if checkout.status == PayPalCheckoutStatus.PENDING and checkout.capture_id:
        held = processor.retrieve_capture(checkout.capture_id)
        if held.status == CaptureStatus.PENDING:
            return 0  # PayPal still holds it: asked again next round
        apply_capture(
            session, business=business, checkout=checkout, capture=held, processor=processor
        )
        return 1
    if checkout.status not in OPEN or checkout.order_id is None:
        return 0  # decided meanwhile by the payer, a webhook or another process
    order = processor.retrieve_order(checkout.order_id)
    if order.capture is not None or order.status == "APPROVED":
        _capture_now(session, business=business, checkout=checkout, processor=processor, now=now)
    elif now >= checkout.expires_at:
        payment = _payment(session, checkout)
        checkout.status, payment.status = PayPalCheckoutStatus.EXPIRED, PaymentStatus.CANCELED
    return 1


class PayPalRefunder:
    """PayPal's refunds in the shape services/payments/refunds.py asks of a processor."""

    def __init__(self, processor: PayPalProcessor, currency: str) -> None:
        self.processor, self.currency = processor, currency

    def refund(
        self,
        account: str,
        intent_id: str,
        *,
        amount: int,
        key: str,
        reason: str,
        refund_application_fee: bool = False,
    ) -> RefundMade:
        # `account` is the business's, implied by our credentials; there is no platform fee.
        del account, refund_application_fee
        return self.processor.refund(
            intent_id, amount=amount, currency=self.currency, key=key, note=reason
        )


def _matches(checkout: PayPalCheckout, order: Order) -> None:
    if order.custom_id != checkout.id or (order.amount, order.currency.upper()) != (
        checkout.amount,
        checkout.currency.upper(),
    ):
        raise Mismatch(f"PayPal order {order.id} does not match checkout {checkout.id}")


def _allocations(session: Session, payment: Payment) -> list[tuple[str, int]]:
    rows = session.exec(
        select(PaymentAllocation.invoice_id, PaymentAllocation.amount).where(
            PaymentAllocation.payment_id == payment.id
        )
    ).all()
    return sorted((invoice_id, amount) for invoice_id, amount in rows)


def _locked(session: Session, checkout: PayPalCheckout) -> Payment:
    """Take the customer's lock, then read again: whoever came first has applied it."""
    customers.lock(session, checkout.customer_id)
    session.refresh(checkout)
    payment = _payment(session, checkout)
    session.refresh(payment)
    return payment


def _payment(session: Session, checkout: PayPalCheckout) -> Payment:
    payment = session.get(Payment, checkout.payment_id)
    assert payment is not None  # a foreign key
    return payment
