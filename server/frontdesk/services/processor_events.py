"""Events from the payment processor, whether pushed (webhooks) or pulled (reconciliation):
each is recorded once per event id and applied in the same transaction."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import Business, ProcessorEvent
from frontdesk.services import card_setup, payments

log = logging.getLogger("frontdesk.processor")
INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
}


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    UNKNOWN_ACCOUNT = "unknown_account"
    REFUSED = "refused"


def business_for_account(db: Database, account: str | None) -> Business | None:
    with db.unscoped("an event names a connected account, not a business") as session:
        return session.exec(select(Business).where(Business.processor_account == account)).first()


def record_and_apply(db: Database, event: dict[str, Any], client: stripe.StripeClient) -> Outcome:
    business = business_for_account(db, event.get("account"))
    if business is None:
        log.warning("refused event %s for an unknown account", event.get("id"))
        return Outcome.UNKNOWN_ACCOUNT
    try:
        with db.session(business.id) as session:
            if session.get(ProcessorEvent, event["id"]) is not None:
                return Outcome.DUPLICATE
            session.add(
                ProcessorEvent(
                    id=event["id"], business_id=business.id, type=event["type"], payload=event
                )
            )
            if event["type"] in INTENT_EVENTS:
                payments.apply_intent(
                    session, business=business, intent=event["data"]["object"], client=client
                )
            elif event["type"] == "setup_intent.succeeded":
                card_setup.apply(
                    session, business=business, intent=event["data"]["object"], client=client
                )
    except IntegrityError:
        return Outcome.DUPLICATE  # a concurrent copy of the same event won
    except payments.Refused as refused:
        log.warning("refused event %s: %s", event["id"], refused)
        return Outcome.REFUSED
    return Outcome.APPLIED


def reconcile(
    db: Database, business: Business, client: stripe.StripeClient, limit: int = 100
) -> int:
    """Apply the recent succeeded PaymentIntents we have no record of (we were down, or a
    webhook was lost). Returns how many events were newly applied."""
    if not business.processor_account:
        return 0
    listed = client.v1.events.list(
        params={"type": "payment_intent.succeeded", "limit": limit},
        options={"stripe_account": business.processor_account},
    )
    applied = 0
    for event in listed.data:
        raw = event.to_dict()
        raw.setdefault("account", business.processor_account)
        if record_and_apply(db, raw, client) == Outcome.APPLIED:
            applied += 1
    return applied
