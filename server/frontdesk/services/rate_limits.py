"""Token buckets in memory: a burst allowance that refills at a steady rate, per key.

Each process keeps its own buckets, so N processes allow up to N times the rate; the limit is
there to stop floods and runaway scripts, which one process's share already does.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class Limited(Exception):
    """Over the limit; `retry_after` is whole seconds until one more request is allowed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited; retry after {retry_after} s")
        self.retry_after = retry_after


class TokenBucket:
    def __init__(self, *, burst: int, per_second: float, max_keys: int = 100_000) -> None:
        self.burst = burst
        self.per_second = per_second
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> None:
        """Spend one token for `key`, or raise Limited."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._forget_full(now)
                bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            bucket.tokens = min(
                float(self.burst), bucket.tokens + (now - bucket.updated) * self.per_second
            )
            bucket.updated = now
            if bucket.tokens < 1:
                raise Limited(max(1, math.ceil((1 - bucket.tokens) / self.per_second)))
            bucket.tokens -= 1

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled holds nothing worth remembering.
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self.per_second >= self.burst
        ]
        for key in full or list(self._buckets)[: self.max_keys // 10]:
            del self._buckets[key]
