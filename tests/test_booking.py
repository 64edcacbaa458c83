"""Booking against the database, the clock moved by hand: holds, bookings, a race for one slot,
refusals that change nothing, moves and cancels within the policy, the business's yes or no,
blocked time, the day-before reminder with its calendar file. Every test that books checks that
no two active appointments of one crew overlap."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from frontdesk.db import Database
from frontdesk.models import (
    BLOCKING,
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    AuditEvent,
    Business,
    Customer,
    Initiator,
    OutboxItem,
)
from frontdesk.services import audit, booking, businesses
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.links import Links
from tests.factories import make_business, make_customer
from tests.interleave import together
from tests.security.state import state_of

ZONE = "America/New_York"
LINKS = Links(("k" * 40,), "http://frontdesk.test")
STAFF = audit.Actor(Initiator.STAFF, "staff_1")
# Monday 2 November 2026, the day after New York falls back.
MONDAY = date(2026, 11, 2)
NOW = datetime(2026, 10, 29, 12, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


class Shop:
    """A New York business open 09:00-17:00 on weekdays, one 60-minute service with 30 minutes
    after each visit, serving postcodes starting 100 and 112."""

    def __init__(self, db: Database, *, confirm: bool = False) -> None:
        self.db = db
        self.made = make_business(db, time_zone=ZONE)
        self.id = self.made.business.id
        with db.session(self.id) as session:
            business = self.business(session)
            self.service = booking.create_service(
                session,
                business=business,
                name="Boiler service",
                duration_min=60,
                buffer_after_min=30,
                min_notice_min=120,
                max_days_ahead=30,
                slot_step_min=30,
                requires_confirmation=confirm,
                actor=STAFF,
            ).id
            booking.set_hours(
                session,
                business=business,
                hours=[(day, time(9), time(17)) for day in range(5)],
                actor=STAFF,
            )
            booking.set_area(session, business=business, prefixes=["100", "112"], actor=STAFF)

    def business(self, session: object) -> Business:
        return businesses.get(session, self.id)  # type: ignore[arg-type]

    def customer(self, postal_code: str = "10001", **fields: object) -> Customer:
        with self.db.session(self.id) as session:
            return make_customer(session, self.made.business, postal_code=postal_code, **fields)

    def book(self, customer: Customer, starts_at: datetime, now: datetime = NOW) -> Appointment:
        with self.db.session(self.id) as session:
            return booking.book(
                session,
                business=self.business(session),
                customer_id=customer.id,
                service_id=self.service,
                starts_at=starts_at,
                now=now,
                actor=STAFF,
            )

    def slots(self, now: datetime = NOW, days: int = 7) -> list[datetime]:
        with self.db.session(self.id) as session:
            return booking.free_slots(
                session,
                business=self.business(session),
                service_id=self.service,
                now=now,
                days=days,
            )

    def outbox(self, kind: str) -> list[dict[str, object]]:
        with self.db.session(self.id) as session:
            rows = session.exec(
                select(OutboxItem)
                .where(OutboxItem.kind == kind)
                .order_by(col(OutboxItem.created_at))
            )
            return [row.payload for row in rows]

    def appointment(self, appointment_id: str) -> Appointment:
        with self.db.session(self.id) as session:
            found = session.get(Appointment, appointment_id)
            assert found is not None
            return found


def assert_no_overlap(db: Database, now: datetime) -> int:
    """The invariant: no two active appointments of one crew overlap, buffers included."""
    with db.unscoped("the test reads every active appointment") as session:
        rows = [
            row
            for row in session.exec(
                select(Appointment).where(col(Appointment.status).in_(BLOCKING))
            )
            if row.status != AppointmentStatus.HELD or (row.hold_expires_at or now) > now
        ]
    for a, b in combinations(rows, 2):
        if a.crew_id == b.crew_id:
            assert not (a.blocked_from < b.blocked_until and b.blocked_from < a.blocked_until), (
                a,
                b,
            )
    return len(rows)


@pytest.fixture
def shop(db: Database) -> Shop:
    return Shop(db)


def test_slots_follow_the_hours_the_buffer_and_the_notice(shop: Shop) -> None:
    found = shop.slots()
    assert found[0] == at(date(2026, 10, 29), 10)  # 08:00 there now, plus two hours' notice
    monday = [s for s in found if s.astimezone(ZoneInfo(ZONE)).date() == MONDAY]
    assert monday[0] == at(MONDAY, 9) and monday[-1] == at(MONDAY, 16)
    shop.book(shop.customer(), at(MONDAY, 10))
    monday = [s for s in shop.slots() if s.astimezone(ZoneInfo(ZONE)).date() == MONDAY]
    # It keeps 10:00-11:30; a visit at 09:00 would keep 09:00-10:30, into it.
    assert at(MONDAY, 9) not in monday and monday[0] == at(MONDAY, 11, 30)
    assert assert_no_overlap(shop.db, NOW) == 1


def test_a_hold_then_its_confirmation_books_and_tells_both_sides(shop: Shop) -> None:
    customer = shop.customer()
    with shop.db.session(shop.id) as session:
        held = booking.hold(
            session,
            business=shop.business(session),
            customer=customer,
            service_id=shop.service,
            starts_at=at(MONDAY, 9),
            now=NOW,
        )
    assert at(MONDAY, 9) not in shop.slots()  # nobody else is offered a held slot
    with shop.db.session(shop.id) as session:
        booked = booking.confirm_hold(
            session,
            business=shop.business(session),
            customer=customer,
            appointment_id=held.id,
            now=NOW + timedelta(minutes=2),
        )
    assert booked.status == AppointmentStatus.CONFIRMED and booked.hold_expires_at is None
    emails = shop.outbox("email")
    assert emails[0]["to"] == customer.email
    assert emails[0]["attachment"] == f"appointment:{held.id}"
    assert any(e["to"] == shop.made.owner.email for e in emails)
    events = [e["type"] for e in shop.outbox("event")]
    assert events == ["appointment.booked"]
    with shop.db.session(shop.id) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "appointment.booked" in actions
    assert assert_no_overlap(shop.db, NOW) == 1


def test_an_expired_hold_stops_blocking_without_any_job(shop: Shop) -> None:
    first, second = shop.customer(), shop.customer()
    with shop.db.session(shop.id) as session:
        held = booking.hold(
            session,
            business=shop.business(session),
            customer=first,
            service_id=shop.service,
            starts_at=at(MONDAY, 9),
            now=NOW,
        )
    later = NOW + booking.HOLD + timedelta(seconds=1)
    assert at(MONDAY, 9) in shop.slots(later)
    shop.book(second, at(MONDAY, 9), now=later)
    assert shop.appointment(held.id).status == AppointmentStatus.CANCELED
    assert assert_no_overlap(shop.db, later) == 1


def test_racing_customers_get_one_booking_and_the_rest_fresh_slots(shop: Shop) -> None:
    racers = [shop.customer() for _ in range(6)]

    def race(customer: Customer) -> Appointment | Invalid:
        try:
            return shop.book(customer, at(MONDAY, 10))
        except Invalid as refused:
            return refused

    results = together(
        shop.db.engine,
        *[lambda c=c: race(c) for c in racers],  # type: ignore[misc]
        marker="UPDATE crew SET",
    )
    won = [r for r in results if isinstance(r, Appointment)]
    lost = [r for r in results if isinstance(r, booking.Taken)]
    assert len(won) == 1 and len(lost) == 5, results
    for refusal in lost:
        assert refusal.message == "That time was just taken. Please choose another."
        assert refusal.slots and at(MONDAY, 10) not in refusal.slots
        assert at(MONDAY, 11, 30) in refusal.slots
    assert assert_no_overlap(shop.db, NOW) == 1


@pytest.mark.parametrize(
    ("starts_at", "postal_code", "message"),
    [
        (at(date(2026, 10, 28), 10), "10001", "That time has passed."),
        (at(date(2026, 10, 29), 9), "10001", "That is too soon to book."),
        (at(date(2026, 12, 28), 10), "10001", "That is too far ahead to book."),
        (at(MONDAY, 18), "10001", "That time is outside our hours."),
        (at(MONDAY, 10, 15), "10001", "That time is outside our hours."),
        (at(date(2026, 11, 1), 10), "10001", "That time is outside our hours."),  # a Sunday
        (at(MONDAY, 10), "94110", "We do not serve that area."),
        (at(MONDAY, 10), "", "We need the address of the visit first."),
        (at(MONDAY, 11), "10001", "That time was just taken. Please choose another."),
    ],
)
def test_bad_bookings_are_refused_in_words_and_change_nothing(
    shop: Shop, starts_at: datetime, postal_code: str, message: str
) -> None:
    shop.book(shop.customer(), at(MONDAY, 11))
    customer = shop.customer(postal_code=postal_code)
    before = state_of(shop.db)
    with pytest.raises(Invalid) as refused:
        shop.book(customer, starts_at)
    assert refused.value.message == message
    assert state_of(shop.db) == before
    assert assert_no_overlap(shop.db, NOW) == 1


def test_another_customers_appointment_is_not_found_and_nothing_changes(shop: Shop) -> None:
    mine = shop.book(shop.customer(), at(MONDAY, 9))
    stranger = shop.customer()
    before = state_of(shop.db)
    for act in (booking.cancel, booking.reschedule):
        with shop.db.session(shop.id) as session, pytest.raises(NotFound):
            extra = {"starts_at": at(MONDAY, 13)} if act is booking.reschedule else {}
            act(
                session,
                business=shop.business(session),
                appointment_id=mine.id,
                now=NOW,
                actor=audit.Actor(Initiator.CUSTOMER, stranger.id),
                customer_id=stranger.id,
                **extra,  # type: ignore[arg-type]
            )
    assert state_of(shop.db) == before


def test_customers_move_and_cancel_within_the_policy_window_only(shop: Shop) -> None:
    customer = shop.customer()
    mine = shop.book(customer, at(MONDAY, 9))
    me = audit.Actor(Initiator.CUSTOMER, customer.id)
    with shop.db.session(shop.id) as session:
        moved = booking.reschedule(
            session,
            business=shop.business(session),
            appointment_id=mine.id,
            starts_at=at(MONDAY, 14),
            now=NOW,
            actor=me,
            customer_id=customer.id,
        )
    assert moved.starts_at == at(MONDAY, 14) and moved.blocked_until == at(MONDAY, 15, 30)
    assert at(MONDAY, 9) in shop.slots()
    late = at(MONDAY, 14) - timedelta(hours=23)
    before = state_of(shop.db)
    with shop.db.session(shop.id) as session, pytest.raises(Invalid) as refused:
        booking.cancel(
            session,
            business=shop.business(session),
            appointment_id=mine.id,
            now=late,
            actor=me,
            customer_id=customer.id,
        )
    assert refused.value.message == "It is too late to change this appointment online."
    assert state_of(shop.db) == before
    with shop.db.session(shop.id) as session:  # the business may, any time
        booking.cancel(
            session, business=shop.business(session), appointment_id=mine.id, now=late, actor=STAFF
        )
    assert shop.appointment(mine.id).status == AppointmentStatus.CANCELED
    events = [e["type"] for e in shop.outbox("event")]
    assert events == ["appointment.booked", "appointment.rescheduled", "appointment.canceled"]
    assert assert_no_overlap(shop.db, late) == 0


def test_a_refused_move_keeps_the_old_time(shop: Shop) -> None:
    mine = shop.book(shop.customer(), at(MONDAY, 9))
    shop.book(shop.customer(), at(MONDAY, 14))
    before = state_of(shop.db)
    with shop.db.session(shop.id) as session, pytest.raises(booking.Taken):
        booking.reschedule(
            session,
            business=shop.business(session),
            appointment_id=mine.id,
            starts_at=at(MONDAY, 14, 30),
            now=NOW,
            actor=STAFF,
        )
    assert state_of(shop.db) == before
    assert assert_no_overlap(shop.db, NOW) == 2


def test_a_business_that_confirms_gets_pending_bookings_to_answer(db: Database) -> None:
    shop = Shop(db, confirm=True)
    customer = shop.customer()
    with shop.db.session(shop.id) as session:
        held = booking.hold(
            session,
            business=shop.business(session),
            customer=customer,
            service_id=shop.service,
            starts_at=at(MONDAY, 9),
            now=NOW,
        )
        booked = booking.confirm_hold(
            session,
            business=shop.business(session),
            customer=customer,
            appointment_id=held.id,
            now=NOW,
        )
    assert booked.status == AppointmentStatus.PENDING
    assert at(MONDAY, 9) not in shop.slots()  # a pending booking keeps its slot
    with shop.db.session(shop.id) as session:
        booking.decide(
            session,
            business=shop.business(session),
            appointment_id=held.id,
            accept=True,
            now=NOW,
            actor=STAFF,
        )
    assert shop.appointment(held.id).status == AppointmentStatus.CONFIRMED
    other = shop.book(shop.customer(), at(MONDAY, 13))
    with shop.db.session(shop.id) as session:
        other_row = session.get(Appointment, other.id)
        assert other_row is not None
        other_row.status = AppointmentStatus.PENDING
    with shop.db.session(shop.id) as session:
        booking.decide(
            session,
            business=shop.business(session),
            appointment_id=other.id,
            accept=False,
            reason="No parts that day",
            now=NOW,
            actor=STAFF,
        )
    declined = shop.appointment(other.id)
    assert declined.status == AppointmentStatus.CANCELED
    assert declined.cancel_reason == "No parts that day"
    assert at(MONDAY, 13) in shop.slots()
    assert assert_no_overlap(shop.db, NOW) == 1


def test_blocked_time_takes_its_slots_away_and_refuses_over_a_booking(shop: Shop) -> None:
    shop.book(shop.customer(), at(MONDAY, 9))
    with shop.db.session(shop.id) as session:
        business = shop.business(session)
        crew = booking.default_crew(session, business)
        booking.block_time(
            session,
            business=business,
            crew_id=crew.id,
            starts_at=at(MONDAY, 12),
            ends_at=at(MONDAY, 17),
            now=NOW,
            actor=STAFF,
            notes="Training",
        )
    monday = [s for s in shop.slots() if s.astimezone(ZoneInfo(ZONE)).date() == MONDAY]
    assert monday[-1] == at(MONDAY, 10, 30)  # 10:30-11:30, then 30 minutes, then the block
    before = state_of(shop.db)
    with shop.db.session(shop.id) as session, pytest.raises(Invalid):
        booking.block_time(
            session,
            business=shop.business(session),
            crew_id=crew.id,
            starts_at=at(MONDAY, 9),
            ends_at=at(MONDAY, 10),
            now=NOW,
            actor=STAFF,
        )
    assert state_of(shop.db) == before
    assert assert_no_overlap(shop.db, NOW) == 2


def test_the_database_refuses_an_overlap_the_lock_did_not_see(shop: Shop) -> None:
    """On PostgreSQL the exclusion constraint stands behind the lock: a row written by some
    other path (here a hold without an expiry, which the re-check does not count) still stops
    the booking, with the same words as a taken slot. SQLite has no such constraint."""
    if shop.db.engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    customer = shop.customer()
    with shop.db.session(shop.id) as session:
        crew = booking.default_crew(session, shop.business(session))
        session.add(
            Appointment(
                business_id=shop.id,
                customer_id=customer.id,
                service_id=shop.service,
                crew_id=crew.id,
                starts_at=at(MONDAY, 9),
                ends_at=at(MONDAY, 10),
                blocked_from=at(MONDAY, 9),
                blocked_until=at(MONDAY, 10, 30),
                status=AppointmentStatus.HELD,
            )
        )
    with pytest.raises(booking.Taken):
        shop.book(customer, at(MONDAY, 9))
    overlap = pytest.raises(IntegrityError, match="ex_appointment_crew_overlap")
    with overlap, shop.db.session(shop.id) as session:
        session.add(
            Appointment(
                business_id=shop.id,
                crew_id=crew.id,
                starts_at=at(MONDAY, 10),
                ends_at=at(MONDAY, 11),
                blocked_from=at(MONDAY, 10),
                blocked_until=at(MONDAY, 11),
                status=AppointmentStatus.CONFIRMED,
            )
        )


def test_the_reminder_goes_once_at_nine_the_day_before_with_its_calendar_file(
    shop: Shop,
) -> None:
    customer = shop.customer(address_line1="1 Main St, Apt 2", city="New York")
    mine = shop.book(customer, at(MONDAY, 10))
    other = shop.book(shop.customer(), at(MONDAY, 14))
    nine = at(date(2026, 11, 1), 9)  # Sunday 09:00, after the clocks went back
    assert booking.remind_due(shop.db, LINKS, nine - timedelta(minutes=1)) == 0
    assert booking.remind_due(shop.db, LINKS, nine) == 2
    assert booking.remind_due(shop.db, LINKS, nine + timedelta(minutes=1)) == 0
    with shop.db.session(shop.id) as session:
        decided = {
            r.appointment_id: (r.sent, r.reason) for r in session.exec(select(AppointmentReminder))
        }
        ics, name = booking.calendar_file(
            session, business=shop.business(session), appointment_id=mine.id
        )
    assert decided == {mine.id: (True, ""), other.id: (True, "")}
    reminders = [e for e in shop.outbox("email") if str(e["subject"]).startswith("Reminder")]
    assert len(reminders) == 2 and reminders[0]["attachment"] == f"appointment:{mine.id}"
    text = ics.decode()
    assert name == "appointment.ics" and text.endswith("\r\n")
    assert f"UID:{mine.id}@frontdesk\r\n" in text
    assert "DTSTART:20261102T150000Z\r\n" in text and "DTEND:20261102T160000Z\r\n" in text
    assert "LOCATION:1 Main St\\, Apt 2\\, New York\\, 10001" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_a_reminder_found_only_on_the_day_of_the_visit_is_skipped(shop: Shop) -> None:
    mine = shop.book(shop.customer(), at(MONDAY, 15))
    assert booking.remind_due(shop.db, LINKS, at(MONDAY, 8)) == 1
    with shop.db.session(shop.id) as session:
        record = session.get(AppointmentReminder, mine.id)
        assert record is not None and (record.sent, record.reason) == (False, "late")
    assert not [e for e in shop.outbox("email") if str(e["subject"]).startswith("Reminder")]
