"""The customer's visits in the portal: the list, booking one (a service, a day, a free time,
held a few minutes while they confirm), one visit with its calendar file, moving it and
cancelling it within the business's window."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import (
    Appointment,
    AppointmentStatus,
    BookingService,
    Business,
    Customer,
    Initiator,
)
from frontdesk.routes.portal import frame
from frontdesk.services import audit, booking, host_events
from frontdesk.services.booking import choosing
from frontdesk.services.errors import Invalid

SECTION = "appointments"
LIST = "fragments/appointments/list.html"
BOOK = "fragments/appointments/book.html"
CONFIRM = "fragments/appointments/confirm.html"
DETAIL = "fragments/appointments/detail.html"


def _helpers(names: dict[str, str]) -> dict[str, Any]:
    return {"labels": choosing.LABELS, "names": names, "current": SECTION}


def list_shown(visits: choosing.Visits, names: dict[str, str], bookable: bool) -> dict[str, Any]:
    """The list drawn with `visits` (the theme gallery draws it with samples)."""
    return {"visits": visits, "bookable": bookable, **_helpers(names)}


def list_context(now: datetime) -> frame.Build:
    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        return list_shown(
            choosing.visits(session, business=business, customer=customer, now=now),
            choosing.names(session),
            bool(booking.services(session)),
        )

    return build


def book_context(
    now: datetime, form: FormData | Any, problem: str = "", errors: dict[str, str] | None = None
) -> frame.Build:
    """The booking form: the services, the chosen one's days with free times, the chosen day's
    times; as typed (`form`: the query or the form sent), with what is wrong with it."""

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        offered = booking.services(session)
        chosen = next((s for s in offered if s.id == form.get("service")), None)
        chosen = chosen or (offered[0] if offered else None)
        days = (
            choosing.open_days(session, business=business, service=chosen, now=now)
            if chosen
            else {}
        )
        return book_shown(offered, chosen, days, form, problem, errors)

    return build


def book_shown(
    offered: list[BookingService],
    chosen: BookingService | None,
    days: dict[date, list[datetime]],
    form: FormData | Any,
    problem: str = "",
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The booking form drawn with these days (the theme gallery draws it with samples)."""
    day = _day(str(form.get("day", "")), days)
    return {
        "services": offered,
        "service": chosen,
        "days": days,
        "day": day,
        "times": days.get(day, []) if day else [],
        "typed": {"starts_at": str(form.get("starts_at", "")), "notes": form.get("notes", "")},
        "problem": problem,
        "errors": errors or {},
        "current": SECTION,
    }


