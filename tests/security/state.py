"""The whole database, row by row or as one digest (to prove a refused request changed nothing)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from sqlalchemy import select
from sqlmodel import SQLModel

from frontdesk.db import Database

# Bookkeeping, not state: when a key was last used is noted on any request, refused or not,
# and every request spends from its caller's rate-limit bucket (the whole table).
NOT_STATE = {("api_key", "last_used_at"), ("rate_limit", "*")}


def every_row(
    db: Database, skip: set[tuple[str, str]] | None = None
) -> Iterator[tuple[object, ...]]:
    """Every row of every table, in a fixed order, without the (table, column) pairs in `skip`."""
    with db.unscoped("the test reads every table") as session:
        for table in SQLModel.metadata.sorted_tables:
            if (table.name, "*") in (skip or set()):
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in (skip or set())]
            rows = session.execute(select(*columns).order_by(*table.primary_key.columns))
            for row in rows:
                yield (table.name, *row)


def state_of(db: Database) -> str:
    """A digest of every row of every table: equal digests, nothing changed."""
    digest = hashlib.sha256()
    for row in every_row(db, NOT_STATE):
        digest.update(repr(row).encode())
    return digest.hexdigest()
