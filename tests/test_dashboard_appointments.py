"""The dashboard's appointments over real HTTP, the clock fixed: the day and week lists, the
business's yes or no, moving, cancelling, blocking time, booking for a customer (once, however
often the form is sent) and for a service request; refusals that keep the form and change
nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlmodel import select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import (
    Appointment,
    AppointmentStatus,
    Customer,
    Estimate,
    EstimateStatus,
    ServiceRequest,
)
from frontdesk.services import booking
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.security.state import state_of
from tests.test_booking import MONDAY, NOW, STAFF, Shop, assert_no_overlap, at
from tests.test_dashboard import Desk

TUESDAY = date(2026, 11, 3)


class Counter:
    """The shop of tests/test_booking.py behind a live server whose clock stands at NOW, and its
    owner signed in to the dashboard."""

    def __init__(self, shop: Shop, desk: Desk) -> None:
        self.shop, self.desk = shop, desk

    def state(self) -> str:
        return state_of(self.shop.db)

    def pending(self, customer: Customer, starts_at: datetime) -> Appointment:
        """A customer's booking waiting for the business's answer, as the portal makes one."""
        with self.shop.db.session(self.shop.id) as session:
            business = self.shop.business(session)
            held = booking.hold(
                session,
                business=business,
                customer=customer,
                service_id=self.shop.service,
                starts_at=starts_at,
                now=NOW,
            )
            return booking.confirm_hold(
                session, business=business, customer=customer, appointment_id=held.id, now=NOW
            )

    def crew(self) -> str:
        with self.shop.db.session(self.shop.id) as session:
            return booking.default_crew(session, self.shop.business(session)).id

    def appointments(self) -> list[Appointment]:
        with self.shop.db.session(self.shop.id) as session:
            return list(session.exec(select(Appointment)))


def serve(db: Database, settings: Settings, shop: Shop) -> Iterator[Counter]:
    app = create_app(settings, db)
    app.state.clock = lambda: NOW
    server = LiveServer(app).start()
    desk = Desk(server.url, shop.made.owner.email)
    try:
        yield Counter(shop, desk)
    finally:
        desk.close()
        server.stop()


@pytest.fixture
def counter(db: Database, settings: Settings) -> Iterator[Counter]:
    yield from serve(db, settings, Shop(db))


@pytest.fixture
def asking_counter(db: Database, settings: Settings) -> Iterator[Counter]:
    """A shop whose bookings wait for its confirmation."""
    yield from serve(db, settings, Shop(db, confirm=True))


def form_key(page: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found, "the booking form carries its key"
    return found.group(1)


def test_the_day_and_week_lists_show_times_in_the_business_zone(counter: Counter) -> None:
    shop, desk = counter.shop, counter.desk
    robin = shop.customer(name="Robin Hill")
    visit = shop.book(robin, at(MONDAY, 9))
    with shop.db.session(shop.id) as session:
        booking.block_time(
            session,
            business=shop.business(session),
            crew_id=counter.crew(),
            starts_at=at(TUESDAY, 12),
            ends_at=at(TUESDAY, 17),
            now=NOW,
            actor=STAFF,
            notes="Training day",
        )
    day = desk.get("/appointments", day=MONDAY.isoformat())
    assert day.status_code == 200
    assert 'aria-current="page">Appointments' in day.text  # in the nav, as this page
    assert "Mon, Nov 2" in day.text and "9:00\u202fAM" in day.text  # New York, not UTC (14:00)
    assert "Robin Hill" in day.text and "Boiler service" in day.text and "Confirmed" in day.text
    assert f"/dashboard/customers/{robin.id}" in day.text
    assert f"/dashboard/appointments/{visit.id}" in day.text
    assert "Training day" not in day.text  # Tuesday's
    assert "day=2026-11-01&amp;span=day" in day.text and "day=2026-11-03&amp;span=day" in day.text
    week = desk.get("/appointments", day=TUESDAY.isoformat(), span="week")
    assert "Robin Hill" in week.text and "Training day" in week.text
    assert "Blocked time" in week.text and "Default" in week.text
    assert "day=2026-10-26&amp;span=week" in week.text  # the Monday before
    assert "Waiting for your answer" not in week.text
    nothing = desk.get("/appointments", day="not-a-day")  # today (NOW): nothing booked
    assert nothing.status_code == 200 and "Nothing booked." in nothing.text


def test_pending_bookings_wait_for_an_answer_then_are_confirmed_or_declined(
    asking_counter: Counter,
) -> None:
    counter = asking_counter
    shop, desk = counter.shop, counter.desk
    first = counter.pending(shop.customer(name="Avery Asker"), at(MONDAY, 9))
    second = counter.pending(shop.customer(name="Blake Asker"), at(MONDAY, 13))
    listed = desk.get("/appointments", day=TUESDAY.isoformat())  # another day: still waiting
    waiting = listed.text.split("Waiting for your answer", 1)[1].split("</section>", 1)[0]
    assert "Avery Asker" in waiting and "Blake Asker" in waiting
    assert "Pending confirmation" in waiting
    confirmed = desk.post(f"/appointments/{first.id}/decide", {"answer": "confirm"})
    assert (
        confirmed.status_code == 200 and "Confirmed; the customer has an email." in confirmed.text
    )
    declined = desk.post(
        f"/appointments/{second.id}/decide", {"answer": "decline", "reason": "No parts that day"}
    )
    assert declined.status_code == 200 and "Declined" in declined.text
    rows = {row.id: row for row in counter.appointments()}
    assert rows[first.id].status == AppointmentStatus.CONFIRMED
    assert rows[second.id].status == AppointmentStatus.CANCELED
    assert rows[second.id].cancel_reason == "No parts that day"
    before = counter.state()
    again = desk.post(f"/appointments/{second.id}/decide", {"answer": "confirm"})
    assert again.status_code == 422 and "not waiting for an answer" in again.text
    assert counter.state() == before
    assert "Waiting for your answer" not in desk.get("/appointments").text


def test_the_business_moves_a_visit_to_a_free_time_and_cancels_it(counter: Counter) -> None:
    shop, desk = counter.shop, counter.desk
    visit = shop.book(shop.customer(name="Robin Hill"), at(MONDAY, 9))
    shop.book(shop.customer(name="Other Person"), at(TUESDAY, 13))
    page = desk.get(f"/appointments/{visit.id}", day=TUESDAY.isoformat())
    assert page.status_code == 200 and "Free times on 2026-11-03" in page.text
    assert at(TUESDAY, 10).isoformat() in page.text
    assert at(TUESDAY, 13).isoformat() not in page.text  # taken
    before = counter.state()
    taken = desk.post(
        f"/appointments/{visit.id}/reschedule",
        {"starts_at": at(TUESDAY, 13).isoformat(), "day": TUESDAY.isoformat()},
    )
    assert taken.status_code == 422 and "Free times nearby" in taken.text
    assert 'name="day" value="2026-11-03"' in taken.text  # still on the day asked
    assert counter.state() == before
    moved = desk.post(
        f"/appointments/{visit.id}/reschedule",
        {"starts_at": at(TUESDAY, 10).isoformat(), "day": TUESDAY.isoformat()},
    )
    assert moved.status_code == 200 and "Moved" in moved.text
    assert shop.appointment(visit.id).starts_at == at(TUESDAY, 10)
    assert at(MONDAY, 9) in shop.slots()
    canceled = desk.post(f"/appointments/{visit.id}/cancel", {"reason": "Customer phoned"})
    assert canceled.status_code == 200 and "Canceled." in canceled.text
    gone = shop.appointment(visit.id)
    assert (gone.status, gone.cancel_reason) == (AppointmentStatus.CANCELED, "Customer phoned")
    assert at(TUESDAY, 10) in shop.slots()
    assert assert_no_overlap(shop.db, NOW) == 1


def test_blocked_time_is_added_in_local_time_and_removed(counter: Counter) -> None:
    shop, desk = counter.shop, counter.desk
    crew = counter.crew()
    before = counter.state()
    backwards = {
        "crew": crew,
        "starts_at": "2026-11-02T12:00",
        "ends_at": "2026-11-02T11:00",
        "notes": "Training",
        "day": MONDAY.isoformat(),
        "span": "day",
    }
    refused = desk.post("/appointments/block", backwards)
    assert refused.status_code == 422 and "Pick a later end." in refused.text
    assert 'value="2026-11-02T12:00"' in refused.text and 'value="Training"' in refused.text
    foreign = desk.post("/appointments/block", {**backwards, "crew": "crew_theirs"})
    assert foreign.status_code == 422 and "Choose one of your crews." in foreign.text
    assert counter.state() == before
    blocked = desk.post("/appointments/block", {**backwards, "ends_at": "2026-11-02T17:00"})
    assert blocked.status_code == 200 and "The time is blocked." in blocked.text
    assert "Training" in blocked.text and "Blocked time" in blocked.text
    [row] = counter.appointments()
    assert (row.blocked_from, row.blocked_until) == (at(MONDAY, 12), at(MONDAY, 17))
    assert at(MONDAY, 12) not in shop.slots()
    over = {**backwards, "starts_at": "2026-11-02T16:00", "ends_at": "2026-11-02T18:00"}
    over_answer = desk.post("/appointments/block", over)
    assert over_answer.status_code == 422 and "Move or cancel them first" in over_answer.text
    page = desk.get(f"/appointments/{row.id}")
    assert "Remove this blocked time" in page.text and "Move to another time" not in page.text
    removed = desk.post(f"/appointments/{row.id}/cancel")
    assert removed.status_code == 200 and "Canceled" in removed.text
    assert shop.appointment(row.id).status == AppointmentStatus.CANCELED


def test_booking_for_a_customer_books_once_however_often_the_form_is_sent(
    counter: Counter,
) -> None:
    shop, desk = counter.shop, counter.desk
    robin = shop.customer(name="Robin Hill")
    customer_page = desk.get(f"/customers/{robin.id}")
    assert f"/dashboard/appointments/new?customer={robin.id}" in html.unescape(customer_page.text)
    chosen = desk.get(
        "/appointments/new", customer=robin.id, service=shop.service, day=MONDAY.isoformat()
    )
    assert chosen.status_code == 200 and "Book a visit for Robin Hill" in chosen.text
    assert "9:00\u202fAM" in chosen.text and at(MONDAY, 9).isoformat() in chosen.text
    form = {
        "customer": robin.id,
        "service": shop.service,
        "day": MONDAY.isoformat(),
        "starts_at": at(MONDAY, 9).isoformat(),
        "notes": "Side gate",
        "key": form_key(chosen.text),
    }
    first = desk.post("/appointments", form)
    second = desk.post("/appointments", form)
    assert first.status_code == second.status_code == 204
    assert first.headers["HX-Location"] == second.headers["HX-Location"]
    [made] = counter.appointments()
    assert first.headers["HX-Location"].endswith(f"/dashboard/appointments/{made.id}")
    assert (made.customer_id, made.starts_at, made.notes) == (robin.id, at(MONDAY, 9), "Side gate")
    assert made.status == AppointmentStatus.CONFIRMED
    shown = desk.get(f"/appointments/{made.id}")
    assert "Robin Hill" in shown.text and "Side gate" in shown.text
    assert len(shop.outbox("email")) == 2  # the customer and the business, once


def test_a_taken_past_or_closed_time_is_refused_with_the_form_kept(counter: Counter) -> None:
    shop, desk = counter.shop, counter.desk
    robin = shop.customer(name="Robin Hill")
    shop.book(shop.customer(name="Quick Person"), at(MONDAY, 9))
    chosen = desk.get("/appointments/new", customer=robin.id, service=shop.service)
    form = {
        "customer": robin.id,
        "service": shop.service,
        "day": MONDAY.isoformat(),
        "notes": "Side gate",
        "key": form_key(chosen.text),
    }
    theirs = make_business(shop.db)
    with shop.db.session(theirs.business.id) as session:
        stranger = make_customer(session, theirs.business, name="Secret Person")
    before = counter.state()
    for starts_at, message in (
        (at(MONDAY, 9), "Free times nearby"),
        (at(date(2026, 10, 28), 10), "Choose a time in the future."),
        (at(MONDAY, 20), "Choose one of the times offered."),
        (None, "Choose one of the free times."),
    ):
        sent = {**form, "starts_at": starts_at.isoformat() if starts_at else "nine"}
        refused = desk.post("/appointments", sent)
        assert refused.status_code == 422, (starts_at, refused.text)
        assert message in refused.text, starts_at
        assert "Side gate" in refused.text and "Book a visit for Robin Hill" in refused.text
        assert form["key"] in refused.text  # the same form: sent again, it still books once
    foreign = desk.post("/appointments", {**form, "customer": stranger.id})
    assert foreign.status_code == 422 and "Secret Person" not in foreign.text
    assert counter.state() == before


def test_a_service_request_becomes_a_visit(counter: Counter) -> None:
    shop, desk = counter.shop, counter.desk
    casey = shop.customer(name="Casey Caller")
    with shop.db.session(shop.id) as session:
        request = ServiceRequest(
            business_id=shop.id,
            customer_id=casey.id,
            number="REQ-7",
            description="The boiler knocks.",
        )
        session.add(request)
    request_page = desk.get(f"/requests/{request.id}")
    assert f"/dashboard/appointments/new?service_request={request.id}" in html.unescape(
        request_page.text
    )
    chosen = desk.get(
        "/appointments/new",
        service_request=request.id,
        service=shop.service,
        day=MONDAY.isoformat(),
    )
    assert "Book a visit for Casey Caller" in chosen.text and "REQ-7" in chosen.text
    booked = desk.post(
        "/appointments",
        {
            "service_request": request.id,
            "customer": "",
            "service": shop.service,
            "starts_at": at(MONDAY, 11).isoformat(),
            "key": form_key(chosen.text),
        },
    )
    assert booked.status_code == 204, booked.text
    [made] = counter.appointments()
    assert (made.customer_id, made.service_request_id) == (casey.id, request.id)


def test_an_approved_estimate_becomes_a_visit_and_an_open_one_does_not(counter: Counter) -> None:
    shop, desk = counter.shop, counter.desk
    casey = shop.customer(name="Casey Approver")
    with shop.db.session(shop.id) as session:
        approved, sent = (
            Estimate(
                business_id=shop.id,
                customer_id=casey.id,
                number=number,
                status=status,
                currency="USD",
                issue_date=date(2026, 10, 20),
                expires_on=date(2026, 11, 20),
                total=90000,
                decided_at=NOW,
            )
            for number, status in (("EST-9", EstimateStatus.ACCEPTED), ("EST-10", "sent"))
        )
        session.add_all([approved, sent])
        business = shop.business(session)
        business.allow_booking = True
        session.add(business)
    assert f"/dashboard/appointments/new?estimate={approved.id}" in html.unescape(
        desk.get(f"/estimates/{approved.id}").text
    )
    assert "/dashboard/appointments/new?estimate=" not in html.unescape(
        desk.get(f"/estimates/{sent.id}").text
    )
    chosen = desk.get(
        "/appointments/new", estimate=approved.id, service=shop.service, day=MONDAY.isoformat()
    )
    assert "Book a visit for Casey Approver" in chosen.text and "EST-9" in chosen.text
    before = counter.state()
    typed = {"customer": "", "service": shop.service, "starts_at": at(MONDAY, 11).isoformat()}
    refused = desk.post("/appointments", {**typed, "estimate": sent.id, "key": "k-sent"})
    assert refused.status_code == 422 and "Book once the customer approves." in refused.text
    assert counter.state() == before
    booked = desk.post("/appointments", {**typed, "estimate": approved.id, "key": "k-approved"})
    assert booked.status_code == 204, booked.text
    [made] = counter.appointments()
    assert (made.customer_id, made.estimate_id) == (casey.id, approved.id)


def test_another_business_appointment_is_not_found_and_nothing_changes(
    counter: Counter,
) -> None:
    desk = counter.desk
    theirs = Shop(counter.shop.db)
    visit = theirs.book(theirs.customer(name="Secret Person"), at(MONDAY, 9))
    before = counter.state()
    assert desk.get(f"/appointments/{visit.id}").status_code == 404
    for action, data in (
        ("decide", {"answer": "decline"}),
        ("cancel", {"reason": "mine now"}),
        ("reschedule", {"starts_at": at(MONDAY, 11).isoformat()}),
    ):
        answer = desk.post(f"/appointments/{visit.id}/{action}", data)
        assert answer.status_code == 404, action
        assert "Secret Person" not in answer.text
    listed = desk.get("/appointments", day=MONDAY.isoformat(), span="week")
    assert "Secret Person" not in listed.text
    assert counter.state() == before
