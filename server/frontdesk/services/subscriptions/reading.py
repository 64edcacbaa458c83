"""Reading subscriptions: each side's lists, one plan with what became of its periods, and a plan
in words (its rhythm, its next invoice, what a cancellation or a pause means for it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from sqlmodel import Session, col, select

from frontdesk.languages import N_, gettext, ngettext
from frontdesk.models import Customer, Invoice, Subscription, SubscriptionPeriod
from frontdesk.services.errors import NotFound
from frontdesk.services.subscriptions.periods import describe, period_span, period_start
from frontdesk.services.subscriptions.rules import Status


def current_period(subscription: Subscription) -> tuple[date, date] | None:
    """The period most recently billed (or skipped), or None before the first."""
    if subscription.next_period == 0:
        return None
    return period_span(
        subscription.start_on,
        subscription.interval,
        subscription.interval_count,
        subscription.next_period - 1,
    )


def for_customer(session: Session, *, customer: Customer) -> list[Subscription]:
    return list(
        session.exec(
            select(Subscription)
            .where(Subscription.customer_id == customer.id)
            .order_by(col(Subscription.created_at).desc(), col(Subscription.id).desc())
        )
    )


def get_for_customer(session: Session, *, customer: Customer, subscription_id: str) -> Subscription:
    found = session.exec(
        select(Subscription).where(
            Subscription.id == subscription_id, Subscription.customer_id == customer.id
        )
    ).first()
    if found is None:
        raise NotFound("no such subscription")
    return found


def get(session: Session, *, subscription_id: str) -> Subscription:
    found = session.exec(select(Subscription).where(Subscription.id == subscription_id)).first()
    if found is None:
        raise NotFound("no such subscription")
    return found


def listed(
    session: Session, *, status: str, page: int, per_page: int = 25
) -> tuple[list[tuple[Subscription, Customer]], bool]:
    """One page of the business's plans (of one status, or all), newest first, with their
    customers; and whether there is a next page."""
    query = select(Subscription, Customer).join(
        Customer, col(Customer.id) == col(Subscription.customer_id)
    )
    if status in Status.__members__.values():
        query = query.where(Subscription.status == Status(status))
    rows = session.exec(
        query.order_by(col(Subscription.created_at).desc(), col(Subscription.id).desc())
        .limit(per_page + 1)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return [(plan, customer) for plan, customer in rows[:per_page]], len(rows) > per_page


def periods(
    session: Session, *, subscription: Subscription
) -> list[tuple[SubscriptionPeriod, Invoice | None]]:
    """What became of each period so far, the latest first, with its invoice."""
    rows = session.exec(
        select(SubscriptionPeriod, Invoice)
        .outerjoin(Invoice, col(Invoice.id) == col(SubscriptionPeriod.invoice_id))
        .where(SubscriptionPeriod.subscription_id == subscription.id)
        .order_by(col(SubscriptionPeriod.period).desc())
    ).all()
    return [(period, invoice) for period, invoice in rows]


def rhythm(subscription: Subscription) -> str:
    return describe(subscription.interval, subscription.interval_count)


def next_invoice(subscription: Subscription) -> date | None:
    """When the next invoice is issued, or None when none will be."""
    if subscription.status in (Status.CANCELED, Status.ENDED) or subscription.cancel_at_period_end:
        return None
    plan = (subscription.start_on, subscription.interval, subscription.interval_count)
    n = subscription.next_period
    # A pause skips the periods it covers; billing dates stay where they were (as billing.py).
    paused = subscription.status == Status.PAUSED
    n += subscription.skip_periods if paused else 0
    resumes = subscription.paused_until if paused else None
    try:
        while resumes is not None and period_start(*plan, n) < resumes:
            n += 1
        first = period_start(*plan, n)
    except (ValueError, OverflowError):  # past the year 9999: never
        return None
    past_end = subscription.end_on is not None and first > subscription.end_on
    if past_end or (subscription.max_periods is not None and n >= subscription.max_periods):
        return None
    return first


def cancel_words(subscription: Subscription) -> str:
    if subscription.status == Status.CANCELED:
        return gettext("It is cancelled: nothing more will be billed.")
    current = current_period(subscription)
    end = current[1] if current else subscription.next_period_start
    return gettext("It ends on %(day)s, at the end of the period already billed.") % {
        "day": end.isoformat()
    }


def pause_words(subscription: Subscription) -> str:
    if subscription.paused_until:
        return gettext(
            "It is paused: no invoices until %(day)s, then billing resumes by itself."
        ) % {"day": subscription.paused_until.isoformat()}
    return ngettext(
        "It is paused: the next %(num)d period will not be billed, then billing resumes by itself.",
        "It is paused: the next %(num)d periods will not be billed, then billing resumes by "
        "itself.",
        subscription.skip_periods,
    ) % {"num": subscription.skip_periods}


def when(subscription: Subscription) -> tuple[str, date | None]:
    """What comes next for the plan, said as a label and a day: its next invoice, the day it ends,
    the day a pause is over, or nothing more."""
    upcoming = next_invoice(subscription)
    current = current_period(subscription)
    if subscription.status in (Status.CANCELED, Status.ENDED):
        return (N_("No more invoices"), None)
    if subscription.cancel_at_period_end and current is not None:
        return (N_("Ends on"), current[1])
    if subscription.status == Status.PAUSED:
        resumes = subscription.paused_until or upcoming
        return (N_("Paused until"), resumes) if resumes else (N_("Paused"), None)
    if upcoming is not None:
        return (N_("Next invoice"), upcoming)
    if current is not None:
        return (N_("Ends on"), current[1])  # its last period is billed
    return (N_("No more invoices"), None)


@dataclass(frozen=True)
class Pausing:
    """What a pause does: how many billing dates it skips, the first and last of them, and the
    day billing resumes (None when the plan ends first)."""

    kind: ClassVar[str] = "pause"
    skipped: int
    first: date | None
    last: date | None
    resumes: date | None


@dataclass(frozen=True)
class Cancelling:
    """What cancelling does: the plan ends at once (nothing was billed yet) or on `ends_on`, the
    end of the period already billed; `unbilled` is the billing date that no longer comes."""

    kind: ClassVar[str] = "cancel"
    at_once: bool
    ends_on: date | None
    unbilled: date


def pausing(paused: Subscription) -> Pausing:
    """The consequence of a pause, read from the plan as the pause left it."""
    resumes = next_invoice(paused)
    if resumes is None:
        return Pausing(0, None, None, None)
    plan = (paused.start_on, paused.interval, paused.interval_count)
    n, skipped, first, last = paused.next_period, 0, None, None
    while (start := period_span(*plan, n)[0]) < resumes:
        skipped, first, last, n = skipped + 1, first or start, start, n + 1
    return Pausing(skipped, first, last, resumes)


def cancelling(cancelled: Subscription) -> Cancelling:
    """The consequence of a cancellation, read from the plan as the cancellation left it."""
    current = current_period(cancelled)
    at_once = cancelled.status == Status.CANCELED
    ends_on = current[1] if current and not at_once else None
    return Cancelling(at_once, ends_on, cancelled.next_period_start)
