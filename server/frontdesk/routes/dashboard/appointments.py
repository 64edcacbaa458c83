"""Appointments in the dashboard: the day or week list, booking for a customer, blocking time, and
an appointment's page (confirm or decline, move, cancel)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, typed
from frontdesk.services import booking
from frontdesk.services.booking import desk
from frontdesk.services.errors import Invalid

SECTION = "appointments"
LIST = "fragments/dashboard/appointments.html"
BOOK = "fragments/dashboard/appointment_book.html"
ONE = "fragments/dashboard/appointment.html"
# What the booking form carries from one step to the next.
BOOK_FIELDS = (
    "customer",
    "service",
    "day",
    "service_request",
    "estimate",
    "notes",
    "key",
    "starts_at",
)


def list_context(
    request: Request, who: Staff, asked: dict[str, str], **extra: Any
) -> dict[str, Any]:
    """The list of `asked["day"]` (a day, or its week with `asked["span"]`) and the forms on it."""
    now = request.app.state.clock()
    day = desk.read_day(asked.get("day", ""), desk.today(who.business, now))
    agenda = desk.agenda(
        who.session, business=who.business, day=day, span=asked.get("span", ""), now=now
    )
    context: dict[str, Any] = {
        "agenda": agenda,
        "today": desk.today(who.business, now),
        "crews": desk.crews(who.session),
        "notice": "",
        "errors": {},
        "form": {},
        "title": "Appointments",
        "section": SECTION,
    }
    return context | extra


async def dashboard_appointments(request: Request) -> Response:
    asked = dict(request.query_params)

    def build(who: Staff) -> dict[str, Any]:
        return list_context(request, who, asked)

    return await page(request, LIST, build, title="Appointments", section=SECTION)


def book_context(
    request: Request, who: Staff, asked: dict[str, str], **extra: Any
) -> dict[str, Any]:
    """The booking form, with what was asked or typed (its key kept: sent again, it books once)."""
    now = request.app.state.clock()
    values = {name: asked.get(name, "") for name in BOOK_FIELDS}
    values["key"] = values["key"] or secrets.token_urlsafe(16)
    day = desk.read_day(values["day"], desk.today(who.business, now))
    values["day"] = day.isoformat()
    choosing = desk.choosing(
        who.session,
        business=who.business,
        customer_id=values["customer"],
        service_request_id=values["service_request"],
        estimate_id=values["estimate"],
        service_id=values["service"],
        day=day,
        now=now,
    )
    context: dict[str, Any] = {
        "values": values,
        "choosing": choosing,
        "errors": {},
        "title": "Book a visit",
        "section": SECTION,
    }
    return context | extra


async def dashboard_appointment_new(request: Request) -> Response:
    asked = dict(request.query_params)

    def build(who: Staff) -> dict[str, Any]:
        return book_context(request, who, asked)

    return await page(request, BOOK, build, title="Book a visit", section=SECTION)


async def dashboard_appointment_create(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        made = desk.book(
            who.session,
            business=who.business,
            customer_id=str(form.get("customer", "")),
            service_id=str(form.get("service", "")),
            starts_at=str(form.get("starts_at", "")),
            now=request.app.state.clock(),
            actor=who.actor,
            notes=str(form.get("notes", "")),
            form_key=str(form.get("key", "")),
            service_request_id=str(form.get("service_request", "")),
            estimate_id=str(form.get("estimate", "")),
        )
        return {"redirect": request.url_for("dashboard_appointment", appointment=made.id)}

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return book_context(request, who, typed(form), errors=field_errors(invalid))

    return await action(request, BOOK, act, rebuild, section=SECTION)


async def dashboard_appointment_block(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        desk.block(
            who.session,
            business=who.business,
            crew_id=str(form.get("crew", "")),
            starts=str(form.get("starts_at", "")),
            ends=str(form.get("ends_at", "")),
            notes=str(form.get("notes", "")),
            now=request.app.state.clock(),
            actor=who.actor,
        )
        return list_context(request, who, typed(form), notice="The time is blocked.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        kept = typed(form)
        return list_context(request, who, kept, errors=field_errors(invalid), form=kept)

    return await action(request, LIST, act, rebuild, section=SECTION)


def one_context(
    request: Request, who: Staff, appointment_id: str, day: str = "", **extra: Any
) -> dict[str, Any]:
    """An appointment's page; to move it, the free slots of `day` (its own day at first)."""
    now = request.app.state.clock()
    row = desk.one(who.session, business=who.business, appointment_id=appointment_id)
    shown = desk.read_day(day, row.day)
    service = row.service if row.changeable else None  # blocked time has none, and stays put
    slots = (
        desk.day_slots(
            who.session,
            business=who.business,
            service_id=service.id,
            day=shown,
            now=now,
            leave_out=row.appointment.id,
        )
        if service
        else []
    )
    context: dict[str, Any] = {
        "row": row,
        "day": shown.isoformat(),
        "slots": slots,
        "movable": service is not None,
        "notice": "",
        "errors": {},
        "form": {},
        "title": "Appointment",
        "section": SECTION,
    }
    return context | extra


