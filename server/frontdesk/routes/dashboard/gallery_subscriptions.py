"""The theme gallery's states of the customer's plans: the list in every state, no plans, a pause
to confirm and a cancelled plan, drawn by the portal route's own builders on samples made here
(gallery.py lists them with the other states)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from starlette.datastructures import FormData

from frontdesk.models import Business, Interval, Subscription, SubscriptionStatus
from frontdesk.routes.portal import subscriptions
from frontdesk.services.gallery import Samples
from frontdesk.services.subscriptions import due_at, pausing, period_span


def _samples(business: Business, s: Samples) -> list[Subscription]:
    """Plans started a while ago, each with its first period billed: a monthly one running, one
    paused, one ending with its period and one cancelled."""
    noon = datetime.combine(s.today, time(12), tzinfo=UTC)

    def sample(
        number: int, name: str, amount: int, interval: Interval, **more: Any
    ) -> Subscription:
        start = s.today - timedelta(days=10 * number)
        following = period_span(start, interval, 1, 1)[0]
        return Subscription(
            id=f"sub_sample{number}",
            business_id=business.id,
            customer_id=s.customer.id,
            name=name,
            currency=business.currency,
            lines=[
                {"description": name, "unit_amount": amount, "quantity": "1", "tax_rate_bp": 825}
            ],
            interval=interval,
            start_on=start,
            time_zone=business.time_zone,
            next_period=1,
            next_period_start=following,
            next_due_at=due_at(following, business.time_zone),
            created_at=noon - timedelta(days=10 * number),
            updated_at=noon,
            **more,
        )

    return [
        sample(1, "Lawn care, April to October", 8_500, Interval.MONTH),
        sample(
            2,
            "Pool cleaning",
            12_000,
            Interval.MONTH,
            status=SubscriptionStatus.PAUSED,
            paused_until=s.today + timedelta(days=45),
        ),
        sample(3, "Gutter checks", 4_000, Interval.MONTH, cancel_at_period_end=True),
        sample(
            4,
            "Winter snow clearing",
            30_000,
            Interval.YEAR,
            status=SubscriptionStatus.CANCELED,
            canceled_at=noon - timedelta(days=3),
        ),
    ]


def plans(business: Business, s: Samples) -> dict[str, Any]:
    return subscriptions.list_shown(_samples(business, s))


def no_plans(business: Business, s: Samples) -> dict[str, Any]:
    return subscriptions.list_shown([])


def pause_to_confirm(business: Business, s: Samples) -> dict[str, Any]:
    """A pause past the next billing date, to confirm: what it skips, and when billing resumes."""
    running = _samples(business, s)[0]
    until = running.next_period_start + timedelta(days=1)
    paused = Subscription(
        **{**running.model_dump(), "status": SubscriptionStatus.PAUSED, "paused_until": until}
    )
    typed = FormData([("until", until.isoformat())])
    return subscriptions.detail_shown(running, confirming=pausing(paused), form=typed)


def cancelled(business: Business, s: Samples) -> dict[str, Any]:
    return subscriptions.detail_shown(_samples(business, s)[3])
