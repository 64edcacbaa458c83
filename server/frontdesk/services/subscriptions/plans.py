"""Making a subscription and changing its course: the business (dashboard or API) creates,
pauses, resumes and cancels; the customer may cancel or pause their own where the business and
the subscription allow it. Every change is confirmed, audited, emailed to both sides and sent as
a webhook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from frontdesk import languages, money
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    Customer,
    Subscription,
)
from frontdesk.services import audit, events, outbox
from frontdesk.services.errors import Forbidden, Invalid
from frontdesk.services.lines import LineInput
from frontdesk.services.subscriptions.periods import due_at
from frontdesk.services.subscriptions.reading import (
    cancel_words,
    next_invoice,
    pause_words,
    rhythm,
)
from frontdesk.services.subscriptions.rules import (
    CANCEL_MODES,
    INTERVALS,
    MAX_COUNT,
    MAX_NAME,
    MAX_SKIP,
    Status,
    locked,
    period_total,
    stored_lines,
)

# Longer than this, a pause is a cancellation in disguise (and its dates become absurd).
MAX_PAUSE = timedelta(days=731)


@dataclass(frozen=True)
class Wanted:
    """A new subscription as the business typed it."""

    name: str
    lines: list[LineInput]
    every: str = "month"  # week, month, quarter, year
    count: int = 1  # every `count` of them
    start_on: str = ""
    end_on: str = ""
    max_periods: str = ""
    days_until_due: int = 14
    customer_can_cancel: bool = True
    customer_can_pause: bool = True


def _day(text: str, field: str, errors: dict[str, str], label: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = (
            gettext("Enter the date to resume as a date, like 2027-01-01.")
            if label == "date to resume"  # the customer's pause form
            else f"Enter the {label} as a date, like 2027-01-01."
        )
        return None


def create(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    wanted: Wanted,
    actor: audit.Actor,
    today: date,
    now: datetime,
) -> Subscription:
    """A plan billed from its start date (today or later), one invoice per period."""
    errors: dict[str, str] = {}
    name = " ".join(wanted.name.split())
    if not name or len(name) > MAX_NAME:
        errors["name"] = f"Name the plan (up to {MAX_NAME} characters)."
    if wanted.every not in INTERVALS:
        errors["every"] = "Choose weekly, monthly, quarterly or yearly."
    if not 1 <= wanted.count <= MAX_COUNT:
        errors["count"] = f"Bill every 1 to {MAX_COUNT} periods."
    start = _day(wanted.start_on, "start_on", errors, "start date") or today
    if start < today:
        errors["start_on"] = "The start date cannot be in the past."
    end = _day(wanted.end_on, "end_on", errors, "end date")
    if end is not None and end < start:
        errors["end_on"] = "The end date is before the start date."
    periods = None
    if wanted.max_periods.strip():
        if not wanted.max_periods.strip().isdecimal() or int(wanted.max_periods) < 1:
            errors["max_periods"] = "Give the number of periods as a whole number, 1 or more."
        else:
            periods = int(wanted.max_periods)
    if not 0 <= wanted.days_until_due <= 90:
        errors["days_until_due"] = "Invoices fall due 0 to 90 days after they are issued."
    try:
        lines = stored_lines(wanted.lines)
    except Invalid as invalid:
        errors.update(invalid.fields)
    if errors:
        raise Invalid("Please fix the highlighted fields.", errors)
    interval, unit = INTERVALS[wanted.every]
    subscription = Subscription(
        business_id=business.id,
        customer_id=customer.id,
        name=name,
        currency=business.currency,
        lines=lines,
        interval=interval,
        interval_count=unit * wanted.count,
        start_on=start,
        end_on=end,
        max_periods=periods,
        time_zone=business.time_zone,
        days_until_due=wanted.days_until_due,
        next_period_start=start,
        next_due_at=due_at(start, business.time_zone),
        customer_can_cancel=wanted.customer_can_cancel,
        customer_can_pause=wanted.customer_can_pause,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    session.flush()
    actor.record(session, business.id, "subscription.created", "subscription", subscription.id)
    _announce(session, business, subscription, "subscription.created")
    return subscription


def cancel(
    session: Session,
    *,
    business: Business,
    subscription: Subscription,
    mode: str,
    actor: audit.Actor,
    now: datetime,
    by_customer: bool = False,
    reason: str = "",
) -> Subscription:
    """Cancel now (nothing more is billed) or at the end of the period already billed."""
    subscription = locked(session, subscription.id)
    if by_customer and not subscription.customer_can_cancel:
        raise Forbidden(gettext("Ask the business to cancel this plan."))
    if subscription.status in (Status.CANCELED, Status.ENDED):
        raise Invalid(
            gettext("This plan has already ended.")
            if subscription.status == Status.ENDED
            else gettext("This plan has already been cancelled.")
        )
    if subscription.cancel_at_period_end and mode != "now":
        # Asked twice (two tabs, a retried request): said once, emailed once.
        raise Invalid(gettext("This plan already ends with the period already billed."))
    if mode not in CANCEL_MODES:
        message = gettext("Choose when the plan ends.")
        raise Invalid(message, {"mode": message})
    if len(reason) > 500:
        raise Invalid(
            gettext("Please fix the highlighted fields."),
            {"reason": gettext("Use at most %(limit)s characters.") % {"limit": 500}},
        )
    subscription.cancel_reason = reason.strip()
    if mode == "now" or subscription.next_period == 0:
        subscription.status, subscription.canceled_at = Status.CANCELED, now
    else:
        subscription.cancel_at_period_end = True
    subscription.updated_at = now
    actor.record(
        session, business.id, "subscription.canceled", "subscription", subscription.id, mode=mode
    )
    _announce(session, business, subscription, "subscription.canceled")
    _tell_both(session, business, subscription, lambda: cancel_words(subscription))
    return subscription


def pause(
    session: Session,
    *,
    business: Business,
    subscription: Subscription,
    until: str,
    skip: str,
    actor: audit.Actor,
    today: date,
    now: datetime,
    by_customer: bool = False,
) -> Subscription:
    """No invoices until a date, or for the next N periods; billing resumes by itself."""
    subscription = locked(session, subscription.id)
    if by_customer and not subscription.customer_can_pause:
        raise Forbidden(gettext("Ask the business to pause this plan."))
    if subscription.status != Status.ACTIVE or subscription.cancel_at_period_end:
        raise Invalid(gettext("Only an active plan can be paused."))
    errors: dict[str, str] = {}
    day = _day(until, "until", errors, "date to resume")
    count = int(skip) if skip.strip().isdecimal() else None
    if day is None and count is None and "until" not in errors:
        errors["until"] = gettext("Choose a date to resume, or how many periods to skip.")
    if day is not None and day <= today:
        errors["until"] = gettext("Choose a date after today.")
    elif day is not None and day > today + MAX_PAUSE:
        errors["until"] = gettext(
            "Pause for at most two years: cancel the plan to stop it for longer."
        )
    if count is not None and not 1 <= count <= MAX_SKIP:
        errors["skip"] = gettext("Skip 1 to %(most)s periods.") % {"most": MAX_SKIP}
    if skip.strip() and count is None:
        errors["skip"] = gettext("Give the number of periods as a whole number.")
    if errors:
        raise Invalid(gettext("Please fix the highlighted fields."), errors)
    subscription.status = Status.PAUSED
    subscription.paused_until, subscription.skip_periods = day, (0 if day else count or 0)
    subscription.updated_at = now
    actor.record(session, business.id, "subscription.paused", "subscription", subscription.id)
    _announce(session, business, subscription, "subscription.paused")
    _tell_both(session, business, subscription, lambda: pause_words(subscription))
    return subscription


def resume(
    session: Session,
    *,
    business: Business,
    subscription: Subscription,
    actor: audit.Actor,
    now: datetime,
) -> Subscription:
    subscription = locked(session, subscription.id)
    if subscription.status != Status.PAUSED:
        raise Invalid("Only a paused plan can be resumed.")
    subscription.status, subscription.paused_until, subscription.skip_periods = (
        Status.ACTIVE,
        None,
        0,
    )
    subscription.updated_at = now
    actor.record(session, business.id, "subscription.resumed", "subscription", subscription.id)
    _announce(session, business, subscription, "subscription.updated")
    _tell_both(
        session, business, subscription, lambda: gettext("It is active again and billed as before.")
    )
    return subscription


def _announce(session: Session, business: Business, subscription: Subscription, type: str) -> None:
    data = {
        "subscription": subscription.id,
        "customer": subscription.customer_id,
        "status": str(subscription.status),
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "next_invoice_on": (day.isoformat() if (day := next_invoice(subscription)) else None),
        "amount": period_total(subscription),
        "currency": subscription.currency,
    }
    events.emit(session, business=business, type=type, data=data)


def _tell_both(
    session: Session, business: Business, subscription: Subscription, news: Callable[[], str]
) -> None:
    """The change in words to the customer (in their language: `news` says it in the language
    being spoken) and to the business."""
    customer = session.get(Customer, subscription.customer_id)
    if customer is None:
        return
    if customer.portal_enabled:
        with languages.speaking(languages.of_customer(customer.language, business.language)):
            said = {
                "name": customer.name,
                "business": business.name,
                "plan": subscription.name,
                "rhythm": rhythm(subscription).lower(),
                "amount": money.format_amount(
                    period_total(subscription), subscription.currency, business.locale
                ),
            }
            outbox.email(
                session,
                business=business,
                to=customer.email,
                subject=gettext("Your plan with %(business)s: %(plan)s") % said,
                text="".join(
                    (
                        gettext("Hello %(name)s,") % said,
                        "\n\n",
                        gettext("Your plan “%(plan)s” (%(rhythm)s, %(amount)s) has changed.")
                        % said,
                        " ",
                        news(),
                        "\n",
                    )
                ),
            )
    with outbox.in_house():
        events.email_owners(
            session,
            business=business,
            subject=f"Plan changed: {subscription.name} ({customer.name})",
            text=f"{customer.name}'s plan “{subscription.name}” has changed. {news()}\n",
        )
