"""The customer's plans in the portal over real HTTP and a real database: the list with what comes
next for each plan, pausing and cancelling through a confirmation that says what will happen and
changes nothing, the host page told once it is done, and everything that should be refused (bad
dates and counts, a plan that does not allow it, someone else's plan) refused and left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import Business, Customer, Initiator, Interval, OutboxItem, Subscription
from frontdesk.rendering import format_day, format_money
from frontdesk.services import audit, businesses, subscriptions
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_host_events import told
from tests.test_portal_views import Portal


@dataclass
class Office:
    server: LiveServer
    settings: Settings
    db: Database
    made: NewBusiness
    casey: Customer
    robin: Customer

    @property
    def today(self) -> date:
        return businesses.today(self.made.business)

    def plan(self, customer: Customer, *, billed: bool = True, **wanted: object) -> str:
        """A monthly plan that started ten days ago, its first period billed by the scheduler
        (unless not `billed`: then it starts today and nothing is billed yet)."""
        start = self.today - timedelta(days=10) if billed else self.today
        fields: dict[str, object] = {
            "name": "Lawn care",
            "lines": [LineInput("Mowing and edging", 4500, tax_rate_bp=825)],
            "start_on": start.isoformat(),
            **wanted,
        }
        with self.db.session(self.made.business.id) as session:
            made = subscriptions.create(
                session,
                business=self.made.business,
                customer=customer,
                wanted=subscriptions.Wanted(**fields),  # type: ignore[arg-type]
                actor=audit.Actor(Initiator.STAFF, self.made.owner.id),
                today=start,
                now=datetime.now(UTC),
            )
        if billed:  # the scheduler's step for this plan alone: its first period
            links = Links(self.settings.secret_key, self.server.url)
            with self.db.session(self.made.business.id) as session:
                assert subscriptions.next_period(session, made.id, links, datetime.now(UTC))
        return made.id

    def get(self, subscription_id: str) -> Subscription:
        with self.db.session(self.made.business.id) as session:
            found = session.get(Subscription, subscription_id)
            assert found is not None
            return found

    def events(self) -> list[str]:
        """The plans' webhook events so far (billing's invoice events left out)."""
        with self.db.session(self.made.business.id) as session:
            items = session.exec(select(OutboxItem).where(OutboxItem.kind == "event"))
            kinds = [str(item.payload["type"]) for item in items]
        return [kind for kind in kinds if kind.startswith("subscription.")]

    def webhook(self, type: str) -> dict[str, object]:
        with self.db.session(self.made.business.id) as session:
            items = session.exec(select(OutboxItem).where(OutboxItem.kind == "event")).all()
        [found] = [item.payload for item in items if item.payload["type"] == type]
        return found

    def portal(self, customer: Customer) -> Portal:
        return Portal(self.server, self.settings, self.made.business, customer)


@pytest.fixture
def office(db: Database, settings: Settings) -> Iterator[Office]:
    from frontdesk.app import create_app

    made = make_business(db, time_zone="America/New_York")
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey Jones")
        robin = make_customer(session, made.business, name="Robin")
    server = LiveServer(create_app(settings, db)).start()
    yield Office(server, settings, db, made, casey, robin)
    server.stop()


def day(value: date) -> str:
    return format_day(value)


def months(start: date, n: int) -> date:
    return subscriptions.period_span(start, Interval.MONTH, 1, n)[0]


def test_the_list_shows_each_plan_with_its_rhythm_amount_and_what_comes_next(
    office: Office,
) -> None:
    active = office.plan(office.casey, name="Weekly mowing", every="week", billed=False)
    paused = office.plan(office.casey, name="Hedge trimming")
    ending = office.plan(office.casey, name="Pool care")
    stopped = office.plan(office.casey, name="Snow clearing")
    office.plan(office.robin, name="Robin's gutters")
    until = office.today + timedelta(days=40)
    with office.db.session(office.made.business.id) as session:
        business, actor = office.made.business, audit.Actor(Initiator.STAFF, office.made.owner.id)
        now = datetime.now(UTC)

        def found(subscription_id: str) -> Subscription:
            return subscriptions.get(session, subscription_id=subscription_id)

        subscriptions.pause(
            session,
            business=business,
            subscription=found(paused),
            until=until.isoformat(),
            skip="",
            actor=actor,
            today=office.today,
            now=now,
        )
        for plan, mode in ((ending, "period_end"), (stopped, "now")):
            subscriptions.cancel(
                session,
                business=business,
                subscription=found(plan),
                mode=mode,
                actor=actor,
                now=now,
            )
    weekly = office.get(active)
    with office.portal(office.casey) as casey:
        listed = casey.get("/subscriptions")
        assert listed.status_code == 200
        text = listed.text
        assert ">Plans</a>" in text  # the nav's tab, current
        assert "Robin's gutters" not in text
        assert "Weekly" in text and "Monthly" in text
        assert format_money(4871, "USD") in text  # 45.00 and 8.25 % tax, each period
        assert f"Next invoice {day(weekly.next_period_start)}" in text
        assert f"Paused until {day(until)}" in text
        start = office.today - timedelta(days=10)
        assert f"Ends on {day(months(start, 1) - timedelta(days=1))}" in text
        assert "No more invoices" in text
        for status in ("active", "paused", "canceled"):
            assert f"fd-badge-{status}" in text
        # The deep links land on the same views.
        assert 'id="fd-subscriptions"' in casey.get("/go/subscriptions").text
        linked = casey.get(f"/go/plan/{active}")
        assert 'id="fd-subscription"' in linked.text and "Weekly mowing" in linked.text
        assert "Mowing and edging" in linked.text and "Pause plan" in linked.text


def test_pausing_says_what_it_skips_and_pauses_once_confirmed(office: Office) -> None:
    plan = office.plan(office.casey)
    start = office.today - timedelta(days=10)
    until = months(start, 1) + timedelta(days=1)
    with office.portal(office.casey) as casey:
        review = casey.post(f"/subscriptions/{plan}/pause/review", {"until": until.isoformat()})
        assert review.status_code == 200, review.text
        assert f"You won't be billed on {day(months(start, 1))}." in review.text
        assert f"Billing resumes on {day(months(start, 2))}." in review.text
        assert f'name="until" value="{until.isoformat()}"' in review.text
        assert "Confirm pause" in review.text and told(review) == []
        assert office.get(plan).status == "active"  # the confirmation changed nothing
        assert "subscription.paused" not in office.events()

        paused = casey.post(f"/subscriptions/{plan}/pause", {"until": until.isoformat()})
        assert paused.status_code == 200, paused.text
        assert "Your plan is paused." in paused.text
        assert f"You won't be billed on {day(months(start, 1))}." in paused.text
        resumes = day(months(start, 2))
        assert f"Paused until {day(until)} · Billing resumes on {resumes}" in paused.text
        [event] = told(paused)
        assert event["type"] == "subscription-paused"
        assert event["object"] == {
            "kind": "subscription",
            "id": plan,
            "amount": 4871,
            "currency": "USD",
            "status": "paused",
        }
        assert event["id"] == office.webhook("subscription.paused")["id"]
        assert "Pause plan" not in paused.text and "Cancel plan" not in paused.text
    found = office.get(plan)
    assert found.status == "paused" and found.paused_until == until
    assert subscriptions.next_invoice(found) == months(start, 2)


def test_skipping_periods_says_which_and_when_billing_resumes(office: Office) -> None:
    plan = office.plan(office.casey)
    start = office.today - timedelta(days=10)
    with office.portal(office.casey) as casey:
        review = casey.post(f"/subscriptions/{plan}/pause/review", {"skip": "3"})
        assert review.status_code == 200, review.text
        skipped = f"the 3 billing dates from {day(months(start, 1))} to {day(months(start, 3))}"
        assert skipped in review.text
        assert f"Billing resumes on {day(months(start, 4))}." in review.text
        assert casey.post(f"/subscriptions/{plan}/pause", {"skip": "3"}).status_code == 200
    found = office.get(plan)
    assert found.status == "paused" and found.skip_periods == 3


def test_cancelling_ends_the_plan_with_the_period_already_billed(office: Office) -> None:
    plan, fresh = office.plan(office.casey), office.plan(office.casey, billed=False)
    start = office.today - timedelta(days=10)
    reason = {"reason": "Moving house"}
    with office.portal(office.casey) as casey:
        review = casey.post(f"/subscriptions/{plan}/cancel/review", reason)
        assert review.status_code == 200, review.text
        last_day = months(start, 1) - timedelta(days=1)
        assert f"Your plan runs until {day(last_day)}" in review.text
        assert f"You won't be billed on {day(months(start, 1))} or after." in review.text
        assert 'name="reason" value="Moving house"' in review.text
        assert office.get(plan).cancel_at_period_end is False

        cancelled = casey.post(f"/subscriptions/{plan}/cancel", reason)
        assert cancelled.status_code == 200, cancelled.text
        assert "Your plan is cancelled." in cancelled.text
        assert f"This plan is cancelled: it ends on {day(last_day)}" in cancelled.text
        [event] = told(cancelled)
        assert event["type"] == "subscription-canceled" and event["object"]["status"] == "active"
        assert event["id"] == office.webhook("subscription.canceled")["id"]
        assert "Cancel plan" not in cancelled.text and "Pause plan" not in cancelled.text
        again = casey.post(f"/subscriptions/{plan}/cancel", reason)
        assert again.status_code == 422 and "already ends with the period" in again.text
        # Nothing billed yet: it ends at once.
        review = casey.post(f"/subscriptions/{fresh}/cancel/review", {})
        assert "Nothing has been billed yet, so your plan ends now." in review.text
        now = casey.post(f"/subscriptions/{fresh}/cancel", {})
        assert told(now)[0]["object"]["status"] == "canceled"
    found = office.get(plan)
    assert found.status == "active" and found.cancel_at_period_end
    assert found.cancel_reason == "Moving house"
    assert office.get(fresh).status == "canceled"
    assert office.events().count("subscription.canceled") == 2  # one each, the second ask refused


# Pause input the service refuses: what was typed, the field told, and what it is told.
BAD_PAUSES = [
    ({"until": "2020-01-01"}, "until", "Choose a date after today."),
    ({"until": "next week"}, "until", "Enter the date to resume as a date"),
    ({"skip": "0"}, "skip", "Skip 1 to 12 periods."),
    ({"skip": "99"}, "skip", "Skip 1 to 12 periods."),
    ({"skip": "²"}, "skip", "Give the number of periods as a whole number."),  # a digit, no number
    ({}, "until", "Choose a date to resume, or how many periods to skip."),
]


def test_bad_pause_input_is_shown_as_typed_and_changes_nothing(office: Office) -> None:
    plan = office.plan(office.casey)
    with office.portal(office.casey) as casey:
        for typed, field, message in BAD_PAUSES:
            for step in ("pause/review", "pause"):
                answer = casey.post(f"/subscriptions/{plan}/{step}", typed)
                assert answer.status_code == 422, (typed, step, answer.text)
                assert message in answer.text and f'id="fd-err-{field}"' in answer.text
                for name, value in typed.items():
                    assert f'name="{name}"' in answer.text and f'value="{value}"' in answer.text
                assert "Confirm pause" not in answer.text and told(answer) == []
    assert office.get(plan).status == "active"
    assert office.events() == ["subscription.created"]


def test_a_plan_that_does_not_allow_it_shows_no_button_and_refuses(office: Office) -> None:
    plan = office.plan(office.casey, customer_can_cancel=False, customer_can_pause=False)
    pausable = office.plan(office.casey, customer_can_cancel=False)
    with office.portal(office.casey) as casey:
        shown = casey.get(f"/subscriptions/{plan}").text
        assert "Lawn care" in shown and "Pause plan" not in shown and "Cancel plan" not in shown
        only_pause = casey.get(f"/subscriptions/{pausable}").text
        assert "Pause plan" in only_pause and "Cancel plan" not in only_pause
        for step, typed in (("pause/review", {"skip": "1"}), ("pause", {"skip": "1"})):
            refused = casey.post(f"/subscriptions/{plan}/{step}", typed)
            assert refused.status_code == 403
            assert "Ask the business to pause this plan. Nothing was changed." in refused.text
        refused = casey.post(f"/subscriptions/{pausable}/cancel", {})
        assert (
            refused.status_code == 403 and "Ask the business to cancel this plan." in refused.text
        )
    assert office.get(plan).status == "active" and office.get(pausable).status == "active"
    assert office.events().count("subscription.created") == 2
    assert "subscription.canceled" not in office.events()


def test_a_customer_reaches_only_their_own_plans_where_the_business_offers_them(
    office: Office,
) -> None:
    theirs = office.plan(office.robin, name="Robin's gutters")
    with office.portal(office.casey) as casey:
        assert casey.get(f"/subscriptions/{theirs}").status_code == 404
        assert casey.get("/subscriptions/sub_nope").status_code == 404
        for step in ("pause/review", "pause", "cancel/review", "cancel"):
            refused = casey.post(f"/subscriptions/{theirs}/{step}", {"skip": "1"})
            assert refused.status_code == 404, step
    assert office.get(theirs).status == "active"
    with office.db.session(office.made.business.id) as session:
        business = session.get(Business, office.made.business.id)
        assert business is not None
        business.allow_subscriptions = False
    with office.portal(office.robin) as robin:
        assert ">Plans<" not in robin.get("/home").text
        assert robin.get("/subscriptions").status_code == 404
        assert robin.post(f"/subscriptions/{theirs}/cancel", {}).status_code == 404
    assert office.get(theirs).cancel_at_period_end is False
