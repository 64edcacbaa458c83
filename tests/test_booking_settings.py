"""Booking settings in the dashboard over real HTTP: each form saves and shows what it saved, bad
input comes back with its message and what was typed and changes nothing, another business's
records cannot be reached; and the demo's booking seed (once, however often the demo starts)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta

import pytest
from sqlmodel import col, select

from frontdesk import demo
from frontdesk.db import Database
from frontdesk.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    BookingService,
    Crew,
    DateOverride,
    Initiator,
    ServiceArea,
    WorkingHours,
)
from frontdesk.services import audit, booking, businesses
from frontdesk.services.businesses import NewBusiness
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business
from tests.security.state import state_of
from tests.test_dashboard import Desk, add_manager

PAGE = "/settings/booking"
SERVICE = {
    "name": "Lawn mowing",
    "duration_min": "60",
    "buffer_before_min": "0",
    "buffer_after_min": "15",
    "min_notice_hours": "24",
    "max_days_ahead": "30",
    "slot_step_min": "30",
    "active": "yes",
}


@pytest.fixture
def office(live_server: LiveServer, db: Database) -> Iterator[tuple[Desk, NewBusiness]]:
    made = make_business(db, name="Greenleaf Gardens")
    desk = Desk(live_server.url, made.owner.email)
    yield desk, made
    desk.close()


def actions(db: Database, made: NewBusiness) -> list[str]:
    with db.session(made.business.id) as session:
        return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.created_at))]


def test_the_settings_page_links_to_the_booking_page(office: tuple[Desk, NewBusiness]) -> None:
    desk, _ = office
    assert "/dashboard/settings/booking" in desk.get("/settings").text
    page = desk.get(PAGE)
    assert page.status_code == 200 and 'id="booking-settings"' in page.text
    assert "No services yet" in page.text


def test_terms_are_saved_and_bad_ones_refused(
    office: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = office
    saved = desk.post(
        "/settings/booking/terms", {"booking_public": "yes", "booking_cancel_hours": "48"}
    )
    assert saved.status_code == 200 and "Saved: the booking terms apply now." in saved.text
    assert 'value="48"' in saved.text
    before = state_of(db)
    for bad, message in (
        ("-1", "Enter hours from 0 to 720."),
        ("721", "Enter hours from 0 to 720."),
        ("a day", "Enter a whole number."),
    ):
        refused = desk.post(
            "/settings/booking/terms", {"booking_cancel_hours": bad, "which": "terms"}
        )
        assert refused.status_code == 422 and message in refused.text, bad
        assert f'value="{bad}"' in refused.text and 'aria-invalid="true"' in refused.text
    assert state_of(db) == before
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        assert business.booking_public and business.booking_cancel_hours == 48
    assert "settings.booking_changed" in actions(db, made)


def test_services_are_added_and_changed_and_bad_ones_refused(
    office: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = office
    added = desk.post("/settings/booking/services", {**SERVICE, "which": "service_new"})
    assert added.status_code == 200 and "Added: Lawn mowing." in added.text
    assert "Lawn mowing · 60 min" in added.text
    before = state_of(db)
    refused = desk.post(
        "/settings/booking/services",
        {**SERVICE, "name": "Hedges", "duration_min": "an hour", "which": "service_new"},
    )
    assert refused.status_code == 422 and "Enter a whole number." in refused.text
    assert 'value="Hedges"' in refused.text and 'value="an hour"' in refused.text
    too_short = desk.post(
        "/settings/booking/services", {**SERVICE, "duration_min": "2", "which": "service_new"}
    )
    assert too_short.status_code == 422
    assert "Enter a duration from 5 minutes to a day." in too_short.text
    assert state_of(db) == before
    with db.session(made.business.id) as session:
        service = session.exec(select(BookingService)).one()
        assert (service.buffer_after_min, service.min_notice_min) == (15, 24 * 60)
    edit = f"/settings/booking/services/{service.id}"
    changed = desk.post(
        edit,
        {
            **SERVICE,
            "duration_min": "90",
            "requires_confirmation": "yes",
            "active": "",
            "which": service.id,
        },
    )
    assert changed.status_code == 200 and "Saved: the service&#39;s new terms" in changed.text
    assert "Lawn mowing · 90 min · you confirm" in changed.text and "not bookable" in changed.text
    before = state_of(db)
    refused = desk.post(
        edit, {**SERVICE, "name": " ", "max_days_ahead": "400", "which": service.id}
    )
    assert refused.status_code == 422
    assert "Name the service." in refused.text and "Enter days from 1 to 365." in refused.text
    assert state_of(db) == before
    with db.session(made.business.id) as session:
        again = session.exec(select(BookingService)).one()
        assert again.duration_min == 90 and again.requires_confirmation and not again.active
    assert actions(db, made).count("booking.service_changed") == 1


def test_weekly_hours_are_saved_and_shown_and_bad_ones_refused(
    office: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = office
    week = {f"open_{day}": "yes" for day in range(5)}
    week |= {f"start_{day}": "08:00" for day in range(5)}
    week |= {f"end_{day}": "17:00" for day in range(5)}
    saved = desk.post("/settings/booking/hours", {**week, "start_5": "09:00", "end_5": "12:00"})
    assert saved.status_code == 200 and "Saved: the working hours apply now." in saved.text
    assert saved.text.count('value="08:00"') == 5 and 'value="09:00"' not in saved.text
    before = state_of(db)
    for bad, message in (
        ({"end_1": "07:00"}, "Give a start before the end, or mark the day closed."),
        ({"start_2": "noon"}, "Enter a time like 08:00."),
        ({"open_5": "yes"}, "Give a start before the end, or mark the day closed."),
    ):
        refused = desk.post("/settings/booking/hours", {**week, **bad, "which": "hours"})
        assert refused.status_code == 422 and message in refused.text, bad
        assert all(f'value="{value}"' in refused.text for value in bad.values()), bad
    assert state_of(db) == before
    with db.session(made.business.id) as session:
        rows = session.exec(select(WorkingHours).order_by(col(WorkingHours.weekday))).all()
    assert [(r.weekday, r.start_local, r.end_local, r.crew_id) for r in rows] == [
        (day, time(8), time(17), None) for day in range(5)
    ]


def test_crews_are_added_and_listed(office: tuple[Desk, NewBusiness], db: Database) -> None:
    desk, made = office
    desk.post("/settings/booking/services", SERVICE)
    with db.session(made.business.id) as session:
        service = session.exec(select(BookingService)).one()
    added = desk.post(
        "/settings/booking/crews", {"name": "Dana's crew", "crew_services": service.id}
    )
    assert added.status_code == 200 and "Added: Dana&#39;s crew." in added.text
    assert "Dana&#39;s crew · Lawn mowing" in added.text and "(default)" in added.text
    before = state_of(db)
    for bad in ({"name": ""}, {"name": "Crew B", "crew_services": "svc_not_ours"}):
        refused = desk.post("/settings/booking/crews", {**bad, "which": "crew"})
        assert refused.status_code == 422, bad
    assert "Choose among your services." in refused.text and 'value="Crew B"' in refused.text
    assert state_of(db) == before
    with db.session(made.business.id) as session:
        crews = {c.name: c.service_ids for c in session.exec(select(Crew))}
    assert crews == {"Default": [], "Dana's crew": [service.id]}


def test_dates_are_added_listed_and_removed(office: tuple[Desk, NewBusiness], db: Database) -> None:
    desk, made = office
    today = businesses.today(made.business)
    holiday, short = today + timedelta(days=20), today + timedelta(days=21)
    closed = desk.post(
        "/settings/booking/dates", {"override_day": holiday.isoformat(), "override_closed": "yes"}
    )
    assert closed.status_code == 200 and f"{holiday:%a %b %-d, %Y}: closed" in closed.text
    special = desk.post(
        "/settings/booking/dates",
        {"override_day": short.isoformat(), "override_start": "09:00", "override_end": "13:00"},
    )
    assert (
        special.status_code == 200
        and f"{short:%a %b %-d, %Y}: 09:00\N{EN DASH}13:00" in special.text
    )
    before = state_of(db)
    for bad, message in (
        ({"override_day": (today - timedelta(days=1)).isoformat()}, "Choose today or a later"),
        ({"override_day": "soon", "override_closed": "yes"}, "Enter a date like"),
        ({"override_day": short.isoformat()}, "Give the hours of that day"),
        (
            {"override_day": short.isoformat(), "override_start": "13:00", "override_end": "09:00"},
            "Give a start before the end.",
        ),
    ):
        refused = desk.post("/settings/booking/dates", {**bad, "which": "date"})
        assert refused.status_code == 422 and message in refused.text, bad
    assert state_of(db) == before
    with db.session(made.business.id) as session:
        gone = session.exec(select(DateOverride).where(DateOverride.day == holiday)).one()
    removed = desk.post(f"/settings/booking/dates/{gone.id}/remove")
    assert removed.status_code == 200 and "Removed" in removed.text
    assert (
        f"{holiday:%a %b %-d, %Y}" not in removed.text and f"{short:%a %b %-d, %Y}" in removed.text
    )
    assert desk.post(f"/settings/booking/dates/{gone.id}/remove").status_code == 404
    assert "booking.date_override_removed" in actions(db, made)


def test_the_service_area_is_saved_and_a_bad_one_refused(
    office: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = office
    saved = desk.post("/settings/booking/area", {"prefixes": "627, 62704\nsw1a 1aa"})
    assert saved.status_code == 200 and "Saved: the service area." in saved.text
    assert "627\n62704\nSW1A1AA</textarea>" in saved.text
    before = state_of(db)
    refused = desk.post("/settings/booking/area", {"prefixes": "1" * 21, "which": "area"})
    assert refused.status_code == 422 and "20 characters at most" in refused.text
    assert "1" * 21 in refused.text
    assert state_of(db) == before
    everywhere = desk.post("/settings/booking/area", {"prefixes": ""})
    assert "Saved: you serve everywhere." in everywhere.text
    with db.session(made.business.id) as session:
        assert session.exec(select(ServiceArea)).all() == []


def test_another_business_can_neither_see_nor_change_these(
    office: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, _ = office
    other = make_business(db, name="Elsewhere Lawns")
    owner = audit.Actor(Initiator.STAFF, other.owner.id)
    with db.session(other.business.id) as session:
        business = businesses.get(session, other.business.id)
        theirs = booking.create_service(
            session, business=business, name="Elsewhere secret", duration_min=30, actor=owner
        )
        day = businesses.today(business) + timedelta(days=5)
        closed = booking.add_override(session, business=business, day=day, actor=owner)
        booking.set_area(session, business=business, prefixes=["99999"], actor=owner)
    page = desk.get(PAGE).text
    assert (
        "Elsewhere secret" not in page and "99999" not in page and f"{day:%b %-d, %Y}" not in page
    )
    before = state_of(db)
    edit = desk.post(f"/settings/booking/services/{theirs.id}", {**SERVICE, "name": "Mine now"})
    assert edit.status_code == 404
    assert desk.post(f"/settings/booking/dates/{closed.id}/remove").status_code == 404
    crew = desk.post("/settings/booking/crews", {"name": "Mine", "crew_services": theirs.id})
    assert crew.status_code == 422
    assert state_of(db) == before


def test_managers_see_the_settings_but_only_owners_change_them(
    live_server: LiveServer, db: Database
) -> None:
    made = make_business(db)
    manager = Desk(live_server.url, add_manager(db, made))
    try:
        page = manager.get(PAGE)
        assert page.status_code == 200 and "Only owners can change booking settings" in page.text
        before = state_of(db)
        refused = manager.post("/settings/booking/services", SERVICE)
        assert refused.status_code == 403
        assert state_of(db) == before
    finally:
        manager.close()


def test_the_demo_seeds_booking_once(db: Database, settings: Settings) -> None:
    seeded = demo.ensure(db, sample_site_origin="http://127.0.0.1:9001", settings=settings)
    demo.ensure(db, sample_site_origin="http://127.0.0.1:9001", settings=settings)
    with db.session(seeded.business.id) as session:
        business = businesses.get(session, seeded.business.id)
        assert business.allow_booking and business.booking_public
        services = {s.name: s.requires_confirmation for s in session.exec(select(BookingService))}
        assert services == {"Lawn mowing": False, "Garden consultation": True}
        hours = session.exec(select(WorkingHours)).all()
        assert sorted(h.weekday for h in hours) == [0, 1, 2, 3, 4]
        assert [o.closed for o in session.exec(select(DateOverride))] == [True]
        area = [a.prefix for a in session.exec(select(ServiceArea))]
        assert seeded.signed_in_customer.postal_code in area
        [visit] = session.exec(select(Appointment)).all()
    assert visit.customer_id == seeded.signed_in_customer.id
    assert visit.status == AppointmentStatus.CONFIRMED
    assert visit.starts_at.date() > businesses.today(business)
