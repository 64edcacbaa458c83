"""Booking settings, a page of their own linked from Settings: the terms, the services, the
weekly hours, crews, dates with other hours and the service area. Every form answers with the
whole page's fragment; only owners change them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, typed
from frontdesk.routes.dashboard.settings import saved
from frontdesk.services import booking, businesses
from frontdesk.services.booking import configuring
from frontdesk.services.errors import Invalid

FRAGMENT = "fragments/dashboard/booking_settings.html"


def _context(who: Staff, request: Request, **extra: Any) -> dict[str, Any]:
    today = businesses.today(who.business, request.app.state.clock())
    context: dict[str, Any] = {
        "title": "Booking",
        "setup": configuring.current(who.session, who.business, today),
        "weekdays": configuring.WEEKDAYS,
        "today": today,
        "notice": "",
        "errors": {},
        # What was typed, shown again beside its error; `which` names the form it came from.
        "form": {},
    }
    return {**context, **extra}


async def _change(
    request: Request, change: Callable[[Staff, FormData], dict[str, Any]]
) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        return _context(who, request, **change(who, form))

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return _context(who, request, errors=field_errors(invalid), form=typed(form))

    return await action(request, FRAGMENT, act, rebuild, section="settings", owners_only=True)


async def dashboard_booking_settings(request: Request) -> Response:
    def build(who: Staff) -> dict[str, Any]:
        return _context(who, request)

    return await page(request, FRAGMENT, build, title="Booking", section="settings")


async def dashboard_booking_terms(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        changed = configuring.save_terms(
            who.session,
            business=who.business,
            public=form.get("booking_public") == "yes",
            cancel_hours=str(form.get("booking_cancel_hours", "")),
            actor=who.actor,
        )
        return saved(changed, "Saved: the booking terms apply now.")

    return await _change(request, change)


def _service(form: FormData) -> configuring.TypedService:
    return configuring.TypedService(
        name=str(form.get("name", "")),
        duration_min=str(form.get("duration_min", "")),
        buffer_before_min=str(form.get("buffer_before_min", "0")),
        buffer_after_min=str(form.get("buffer_after_min", "0")),
        min_notice_hours=str(form.get("min_notice_hours", "0")),
        max_days_ahead=str(form.get("max_days_ahead", "")),
        slot_step_min=str(form.get("slot_step_min", "")),
        requires_confirmation=form.get("requires_confirmation") == "yes",
        active=form.get("active") == "yes",
    )


async def dashboard_booking_service_add(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        made = configuring.add_service(
            who.session, business=who.business, typed=_service(form), actor=who.actor
        )
        return {"notice": f"Added: {made.name}."}

    return await _change(request, change)


async def dashboard_booking_service_edit(request: Request) -> Response:
    service_id = request.path_params["booking_service"]

    def change(who: Staff, form: FormData) -> dict[str, Any]:
        changed = configuring.change_service(
            who.session,
            business=who.business,
            service_id=service_id,
            typed=_service(form),
            actor=who.actor,
        )
        return saved(changed, "Saved: the service's new terms apply to the next booking.")

    return await _change(request, change)


async def dashboard_booking_hours(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        days = [
            (
                form.get(f"open_{day}") == "yes",
                str(form.get(f"start_{day}", "")),
                str(form.get(f"end_{day}", "")),
            )
            for day in range(len(configuring.WEEKDAYS))
        ]
        configuring.save_hours(who.session, business=who.business, typed=days, actor=who.actor)
        return {"notice": "Saved: the working hours apply now."}

    return await _change(request, change)


async def dashboard_booking_crew_add(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        crew = configuring.save_crew(
            who.session,
            business=who.business,
            name=str(form.get("name", "")),
            service_ids=[str(value) for value in form.getlist("crew_services")],
            actor=who.actor,
        )
        return {"notice": f"Added: {crew.name}."}

    return await _change(request, change)


async def dashboard_booking_date_add(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        configuring.save_override(
            who.session,
            business=who.business,
            day=str(form.get("override_day", "")),
            closed=form.get("override_closed") == "yes",
            start=str(form.get("override_start", "")),
            end=str(form.get("override_end", "")),
            today=businesses.today(who.business, request.app.state.clock()),
            actor=who.actor,
        )
        return {"notice": "Saved: that date has its own hours."}

    return await _change(request, change)


async def dashboard_booking_date_remove(request: Request) -> Response:
    override_id = request.path_params["date_override"]

    def change(who: Staff, form: FormData) -> dict[str, Any]:
        booking.remove_override(
            who.session, business=who.business, override_id=override_id, actor=who.actor
        )
        return {"notice": "Removed: the weekly hours apply that day."}

    return await _change(request, change)


async def dashboard_booking_area(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        area = configuring.save_area(
            who.session,
            business=who.business,
            typed=str(form.get("prefixes", "")),
            actor=who.actor,
        )
        return {"notice": "Saved: the service area." if area else "Saved: you serve everywhere."}

    return await _change(request, change)


routes = [
    Route("/settings/booking", dashboard_booking_settings, name="dashboard_booking_settings"),
    Route(
        "/settings/booking/terms",
        dashboard_booking_terms,
        methods=["POST"],
        name="dashboard_booking_terms",
    ),
    Route(
        "/settings/booking/services",
        dashboard_booking_service_add,
        methods=["POST"],
        name="dashboard_booking_service_add",
    ),
    Route(
        "/settings/booking/services/{booking_service}",
        dashboard_booking_service_edit,
        methods=["POST"],
        name="dashboard_booking_service_edit",
    ),
    Route(
        "/settings/booking/hours",
        dashboard_booking_hours,
        methods=["POST"],
        name="dashboard_booking_hours",
    ),
    Route(
        "/settings/booking/crews",
        dashboard_booking_crew_add,
        methods=["POST"],
        name="dashboard_booking_crew_add",
    ),
    Route(
        "/settings/booking/dates",
        dashboard_booking_date_add,
        methods=["POST"],
        name="dashboard_booking_date_add",
    ),
    Route(
        "/settings/booking/dates/{date_override}/remove",
        dashboard_booking_date_remove,
        methods=["POST"],
        name="dashboard_booking_date_remove",
    ),
    Route(
        "/settings/booking/area",
        dashboard_booking_area,
        methods=["POST"],
        name="dashboard_booking_area",
    ),
]
