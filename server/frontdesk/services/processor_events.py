"""Events from the payment processor, whether pushed (webhooks) or pulled (reconciliation):
each is recorded once per event id, and what it names is fetched from the processor and applied
in the same transaction. An event's own copy of the object is never trusted for money: a signed
event can be old, replayed or out of order, and the processor's answer now is the state."""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from frontdesk.db import Database
from frontdesk.models import Business, ProcessorEvent
from frontdesk.processors import Event, Missing, Processor
from frontdesk.services import card_setup, connect, payments

log = logging.getLogger("frontdesk.processor")
INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
}
SETUP_EVENTS = {"setup_intent.succeeded"}


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    UNKNOWN_ACCOUNT = "unknown_account"
    # About an account no business uses (any more): nothing to do, and nothing to retry.
    IGNORED = "ignored"
    REFUSED = "refused"


def business_for_account(db: Database, account: str | None) -> Business | None:
    with db.unscoped("an event names a connected account, not a business") as session:
        return session.exec(select(Business).where(Business.processor_account == account)).first()


def record_and_apply(db: Database, event: Event, processor: Processor) -> Outcome:
    business = business_for_account(db, event.account)
    if business is None and event.type in connect.ACCOUNT_EVENTS:
        return Outcome.IGNORED
    if business is None:
        log.warning("refused event %s for an unknown account", event.id)
        return Outcome.UNKNOWN_ACCOUNT
    account = business.processor_account or ""
    try:
        with db.session(business.id) as session:
            if session.get(ProcessorEvent, event.id) is not None:
                return Outcome.DUPLICATE
            # Applying comes first: it starts with the customer's lock, and on SQLite a write
            # before it would hold the database while waiting for that lock.
            if event.type in INTENT_EVENTS:
                intent = processor.retrieve_intent(account, event.object_id)
                payments.apply_intent(
                    session, business=business, intent=intent, processor=processor
                )
            elif event.type in connect.ACCOUNT_EVENTS:
                connect.on_event(session, business=business, processor=processor)
            elif event.type in SETUP_EVENTS:
                setup = processor.retrieve_setup(account, event.object_id)
                card_setup.apply(session, business=business, setup=setup, processor=processor)
            session.add(
                ProcessorEvent(
                    id=event.id,
                    business_id=business.id,
                    type=event.type,
                    payload={"object": event.object_id, "kind": event.object_kind},
                )
            )
    except IntegrityError:
        return Outcome.DUPLICATE  # a concurrent copy of the same event won
    except (payments.Mismatch, Missing) as refused:
        log.warning("refused event %s: %s", event.id, refused)
        return Outcome.REFUSED
    return Outcome.APPLIED


def reconcile(db: Database, business: Business, processor: Processor, limit: int = 100) -> int:
    """Apply the recent succeeded intents we have no record of (we were down, or a webhook
    was lost). Returns how many events were newly applied."""
    if not business.processor_account:
        return 0
    listed = processor.recent_events(
        business.processor_account, kind="payment_intent.succeeded", limit=limit
    )
    # Most of the recent events were recorded when their webhooks came: those are left out in
    # one read, rather than each looked up on its own every time reconciliation runs.
    ids = [event.id for event in listed]
    with db.session(business.id) as session:
        known = set(session.exec(select(ProcessorEvent.id).where(col(ProcessorEvent.id).in_(ids))))
    fresh = [event for event in listed if event.id not in known]
    return sum(record_and_apply(db, event, processor) == Outcome.APPLIED for event in fresh)
