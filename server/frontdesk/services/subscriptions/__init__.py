"""Subscriptions of our own (not the processor's billing): a plan per customer billed every
period as an invoice, exactly once, by the scheduler; paused or cancelled by the business, or by
the customer where allowed.

Callers use this package's names (`subscriptions.create(...)`); each lives in the module of its
side."""

from frontdesk.services.subscriptions.billing import bill_due, next_period
from frontdesk.services.subscriptions.changes import PRORATIONS, Edit, Preview, change, preview
from frontdesk.services.subscriptions.changes import nonce as edit_nonce
from frontdesk.services.subscriptions.changes import saved as saved_changes
from frontdesk.services.subscriptions.changes import words as change_words
from frontdesk.services.subscriptions.periods import due_at, period_span
from frontdesk.services.subscriptions.plans import Wanted, cancel, create, pause, resume
from frontdesk.services.subscriptions.reading import (
    Cancelling,
    Pausing,
    cancel_words,
    cancelling,
    current_period,
    for_customer,
    get,
    get_for_customer,
    listed,
    next_invoice,
    pause_words,
    pausing,
    periods,
    rhythm,
    when,
)
from frontdesk.services.subscriptions.rules import (
    CANCEL_MODES,
    INTERVALS,
    LABELS,
    MAX_SKIP,
    period_total,
)

__all__ = [
    "CANCEL_MODES",
    "INTERVALS",
    "LABELS",
    "MAX_SKIP",
    "PRORATIONS",
    "Cancelling",
    "Edit",
    "Pausing",
    "Preview",
    "Wanted",
    "bill_due",
    "cancel",
    "cancel_words",
    "cancelling",
    "change",
    "change_words",
    "create",
    "current_period",
    "due_at",
    "edit_nonce",
    "for_customer",
    "get",
    "get_for_customer",
    "listed",
    "next_invoice",
    "next_period",
    "pause",
    "pause_words",
    "pausing",
    "period_span",
    "period_total",
    "periods",
    "preview",
    "resume",
    "rhythm",
    "saved_changes",
    "when",
]
