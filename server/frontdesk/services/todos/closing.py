"""To-dos that close themselves when what they ask for happens (the invoice paid, the estimate
approved, a card saved), and open again when it is undone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from frontdesk.models import Business, Initiator, Todo
from frontdesk.services import audit
from frontdesk.services.todos.items import mark_done


def _by_the_system(
    session: Session,
    business: Business,
    customer_id: str,
    rule: str,
    which: ColumnElement[bool],
    change: str,
) -> list[Todo]:
    """The customer's items under `rule` that `which` picks, each change audited as the
    system's; the caller makes the change."""
    found = list(
        session.exec(
            select(Todo).where(Todo.customer_id == customer_id, Todo.auto_rule == rule, which)
        ).all()
    )
    for todo in found:
        audit.record(
            session,
            business=business,
            actor_type=str(Initiator.SYSTEM),
            action=f"todo.{change}",
            target_type="todo",
            target_id=todo.id,
            detail={"customer": customer_id, "title": todo.title, "rule": rule},
        )
    return found


def close(
    session: Session, *, business: Business, customer_id: str, rule: str, now: datetime
) -> list[Todo]:
    """Complete the customer's open items that `rule`'s event closes, in the caller's transaction.
    The payment, estimate and card paths call this under their own locks, so a webhook and a poll
    applying the same event find the items closed by the first and do nothing."""
    still_open = col(Todo.completed_at).is_(None)
    found = _by_the_system(session, business, customer_id, rule, still_open, "completed")
    for todo in found:
        mark_done(session, business, todo, str(Initiator.SYSTEM), "", now)
    return found


def reopen(session: Session, *, business: Business, customer_id: str, rule: str) -> list[Todo]:
    """Open again the items `rule`'s event closed by itself, when the event is undone (a refund
    takes back part of the invoice's payment): the customer has that to do again. Items a person
    checked off stay as they were."""
    closed_by_it = col(Todo.completed_by_kind) == str(Initiator.SYSTEM)
    found = _by_the_system(session, business, customer_id, rule, closed_by_it, "reopened")
    for todo in found:
        todo.completed_at, todo.completed_by_kind, todo.completed_by_id = None, "", ""
    return found
