"""Telling the business: events for its own system and emails to its owners, via the outbox."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from frontdesk.models import Business, OutboxItem, StaffRole, StaffUser
from frontdesk.services import outbox, webhooks


def emit(session: Session, *, business: Business, type: str, data: dict[str, Any]) -> None:
    """An event for the business's system (`estimate.accepted`, `customer.updated`, ...), sent to
    its webhook endpoints once this transaction commits."""
    outbox.enqueue(
        session, business=business, kind="event", payload=webhooks.event(business, type, data)
    )


def latest(session: Session, *, type: str, **about: str) -> dict[str, Any] | None:
    """The newest event of `type` whose data names `about` (`payment="pay_..."`), queued by this
    transaction or an earlier one; the portal's events to the host page reuse its id."""
    payload = col(OutboxItem.payload)
    query = select(OutboxItem).where(
        OutboxItem.kind == "event", payload["type"].as_string() == type
    )
    for key, value in about.items():
        query = query.where(payload[("data", key)].as_string() == value)
    found = session.exec(query.order_by(col(OutboxItem.created_at).desc()).limit(1)).first()
    return found.payload if found else None


def email_owners(session: Session, *, business: Business, subject: str, text: str) -> None:
    owners = session.exec(
        select(StaffUser.email).where(
            StaffUser.role == StaffRole.OWNER, col(StaffUser.disabled).is_(False)
        )
    ).all()
    for address in owners:
        outbox.email(session, business=business, to=address, subject=subject, text=text)
