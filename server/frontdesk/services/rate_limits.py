"""Rate limits as token buckets kept in the database, so every worker, process and machine
shares one allowance: a burst that refills at a steady rate, per key.

One statement takes a token: an insert that, when the key exists, refills the bucket for the
time that passed and takes one if there is one, saying whether it did. PostgreSQL and SQLite both
run it atomically (a row lock; the single writer), so two processes never spend the same token.
The time is the caller's clock, so tests move it instead of waiting for a refill.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, Float, case, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from frontdesk.db import Database
from frontdesk.models import RateLimit


class Limited(Exception):
    """Over the limit; `retry_after` is whole seconds until one more request is allowed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    """`burst` requests at once, then `per_second` more each second, per key."""

    name: str
    burst: int
    per_second: float


Clock = Callable[[], datetime]


def take(session: Session, limit: Limit, key: str, now: datetime) -> None:
    """Spend one of `limit`'s tokens for `key`, or raise Limited. Keys are stored hashed:
    they are email and IP addresses, which a limits table has no need to show."""
    row_key = hashlib.sha256(f"{limit.name}:{key}".encode()).hexdigest()
    at = now.timestamp()
    table = RateLimit.__table__  # type: ignore[attr-defined]
    insert = postgresql if session.bind and session.bind.dialect.name == "postgresql" else sqlite
    statement = insert.insert(table).values(
        key=row_key, tokens=float(limit.burst - 1), updated_at=at, granted=True
    )
    refilled = case(
        (
            table.c.tokens + (literal(at) - table.c.updated_at) * limit.per_second > limit.burst,
            literal(float(limit.burst), Float),
        ),
        else_=table.c.tokens + (literal(at) - table.c.updated_at) * limit.per_second,
    )
    granted = refilled >= 1
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "tokens": case((granted, refilled - 1), else_=refilled),
            "updated_at": literal(at),
            "granted": case((granted, literal(True, Boolean)), else_=literal(False, Boolean)),
        },
    ).returning(table.c.tokens, table.c.granted)
    tokens, was_granted = session.execute(statement).one()
    if not was_granted:
        raise Limited(max(1, math.ceil((1 - tokens) / limit.per_second)))


class Limiter:
    """Takes tokens in a short transaction of its own, committed whatever the request then does:
    a refused sign-in or a declined card still spent its attempt."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def take(self, *spends: tuple[Limit, str]) -> None:
        """Spend one token of each (limit, key), in order; the first limit reached raises."""
        with self.db.unscoped("rate limits count callers, not one business's records") as session:
            for limit, key in spends:
                take(session, limit, key, self.clock())
