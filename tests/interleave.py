"""Forcing interleavings instead of hoping for them: threads meet at a chosen SQL statement.

A `Meeting` holds each thread that reaches the first statement containing `marker` until
`parties` threads are there, then lets them all go at once. Nothing of ours is replaced: the hook
is SQLAlchemy's own `before_cursor_execute` event on the real engine, so the paths under test run
exactly as in production, only made to arrive together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

# The statement every path that moves a payment starts its critical section with.
CUSTOMER_LOCK = "UPDATE customer SET link_version"


class Meeting:
    def __init__(self, parties: int, marker: str = CUSTOMER_LOCK, timeout: float = 60) -> None:
        self.marker = marker
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.arrived: list[str] = []
        self._lock = threading.Lock()
        self._met: set[int] = set()

    def _hook(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.marker not in statement or self.barrier.broken:
            return
        me = threading.get_ident()
        with self._lock:
            if me in self._met or len(self._met) >= self.barrier.parties:
                return
            self._met.add(me)
            self.arrived.append(threading.current_thread().name)
        self.barrier.wait()

    @contextmanager
    def on(self, engine: Engine) -> Iterator[Meeting]:
        event.listen(engine, "before_cursor_execute", self._hook)
        try:
            yield self
        finally:
            event.remove(engine, "before_cursor_execute", self._hook)


def together(engine: Engine, *paths: Callable[[], Any], marker: str = CUSTOMER_LOCK) -> list[Any]:
    """Run each path in its own thread; all of them reach `marker` before any goes past it.
    Returns each path's result (or raises its exception) in the order given."""
    meeting = Meeting(len(paths), marker)
    with meeting.on(engine), ThreadPoolExecutor(max_workers=len(paths)) as pool:
        futures = [pool.submit(path) for path in paths]
        results = [future.result(timeout=120) for future in futures]
    assert len(meeting.arrived) == len(paths), (
        f"only {meeting.arrived} reached {marker!r}: the paths did not meet"
    )
    return results
