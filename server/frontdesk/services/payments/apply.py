"""Bringing our payment up to the processor's state: once, forward only, under the customer's
lock. The webhook, the customer's result poll, reconciliation, one-click and the business's
charges all come through here, often for the same intent at the same moment."""

from __future__ import annotations

from sqlmodel import Session, col, select

from frontdesk import languages, money
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    CreditNote,
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
from frontdesk.processors import Intent, IntentStatus, Processor
from frontdesk.services import audit, customers, events, invoices, outbox
from frontdesk.services.payments import methods, refunds


class Mismatch(Exception):
    """A processor's intent that does not match our records; it is logged and not applied."""


def apply_intent(
    session: Session, *, business: Business, intent: Intent, processor: Processor
) -> Payment:
    """Bring our payment up to the intent's state. Applying the same state twice changes
    nothing; a late failure never un-pays; a success settles the invoices it was for, and what
    another payment settled meanwhile goes back to the customer (the duplicate rule)."""
    found = session.exec(select(Payment).where(Payment.processor_reference == intent.id)).first()
    if found is None:
        raise Mismatch(f"no payment of {business.id} has intent {intent.id}")
    # Take the lock, then read again: whoever came first has applied it, and we see that.
    customers.lock(session, found.customer_id)
    session.refresh(found)
    payment = found
    if (
        intent.metadata.get("frontdesk_business") != business.id
        or intent.metadata.get("frontdesk_payment") != payment.id
        or intent.currency != payment.currency
        or intent.amount != payment.charged
    ):
        raise Mismatch(f"intent {intent.id} does not match payment {payment.id}")
    if payment.status == PaymentStatus.SUCCEEDED:
        return payment
    if intent.status == IntentStatus.SUCCEEDED:
        _succeed(session, business=business, payment=payment, intent=intent, processor=processor)
    elif intent.status == IntentStatus.PROCESSING and payment.status == PaymentStatus.PENDING:
        payment.status, payment.method = PaymentStatus.PROCESSING, PaymentMethodKind.US_BANK_ACCOUNT
    elif intent.status == IntentStatus.REQUIRES_PAYMENT_METHOD and intent.error:
        if payment.status == PaymentStatus.PROCESSING:
            # A bank debit that bounced: this attempt is over.
            payment.status = PaymentStatus.FAILED
            failed(session, business=business, payment=payment, message=intent.error)
        elif payment.status == PaymentStatus.PENDING and payment.failure_message != intent.error:
            # A declined card: the same intent can still be paid with another one.
            failed(session, business=business, payment=payment, message=intent.error)
    elif intent.status == IntentStatus.CANCELED and payment.status == PaymentStatus.PENDING:
        payment.status = PaymentStatus.CANCELED
    return payment


def _succeed(
    session: Session, *, business: Business, payment: Payment, intent: Intent, processor: Processor
) -> None:
    succeed(session, business=business, payment=payment, refunder=processor)
    if payment.save_consent_text and intent.payment_method:
        methods.save_method(
            session,
            business=business,
            customer_id=payment.customer_id,
            method_id=intent.payment_method,
            consent_text=payment.save_consent_text,
            consented_at=payment.created_at,
            processor=processor,
        )


def succeed(
    session: Session, *, business: Business, payment: Payment, refunder: refunds.Refunder
) -> None:
    """A payment the processor took, whichever processor: its invoices settle, what another
    payment settled first goes back through `refunder`, the receipt and the events go out.
    The caller holds the customer's lock and has read the payment under it."""
    allocations = session.exec(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id)
    ).all()
    targets = list(
        session.exec(
            select(Invoice)
            .where(col(Invoice.id).in_([a.invoice_id for a in allocations]))
            .execution_options(populate_existing=True)  # as they are now, under the lock
        ).all()
    )
    by_id = {invoice.id: invoice for invoice in targets}
    paid = invoices.paid_amounts(session, by_id)
    excess: dict[str, int] = {}
    for allocation in allocations:
        invoice = by_id[allocation.invoice_id]
        due = invoice.total - paid[invoice.id] if invoice.status == InvoiceStatus.OPEN else 0
        if allocation.amount > max(due, 0):
            excess[invoice.id] = allocation.amount - max(due, 0)
    payment.status, payment.succeeded_at = PaymentStatus.SUCCEEDED, utcnow()
    if excess:
        # Another payment (another tab, the business's charge) settled some of these invoices
        # first. Only what it already covered goes back; the rest of this one stands.
        refunds.for_duplicate(
            session,
            business=business,
            payment=payment,
            excess=excess,
            collided_with=_settled_by(session, payment, next(iter(excess))),
            processor=refunder,
        )
    for invoice in targets:
        invoices.settle(session, business=business, invoice=invoice)
    announce(session, business=business, payment=payment)
    by_customer = payment.initiated_by == Initiator.CUSTOMER
    audit.record(
        session,
        business=business,
        actor_type="customer" if by_customer else "system",
        actor_id=payment.customer_id if by_customer else "",
        action="payment.succeeded",
        target_type="customer",
        target_id=payment.customer_id,
        detail={
            "payment": payment.id,
            "amount": money.format_amount(payment.amount + payment.tip, payment.currency),
            "invoices": sorted(invoice.number for invoice in targets),
        },
    )


