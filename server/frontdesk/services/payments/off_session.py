"""The business charging a card its customer saved with consent, while the customer is away
(the dashboard or the API); when the bank wants the customer, the same intent waits for them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from frontdesk import languages, money
from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Initiator, Payment, PaymentMethod, PaymentStatus
from frontdesk.processors import Declined, Missing, Processor
from frontdesk.services import audit, customers, outbox
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.links import Links
from frontdesk.services.payments import apply, intents, methods
from frontdesk.services.payments.selection import Selection, choose


@dataclass(frozen=True)
class OffSessionCharge:
    payment: Payment
    # The bank wants the customer to authenticate; they have been emailed a link back to it.
    needs_customer: bool
    # Why it was declined: the bank's decline code, else the processor's code ("" when not).
    declined: str = ""


def charge_saved(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    method: PaymentMethod,
    selection: Selection,
    initiated_by: Initiator,
    processor: Processor,
    links: Links,
    description: str = "",
) -> OffSessionCharge:
    """Charge a saved card while the customer is away (the business's dashboard or API).

    Only cards saved with the customer's consent qualify. When the bank wants the customer to
    authenticate, the same intent waits for them: `needs_customer` says to email a link.
    """
    if method.customer_id != customer.id or method.removed_at is not None:
        raise NotFound("no such payment method")
    if not method.consent_text:
        raise Invalid("This card was not saved for charges made without the customer.")
    # As when the customer pays: one at a time per customer.
    customers.lock(session, customer.id)
    intents.still_due(session, selection)
    payment = pending(
        session,
        business=business,
        customer=customer,
        method=method,
        selection=selection,
        initiated_by=initiated_by,
        processor=processor,
        description=description,
    )
    return charge_pending(
        session,
        business=business,
        customer=customer,
        method=method,
        payment=payment,
        processor=processor,
        links=links,
    )


def pending(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    method: PaymentMethod,
    selection: Selection,
    initiated_by: Initiator,
    processor: Processor,
    description: str,
) -> Payment:
    """A charge's pending payment, under the customer's lock, never beside an attempt of theirs
    for the same invoices: that is cancelled, or Invalid when it went through meanwhile."""
    for attempt in intents.open_attempts(session, selection):
        intents.cancel(processor, intents.account(business), attempt)
    return intents.pending(
        session,
        business=business,
        customer=customer,
        selection=selection,
        tip=0,
        method=method.kind,
        initiated_by=initiated_by,
        description=description,
    )


def charge_pending(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    method: PaymentMethod,
    payment: Payment,
    processor: Processor,
    links: Links,
) -> OffSessionCharge:
    """Ask the processor to charge `payment` (pending, under the customer's lock) to the card.
    The idempotency key is the payment's: asking again after a crash is the same charge."""
    where = intents.account(business)
    try:
        intent = intents.with_processor_customer(
            session,
            business=business,
            customer=customer,
            processor=processor,
            call=lambda processor_customer, renewed: processor.create_intent(
                where,
                amount=payment.charged,
                currency=business.currency,
                customer=processor_customer,
                metadata={"frontdesk_payment": payment.id, "frontdesk_business": business.id},
                key=f"{payment.id}:intent{':renewed' if renewed else ''}",
                method=method.processor_id,
                off_session=True,
                application_fee=payment.application_fee,
            ),
        )
    except Missing as missing:
        if missing.kind != "payment_method":
            raise
        methods.forget_lost(session, customer=customer)
        payment.status = PaymentStatus.FAILED
        apply.failed(session, business=business, payment=payment, message=methods.LOST_CARD)
        return OffSessionCharge(payment, needs_customer=False, declined="payment_method_missing")
    except Declined as declined:
        payment.processor_reference = declined.intent.id if declined.intent else None
        if declined.code == "authentication_required" and declined.intent is not None:
            payment.failure_message = "Waiting for the customer to confirm with their bank."
            ask_customer_to_authenticate(
                session,
                business=business,
                customer=customer,
                payment=payment,
                link=links.action(business, customer, payment.id),
            )
            return OffSessionCharge(payment, needs_customer=True)
        payment.status = PaymentStatus.FAILED
        apply.failed(session, business=business, payment=payment, message=declined.message)
        reason = declined.decline_code or declined.code or "declined"
        return OffSessionCharge(payment, needs_customer=False, declined=reason)
    payment.processor_reference = intent.id
    apply.apply_intent(session, business=business, intent=intent, processor=processor)
    return OffSessionCharge(payment, needs_customer=False)


def charge_for_business(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    method_id: str,
    numbers: list[str] | None,
    amount: int | None,
    description: str,
    actor: audit.Actor,
    processor: Processor,
    links: Links,
    method_field: str = "payment_method",
) -> OffSessionCharge:
    """The business (its dashboard or its system through the API) charges a card the customer
    saved: the one named, or their default; for the invoices named, or the oldest first; all that
    is due, or `amount`. Recorded in the audit trail as the actor's."""
    saved = methods.saved_methods(session, business=business, customer=customer)
    chosen = next((m for m in saved if m.id == method_id or (not method_id and m.is_default)), None)
    if chosen is None:
        raise Invalid(
            "There is no saved payment method to charge.",
            {method_field: "Name one of the customer's saved methods."},
        )
    selection = choose(
        session,
        business=business,
        customer=customer,
        numbers=numbers,
        partial=amount,
        by_business=True,
    )
    charged = charge_saved(
        session,
        business=business,
        customer=customer,
        method=chosen,
        selection=selection,
        initiated_by=actor.kind,
        processor=processor,
        links=links,
        description=description[:500],
    )
    session.flush()
    actor.record(
        session,
        business.id,
        "payment.charged",
        "customer",
        customer.id,
        payment=charged.payment.id,
        amount=charged.payment.amount,
        status=str(charged.payment.status),
    )
    return charged


def ask_customer_to_authenticate(
    session: Session, *, business: Business, customer: Customer, payment: Payment, link: str
) -> None:
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "business": business.name,
            "amount": money.format_amount(payment.amount, payment.currency, business.locale),
            "link": link,
        }
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("Please confirm your payment of %(amount)s to %(business)s") % said,
            text=gettext(
                "Hello %(name)s,\n\n%(business)s tried to charge %(amount)s to your saved card, "
                "and your bank asked to confirm it's you. Open this link to confirm:\n\n"
                "%(link)s\n\nNothing has been charged yet."
            )
            % said,
        )
