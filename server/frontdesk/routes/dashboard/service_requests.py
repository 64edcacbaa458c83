"""Service requests in the dashboard: the queue, a request's page, replying, moving it on, and
turning it into a draft estimate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import ServiceRequest
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, page_number, typed
from frontdesk.services import attachments, customers, service_requests
from frontdesk.services.errors import Invalid

SECTION = "service_requests"
QUEUE = "fragments/dashboard/service_requests.html"
REQUEST_PAGE = "fragments/dashboard/service_request.html"


async def dashboard_service_requests(request: Request) -> Response:
    status = request.query_params.get("status", "")
    number = page_number(request)

    def build(who: Staff) -> dict[str, Any]:
        wanted = status if status in service_requests.LABELS else ""
        rows, more = service_requests.queue(who.session, status=wanted or None, page=number)
        return {
            "rows": rows,
            "status": wanted,
            "labels": service_requests.LABELS,
            "page_number": number,
            "more": more,
        }

    return await page(request, QUEUE, build, title="Requests", section=SECTION)


def _request(who: Staff, request_id: str) -> ServiceRequest:
    return service_requests.get(who.session, business=who.business, request_id=request_id)


def request_context(
    request: Request, who: Staff, found: ServiceRequest, **extra: Any
) -> dict[str, Any]:
    secret_keys, now = request.app.state.settings.secret_key, request.app.state.clock()
    context: dict[str, Any] = {
        "service_request": found,
        "customer": customers.get(
            who.session, business=who.business, customer_id=found.customer_id
        ),
        "timeline": service_requests.timeline(who.session, request=found),
        "attachments": service_requests.photos(
            who.session,
            business=who.business,
            request=found,
            audience=attachments.Party.staff(who.user.id),
            secret_keys=secret_keys,
            now=now,
        ),
        "labels": service_requests.LABELS,
        "parts": service_requests.PARTS,
        "moves": service_requests.STAFF_MOVES if found.status in service_requests.OPEN else (),
        "title": found.number,
        "section": SECTION,
        "notice": "",
        "errors": {},
        "form": {},
    }
    context.update(extra)
    return context


async def dashboard_service_request(request: Request) -> Response:
    request_id = request.path_params["service_request"]

    def build(who: Staff) -> dict[str, Any]:
        return request_context(request, who, _request(who, request_id))

    return await page(request, REQUEST_PAGE, build, title="Request", section=SECTION)


Act = Callable[[Staff, FormData, ServiceRequest], dict[str, Any]]


async def _post(request: Request, act: Act) -> Response:
    """A form on the request's page: bad input brings the page back with what was typed."""
    request_id = request.path_params["service_request"]

    def done(who: Staff, form: FormData) -> dict[str, Any]:
        found = _request(who, request_id)
        return act(who, form, found)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        found = _request(who, request_id)
        return request_context(request, who, found, errors=field_errors(invalid), form=typed(form))

    return await action(request, REQUEST_PAGE, done, rebuild, section=SECTION)


async def dashboard_service_request_comment(request: Request) -> Response:
    def act(who: Staff, form: FormData, found: ServiceRequest) -> dict[str, Any]:
        service_requests.comment(
            who.session,
            business=who.business,
            request=found,
            text=str(form.get("text", "")),
            actor=who.actor,
            links=request.app.state.links,
            now=request.app.state.clock(),
        )
        return request_context(
            request, who, found, notice="Replied: the customer sees it and has an email."
        )

    return await _post(request, act)


async def dashboard_service_request_status(request: Request) -> Response:
    def act(who: Staff, form: FormData, found: ServiceRequest) -> dict[str, Any]:
        service_requests.change_status(
            who.session,
            business=who.business,
            request=found,
            status=str(form.get("status", "")),
            reason=str(form.get("reason", "")),
            actor=who.actor,
            links=request.app.state.links,
            now=request.app.state.clock(),
        )
        label = service_requests.LABELS[found.status].lower()
        return request_context(
            request, who, found, notice=f"Marked {label}; the customer has an email."
        )

    return await _post(request, act)


async def dashboard_service_request_estimate(request: Request) -> Response:
    def act(who: Staff, form: FormData, found: ServiceRequest) -> dict[str, Any]:
        estimate = service_requests.to_estimate(
            who.session,
            business=who.business,
            request=found,
            actor=who.actor,
            now=request.app.state.clock(),
        )
        return {"redirect": request.url_for("dashboard_estimate", estimate=estimate.id)}

    return await _post(request, act)


routes = [
    Route("/requests", dashboard_service_requests, name="dashboard_service_requests"),
    Route(
        "/requests/{service_request}", dashboard_service_request, name="dashboard_service_request"
    ),
    Route(
        "/requests/{service_request}/comments",
        dashboard_service_request_comment,
        methods=["POST"],
        name="dashboard_service_request_comment",
    ),
    Route(
        "/requests/{service_request}/status",
        dashboard_service_request_status,
        methods=["POST"],
        name="dashboard_service_request_status",
    ),
    Route(
        "/requests/{service_request}/estimate",
        dashboard_service_request_estimate,
        methods=["POST"],
        name="dashboard_service_request_estimate",
    ),
]