def _settled_by(session: Session, payment: Payment, invoice_id: str) -> str:
    """What paid this invoice before `payment` could: the newest other succeeded payment on
    it, else a credit note on it, else the invoice itself (it was voided meanwhile)."""
    other = session.exec(
        select(Payment.id)
        .join(PaymentAllocation, col(PaymentAllocation.payment_id) == Payment.id)
        .where(
            PaymentAllocation.invoice_id == invoice_id,
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.id != payment.id,
        )
        .order_by(col(Payment.succeeded_at).desc())
    ).first()
    if other:
        return other
    credit = session.exec(select(CreditNote.id).where(CreditNote.invoice_id == invoice_id)).first()
    return credit or invoice_id


def failed(session: Session, *, business: Business, payment: Payment, message: str) -> None:
    """Record why a payment attempt failed, tell the business's system which invoices, and tell
    the customer when they were not there to see it (a charge by the business, a bank debit)."""
    payment.failure_message = message[:1000]
    # Automatic payments write their own email, saying what happens next (services/autopay/).
    if payment.initiated_by != Initiator.SYSTEM and (
        payment.initiated_by != Initiator.CUSTOMER
        or payment.method == PaymentMethodKind.US_BANK_ACCOUNT
    ):
        customer = session.get(Customer, payment.customer_id)
        if customer is not None and customer.portal_enabled:
            with languages.speaking(languages.of_customer(customer.language, business.language)):
                said = {
                    "amount": money.format_amount(
                        payment.amount, payment.currency, business.locale
                    ),
                    "business": business.name,
                    "name": customer.name,
                    "why": payment.failure_message,
                }
                outbox.email(
                    session,
                    business=business,
                    to=customer.email,
                    subject=gettext("Your payment of %(amount)s to %(business)s did not go through")
                    % said,
                    text=gettext(
                        "Hello %(name)s,\n\nYour payment of %(amount)s to %(business)s did not "
                        "go through: %(why)s\n\nNothing was taken. You can pay in your account, "
                        "or reply to this email.\n"
                    )
                    % said,
                )
    invoice_ids = session.exec(
        select(PaymentAllocation.invoice_id).where(PaymentAllocation.payment_id == payment.id)
    ).all()
    events.emit(
        session,
        business=business,
        type="invoice.payment_failed",
        data={
            "payment": payment.id,
            "customer": payment.customer_id,
            "invoices": list(invoice_ids),
            "amount": payment.amount,
            "currency": payment.currency,
            "message": payment.failure_message,
        },
    )


def announce(session: Session, *, business: Business, payment: Payment) -> None:
    """A succeeded payment: the customer's receipt, and the event for the business's system."""
    # Written when it is sent, in the customer's language (mailing.send_receipt).
    customer = session.get(Customer, payment.customer_id)
    language = (
        languages.of_customer(customer.language, business.language)
        if customer is not None
        else languages.SOURCE
    )
    outbox.enqueue(
        session,
        business=business,
        kind="receipt",
        payload={"payment": payment.id, "language": language},
    )
    events.emit(
        session,
        business=business,
        type="payment.succeeded",
        data={
            "payment": payment.id,
            "amount": payment.amount,
            "tip": payment.tip,
            "currency": payment.currency,
            "method": str(payment.method),
            "processor": processor_of(payment),
        },
    )


def processor_of(payment: Payment) -> str | None:
    """Who moved the money: "paypal", "stripe", or None for cash and cheques."""
    if payment.method == PaymentMethodKind.PAYPAL:
        return "paypal"
    offline = (PaymentMethodKind.CASH, PaymentMethodKind.CHEQUE)
    return None if payment.method in offline else "stripe"
