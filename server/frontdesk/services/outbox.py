"""Queueing side effects (emails, outbound webhooks) in the same transaction as the change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

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
    }
    return enqueue(session, business=business, kind="email", payload=payload)
