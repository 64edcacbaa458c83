"""Queueing side effects (emails, outbound webhooks) in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date, format_skeleton, format_time
from sqlmodel import Session

from frontdesk import languages, money
from frontdesk.languages import gettext
from frontdesk.models import Business, OutboxItem, utcnow

DEFAULT_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling up to six hours between attempts."""
    delay: timedelta = FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 20)
    return min(delay, MAX_RETRY)


def attempts_within(span: timedelta) -> int:
    """How many attempts the backoff fits in `span`: the retry budget for "retry for 3 days"."""
    attempts, elapsed = 1, timedelta(0)
    while elapsed + backoff(attempts) <= span:
        elapsed += backoff(attempts)
        attempts += 1
    return attempts


def enqueue(
    session: Session,
    *,
    business: Business,
    kind: str,
    payload: dict[str, Any],
    delay: timedelta = timedelta(0),
    max_attempts: int = DEFAULT_ATTEMPTS,
) -> OutboxItem:
    item = OutboxItem(
        business_id=business.id,
        kind=kind,
        payload=payload,
        next_attempt_at=utcnow() + delay,
        max_attempts=max_attempts,
    )
    session.add(item)
    return item


def email(
    session: Session,
    *,
    business: Business,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    reply_to: str = "",
    attachment: str = "",
) -> OutboxItem:
    """An email to send. `attachment` names a document (`estimate:est_...`) whose PDF the runner
    makes when it sends, from what the database holds then: a PDF in the payload would make every
    item heavy, and a queued name survives any crash between the commit and the send."""
    payload = {
        "to": to,
        "subject": subject,
        "text": text,
        "html": html,
        "reply_to": reply_to,
        "attachment": attachment,
        # What the runner writes when it sends (the branded HTML, an attached PDF) is in the
        # language the mail was written in: the one being spoken when it was queued.
        "language": languages.current(),
    }
    return enqueue(session, business=business, kind="email", payload=payload)


@contextmanager
def in_house() -> Iterator[None]:
    """Mail to the business's own people, queued while a customer acts in their language (a
    booking, a message, a signature): English, with the business's own formats, as the dashboard
    speaks."""
    with languages.speaking(None):
        yield


# -- days as emails and texts write them ---------------------------------------------------------
# English keeps the words it always had ("December 1, 2026"); another language writes the day its
# own way, with the business's conventions ("1 de diciembre de 2026").


def _english() -> bool:
    return languages.current() == languages.SOURCE


def written_day(value: date, locale: str) -> str:
    """A day in full: "December 1, 2026"."""
    if _english():
        return f"{value:%B %-d, %Y}"
    return format_date(value, "long", locale=money.babel_locale(locale))


def written_month_day(value: date, locale: str) -> str:
    """A day without its year: "December 1"."""
    if _english():
        return f"{value:%B %-d}"
    return format_skeleton("MMMMd", value, locale=money.babel_locale(locale))


def written_month(value: date, locale: str) -> str:
    """A month: "December 2026"."""
    if _english():
        return f"{value:%B %Y}"
    return format_date(value, "LLLL y", locale=money.babel_locale(locale))


def written_moment(value: datetime, locale: str) -> str:
    """A day and a time of day, already in the zone meant: "Tuesday, December 1, 2026 at 14:30"."""
    if _english():
        return f"{value:%A, %B %-d, %Y at %H:%M}"
    parsed = money.babel_locale(locale)
    return gettext("%(day)s at %(time)s") % {
        "day": format_date(value, "full", locale=parsed),
        "time": format_time(value, "HH:mm", locale=parsed),
    }
