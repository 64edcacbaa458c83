"""The whole database, row by row or as one digest (to prove a refused request changed nothing)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import cache

from sqlalchemy import select, text
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
    if db.engine.dialect.name == "postgresql":
        return _postgres_digest(db)
    digest = hashlib.sha256()
    for row in every_row(db, NOT_STATE):
        digest.update(repr(row).encode())
    return digest.hexdigest()


@cache
def _postgres_statement() -> str:
    """One statement that digests every table server-side: a table at a time, it was seventy
    round trips a look, and the API fuzzer looks twice for each of thousands of cases."""
    parts = []
    for table in SQLModel.metadata.sorted_tables:
        if (table.name, "*") in NOT_STATE:
            continue
        columns = [f'"{c.name}"' for c in table.columns if (table.name, c.name) not in NOT_STATE]
        order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
        row = f"ROW({', '.join(columns)})::text"
        digest = f"md5(coalesce(string_agg({row}, '|' ORDER BY {order}), ''))"
        parts.append(f"SELECT '{table.name}' AS t, {digest} AS d FROM \"{table.name}\"")
    return (
        "SELECT string_agg(t || ':' || d, ',' ORDER BY t) FROM ("
        + " UNION ALL ".join(parts)
        + ") s"
    )


def _postgres_digest(db: Database) -> str:
    with db.unscoped("the test reads every table") as session:
        return str(session.execute(text(_postgres_statement())).scalar_one())
