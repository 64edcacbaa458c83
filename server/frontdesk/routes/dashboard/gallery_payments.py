"""The theme gallery's states of the Payments section: the history with saved cards and automatic
payments on, and the form turning them on, on samples made here (gallery.py lists them with the
other states)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from frontdesk.models import AutopayEnrollment, Business
from frontdesk.services import autopay
from frontdesk.services.gallery import Samples

HISTORY = "fragments/payments/history.html"


def _afternoon(day: date) -> datetime:
    return datetime.combine(day, time(15, 30), tzinfo=UTC)


def sample_autopay(business: Business, shown: Samples, *, choosing: bool) -> autopay.Panel:
    """Automatic payments on with the first sample card, or the form turning them on."""
    card = shown.methods[0]
    enrollment = AutopayEnrollment(
        business_id=business.id,
        customer_id="",
        payment_method_id=card.id,
        consent_text="",
        consent_sha256="",
        consented_at=_afternoon(shown.today - timedelta(days=40)),
        starts_on=shown.today - timedelta(days=40),
    )
    upcoming = autopay.Charge(
        shown.unpaid.invoice,
        None,
        shown.unpaid.amount_due,
        _afternoon(shown.unpaid.invoice.due_date),
        1,
    )
    words = autopay.consent_text(business, card)
    return autopay.Panel(
        offered=True,
        enrollment=None if choosing else enrollment,
        card=card,
        cards=shown.methods,
        timing="on its due date",
        choosing=card if choosing else None,
        words=words,
        shown=autopay.digest(words),
        upcoming=[] if choosing else [upcoming],
        failed=[],
    )


def history(business: Business, s: Samples) -> dict[str, Any]:
    return _history(business, s, choosing=False)


def form(business: Business, s: Samples) -> dict[str, Any]:
    return _history(business, s, choosing=True)


def _history(business: Business, s: Samples, *, choosing: bool) -> dict[str, Any]:
    return {
        "payments": s.history,
        "methods": s.methods,
        "autopay": sample_autopay(business, s, choosing=choosing),
        "current": "payments",
        "notice": "",
    }
