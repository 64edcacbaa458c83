"""A row's lock, taken by writing it unchanged: a row lock on PostgreSQL, the writer's lock on
SQLite (whose reads take none). Held until the transaction ends, so whoever changes the row next
decides on what the one before left, never on what it read earlier."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, col

M = TypeVar("M")


def locked(session: Session, model: type[M], row_id: str, *, rewriting: Any) -> M | None:
    """The row re-read under its lock (None when it is not there), the lock taken by writing
    the `rewriting` column as it is."""
    session.execute(
        update(model)
        .where(col(model.id) == row_id)  # type: ignore[attr-defined]
        .values({rewriting: rewriting})
        .execution_options(synchronize_session=False)
    )
    return session.get(model, row_id, populate_existing=True)
