"""The scheduler's work for subscriptions: every period that has fallen due becomes one invoice
(or a skipped period while paused), exactly once however many processes run it and however long
they were away.

Each period is decided in its own transaction under the subscription's lock, after reading it
again: a second runner that waited for the lock finds the period done and moves on, and the
(subscription, period) key of SubscriptionPeriod is the wall behind that. Periods found long after
they fell due (the server was down for days) are still billed, since the money is owed, but
quietly: the customer gets no pile of stale notices, and the business sees them recorded."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from frontdesk.db import Database
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    Subscription,
    SubscriptionPeriod,
    SubscriptionStatus,
)
from frontdesk.services import audit, events, invoices, notices
from frontdesk.services.links import Links
from frontdesk.services.subscriptions.periods import due_at, period_span
from frontdesk.services.subscriptions.rules import line_inputs, locked

# A period billed later than this after it fell due is billed without its notice email.
CATCH_UP = timedelta(days=3)
SYSTEM = audit.Actor(Initiator.SYSTEM, "scheduler")
BILLED = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAUSED)


def due(db: Database, now: datetime, limit: int = 200) -> list[tuple[str, str]]:
    """(business, subscription) ids with a period due by `now`, oldest first."""
    with db.unscoped("the scheduler looks for due periods across businesses") as session:
        rows = session.exec(
            select(Subscription.business_id, Subscription.id)
            .where(
                col(Subscription.status).in_(BILLED),
                col(Subscription.next_due_at) <= now,
            )
            .order_by(col(Subscription.next_due_at))
            .limit(limit)
        ).all()
    return [(business_id, subscription_id) for business_id, subscription_id in rows]


def bill_due(db: Database, links: Links, now: datetime) -> int:
    """Every due period of every subscription, one transaction each; how many were decided."""
    decided = 0
    for business_id, subscription_id in due(db, now):
        while True:
            with db.session(business_id) as session:
                if not next_period(session, subscription_id, links, now):
                    break
            decided += 1
    return decided


def next_period(session: Session, subscription_id: str, links: Links, now: datetime) -> bool:
    """Decide the subscription's next period if it is due: False when there was nothing to do
    (another runner did it, it is not due yet, or the subscription stopped)."""
    subscription = locked(session, subscription_id)
    if subscription.status not in BILLED:
        return False
    if subscription.next_due_at > now:
        return False
    business = session.get(Business, subscription.business_id)
    customer = session.get(Customer, subscription.customer_id)
    assert business is not None and customer is not None
    n = subscription.next_period
    first, last = period_span(
        subscription.start_on, subscription.interval, subscription.interval_count, n
    )
    if _ended(subscription, n, first):
        _stop(session, business, subscription, SubscriptionStatus.ENDED, now)
        return True
    if subscription.cancel_at_period_end and n > 0:
        _stop(session, business, subscription, SubscriptionStatus.CANCELED, now)
        return True
    record = SubscriptionPeriod(
        business_id=business.id,
        subscription_id=subscription.id,
        period=n,
        starts_on=first,
        ends_on=last,
        outcome="invoiced",
    )
    if _skips(subscription, first):
        record.outcome = "skipped"
    else:
        quiet = now - subscription.next_due_at > CATCH_UP
        record.invoice_id, record.quiet = _invoice(
            session, business, customer, subscription, first, links, quiet
        )
    session.add(record)
    session.flush()  # the (subscription, period) key: a second biller stops here
    _advance(subscription, n + 1, now)
    return True


def _ended(subscription: Subscription, n: int, first: date) -> bool:
    past_end = subscription.end_on is not None and first > subscription.end_on
    return past_end or (subscription.max_periods is not None and n >= subscription.max_periods)


def _skips(subscription: Subscription, first: date) -> bool:
    """A paused subscription skips this period (and resumes by itself when its pause is over)."""
    if subscription.status != SubscriptionStatus.PAUSED:
        return False
    if subscription.skip_periods > 0:
        subscription.skip_periods -= 1
        if subscription.skip_periods == 0 and subscription.paused_until is None:
            subscription.status = SubscriptionStatus.ACTIVE
        return True
    if subscription.paused_until is not None and first < subscription.paused_until:
        return True
    subscription.status, subscription.paused_until = SubscriptionStatus.ACTIVE, None
    return False


def _invoice(
    session: Session,
    business: Business,
    customer: Customer,
    subscription: Subscription,
    first: date,
    links: Links,
    quiet: bool,
) -> tuple[str, bool]:
    invoice = invoices.create(
        session,
        business=business,
        customer=customer,
        lines=line_inputs(subscription.lines),
        issue_date=first,
        due_date=first + timedelta(days=subscription.days_until_due),
        notes=f"{subscription.name}: the period from {first}.",
    )
    invoice.subscription_id = subscription.id
    if quiet:
        invoices.send(session, business=business, invoice=invoice)
        SYSTEM.record(
            session,
            business.id,
            "subscription.caught_up",
            "subscription",
            subscription.id,
            invoice=invoice.number,
        )
    else:
        notices.send(session, business=business, document=invoice, links=links, actor=SYSTEM)
    return invoice.id, quiet


def _advance(subscription: Subscription, n: int, now: datetime) -> None:
    first = period_span(
        subscription.start_on, subscription.interval, subscription.interval_count, n
    )[0]
    subscription.next_period, subscription.next_period_start = n, first
    subscription.next_due_at = due_at(first, subscription.time_zone)
    subscription.updated_at = now


def _stop(
    session: Session,
    business: Business,
    subscription: Subscription,
    status: SubscriptionStatus,
    now: datetime,
) -> None:
    subscription.status, subscription.updated_at = status, now
    if status == SubscriptionStatus.CANCELED:
        subscription.canceled_at = now
    SYSTEM.record(session, business.id, f"subscription.{status}", "subscription", subscription.id)
    kind = (
        "subscription.canceled" if status == SubscriptionStatus.CANCELED else "subscription.updated"
    )
    events.emit(
        session,
        business=business,
        type=kind,
        data={"subscription": subscription.id, "status": str(status)},
    )
