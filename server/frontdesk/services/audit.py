"""The audit trail: who did what to which record, and when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from frontdesk.models import AuditEvent, Business, Initiator


def assign(target: object, values: dict[str, Any]) -> list[str]:
    """Set on `target` the values that differ from what it has; their names, for the record."""
    changed = [name for name, value in values.items() if getattr(target, name) != value]
    for name in changed:
        setattr(target, name, values[name])
    return changed


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


@dataclass(frozen=True)
class Actor:
    """Who asked, for the audit trail: a staff member (with their address) or an API key. The
    services that change a business's records take one and write the record themselves."""

    kind: Initiator
    id: str
    ip: str = ""

    def record(
        self,
        session: Session,
        business_id: str,
        action: str,
        target_type: str = "",
        target_id: str = "",
        **detail: Any,
    ) -> AuditEvent:
        event = AuditEvent(
            business_id=business_id,
            actor_type=str(self.kind),
            actor_id=self.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
            ip=self.ip,
        )
        session.add(event)
        return event


def recent(
    session: Session,
    *,
    about: str | None = None,
    action: str = "",
    actor_type: str = "",
    limit: int = 100,
) -> list[AuditEvent]:
    """The latest events, newest first: about one record (done to it, or by it: a customer's
    own actions), or of one kind (`invoice.` prefix), or by one kind of actor."""
    statement = select(AuditEvent)
    if about:
        statement = statement.where(
            or_(col(AuditEvent.target_id) == about, col(AuditEvent.actor_id) == about)
        )
    if action:
        statement = statement.where(col(AuditEvent.action).startswith(action, autoescape=True))
    if actor_type:
        statement = statement.where(AuditEvent.actor_type == actor_type)
    return list(
        session.exec(
            statement.order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc()).limit(
                limit
            )
        ).all()
    )
