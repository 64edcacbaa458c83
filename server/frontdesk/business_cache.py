"""The businesses portal requests name, found by publishable key and kept for a few seconds.

Every portal request needs its business, for the CORS answer and then for the handler; a page
asks for several views at once and polls. So each process keeps what it found for `LIFETIME`,
measured with the app's clock, and forgets a business as soon as it commits any change that moves
the business's data version: to its row (portal switches, allowed origins, keys, theme, payments
connected or not) or to what all its customers see (booking hours): the process that made a
change obeys it from its next request. Other processes obey it within `LIFETIME`; that is
the documented bound. A `version` column read on every request would have made the bound
zero, but that read is a threadpool hop, a pooled connection and a transaction (two statements
on PostgreSQL) per request: measured on SQLite, a primary-key read in its own transaction took
86 µs against the lookup's 165 µs and a kept hit's 0.3 µs, so it would save half the lookup
and none of the hop.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlmodel import Session

from frontdesk.db import Database
from frontdesk.models import Business
from frontdesk.services import businesses, versions
from frontdesk.services.errors import NotFound

# How long another process's change can go unseen here.
LIFETIME = timedelta(seconds=5)
# Far more businesses than one process serves in five seconds; only a flood of them reaches it.
MAX_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class _Kept:
    business: Business
    until: datetime


class BusinessCache:
    """One process's businesses by publishable key. The Business kept is shared by concurrent
    requests, detached from any session: read it, never change it."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db, self.clock = db, clock
        self._kept: dict[str, _Kept] = {}
        self._lock = threading.Lock()
        # Moved on by every change committed here: a lookup that overlapped one keeps nothing,
        # since it may have read the row as it was before.
        self._changes = 0
        _caches.add(self)

    def kept(self, key: str) -> Business | None:
        """The business for this key if it was found less than LIFETIME ago (None: look it up)."""
        kept = self._kept.get(key)
        if kept is None or kept.until <= self.clock():
            return None
        return kept.business

    def find(self, key: str) -> Business | None:
        """The business for this key from the database, kept (None: no such business, not kept,
        so made-up keys cannot fill the cache)."""
        changes = self._changes
        with self.db.unscoped("a portal request finds its business before any token") as session:
            try:
                business = businesses.by_publishable_key(session, key)
            except NotFound:
                return None
        now = self.clock()
        with self._lock:
            if changes == self._changes:
                if len(self._kept) >= MAX_KEPT:
                    self._kept = {k: v for k, v in self._kept.items() if v.until > now}
                    if len(self._kept) >= MAX_KEPT:
                        self._kept.clear()
                self._kept[key] = _Kept(business, now + LIFETIME)
        return business

    def forget(self, business_ids: set[str]) -> None:
        """Forget these businesses (versions.ALL among them: every one)."""
        with self._lock:
            self._changes += 1
            if versions.ALL in business_ids:
                self._kept = {}
                return
            self._kept = {
                key: kept
                for key, kept in self._kept.items()
                if kept.business.id not in business_ids
            }


# Every cache in this process; a commit on an engine reaches those that read through it.
_caches: weakref.WeakSet[BusinessCache] = weakref.WeakSet()


@event.listens_for(Session, "after_commit")
def _forget_changed(session: Session) -> None:
    # Whatever moved a business's data version (services/versions.py): a change to its row, and
    # to what every one of its customers is shown (booking hours, appointments), which a kept
    # Business would otherwise tag with its old version. A released savepoint (placing an
    # appointment) is not the commit: a lookup before the commit would keep the old row.
    if session.in_nested_transaction():
        return
    changed: set[str] | None = session.info.pop(versions.BUSINESSES_MOVED, None)
    if not changed:
        return
    engine = session.get_bind()
    for cache in list(_caches):
        if cache.db.engine is engine:
            cache.forget(changed)


@event.listens_for(Session, "after_rollback")
def _nothing_changed(session: Session) -> None:
    # A savepoint rolled back leaves what moved before it to the commit (forgetting one business
    # too many costs a lookup).
    if not session.in_nested_transaction():
        session.info.pop(versions.BUSINESSES_MOVED, None)
