"""Saving a card without paying: a SetupIntent the customer confirms in the portal (Stripe.js
`confirmSetup`), with their consent recorded on the card once the processor says it succeeded."""

from __future__ import annotations

from sqlmodel import Session

from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, PaymentMethod
from frontdesk.processors import Missing, Processor, Setup
from frontdesk.services import payments
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.payments import intents


def start(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    consent_given: bool,
    attempt: str,
    processor: Processor,
) -> Setup:
    """A setup the customer's browser confirms. `attempt` comes from the form the customer saw,
    so a double click (same form) creates one setup at the processor."""
    if not consent_given:
        raise Invalid(
            gettext("Tick the box to agree."), {"consent": gettext("Tick the box to save a card.")}
        )
    where = intents.account(business)
    if not attempt.isalnum() or len(attempt) > 64:
        raise Invalid(gettext("This form is out of date. Please open it again."))
    return intents.with_processor_customer(
        session,
        business=business,
        customer=customer,
        processor=processor,
        call=lambda processor_customer, renewed: processor.create_setup(
            where,
            customer=processor_customer,
            metadata={
                "frontdesk_business": business.id,
                "frontdesk_customer": customer.id,
                # The wording the customer agreed to, kept with the setup until the card is ours.
                "frontdesk_consent": payments.consent_for(business),
            },
            key=f"{customer.id}:setup:{attempt}{':renewed' if renewed else ''}",
        ),
    )


def apply(
    session: Session, *, business: Business, setup: Setup, processor: Processor
) -> PaymentMethod | None:
    """Keep the card of a succeeded setup that we started for this business's customer."""
    customer_id = setup.metadata.get("frontdesk_customer")
    if (
        setup.metadata.get("frontdesk_business") != business.id
        or setup.status != "succeeded"
        or not setup.payment_method
        or not customer_id
    ):
        return None
    return payments.save_method(
        session,
        business=business,
        customer_id=customer_id,
        method_id=setup.payment_method,
        consent_text=setup.metadata.get("frontdesk_consent", ""),
        consented_at=setup.created,
        processor=processor,
    )


def finish(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    setup_id: str,
    processor: Processor,
) -> str:
    """The customer's browser says it is done: ask the processor (never the browser) how it went.
    Returns the setup's status; the card is saved if it succeeded."""
    try:
        setup = processor.retrieve_setup(intents.account(business), setup_id)
    except Missing:
        raise NotFound("no such setup") from None
    if setup.metadata.get("frontdesk_customer") != customer.id:
        raise NotFound("no such setup")
    apply(session, business=business, setup=setup, processor=processor)
    return setup.status
