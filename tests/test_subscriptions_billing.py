"""The scheduler bills subscriptions with the clock moved, never the wall clock: one invoice per
period across months, a leap day, a change of clocks and days of downtime; pauses, ends and
cancellations respected; two runners at once bill each period once; the books hold after each
step."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from frontdesk.db import Database
from frontdesk.models import (
    AuditEvent,
    Customer,
    Initiator,
    Interval,
    Invoice,
    OutboxItem,
    Subscription,
    SubscriptionPeriod,
)
from frontdesk.services import audit, businesses, subscriptions
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.errors import Invalid
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from frontdesk.services.subscriptions.periods import due_at, period_span
from tests.factories import make_business, make_customer

ZONE = "America/New_York"
LINKS = Links(("k" * 40,), "http://frontdesk.test")


def at(day: date, hour: int = 12) -> datetime:
    """Noon (or `hour`) that day in New York, as the clock gives it (UTC)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


class Shop:
    def __init__(self, db: Database, made: NewBusiness, customer: Customer) -> None:
        self.db, self.made, self.customer = db, made, customer

    def subscribe(self, start: date, **wanted: object) -> str:
        fields: dict[str, object] = {
            "name": "Weekly lawn care",
            "lines": [LineInput("Mowing and edging", 4500, tax_rate_bp=825)],
            "start_on": start.isoformat(),
            **wanted,
        }
        with self.db.session(self.made.business.id) as session:
            business = businesses.get(session, self.made.business.id)
            made = subscriptions.create(
                session,
                business=business,
                customer=self.customer,
                wanted=subscriptions.Wanted(**fields),  # type: ignore[arg-type]
                actor=audit.Actor(Initiator.STAFF, self.made.owner.id),
                today=start,
                now=at(start, 8),
            )
            return made.id

    def run(self, now: datetime) -> int:
        decided = subscriptions.bill_due(self.db, LINKS, now)
        self.books_hold(now)
        return decided

    def books_hold(self, now: datetime) -> None:
        with self.db.session(self.made.business.id) as session:
            business = businesses.get(session, self.made.business.id)
            report = ledger.check(session, business=business, processor=None, now=now)
        assert report.problems == [], report.problems

    def invoices(self) -> list[Invoice]:
        with self.db.session(self.made.business.id) as session:
            return list(session.exec(select(Invoice).order_by(col(Invoice.issue_date))))

    def periods(self, subscription_id: str) -> list[SubscriptionPeriod]:
        with self.db.session(self.made.business.id) as session:
            return list(
                session.exec(
                    select(SubscriptionPeriod)
                    .where(SubscriptionPeriod.subscription_id == subscription_id)
                    .order_by(col(SubscriptionPeriod.period))
                )
            )

    def subscription(self, subscription_id: str) -> Subscription:
        with self.db.session(self.made.business.id) as session:
            found = session.get(Subscription, subscription_id)
            assert found is not None
            return found

    def emails(self) -> list[str]:
        with self.db.session(self.made.business.id) as session:
            rows = session.exec(select(OutboxItem).where(OutboxItem.kind == "email"))
            return [item.payload["subject"] for item in rows]

    def change(self, subscription_id: str, action: str, now: datetime, **kw: str) -> None:
        with self.db.session(self.made.business.id) as session:
            business = businesses.get(session, self.made.business.id)
            found = session.get(Subscription, subscription_id)
            assert found is not None
            actor = audit.Actor(Initiator.STAFF, self.made.owner.id)
            if action == "pause":
                subscriptions.pause(
                    session,
                    business=business,
                    subscription=found,
                    until=kw.get("until", ""),
                    skip=kw.get("skip", ""),
                    actor=actor,
                    today=now.astimezone(ZoneInfo(ZONE)).date(),
                    now=now,
                )
            else:
                subscriptions.cancel(
                    session,
                    business=business,
                    subscription=found,
                    mode=kw["mode"],
                    actor=actor,
                    now=now,
                )


@pytest.fixture
def shop(db: Database) -> Shop:
    made = make_business(db, time_zone=ZONE)
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business, name="Casey")
    return Shop(db, made, customer)


def test_monthly_from_the_31st_across_a_leap_february(shop: Shop) -> None:
    plan = shop.subscribe(date(2028, 1, 31), every="month")
    for day in (date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30)):
        # Not before the day (05:00 is before 06:00 where the business is) ...
        shop.run(at(day, 5))
        assert day not in [invoice.issue_date for invoice in shop.invoices()]
        # ... once on the day, however often the scheduler looks.
        assert shop.run(at(day)) == 1
        assert shop.run(at(day, 18)) == 0
    assert [i.issue_date for i in shop.invoices()] == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
    ]
    assert {i.total for i in shop.invoices()} == {4871}  # 45.00 and 8.25 % tax
    assert {i.subscription_id for i in shop.invoices()} == {plan}
    assert [(p.starts_on, p.ends_on) for p in shop.periods(plan)][1] == (
        date(2028, 2, 29),
        date(2028, 3, 30),
    )
    assert shop.subscription(plan).next_period_start == date(2028, 5, 31)


