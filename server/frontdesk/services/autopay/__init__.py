"""Automatic payments: the customer's consent (enrolment), when tries fall due (schedule), the
scheduler's charges (charging) and notices before them (notices), and what the business and the
customer read about them (reading)."""

from frontdesk.services.autopay.charging import charge_due
from frontdesk.services.autopay.enrolment import (
    charges_on_due,
    consent_text,
    current,
    digest,
    eligible_cards,
    enroll,
    enrollments,
    revoke,
)
from frontdesk.services.autopay.notices import notify_due
from frontdesk.services.autopay.reading import (
    Charge,
    Failed,
    Panel,
    failed,
    history,
    panel,
    upcoming,
)
from frontdesk.services.autopay.terms import AutopayTerms, update

__all__ = [
    "AutopayTerms",
    "Charge",
    "Failed",
    "Panel",
    "charge_due",
    "charges_on_due",
    "consent_text",
    "current",
    "digest",
    "eligible_cards",
    "enroll",
    "enrollments",
    "failed",
    "history",
    "notify_due",
    "panel",
    "revoke",
    "upcoming",
    "update",
]
