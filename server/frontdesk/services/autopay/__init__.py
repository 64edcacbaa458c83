"""Automatic payments: the customer's consent (enrolment), when tries fall due (schedule), the
scheduler's charges (charging) and notices before them (notices), and what the business and the
customer read about them (reading)."""

from frontdesk.services.autopay.charging import charge_due
from frontdesk.services.autopay.enrolment import (
    consent_text,
    current,
    digest,
    eligible_cards,
    enroll,
    revoke,
)
from frontdesk.services.autopay.notices import notify_due

__all__ = [
    "charge_due",
    "consent_text",
    "current",
    "digest",
    "eligible_cards",
    "enroll",
    "notify_due",
    "revoke",
]
