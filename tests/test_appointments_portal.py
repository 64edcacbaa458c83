"""Booking from the portal over real HTTP, the server's clock stopped: the form offers only free
times, a chosen time is held then booked once, another customer's hold or booking wins with fresh
times shown, moves and cancels keep to the business's window, the calendar file downloads, and
bad input changes nothing. Every test ends with no two active visits of a crew overlapping."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.models import Appointment, AppointmentStatus, Customer
from frontdesk.services import booking
from frontdesk.settings import Settings
from frontdesk.tokens import Purpose
from tests.conftest import LiveServer
from tests.test_booking import MONDAY, NOW, STAFF, Shop, assert_no_overlap, at
from tests.test_host_events import told
from tests.test_portal_views import Portal


@pytest.fixture
def shop(db: Database, live_server: LiveServer) -> Iterator[Shop]:
    """The booking tests' shop, booking on in its portal, its server's clock at NOW."""
    assert live_server.app is not None
    live_server.app.state.clock = lambda: NOW
    made = Shop(db)
    with db.session(made.id) as session:
        business = made.business(session)
        business.allow_booking = True
        session.add(business)
    yield made
    assert_no_overlap(db, NOW)


def visits(db: Database, shop: Shop, customer: Customer) -> list[Appointment]:
    with db.session(shop.id) as session:
        return list(
            session.exec(
                select(Appointment)
                .where(Appointment.customer_id == customer.id)
                .order_by(col(Appointment.created_at))
            )
        )


def portal(live_server: LiveServer, settings: Settings, shop: Shop, customer: Customer) -> Portal:
    with shop.db.session(shop.id) as session:
        business = shop.business(session)
    return Portal(live_server, settings, business, customer)


def offered(page: httpx.Response) -> list[str]:
    """The free times a form offers, as it would send them back."""
    return [html.unescape(v) for v in re.findall(r'name="starts_at" value="([^"]+)"', page.text)]


def book(customer_portal: Portal, service: str, starts_at: datetime) -> httpx.Response:
    held = customer_portal.post(
        "/appointments/hold", {"service": service, "starts_at": starts_at.isoformat()}
    )
    assert held.status_code == 200, held.text
    found = re.search(r"/appointments/(apt_\w+)/book", held.text)
    assert found, held.text
    return customer_portal.post(f"/appointments/{found[1]}/book", {})


def test_a_customer_books_a_free_time_and_sees_it_on_home(
    db: Database, live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    casey = shop.customer()
    with portal(live_server, settings, shop, casey) as mine:
        assert 'href="#appointments"' in mine.get("/home").text
        form = mine.get("/appointments/new", params={"day": MONDAY.isoformat()})
        times = offered(form)
        assert times[0] == at(MONDAY, 9).isoformat() and at(MONDAY, 16).isoformat() in times
        assert "Boiler service (60 min)" in form.text
        held = mine.post(
            "/appointments/hold",
            {"service": shop.service, "starts_at": times[0], "notes": "Side gate"},
        )
        assert held.status_code == 200 and "holding this time for you for 5 minutes" in held.text
        [hold] = visits(db, shop, casey)
        assert hold.status == AppointmentStatus.HELD
        # While held, nobody else is offered it.
        with portal(live_server, settings, shop, shop.customer()) as theirs:
            again = theirs.get("/appointments/new", params={"day": MONDAY.isoformat()})
            assert times[0] not in offered(again)
        booked = mine.post(f"/appointments/{hold.id}/book", {})
        assert booked.status_code == 200 and "Booked. We have emailed you" in booked.text
        [event] = [e for e in told(booked) if e["type"] == "appointment-booked"]
        assert event["object"] == {"kind": "appointment", "id": hold.id, "status": "confirmed"}
        assert mine.post(f"/appointments/{hold.id}/book", {}).status_code == 422  # once
        assert "Your next visit" in mine.get("/home").text
        listed = mine.get("/appointments").text
        assert "Coming up" in listed and f"/appointments/{hold.id}" in listed
    [visit] = visits(db, shop, casey)
    assert visit.status == AppointmentStatus.CONFIRMED and visit.notes == "Side gate"
    [webhook] = [p for p in shop.outbox("event") if p["type"] == "appointment.booked"]
    assert webhook["id"] == event["id"]
    assert any("Side gate" not in str(p) for p in shop.outbox("email"))


def test_a_time_taken_first_is_refused_with_fresh_times_and_nothing_stored(
    db: Database, live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    casey, robin = shop.customer(), shop.customer()
    shop.book(robin, at(MONDAY, 9))
    with portal(live_server, settings, shop, casey) as mine:
        refused = mine.post(
            "/appointments/hold",
            {"service": shop.service, "starts_at": at(MONDAY, 9).isoformat(), "notes": "kept"},
        )
    assert refused.status_code == 422
    assert "That time was just taken" in refused.text and "Free times nearby" in refused.text
    assert ">kept</textarea>" in refused.text and offered(refused)
    assert at(MONDAY, 9).isoformat() not in offered(refused)
    assert visits(db, shop, casey) == []


@pytest.mark.parametrize(
    ("starts_at", "said"),
    [
        ("tomorrow at nine", "Choose a time first."),
        ((NOW - timedelta(hours=1)).isoformat(), "That time has passed."),
        (at(MONDAY, 7).isoformat(), "That time is outside our hours."),
        (at(MONDAY + timedelta(days=60), 9).isoformat(), "That is too far ahead to book."),
    ],
)
def test_a_wrong_time_gets_a_clear_message_and_changes_nothing(
    db: Database,
    live_server: LiveServer,
    settings: Settings,
    shop: Shop,
    starts_at: str,
    said: str,
) -> None:
    casey = shop.customer()
    with portal(live_server, settings, shop, casey) as mine:
        refused = mine.post("/appointments/hold", {"service": shop.service, "starts_at": starts_at})
    assert refused.status_code == 422 and said in refused.text
    assert visits(db, shop, casey) == []


def test_times_show_in_the_zone_the_browser_is_in(
    live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    with portal(live_server, settings, shop, shop.customer()) as mine:
        asked = {"day": MONDAY.isoformat()}
        west = mine.client.get(
            "/appointments/new",
            params=asked,
            headers={"Frontdesk-Time-Zone": "America/Los_Angeles"},
        )
        unknown = mine.client.get(
            "/appointments/new", params=asked, headers={"Frontdesk-Time-Zone": "Mars/Olympus"}
        )
    # The shop's first time, 09:00 in New York, is 06:00 on the west coast (Babel writes a narrow
    # no-break space before AM).
    NARROW = "\N{NARROW NO-BREAK SPACE}"
    assert "(America/Los Angeles time)" in west.text and f"<span>6:00{NARROW}AM</span>" in west.text
    assert (
        "(America/New York time)" in unknown.text and f"<span>9:00{NARROW}AM</span>" in unknown.text
    )
    assert offered(west) == offered(unknown)


def test_the_first_view_of_a_session_shows_times_in_the_zone_the_loader_sent(
    live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    casey = shop.customer()
    shop.book(casey, at(MONDAY, 9))
    with shop.db.session(shop.id) as session:
        business = shop.business(session)
    token = tokens.mint(
        settings.secret_key,
        Purpose.EMBED,
        business_id=business.id,
        customer_id=casey.id,
        link_version=casey.link_version,
    )
    opened = httpx.post(
        f"{live_server.url}/portal/{business.publishable_key}/session",
        data={"token": token, "view": "appointments", "zone": "America/Los_Angeles"},
    )
    assert opened.status_code == 200 and 'id="fd-appointments"' in opened.text
    assert "6:00" in opened.text and "9:00" not in opened.text


def test_outside_the_area_is_refused_before_anything_is_held(
    db: Database, live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    far = shop.customer(postal_code="90210")
    with portal(live_server, settings, shop, far) as mine:
        refused = mine.post(
            "/appointments/hold",
            {"service": shop.service, "starts_at": at(MONDAY, 10).isoformat()},
        )
    assert refused.status_code == 422 and "90210 is outside the area we serve" in refused.text
    assert visits(db, shop, far) == []


def test_a_visit_moves_and_cancels_within_the_window_and_not_after(
    db: Database, live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    casey = shop.customer()
    with portal(live_server, settings, shop, casey) as mine:
        assert book(mine, shop.service, at(MONDAY, 10)).status_code == 200
        [visit] = visits(db, shop, casey)
        moving = mine.get(f"/appointments/{visit.id}", params={"move": "1", "day": "2026-11-03"})
        assert at(MONDAY + timedelta(days=1), 13).isoformat() in offered(moving)
        moved = mine.post(
            f"/appointments/{visit.id}/move",
            {"starts_at": at(MONDAY + timedelta(days=1), 13).isoformat()},
        )
        assert moved.status_code == 200 and "Moved." in moved.text
        assert [e["type"] for e in told(moved)] == ["appointment-rescheduled"]
        # A day before the visit, inside the 24-hour window: the customer calls instead.
        assert live_server.app is not None
        live_server.app.state.clock = lambda: at(MONDAY, 14)
        late = mine.post(f"/appointments/{visit.id}/cancel", {"reason": "away"})
        assert late.status_code == 422 and "too late to change this appointment" in late.text
        assert shop.appointment(visit.id).status == AppointmentStatus.CONFIRMED
        live_server.app.state.clock = lambda: NOW
        canceled = mine.post(f"/appointments/{visit.id}/cancel", {"reason": "away"})
    assert canceled.status_code == 200 and "Canceled." in canceled.text
    assert [e["type"] for e in told(canceled)] == ["appointment-canceled"]
    found = shop.appointment(visit.id)
    assert found.status == AppointmentStatus.CANCELED and found.cancel_reason == "away"
    assert found.starts_at == at(MONDAY + timedelta(days=1), 13)


def test_the_calendar_file_downloads_and_another_customer_s_visit_is_not_found(
    db: Database, live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    casey, robin = shop.customer(), shop.customer()
    theirs = shop.book(robin, at(MONDAY, 11))
    with portal(live_server, settings, shop, casey) as mine:
        assert book(mine, shop.service, at(MONDAY, 14)).status_code == 200
        [visit] = visits(db, shop, casey)
        page = mine.get(f"/appointments/{visit.id}")
        [link] = re.findall(r'href="([^"]+/download/[^"]+)"', page.text)
        ics = httpx.get(html.unescape(link))
        assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
        assert "BEGIN:VEVENT" in ics.text and "Boiler service" in ics.text
        assert "Not found" in mine.get(f"/appointments/{theirs.id}").text
        refused = mine.post(f"/appointments/{theirs.id}/cancel", {"reason": "mine now"})
        assert "Not found" in refused.text
    assert shop.appointment(theirs.id).status == AppointmentStatus.CONFIRMED


def test_booking_switched_off_hides_the_section(
    db: Database, live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    with db.session(shop.id) as session:
        business = shop.business(session)
        business.allow_booking = False
        session.add(business)
    casey = shop.customer()
    with portal(live_server, settings, shop, casey) as mine:
        assert 'href="#appointments"' not in mine.get("/home").text
        off = mine.post(
            "/appointments/hold",
            {"service": shop.service, "starts_at": at(MONDAY, 9).isoformat()},
        )
    assert off.status_code == 404
    assert visits(db, shop, casey) == []


def test_time_freed_by_staff_is_offered_to_a_form_already_open(
    db: Database, live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    """Cancelled blocked time (no customer) or another customer's visit frees time every
    customer's booking form offers: a revalidation draws the form again with it."""
    robin, casey = shop.customer(), shop.customer()
    robins = shop.book(robin, at(MONDAY, 9))
    with db.session(shop.id) as session:
        business = shop.business(session)
        blocked = booking.block_time(
            session,
            business=business,
            crew_id=booking.default_crew(session, business).id,
            starts_at=at(MONDAY, 12),
            ends_at=at(MONDAY, 17),
            now=NOW,
            actor=STAFF,
        )
    day = {"day": MONDAY.isoformat()}
    with portal(live_server, settings, shop, casey) as mine:
        for freed, hour in ((blocked, 13), (robins, 9)):
            form = mine.get("/appointments/new", params=day)
            assert at(MONDAY, hour).isoformat() not in offered(form)
            with db.session(shop.id) as session:
                business = shop.business(session)
                booking.cancel(
                    session, business=business, appointment_id=freed.id, now=NOW, actor=STAFF
                )
            tag = {"If-None-Match": form.headers["ETag"]}
            fresh = mine.client.get("/appointments/new", params=day, headers=tag)
            assert fresh.status_code == 200
            assert at(MONDAY, hour).isoformat() in offered(fresh)