async def dashboard_appointment(request: Request) -> Response:
    appointment_id = request.path_params["appointment"]
    day = request.query_params.get("day", "")

    def build(who: Staff) -> dict[str, Any]:
        return one_context(request, who, appointment_id, day)

    return await page(request, ONE, build, title="Appointment", section=SECTION)


Act = Callable[[Staff, FormData, str], str]


async def _change(request: Request, act: Act) -> Response:
    """A form on an appointment's page: the page again, with what happened or what to fix."""
    appointment_id = request.path_params["appointment"]

    def done(who: Staff, form: FormData) -> dict[str, Any]:
        notice = act(who, form, appointment_id)
        return one_context(request, who, appointment_id, str(form.get("day", "")), notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        kept = typed(form)
        errors = field_errors(invalid)
        return one_context(
            request, who, appointment_id, kept.get("day", ""), errors=errors, form=kept
        )

    return await action(request, ONE, done, rebuild, section=SECTION)


async def dashboard_appointment_decide(request: Request) -> Response:
    def act(who: Staff, form: FormData, appointment_id: str) -> str:
        accept = form.get("answer") == "confirm"
        booking.decide(
            who.session,
            business=who.business,
            appointment_id=appointment_id,
            accept=accept,
            now=request.app.state.clock(),
            actor=who.actor,
            reason=str(form.get("reason", "")),
        )
        return (
            "Confirmed; the customer has an email."
            if accept
            else "Declined; the customer has an email."
        )

    return await _change(request, act)


async def dashboard_appointment_cancel(request: Request) -> Response:
    def act(who: Staff, form: FormData, appointment_id: str) -> str:
        booking.cancel(
            who.session,
            business=who.business,
            appointment_id=appointment_id,
            now=request.app.state.clock(),
            actor=who.actor,
            reason=str(form.get("reason", "")),
        )
        return "Canceled."

    return await _change(request, act)


async def dashboard_appointment_reschedule(request: Request) -> Response:
    def act(who: Staff, form: FormData, appointment_id: str) -> str:
        booking.reschedule(
            who.session,
            business=who.business,
            appointment_id=appointment_id,
            starts_at=desk.chosen_slot(str(form.get("starts_at", ""))),
            now=request.app.state.clock(),
            actor=who.actor,
        )
        return "Moved; the customer has an email."

    return await _change(request, act)


APPOINTMENT = "/appointments/{appointment}"

routes = [
    Route("/appointments", dashboard_appointments, name="dashboard_appointments"),
    Route(
        "/appointments",
        dashboard_appointment_create,
        methods=["POST"],
        name="dashboard_appointment_create",
    ),
    Route("/appointments/new", dashboard_appointment_new, name="dashboard_appointment_new"),
    Route(
        "/appointments/block",
        dashboard_appointment_block,
        methods=["POST"],
        name="dashboard_appointment_block",
    ),
    Route(APPOINTMENT, dashboard_appointment, name="dashboard_appointment"),
    Route(
        APPOINTMENT + "/decide",
        dashboard_appointment_decide,
        methods=["POST"],
        name="dashboard_appointment_decide",
    ),
    Route(
        APPOINTMENT + "/cancel",
        dashboard_appointment_cancel,
        methods=["POST"],
        name="dashboard_appointment_cancel",
    ),
    Route(
        APPOINTMENT + "/reschedule",
        dashboard_appointment_reschedule,
        methods=["POST"],
        name="dashboard_appointment_reschedule",
    ),
]
