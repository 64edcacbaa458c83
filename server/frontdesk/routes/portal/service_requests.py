"""The customer's service requests in the portal: asking for work, the list, one request with its
timeline, and cancelling while it is new."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.middleware.body_limit import uploads
from frontdesk.models import Business, Customer, ServiceRequest, ServiceRequestEvent
from frontdesk.routes.portal import frame
from frontdesk.services import attachments, host_events, service_requests
from frontdesk.services.attachments import Linked
from frontdesk.services.errors import Invalid

SECTION = "service_requests"
LIST = "fragments/service_requests/list.html"
FORM = "fragments/service_requests/form.html"
DETAIL = "fragments/service_requests/detail.html"


def list_shown(requests: list[ServiceRequest]) -> dict[str, Any]:
    """The list drawn with `requests` (the theme gallery draws it with samples)."""
    return {"requests": requests, "labels": service_requests.LABELS, "current": SECTION}


def list_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    return list_shown(service_requests.list_for_customer(session, customer=customer))


def _form_values(form: FormData | None) -> dict[str, Any]:
    """What the form shows: blank, or what was typed (every window row typed, at least three)."""
    if form is None:
        return {"description": "", "address": "profile", "windows": [("", "any")] * 3}
    windows = list(zip(form.getlist("window_date"), form.getlist("window_part"), strict=False))
    windows += [("", "any")] * (service_requests.MAX_WINDOWS - len(windows))
    typed = {name: str(form.get(name, "")) for name in service_requests.ADDRESS_FIELDS}
    return {
        **typed,
        "description": str(form.get("description", "")),
        "address": "other" if form.get("address") == "other" else "profile",
        "windows": windows,
    }


def form_shown(
    form: FormData | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """The form, blank or as `form` typed it with what is wrong with it."""
    return {
        "values": _form_values(form),
        "errors": errors or {},
        "parts": service_requests.PARTS,
        "max_photos": service_requests.MAX_PHOTOS,
        "current": SECTION,
    }


def form_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    return form_shown()


def detail_shown(
    found: ServiceRequest,
    photos: list[Linked],
    timeline: list[ServiceRequestEvent],
    notice: str = "",
) -> dict[str, Any]:
    """One request drawn with its photos and timeline (the theme gallery's are samples)."""
    return {
        "service_request": found,
        "attachments": photos,
        "timeline": timeline,
        "labels": service_requests.LABELS,
        "parts": service_requests.PARTS,
        "notice": notice,
        "problem": "",
        "open": found.status in service_requests.OPEN,
        "comment": "",
        "comment_error": "",
        "current": SECTION,
    }


def detail_context(request: Request, number: str, notice: str = "") -> frame.Build:
    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        found = service_requests.get_for_customer(session, customer=customer, number=number)
        photos = service_requests.photos(
            session,
            business=business,
            request=found,
            audience=attachments.Party.customer(customer.id),
            secret_keys=request.app.state.settings.secret_key,
            now=request.app.state.clock(),
        )
        timeline = service_requests.timeline(session, request=found)
        return detail_shown(found, photos, timeline, notice)

    return build


def _wanted(form: FormData) -> service_requests.Wanted:
    windows = zip(form.getlist("window_date"), form.getlist("window_part"), strict=False)
    return service_requests.Wanted(
        description=str(form.get("description", "")),
        use_profile_address=form.get("address") != "other",
        address={name: str(form.get(name, "")) for name in service_requests.ADDRESS_FIELDS},
        windows=[service_requests.Window(str(day), str(part)) for day, part in windows],
    )


async def portal_service_requests(request: Request) -> Response:
    return await frame.view(request, LIST, list_context, section=SECTION)


async def portal_service_request_new(request: Request) -> Response:
    return await frame.view(request, FORM, form_context, section=SECTION)


async def portal_service_request(request: Request) -> Response:
    number = request.path_params["number"]
    return await frame.view(request, DETAIL, detail_context(request, number), section=SECTION)


async def portal_service_request_create(request: Request) -> Response:
    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        made = service_requests.create(
            s,
            business=business,
            customer=customer,
            wanted=_wanted(form),
            now=request.app.state.clock(),
            links=request.app.state.links,
            photos=[f for f in form.getlist("photos") if isinstance(f, UploadFile)],
            store=attachments.store_for(request.app.state.settings),
            ip=frame.client_ip(request),
        )
        frame.tell(request, host_events.service_request_created(s, business, customer, made))
        notice = gettext("Sent. %(business)s will reply here and by email.") % {
            "business": business.name
        }
        return detail_context(request, made.number, notice)(s, business, customer)

    def rebuild(
        s: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        return form_shown(form, invalid.fields)

    return await frame.action(request, DETAIL, act, rebuild, section=SECTION, retry=FORM)


async def portal_service_request_cancel(request: Request) -> Response:
    number = request.path_params["number"]

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        found = service_requests.get_for_customer(s, customer=customer, number=number)
        service_requests.cancel(
            s,
            business=business,
            customer=customer,
            request=found,
            now=request.app.state.clock(),
            ip=frame.client_ip(request),
        )
        return detail_context(request, number, gettext("Cancelled."))(s, business, customer)

    def rebuild(
        s: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        built = detail_context(request, number)(s, business, customer)
        return {**built, "problem": invalid.message}

    return await frame.action(request, DETAIL, act, rebuild, section=SECTION)


async def portal_service_request_comment(request: Request) -> Response:
    number = request.path_params["number"]

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        found = service_requests.get_for_customer(s, customer=customer, number=number)
        service_requests.comment_by_customer(
            s,
            business=business,
            customer=customer,
            request=found,
            text=str(form.get("text", "")),
            now=request.app.state.clock(),
            ip=frame.client_ip(request),
        )
        notice = gettext("Sent: it is on the request below.")
        return detail_context(request, number, notice)(s, business, customer)

    def rebuild(
        s: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        built = detail_context(request, number)(s, business, customer)
        error = invalid.fields.get("text", "")
        kept = {"comment": str(form.get("text", "")), "comment_error": error}
        return {**built, **kept, "problem": "" if error else invalid.message}

    return await frame.action(request, DETAIL, act, rebuild, section=SECTION)


routes = [
    Route("/requests", portal_service_requests, name="portal_service_requests"),
    Route(
        "/requests",
        uploads(max_files=service_requests.MAX_PHOTOS)(portal_service_request_create),
        methods=["POST"],
        name="portal_service_request_create",
    ),
    Route("/requests/new", portal_service_request_new, name="portal_service_request_new"),
    Route("/requests/{number:text}", portal_service_request, name="portal_service_request"),
    Route(
        "/requests/{number:text}/comments",
        portal_service_request_comment,
        methods=["POST"],
        name="portal_service_request_comment",
    ),
    Route(
        "/requests/{number:text}/cancel",
        portal_service_request_cancel,
        methods=["POST"],
        name="portal_service_request_cancel",
    ),
]