def confirm_shown(held: Appointment, names: dict[str, str]) -> dict[str, Any]:
    """The held time to confirm (the theme gallery draws a sample)."""
    return {"appointment": held, "hold_minutes": int(booking.HOLD.total_seconds() // 60)} | (
        _helpers(names)
    )


def _day(value: str, days: dict[date, list[datetime]]) -> date | None:
    """The day asked for, if it has free times; else the first that has."""
    try:
        wanted = date.fromisoformat(value)
    except ValueError:
        wanted = None
    if wanted in days:
        return wanted
    return next(iter(days), None)


def detail_context(
    appointment_id: str, now: datetime, notice: str = "", **shown: Any
) -> frame.Build:
    """One visit; `moving` draws the free times to move it to (`day` chosen)."""

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        found = booking.get(
            session, business=business, appointment_id=appointment_id, customer_id=customer.id
        )
        return detail_shown(session, business, found, now, notice, **shown)

    return build


def detail_shown(
    session: Session,
    business: Business,
    found: Appointment,
    now: datetime,
    notice: str = "",
    *,
    moving: bool = False,
    day: str = "",
    problem: str = "",
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    days: dict[date, list[datetime]] = {}
    if moving and _changeable(found, now) and found.service_id:
        service = booking.service(session, business=business, service_id=found.service_id)
        days = choosing.open_days(
            session, business=business, service=service, now=now, leave_out=found.id
        )
    return detail_drawn(
        found,
        choosing.names(session),
        now,
        notice,
        days=days,
        moving=moving,
        day=day,
        problem=problem,
        errors=errors,
    )


def _changeable(found: Appointment, now: datetime) -> bool:
    return found.status in choosing.BOOKED and found.ends_at > now


def detail_drawn(
    found: Appointment,
    names: dict[str, str],
    now: datetime,
    notice: str = "",
    *,
    days: dict[date, list[datetime]],
    moving: bool = False,
    day: str = "",
    problem: str = "",
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One visit drawn with these free days to move it to (the theme gallery draws samples)."""
    chosen = _day(day, days)
    changeable = _changeable(found, now)
    return {
        "appointment": found,
        "notice": notice,
        "changeable": changeable,
        "moving": moving,
        "days": days,
        "day": chosen,
        "times": days.get(chosen, []) if chosen else [],
        "problem": problem,
        "errors": errors or {},
        **_helpers(names),
    }


def _book_again(now: datetime) -> frame.Rebuild:
    """Bad input or a time gone: the booking form as sent, what is wrong, and fresh times."""

    def again(
        s: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        return book_context(now, form, invalid.message, invalid.fields)(s, business, customer)

    return again


def _actor(request: Request, customer: Customer) -> audit.Actor:
    return audit.Actor(Initiator.CUSTOMER, customer.id, frame.client_ip(request))


def _start(form: FormData) -> datetime:
    start = choosing.parse_start(str(form.get("starts_at", "")))
    if start is None:
        raise Invalid(
            gettext("Choose a time first."), {"starts_at": gettext("Pick one of the free times.")}
        )
    return start


async def portal_appointments(request: Request) -> Response:
    build = list_context(request.app.state.clock())
    return await frame.view(request, LIST, build, section=SECTION)


async def portal_appointment_new(request: Request) -> Response:
    build = book_context(request.app.state.clock(), request.query_params)
    return await frame.view(request, BOOK, build, section=SECTION)


async def portal_appointment_hold(request: Request) -> Response:
    """Keep the chosen time for the customer while they confirm it (nobody else is offered it)."""
    now = request.app.state.clock()

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        held = booking.hold(
            s,
            business=business,
            customer=customer,
            service_id=str(form.get("service", "")),
            starts_at=_start(form),
            now=now,
            notes=str(form.get("notes", ""))[:2000],
        )
        return confirm_shown(held, choosing.names(s))

    return await frame.action(request, CONFIRM, act, _book_again(now), section=SECTION, retry=BOOK)


async def portal_appointment_book(request: Request) -> Response:
    """Book the held time: confirmed, or waiting for the business where the service says so."""
    appointment_id, now = request.path_params["appointment"], request.app.state.clock()

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        booked = booking.confirm_hold(
            s, business=business, customer=customer, appointment_id=appointment_id, now=now
        )
        frame.tell(request, host_events.appointment_booked(s, business, customer, booked))
        said = (
            gettext("Requested: we will confirm it shortly. We have emailed you the details.")
            if booked.status == "pending"
            else gettext("Booked. We have emailed you the details.")
        )
        return detail_shown(s, business, booked, now, said)

    return await frame.action(request, DETAIL, act, _book_again(now), section=SECTION, retry=BOOK)


async def portal_appointment_release(request: Request) -> Response:
    """Let a held time go (the customer wants another): the form again, their choice kept."""
    appointment_id, now = request.path_params["appointment"], request.app.state.clock()

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        found = booking.get(
            s, business=business, appointment_id=appointment_id, customer_id=customer.id
        )
        if found.status == AppointmentStatus.HELD:
            booking.cancel(
                s,
                business=business,
                appointment_id=found.id,
                now=now,
                actor=_actor(request, customer),
                customer_id=customer.id,
            )
        return book_context(now, form)(s, business, customer)

    return await frame.action(request, BOOK, act, _book_again(now), section=SECTION)


async def portal_appointment(request: Request) -> Response:
    appointment_id, now = request.path_params["appointment"], request.app.state.clock()
    moving = request.query_params.get("move") == "1"
    day = request.query_params.get("day", "")
    build = detail_context(appointment_id, now, moving=moving, day=day)
    return await frame.view(request, DETAIL, build, section=SECTION)


async def portal_appointment_move(request: Request) -> Response:
    appointment_id, now = request.path_params["appointment"], request.app.state.clock()

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        moved = booking.reschedule(
            s,
            business=business,
            appointment_id=appointment_id,
            starts_at=_start(form),
            now=now,
            actor=_actor(request, customer),
            customer_id=customer.id,
        )
        frame.tell(request, host_events.appointment_rescheduled(s, business, customer, moved))
        return detail_shown(
            s, business, moved, now, gettext("Moved. We have emailed you the new time.")
        )

    def again(
        s: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        day = str(form.get("day", ""))
        shown = detail_context(appointment_id, now, moving=True, day=day, problem=invalid.message)
        return {**shown(s, business, customer), "errors": invalid.fields}

    return await frame.action(request, DETAIL, act, again, section=SECTION)


async def portal_appointment_cancel(request: Request) -> Response:
    appointment_id, now = request.path_params["appointment"], request.app.state.clock()

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        canceled = booking.cancel(
            s,
            business=business,
            appointment_id=appointment_id,
            now=now,
            actor=_actor(request, customer),
            customer_id=customer.id,
            reason=str(form.get("reason", "")),
        )
        frame.tell(request, host_events.appointment_canceled(s, business, customer, canceled))
        return detail_shown(s, business, canceled, now, gettext("Canceled. We have emailed you."))

    def again(
        s: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        shown = detail_context(appointment_id, now, problem=invalid.message)
        return {**shown(s, business, customer), "errors": invalid.fields}

    return await frame.action(request, DETAIL, act, again, section=SECTION)


def calendar(
    session: Session, business: Business, customer: Customer, appointment_id: str
) -> tuple[bytes, str]:
    """A download token's "appointment:apt_...": the customer's own visit as an .ics file."""
    booking.get(session, business=business, appointment_id=appointment_id, customer_id=customer.id)
    return booking.calendar_file(session, business=business, appointment_id=appointment_id)


routes = [
    Route("/appointments", portal_appointments, name="portal_appointments"),
    Route("/appointments/new", portal_appointment_new, name="portal_appointment_new"),
    Route(
        "/appointments/hold",
        portal_appointment_hold,
        methods=["POST"],
        name="portal_appointment_hold",
    ),
    Route("/appointments/{appointment}", portal_appointment, name="portal_appointment"),
    Route(
        "/appointments/{appointment}/book",
        portal_appointment_book,
        methods=["POST"],
        name="portal_appointment_book",
    ),
    Route(
        "/appointments/{appointment}/release",
        portal_appointment_release,
        methods=["POST"],
        name="portal_appointment_release",
    ),
    Route(
        "/appointments/{appointment}/move",
        portal_appointment_move,
        methods=["POST"],
        name="portal_appointment_move",
    ),
    Route(
        "/appointments/{appointment}/cancel",
        portal_appointment_cancel,
        methods=["POST"],
        name="portal_appointment_cancel",
    ),
]
