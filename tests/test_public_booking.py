"""Booking without an account: a visitor's form in the portal, an emailed link (over real SMTP)
that books a pending appointment once, fresh times when the slot went meanwhile, refusals that
store and send nothing, the limits per address and per client, and the switch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import col, select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import (
    Appointment,
    AppointmentStatus,
    Business,
    Customer,
    Initiator,
    OutboxItem,
)
from frontdesk.services import audit, booking, businesses
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_jobs import free_port, start_smtp

ZONE = "America/New_York"
STAFF = audit.Actor(Initiator.STAFF, "staff_1")
MONDAY = date(2026, 11, 2)
NOW = datetime(2026, 10, 29, 12, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


class Shop:
    """A New York business taking requests from visitors: weekdays 09:00-17:00, one 60-minute
    service it does not ask to confirm (a visitor's request waits all the same), serving
    postcodes starting 100 and 112; its portal answered by a live server whose clock is NOW."""

    def __init__(self, db: Database, server: LiveServer, *, public: bool = True) -> None:
        self.db, self.server = db, server
        self.made = make_business(
            db, time_zone=ZONE, allow_booking=True, booking_public=public, portal_page_url=None
        )
        self.business = self.made.business
        with db.session(self.business.id) as session:
            self.service = booking.create_service(
                session,
                business=self.business,
                name="Boiler service",
                duration_min=60,
                min_notice_min=120,
                max_days_ahead=30,
                actor=STAFF,
            ).id
            booking.set_hours(
                session,
                business=self.business,
                hours=[(day, time(9), time(17)) for day in range(5)],
                actor=STAFF,
            )
            booking.set_area(session, business=self.business, prefixes=["100", "112"], actor=STAFF)
        server.app.state.clock = lambda: NOW  # type: ignore[union-attr]
        self.portal = httpx.Client(base_url=f"{server.url}/portal/{self.business.publishable_key}")

    def visit(self, **changes: str) -> dict[str, str]:
        fields = {
            "service_id": self.service,
            "starts_at": at(MONDAY, 10).isoformat(),
            "name": "Vera Visitor",
            "email": "vera@example.com",
            "phone": "+1 555 010 2200",
            "address_line1": "1 Main St",
            "city": "New York",
            "postal_code": "10001",
            "notes": "Side door, please.",
            "website": "",
        }
        return {**fields, **changes}

    def ask(self, **changes: str) -> httpx.Response:
        return self.portal.post("/book-visit", data=self.visit(**changes))

    def emails(self) -> list[dict[str, str]]:
        with self.db.session(self.business.id) as session:
            rows = session.exec(select(OutboxItem).order_by(col(OutboxItem.created_at)))
            return [row.payload for row in rows if row.kind == "email"]

    def link(self) -> str:
        """The confirmation link of the latest email, on the live server."""
        text = self.emails()[-1]["text"]
        found = re.search(rf"/p/{self.business.slug}/book\?t=(\S+)", text)
        assert found, text
        return f"{self.server.url}/p/{self.business.slug}/book?t={found.group(1)}"

    def appointments(self) -> list[Appointment]:
        with self.db.session(self.business.id) as session:
            return list(session.exec(select(Appointment).order_by(col(Appointment.starts_at))))

    def customers(self) -> list[Customer]:
        with self.db.session(self.business.id) as session:
            return list(session.exec(select(Customer)))

    def close(self) -> None:
        self.portal.close()


@pytest.fixture
def shop(db: Database, live_server: LiveServer) -> Iterator[Shop]:
    made = Shop(db, live_server)
    yield made
    made.close()


def test_the_form_leads_from_service_to_day_to_time(shop: Shop) -> None:
    assert "New customer? Ask for a visit" in shop.portal.get("/sign-in").text
    first = shop.portal.get("/book-visit")
    assert first.status_code == 200 and "Boiler service" in first.text
    assert 'name="starts_at"' not in first.text
    days = shop.portal.get("/book-visit", params={"service_id": shop.service})
    assert f"day={MONDAY.isoformat()}" in days.text and 'name="starts_at"' not in days.text
    times = shop.portal.get(
        "/book-visit", params={"service_id": shop.service, "day": MONDAY.isoformat()}
    )
    assert f'value="{at(MONDAY, 10).isoformat()}"' in times.text
    assert 'name="postal_code"' in times.text and 'name="website"' in times.text


def test_a_visitor_books_through_the_emailed_link_once(
    db: Database, settings: Settings, shop: Shop
) -> None:
    port = free_port()
    controller, inbox = start_smtp(port)
    try:
        asked = shop.ask()
        assert asked.status_code == 200 and "Check your email" in asked.text
        assert shop.customers() == [] and shop.appointments() == []  # nothing stored yet
        smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        assert OutboxRunner(db, smtp).run_once() == 1
        [message] = inbox.messages
        assert message["To"] == "vera@example.com"
        body = next(
            part.get_payload(decode=True).decode()  # type: ignore[union-attr]
            for part in message.walk()
            if part.get_content_type() == "text/plain"
        )
        token = re.search(r"/book\?t=(\S+)", body).group(1)  # type: ignore[union-attr]
        # Nothing typed into the form reaches the inbox as words (a spammer's message would).
        assert "Vera" not in body and "Side door" not in body and "Boiler service" in body
    finally:
        controller.stop()
    link = f"{shop.server.url}/p/{shop.business.slug}/book?t={token}"
    page = httpx.get(link)
    assert page.status_code == 200 and "Send my request" in page.text
    assert shop.appointments() == []  # opening the link (a mail scanner's GET) books nothing
    sent = httpx.post(link)
    assert sent.status_code == 200 and "Request sent" in sent.text, sent.text
    again = httpx.post(link)
    assert again.status_code == 200 and "Request sent" in again.text
    [appointment] = shop.appointments()
    [customer] = shop.customers()
    assert appointment.status == AppointmentStatus.PENDING
    assert appointment.starts_at == at(MONDAY, 10) and appointment.customer_id == customer.id
    assert (customer.name, customer.email, customer.postal_code) == (
        "Vera Visitor",
        "vera@example.com",
        "10001",
    )
    assert appointment.notes == "Side door, please."
    # The business sees the request waiting for its answer, and is told by email.
    with db.session(shop.business.id) as session:
        waiting = booking.between(
            session,
            start=at(MONDAY, 0),
            end=at(MONDAY, 23),
            statuses=[AppointmentStatus.PENDING],
        )
    assert [row.id for row in waiting] == [appointment.id]
    subjects = [mail["subject"] for mail in shop.emails()]
    assert any(s.startswith("Appointment booked: Vera Visitor") for s in subjects), subjects
    assert len([s for s in subjects if s.startswith("Appointment booked")]) == 1
    # The business confirms it: the ordinary path for a pending booking.
    with db.session(shop.business.id) as session:
        booking.decide(
            session,
            business=businesses.get(session, shop.business.id),
            appointment_id=appointment.id,
            accept=True,
            now=NOW,
            actor=STAFF,
        )
    assert shop.appointments()[0].status == AppointmentStatus.CONFIRMED


def test_an_existing_customer_is_found_by_address(db: Database, shop: Shop) -> None:
    with db.session(shop.business.id) as session:
        known = make_customer(session, shop.business, email="vera@example.com", postal_code="11201")
    shop.ask(email="Vera@Example.com")
    assert httpx.post(shop.link()).status_code == 200
    [appointment] = shop.appointments()
    assert appointment.customer_id == known.id and len(shop.customers()) == 1
    # The visit is not at the address the business has: the request says where.
    assert appointment.notes.startswith("Visit at: 1 Main St, New York, 10001")


def test_a_slot_taken_meanwhile_offers_fresh_times(db: Database, shop: Shop) -> None:
    shop.ask()
    link = shop.link()
    with db.session(shop.business.id) as session:
        other = make_customer(session, shop.business, postal_code="10002")
        booking.book(
            session,
            business=businesses.get(session, shop.business.id),
            customer_id=other.id,
            service_id=shop.service,
            starts_at=at(MONDAY, 10),
            now=NOW,
            actor=STAFF,
        )
    taken = httpx.post(link)
    assert taken.status_code == 409 and "That time was just taken" in taken.text
    assert f'value="{at(MONDAY, 10).isoformat()}"' not in taken.text
    assert f'value="{at(MONDAY, 11).isoformat()}"' in taken.text
    assert len(shop.customers()) == 1  # the refusal stored nothing: no visitor's customer
    booked = httpx.post(link, data={"starts_at": at(MONDAY, 11).isoformat()})
    assert booked.status_code == 200 and "Request sent" in booked.text
    mine = [row for row in shop.appointments() if row.status == AppointmentStatus.PENDING]
    assert [row.starts_at for row in mine] == [at(MONDAY, 11)]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"postal_code": "90210"}, "We do not serve that area."),
        ({"postal_code": ""}, "Enter the postal code of the visit."),
        ({"email": "vera-at-example"}, "Enter an email address like name@example.com."),
        ({"name": ""}, "Enter your name."),
        ({"starts_at": (NOW - timedelta(hours=1)).isoformat()}, "That time has passed."),
        ({"starts_at": at(MONDAY, 3).isoformat()}, "That time is outside our hours."),
        ({"starts_at": "soon"}, "Choose a time for the visit."),
        ({"service_id": "svc_nope"}, "That service is not offered."),
    ],
)
def test_bad_input_keeps_what_was_typed_and_stores_and_sends_nothing(
    shop: Shop, changes: dict[str, str], says: str
) -> None:
    refused = shop.ask(**changes)
    assert refused.status_code == 422 and says in refused.text, refused.text
    assert 'value="1 Main St"' in refused.text or changes.get("service_id")
    assert shop.emails() == [] and shop.customers() == [] and shop.appointments() == []


def test_another_business_s_service_is_refused(db: Database, shop: Shop) -> None:
    other = make_business(db, allow_booking=True, booking_public=True)
    with db.session(other.business.id) as session:
        foreign = booking.create_service(
            session, business=other.business, name="Theirs", duration_min=30, actor=STAFF
        ).id
    refused = shop.ask(service_id=foreign)
    assert refused.status_code == 422 and "That service is not offered." in refused.text
    assert shop.emails() == []


def test_the_honeypot_gets_the_same_answer_and_no_email(shop: Shop) -> None:
    caught = shop.ask(website="https://spam.example")
    assert caught.status_code == 200 and "Check your email" in caught.text
    assert shop.emails() == []


def test_requests_are_limited_per_address_and_per_client(shop: Shop) -> None:
    codes = [shop.ask().status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    refused = shop.ask()
    assert "Too many requests" in refused.text and int(refused.headers["Retry-After"]) > 0
    assert 'value="Vera Visitor"' in refused.text  # what was typed stays
    assert len(shop.emails()) == 5
    # Another address from the same client goes on, up to the client's own limit.
    others = [shop.ask(email=f"v{n}@example.com").status_code for n in range(16)]
    assert others == [200] * 15 + [429]
    # The limits refill with time (the app's clock, moved): one more an hour's fifth later.
    later = NOW + timedelta(minutes=13)
    shop.server.app.state.clock = lambda: later  # type: ignore[union-attr]
    assert shop.ask().status_code == 200
    assert len(shop.emails()) == 21


def test_a_business_not_taking_visitors_shows_no_form(db: Database, shop: Shop) -> None:
    shop.ask()
    link = shop.link()
    with db.unscoped("the test turns the form off") as session:
        row = session.get(Business, shop.business.id)
        assert row is not None
        row.booking_public = False
    assert "Ask for a visit" not in shop.portal.get("/sign-in").text
    assert shop.portal.get("/book-visit").status_code == 404
    assert shop.ask().status_code == 404
    assert httpx.get(link).status_code == 404
    assert httpx.post(link).status_code == 404
    assert shop.appointments() == [] and len(shop.emails()) == 1


def test_a_bad_or_foreign_link_books_nothing(db: Database, shop: Shop) -> None:
    shop.ask()
    link = shop.link()
    assert httpx.post(link[:-4] + "abcd").status_code == 400
    other = make_business(db, allow_booking=True, booking_public=True)
    foreign = link.replace(f"/p/{shop.business.slug}/", f"/p/{other.business.slug}/")
    refused = httpx.post(foreign)
    assert refused.status_code == 400 and "not valid" in refused.text
    assert shop.appointments() == []


def test_the_hosted_page_gets_the_link_from_a_fresh_server(
    db: Database, settings: Settings, shop: Shop
) -> None:
    """The link holds everything: another process (no memory of the ask) books it."""
    shop.ask()
    link_path = shop.link().split(shop.server.url, 1)[1]
    other = LiveServer(create_app(settings, db)).start()
    try:
        other.app.state.clock = lambda: NOW  # type: ignore[union-attr]
        assert httpx.post(f"{other.url}{link_path}").status_code == 200
    finally:
        other.stop()
    assert [row.status for row in shop.appointments()] == [AppointmentStatus.PENDING]
