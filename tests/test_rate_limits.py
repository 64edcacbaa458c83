"""Token buckets in the database: one allowance for every process, spent atomically, refilled by
the caller's clock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from frontdesk.db import Database
from frontdesk.models import utcnow
from frontdesk.services.rate_limits import Limit, Limited, Limiter

LIMIT = Limit("test", burst=5, per_second=0.5)


def test_two_processes_share_one_allowance(database_url: str, db: Database) -> None:
    now = utcnow()
    # Two engines, as two processes (or machines) would have, taking at the same moment.
    other = Database(database_url)
    limiters = [Limiter(db, lambda: now), Limiter(other, lambda: now)]

    def attempt(n: int) -> bool:
        try:
            limiters[n % 2].take((LIMIT, "caller"))
        except Limited:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        granted = list(pool.map(attempt, range(16)))
    other.dispose()
    assert sum(granted) == LIMIT.burst


def test_the_bucket_refills_by_the_clock_and_says_when(db: Database) -> None:
    now = [utcnow()]
    limiter = Limiter(db, lambda: now[0])
    for _ in range(LIMIT.burst):
        limiter.take((LIMIT, "caller"))
    with pytest.raises(Limited) as refused:
        limiter.take((LIMIT, "caller"))
    assert refused.value.retry_after == 2  # one token at half a token a second
    limiter.take((LIMIT, "someone else"))  # keys are counted apart
    now[0] += timedelta(seconds=1.9)
    with pytest.raises(Limited):
        limiter.take((LIMIT, "caller"))
    now[0] += timedelta(seconds=0.2)
    limiter.take((LIMIT, "caller"))
    now[0] += timedelta(hours=1)  # a long rest refills only up to the burst
    for _ in range(LIMIT.burst):
        limiter.take((LIMIT, "caller"))
    with pytest.raises(Limited):
        limiter.take((LIMIT, "caller"))
