"""Subscriptions of our own (not the processor's billing): a plan per customer billed every
period as an invoice, exactly once, by the scheduler; paused or cancelled by the business, or by
the customer where allowed.

Callers use this package's names (`subscriptions.create(...)`); each lives in the module of its
side."""

from frontdesk.services.subscriptions.billing import bill_due, next_period
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
    "Cancelling",
    "Pausing",
    "Wanted",
    "bill_due",
    "cancel",
    "cancel_words",
    "cancelling",
    "create",
    "current_period",
    "due_at",
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
    "resume",
    "rhythm",
    "when",
]
