"""Work that falls due with the calendar rather than with a change: subscription periods, and
each kind added later (reminders, late fees, statements). The outbox runner asks every minute.

Each kind is a function (db, links, now) -> how many things it decided, written the way
services/subscriptions/billing.py is: find what is due, then decide each thing in its own
transaction under its lock after reading it again, with a unique key behind that, so any number
of processes may run it at once; and a rule for what to do with what is found long after it fell
due (the server was away), rather than sending a burst of stale mail."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.services import late_fees, reminders, subscriptions
from frontdesk.services.links import Links

log = logging.getLogger("frontdesk.jobs")
Due = Callable[[Database, Links, datetime], int]
# In order: a period billed now is an invoice the reminders below may already look at.
KINDS: list[tuple[str, Due]] = [
    ("subscription periods", subscriptions.bill_due),
    ("payment reminders", reminders.remind_due),
    ("late fees", late_fees.add_due),
]


def run_due(db: Database, links: Links, now: datetime) -> int:
    """Every kind once; one failing kind is logged and does not stop the others."""
    decided = 0
    for name, kind in KINDS:
        try:
            decided += kind(db, links, now)
        except DatabaseUnavailable:
            raise
        except Exception:
            log.exception("scheduled %s failed; trying again next minute", name)
    return decided
