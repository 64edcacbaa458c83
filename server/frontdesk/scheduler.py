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
from functools import partial

from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.processors import Processor
from frontdesk.services import autopay, booking, late_fees, reminders, statement_mail, subscriptions
from frontdesk.services.links import Links

log = logging.getLogger("frontdesk.jobs")
Due = Callable[[Database, Links, datetime], int]
# In order: a period billed now is an invoice the reminders below may already look at.
KINDS: list[tuple[str, Due]] = [
    ("subscription periods", subscriptions.bill_due),
    ("payment reminders", reminders.remind_due),
    ("late fees", late_fees.add_due),
    ("automatic payment notices", autopay.notify_due),
    ("monthly statements", statement_mail.send_due),
    ("appointment reminders", booking.remind_due),
]


Charges = Callable[[Database, Links, Processor, datetime], int]
# Kinds that charge money, after the notices above have gone.
CHARGES: list[tuple[str, Charges]] = [("automatic payments", autopay.charge_due)]


def run_due(db: Database, links: Links, processor: Processor, now: datetime) -> int:
    """Every kind once; one failing kind is logged and does not stop the others."""
    work: list[tuple[str, Callable[[datetime], int]]] = [
        (name, partial(kind, db, links)) for name, kind in KINDS
    ]
    work += [(name, partial(kind, db, links, processor)) for name, kind in CHARGES]
    decided = 0
    for name, kind in work:
        try:
            decided += kind(now)
        except DatabaseUnavailable:
            raise
        except Exception:
            log.exception("scheduled %s failed; trying again next minute", name)
    return decided
