"""When automatic payments fall due, as pure functions of the business's settings, the invoice and
the tries so far: the first try on the due date (or the issue date) at 06:00 where the business
is, soft declines tried again on the business's retry days, and the notice before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from frontdesk.models import AttemptStatus, AutopayAttempt, Business, Invoice
from frontdesk.models.autopay import FINAL

CHARGE_AT = time(6, 0)
CHARGE_ON = {"due": "on its due date", "issue": "when it is issued"}


@dataclass(frozen=True)
class Next:
    """The try to make: its number and the moment it fell due (UTC)."""

    attempt: int
    due_at: datetime


def moment(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, CHARGE_AT, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def charge_day(business: Business, invoice: Invoice) -> date:
    return invoice.issue_date if business.autopay_charge_on == "issue" else invoice.due_date


def next_attempt(
    business: Business, invoice: Invoice, attempts: list[AutopayAttempt]
) -> Next | None:
    """The next try for this invoice, or None when there is none (one succeeded or ended it, or
    the retries ran out). A try left `charging` is resumed, not followed (see charging.begin)."""
    day = charge_day(business, invoice)
    if not attempts:
        return Next(1, moment(day, business.time_zone))
    last = max(attempts, key=lambda a: a.attempt)
    if last.status in FINAL or last.status == AttemptStatus.CHARGING or last.gave_up:
        return None
    retries = sorted(set(business.autopay_retry_days))
    if last.attempt > len(retries):
        return None
    retry_on = day + timedelta(days=retries[last.attempt - 1])
    return Next(last.attempt + 1, moment(retry_on, business.time_zone))


def last_try(business: Business, attempt: int) -> bool:
    return attempt > len(set(business.autopay_retry_days))


def notice_at(business: Business, invoice: Invoice) -> datetime | None:
    """When the customer is told an invoice will be charged: the business's notice days before a
    due-date charge (an invoice charged as it is issued needs none: its own email says so)."""
    if business.autopay_charge_on != "due" or business.autopay_notice_days <= 0:
        return None
    day = invoice.due_date - timedelta(days=business.autopay_notice_days)
    return moment(day, business.time_zone)
