"""Queueing side effects (emails, outbound webhooks) in the same transaction as the change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from frontdesk.models import Business, OutboxItem, utcnow


def enqueue(
    session: Session,
    *,
    business: Business,
    kind: str,
    payload: dict[str, Any],
    delay: timedelta = timedelta(0),
) -> OutboxItem:
    item = OutboxItem(
        business_id=business.id, kind=kind, payload=payload, next_attempt_at=utcnow() + delay
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
) -> OutboxItem:
    payload = {"to": to, "subject": subject, "text": text, "html": html, "reply_to": reply_to}
    return enqueue(session, business=business, kind="email", payload=payload)
