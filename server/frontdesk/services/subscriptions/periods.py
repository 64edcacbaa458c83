"""Period arithmetic, pure: the n-th period of a plan is counted from its start date (never from
the period before), so a 31st clamps to a short month's last day and comes back in the next, and
a period is a span of dates where the business is, whatever the clocks do there."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from frontdesk.languages import N_, gettext, ngettext
from frontdesk.models.subscriptions import Interval

# When a period falls due in the business's own day: early, before anyone starts work.
DUE_AT = time(6, 0)


def _add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def period_start(start: date, interval: Interval, count: int, n: int) -> date:
    """The first day of period `n` (0 is the first period, starting on `start`)."""
    steps = n * count
    if interval == Interval.WEEK:
        return start + timedelta(weeks=steps)
    if interval == Interval.MONTH:
        return _add_months(start, steps)
    return _add_months(start, 12 * steps)


def period_span(start: date, interval: Interval, count: int, n: int) -> tuple[date, date]:
    """Period `n`'s first and last day: the day before the next one starts, so periods neither
    gap nor overlap."""
    first = period_start(start, interval, count, n)
    return first, period_start(start, interval, count, n + 1) - timedelta(days=1)


def due_at(day: date, time_zone: str) -> datetime:
    """The instant (UTC) a period starting on `day` falls due: DUE_AT on that day where the
    business is; zoneinfo moves it past a spring-forward gap rather than inventing an hour."""
    local = datetime.combine(day, DUE_AT, tzinfo=ZoneInfo(time_zone))
    return local.astimezone(UTC)


ONCE = {"week": N_("Weekly"), "month": N_("Monthly"), "year": N_("Yearly")}


def describe(interval: Interval, count: int) -> str:
    """ "Monthly", "Every 2 weeks", "Quarterly" ...: how the plan's rhythm is written."""
    if count == 1:
        return gettext(ONCE[interval])
    if interval == Interval.MONTH and count == 3:
        return gettext("Quarterly")
    if interval == Interval.WEEK:
        return ngettext("Every %(num)d week", "Every %(num)d weeks", count) % {"num": count}
    if interval == Interval.MONTH:
        return ngettext("Every %(num)d month", "Every %(num)d months", count) % {"num": count}
    if interval == Interval.YEAR:
        return ngettext("Every %(num)d year", "Every %(num)d years", count) % {"num": count}
    return f"Every {count} {interval}s"
