"""What a subscription may hold: its rhythm, its lines, the words for its states, and the price
of one period (priced as the invoice it becomes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from frontdesk import locks
from frontdesk.languages import N_, NC_
from frontdesk.models import Interval, Subscription, SubscriptionStatus
from frontdesk.services import lines as line_pricing
from frontdesk.services.errors import NotFound
from frontdesk.services.lines import LineInput

Status = SubscriptionStatus
MAX_COUNT = 52
MAX_NAME = 200
MAX_SKIP = 12
# Cancelling: at the end of the period already billed, or at once (nothing more is billed).
CANCEL_MODES = {"period_end": "At the end of the current period", "now": "Now"}
INTERVALS = {
    "week": (Interval.WEEK, 1),
    "month": (Interval.MONTH, 1),
    "quarter": (Interval.MONTH, 3),
    "year": (Interval.YEAR, 1),
}
LABELS = {
    Status.ACTIVE: N_("Active"),
    Status.PAUSED: N_("Paused"),
    Status.CANCELED: NC_("subscription", "Cancelled"),
    Status.ENDED: N_("Ended"),
}


def stored_lines(lines: list[LineInput]) -> list[dict[str, Any]]:
    """Lines as the subscription keeps them (JSON): checked as an invoice's are."""
    line_pricing.validate(lines)
    return [
        {
            "description": line.description.strip(),
            "unit_amount": line.unit_amount,
            "quantity": str(line.quantity),
            "tax_rate_bp": line.tax_rate_bp,
        }
        for line in lines
    ]


def line_inputs(stored: list[dict[str, Any]]) -> list[LineInput]:
    return [
        LineInput(
            description=str(line["description"]),
            unit_amount=int(line["unit_amount"]),
            quantity=Decimal(str(line.get("quantity", "1"))),
            tax_rate_bp=line.get("tax_rate_bp"),
        )
        for line in stored
    ]


def priced(stored: list[dict[str, Any]]) -> tuple[int, int]:
    """Stored lines' amount before tax, and their tax, as the invoice they become prices them."""
    amount = tax = 0
    for line in line_inputs(stored):
        line_amount, line_tax = line_pricing.price(line)
        amount, tax = amount + line_amount, tax + line_tax
    return amount, tax


def period_total(subscription: Subscription) -> int:
    """What each period's invoice comes to, tax included (minor units)."""
    return sum(priced(subscription.lines))


def locked(session: Session, subscription_id: str) -> Subscription:
    """The subscription re-read under its lock, so a change and the scheduler never both act on
    what each read before the other."""
    found = locks.locked(session, Subscription, subscription_id, rewriting=Subscription.next_period)
    if found is None:
        raise NotFound("no such subscription")
    return found
