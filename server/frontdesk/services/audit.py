"""The audit trail: who did what to which record, and when."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from frontdesk.models import AuditEvent, Business


def record(
    session: Session,
    *,
    business: Business,
    actor_type: str,
    action: str,
    actor_id: str = "",
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
    ip: str = "",
) -> AuditEvent:
    event = AuditEvent(
        business_id=business.id,
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail or {},
        ip=ip,
    )
    session.add(event)
    return event
