"""The theme gallery's states of booking: the customer's visits, the booking form with its days
and times, a time held to confirm, a visit being moved, and the form a visitor without an account
fills in and its "check your email" answer, drawn by the portal routes' own builders on samples
made here (gallery.py lists them with the other states)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.models import Appointment, AppointmentStatus, BookingService, Business
from frontdesk.routes.portal import appointments
from frontdesk.services.booking import choosing, public
from frontdesk.services.gallery import Samples

PUBLIC_FORM = "fragments/public_booking/form.html"
PUBLIC_SENT = "fragments/public_booking/sent.html"


def _services(business: Business) -> list[BookingService]:
    def service(number: int, name: str, minutes: int, confirm: bool) -> BookingService:
        return BookingService(
            id=f"svc_sample{number}",
            business_id=business.id,
            name=name,
            duration_min=minutes,
            requires_confirmation=confirm,
        )

    return [service(1, "Garden consultation", 45, True), service(2, "Lawn mowing", 60, False)]


def _names(business: Business) -> dict[str, str]:
    return {found.id: found.name for found in _services(business)}


def _at(business: Business, day: date, hour: int, minute: int = 0) -> datetime:
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(business.time_zone))
    return local.astimezone(UTC)


def _days(business: Business, s: Samples) -> dict[date, list[datetime]]:
    """The next five weekdays, each with a morning and an afternoon of free times."""
    days: dict[date, list[datetime]] = {}
    day = s.today
    while len(days) < 5:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days[day] = [
                _at(business, day, hour, minute)
                for hour in (9, 10, 13, 14, 15)
                for minute in (0, 30)
            ]
    return days


def _visit(
    business: Business, s: Samples, number: int, days_on: int, status: AppointmentStatus
) -> Appointment:
    starts = _at(business, s.today + timedelta(days=days_on), 10)
    return Appointment(
        id=f"apt_sample{number}",
        business_id=business.id,
        customer_id=s.customer.id,
        service_id="svc_sample2" if number % 2 else "svc_sample1",
        crew_id="crew_sample",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        blocked_from=starts,
        blocked_until=starts + timedelta(hours=1),
        status=status,
        notes="The side gate is unlocked." if number == 1 else "",
    )


def visits(business: Business, s: Samples) -> dict[str, Any]:
    """Two coming (confirmed, and one waiting for a yes) and two past (one canceled)."""
    Status = AppointmentStatus
    shown = choosing.Visits(
        coming=[
            _visit(business, s, 1, 3, Status.CONFIRMED),
            _visit(business, s, 2, 9, Status.PENDING),
        ],
        past=[
            _visit(business, s, 3, -12, Status.CONFIRMED),
            _visit(business, s, 4, -30, Status.CANCELED),
        ],
    )
    return appointments.list_shown(shown, _names(business), bookable=True)


def book(business: Business, s: Samples) -> dict[str, Any]:
    days = _days(business, s)
    second = list(days)[1]
    asked = {"day": second.isoformat(), "starts_at": days[second][2].isoformat()}
    offered = _services(business)
    return appointments.book_shown(offered, offered[1], days, asked)


def held(business: Business, s: Samples) -> dict[str, Any]:
    visit = _visit(business, s, 1, 3, AppointmentStatus.HELD)
    return appointments.confirm_shown(visit, _names(business))


def moving(business: Business, s: Samples) -> dict[str, Any]:
    visit = _visit(business, s, 1, 3, AppointmentStatus.CONFIRMED)
    now = datetime.combine(s.today, time(12), tzinfo=UTC)
    return appointments.detail_drawn(
        visit, _names(business), now, days=_days(business, s), moving=True
    )


def visitor_form(business: Business, s: Samples) -> dict[str, Any]:
    """A visitor's request sent back: the time they chose, what to fix in their details."""
    days = _days(business, s)
    day = next(iter(days))
    offered = _services(business)
    visit = public.Visit(
        service_id=offered[1].id,
        starts_at=days[day][1].isoformat(),
        name="Sam Visitor",
        email="sam@",
        postal_code="97201",
    )
    shown = public.Choices(offered, offered[1], list(days), day, days[day], business.time_zone)
    errors = {
        "email": "Enter an email address we can write to.",
        "address_line1": "Enter the street.",
    }
    return {
        "visit": visit,
        "shown": shown,
        "problem": "Please fix the highlighted fields.",
        "errors": errors,
    }


def visitor_sent(business: Business, s: Samples) -> dict[str, Any]:
    return {"sent_to": "sam@example.com"}


# slug, title, template, build, alone: gallery.py makes a State of each.
STATES: list[tuple[str, str, str, Callable[[Business, Samples], dict[str, Any]], bool]] = [
    ("appointments", "Appointments: coming and past", appointments.LIST, visits, False),
    ("appointment-book", "Booking a visit: days and times", appointments.BOOK, book, False),
    ("appointment-held", "A time held to confirm", appointments.CONFIRM, held, False),
    ("appointment-move", "Moving a visit", appointments.DETAIL, moving, False),
    ("visitor-request", "A visitor asks for a visit", PUBLIC_FORM, visitor_form, True),
    ("visitor-sent", "A visitor's request emailed", PUBLIC_SENT, visitor_sent, True),
]