def test_a_weekly_plan_falls_due_at_six_in_the_morning_across_the_change_of_clocks(
    shop: Shop,
) -> None:
    """New York springs forward on 12 March 2028: six o'clock is 11:00 UTC before, 10:00 after."""
    shop.subscribe(date(2028, 3, 5), every="week")
    assert shop.run(datetime(2028, 3, 5, 11, 0, tzinfo=UTC)) == 1
    assert shop.run(datetime(2028, 3, 12, 9, 59, tzinfo=UTC)) == 0
    assert shop.run(datetime(2028, 3, 12, 10, 0, tzinfo=UTC)) == 1
    assert [i.issue_date for i in shop.invoices()] == [date(2028, 3, 5), date(2028, 3, 12)]


def test_after_days_away_every_period_is_billed_once_and_only_the_recent_ones_emailed(
    shop: Shop,
) -> None:
    plan = shop.subscribe(date(2028, 6, 1), every="week")
    # The server was down for seven weeks: every week is owed, none twice.
    assert shop.run(at(date(2028, 7, 14))) == 7
    assert shop.run(at(date(2028, 7, 14))) == 0
    periods = shop.periods(plan)
    assert [p.outcome for p in periods] == ["invoiced"] * 7
    # Only the week that fell due within the last three days is announced by email.
    assert [p.quiet for p in periods] == [True] * 6 + [False]
    notices = [subject for subject in shop.emails() if subject.startswith("Invoice")]
    assert len(notices) == 1
    with shop.db.session(shop.made.business.id) as session:
        caught = session.exec(
            select(AuditEvent).where(AuditEvent.action == "subscription.caught_up")
        ).all()
    assert len(caught) == 6
    assert {i.status for i in shop.invoices()} == {"open"}


def test_a_pause_skips_periods_and_billing_resumes_by_itself(shop: Shop) -> None:
    plan = shop.subscribe(date(2028, 1, 10), every="month")
    shop.run(at(date(2028, 1, 10)))
    shop.change(plan, "pause", at(date(2028, 1, 20)), until="2028-03-15")
    for day in (date(2028, 2, 10), date(2028, 3, 10), date(2028, 4, 10)):
        shop.run(at(day))
    assert [p.outcome for p in shop.periods(plan)] == ["invoiced", "skipped", "skipped", "invoiced"]
    assert shop.subscription(plan).status == "active"
    shop.change(plan, "pause", at(date(2028, 4, 20)), skip="1")
    for day in (date(2028, 5, 10), date(2028, 6, 10)):
        shop.run(at(day))
    assert [p.outcome for p in shop.periods(plan)][4:] == ["skipped", "invoiced"]


def test_cancelled_at_period_end_and_ended_plans_bill_no_more(shop: Shop) -> None:
    plan = shop.subscribe(date(2028, 1, 10), every="month")
    counted = shop.subscribe(date(2028, 1, 10), every="quarter", max_periods="2")
    shop.run(at(date(2028, 1, 10)))
    shop.change(plan, "cancel", at(date(2028, 1, 20)), mode="period_end")
    assert shop.subscription(plan).status == "active"
    shop.run(at(date(2028, 12, 31)))
    assert shop.subscription(plan).status == "canceled"
    assert len(shop.periods(plan)) == 1
    assert shop.subscription(counted).status == "ended"
    assert [p.starts_on for p in shop.periods(counted)] == [date(2028, 1, 10), date(2028, 4, 10)]


def test_bad_plans_are_refused_and_nothing_is_stored(shop: Shop) -> None:
    start = date(2028, 1, 10)
    for wanted, field in (
        ({"count": 0}, "count"),
        ({"end_on": "2028-01-01"}, "end_on"),
        ({"every": "fortnight"}, "every"),
        ({"lines": []}, "lines"),
        ({"max_periods": "zero"}, "max_periods"),
    ):
        with pytest.raises(Invalid) as refused:
            shop.subscribe(start, **wanted)
        assert field in refused.value.fields
    plan = shop.subscribe(start)
    with pytest.raises(Invalid) as refused:
        shop.change(plan, "pause", at(start), until="2027-12-01")
    assert "until" in refused.value.fields
    with shop.db.session(shop.made.business.id) as session:
        assert len(session.exec(select(Subscription)).all()) == 1
    assert shop.subscription(plan).status == "active"


def test_two_runners_at_once_bill_each_period_once(shop: Shop) -> None:
    plan = shop.subscribe(date(2028, 6, 1), every="week")
    barrier, counts = threading.Barrier(2), [0, 0]

    def run(index: int) -> None:
        barrier.wait()
        counts[index] = subscriptions.bill_due(shop.db, LINKS, at(date(2028, 6, 29)))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 5
    assert [p.period for p in shop.periods(plan)] == [0, 1, 2, 3, 4]
    assert len(shop.invoices()) == 5
    shop.books_hold(at(date(2028, 6, 29)))


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)),
    interval=st.sampled_from(list(Interval)),
    count=st.integers(min_value=1, max_value=12),
    zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney", "UTC"]),
)
def test_periods_never_gap_or_overlap_and_fall_due_at_six_local(
    start: date, interval: Interval, count: int, zone: str
) -> None:
    previous_end = start - timedelta(days=1)
    for n in range(14):
        first, last = period_span(start, interval, count, n)
        assert first == previous_end + timedelta(days=1) and last >= first
        # Month periods keep the start's day where the month has it.
        if interval != Interval.WEEK and start.day <= 28:
            assert first.day == start.day
        local = due_at(first, zone).astimezone(ZoneInfo(zone))
        assert local.date() == first and local.hour in (6, 7)
        previous_end = last
