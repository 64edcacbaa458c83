"""Saving a card without paying: a SetupIntent the customer confirms in the portal (Stripe.js
`confirmSetup`), with their consent recorded on the card once the processor says it succeeded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe
from sqlmodel import Session
from stripe.params import SetupIntentCreateParams

from frontdesk.models import Business, Customer, PaymentMethod
from frontdesk.services import payments
from frontdesk.services.errors import Invalid, NotFound


def start(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    consent_text: str,
    attempt: str,
    client: stripe.StripeClient,
) -> tuple[str, str]:
    """The SetupIntent's id and client secret. `attempt` comes from the form the customer saw,
    so a double click (same form) creates one SetupIntent."""
    if not business.processor_account:
        raise Invalid(f"{business.name} does not take online payments yet.")
    if not attempt.isalnum() or len(attempt) > 64:
        raise Invalid("This form is out of date. Please open it again.")
    processor_customer = payments.processor_customer(
        business=business, customer=customer, client=client
    )
    params: SetupIntentCreateParams = {
        "customer": processor_customer,
        "usage": "off_session",
        "allowed_payment_method_types": ["card"],
        "metadata": {
            "frontdesk_business": business.id,
            "frontdesk_customer": customer.id,
            # The wording the customer agreed to, kept with the intent until the card is ours.
            "frontdesk_consent": consent_text,
        },
    }
    intent = client.v1.setup_intents.create(
        params=params,
        options={
            "stripe_account": business.processor_account,
            "idempotency_key": f"{customer.id}:setup:{attempt}",
        },
    )
    return intent.id, str(intent.client_secret)


def apply(
    session: Session, *, business: Business, intent: dict[str, Any], client: stripe.StripeClient
) -> PaymentMethod | None:
    """Keep the card of a succeeded SetupIntent that we started for this business's customer."""
    metadata = intent.get("metadata") or {}
    if metadata.get("frontdesk_business") != business.id or intent.get("status") != "succeeded":
        return None
    method_id = intent.get("payment_method")
    customer_id = metadata.get("frontdesk_customer")
    if not isinstance(method_id, str) or not isinstance(customer_id, str):
        return None
    return payments.save_method(
        session,
        business=business,
        customer_id=customer_id,
        method_id=method_id,
        consent_text=str(metadata.get("frontdesk_consent", "")),
        consented_at=datetime.fromtimestamp(int(intent.get("created", 0)), UTC),
        client=client,
    )


def finish(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    setup_id: str,
    client: stripe.StripeClient,
) -> str:
    """The customer's browser says it is done: ask the processor (never the browser) how it went.
    Returns the intent's status; the card is saved if it succeeded."""
    try:
        found = client.v1.setup_intents.retrieve(
            setup_id, options={"stripe_account": business.processor_account or ""}
        )
    except stripe.InvalidRequestError:
        raise NotFound("no such setup") from None
    intent = found.to_dict()
    if (intent.get("metadata") or {}).get("frontdesk_customer") != customer.id:
        raise NotFound("no such setup")
    apply(session, business=business, intent=intent, client=client)
    return str(intent.get("status"))
