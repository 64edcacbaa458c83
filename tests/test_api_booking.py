"""Booking through the API over HTTP: services and slots, book, a taken slot refused with fresh
ones, move, cancel, list; bad input and another business's ids get problem details and change
nothing. The server's own clock runs, so times are taken from the slots it offers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import Initiator, OutboxItem
from frontdesk.services import audit, booking, businesses
from frontdesk.services.businesses import NewBusiness
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.security.state import state_of
from tests.test_api import Api
from tests.test_booking import assert_no_overlap

STAFF = audit.Actor(Initiator.STAFF, "staff_1")
PROBLEM = "application/problem+json"


def open_every_day(db: Database, made: NewBusiness) -> tuple[str, str]:
    """A service bookable 08:00-18:00 every day, and a customer; their ids."""
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        service = booking.create_service(
            session, business=business, name="Tune-up", duration_min=60, actor=STAFF
        )
        booking.set_hours(
            session,
            business=business,
            hours=[(day, time(8), time(18)) for day in range(7)],
            actor=STAFF,
        )
        customer = make_customer(session, business, postal_code="10001")
        return service.id, customer.id


@pytest.fixture
def shop(db: Database, live_server: LiveServer) -> Iterator[tuple[Api, str, str]]:
    made = make_business(db, time_zone="America/New_York")
    service, customer = open_every_day(db, made)
    client = Api(live_server, made.secret_api_key)
    yield client, service, customer
    client.client.close()


def slots(api: Api, service: str) -> list[str]:
    answer = api.get(f"/booking-services/{service}/slots", days=3)
    assert answer.status_code == 200, answer.text
    assert answer.json()["time_zone"] == "America/New_York"
    return list(answer.json()["slots"])


def test_book_refuse_the_taken_slot_move_cancel_and_list(
    shop: tuple[Api, str, str], db: Database
) -> None:
    api, service, customer = shop
    assert [s["id"] for s in api.get("/booking-services").json()["data"]] == [service]
    first, *rest = slots(api, service)
    made = api.post("/appointments", {"customer": customer, "service": service, "starts_at": first})
    assert made.status_code == 201, made.text
    appointment = made.json()
    assert appointment["status"] == "confirmed" and appointment["customer"] == customer
    assert first not in slots(api, service)

    taken = api.post(
        "/appointments", {"customer": customer, "service": service, "starts_at": first}
    )
    assert taken.status_code == 422 and taken.headers["content-type"] == PROBLEM
    assert taken.json()["detail"] == "That time was just taken. Please choose another."
    assert taken.json()["errors"][0]["detail"].startswith("Free times nearby: ")

    later = rest[-1]
    moved = api.post(f"/appointments/{appointment['id']}/reschedule", {"starts_at": later})
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["starts_at"]) == datetime.fromisoformat(later)
    assert first in slots(api, service)

    listed = api.get("/appointments", customer=customer).json()["data"]
    assert [a["id"] for a in listed] == [appointment["id"]]
    canceled = api.post(f"/appointments/{appointment['id']}/cancel", {"reason": "Rain"})
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["cancel_reason"] == "Rain"
    with db.unscoped("the test reads the queued events") as session:
        kinds = [
            item.payload["type"]
            for item in session.exec(select(OutboxItem).where(OutboxItem.kind == "event"))
        ]
    assert sorted(kinds) == sorted(
        ["appointment.booked", "appointment.rescheduled", "appointment.canceled"]
    )
    assert assert_no_overlap(db, datetime.now().astimezone()) == 0


def test_bad_input_and_other_business_ids_change_nothing(
    shop: tuple[Api, str, str], db: Database
) -> None:
    api, service, customer = shop
    other = make_business(db, time_zone="America/New_York")
    other_service, other_customer = open_every_day(db, other)
    first = slots(api, service)[0]
    past = (datetime.now().astimezone() - timedelta(days=1)).isoformat()
    before = state_of(db)
    for body, status, field in (
        ({"customer": customer, "service": service, "starts_at": past}, 422, "starts_at"),
        ({"customer": customer, "service": service, "starts_at": "2030-01-01T10:00"}, 422, None),
        ({"customer": other_customer, "service": service, "starts_at": first}, 404, None),
        ({"customer": customer, "service": other_service, "starts_at": first}, 404, None),
    ):
        answer = api.post("/appointments", body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        if field:
            assert answer.json()["errors"][0]["field"] == field
    assert api.get(f"/booking-services/{other_service}/slots").status_code == 404
    assert state_of(db) == before
    with db.session(other.business.id) as session:
        theirs = booking.book(
            session,
            business=businesses.get(session, other.business.id),
            customer_id=other_customer,
            service_id=other_service,
            starts_at=datetime.fromisoformat(first),
            now=datetime.now().astimezone(),
            actor=STAFF,
        )
    before = state_of(db)
    assert api.get(f"/appointments/{theirs.id}").status_code == 404
    assert api.post(f"/appointments/{theirs.id}/cancel", {}).status_code == 404
    assert (
        api.post(f"/appointments/{theirs.id}/reschedule", {"starts_at": first}).status_code == 404
    )
    assert state_of(db) == before
    assert assert_no_overlap(db, datetime.now().astimezone()) == 1
