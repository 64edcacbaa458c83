"""Estimates in the dashboard: the draft, its page, sending and the PDF."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import (
    Estimate,
)
from frontdesk.routes.dashboard.drafts import (
    Kind,
    document_create,
    document_new,
    document_page,
    document_update,
)
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, pdf
from frontdesk.services import (
    businesses,
    customers,
    estimates,
    notices,
    pdfs,
    service_requests,
)
from frontdesk.services.errors import Invalid

ESTIMATE_PAGE = "fragments/dashboard/estimate.html"


def _estimate(who: Staff, estimate_id: str) -> Estimate:
    return estimates.get_by_reference(who.session, business=who.business, reference=estimate_id)


def estimate_context(who: Staff, estimate: Estimate, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "estimate": estimate,
        "status": estimates.status(estimate, businesses.today(who.business)),
        "customer": customers.get(
            who.session, business=who.business, customer_id=estimate.customer_id
        ),
        "lines": estimates.lines(who.session, estimate=estimate),
        "service_request": service_requests.for_estimate(who.session, estimate=estimate),
        "title": estimate.number,
        "section": "invoices",
        "notice": "",
        "errors": {},
    }
    context.update(extra)
    return context


ESTIMATE = Kind(
    name="estimate",
    end="expires_on",
    days=30,
    page="dashboard_estimate",
    find=_estimate,
    create=estimates.create,
    replace_draft=estimates.replace_draft,
    lines=lambda session, document: estimates.lines(session, estimate=document),
)


async def dashboard_estimate_new(request: Request) -> Response:
    return await document_new(request, ESTIMATE)


async def dashboard_estimate_create(request: Request) -> Response:
    return await document_create(request, ESTIMATE)


async def dashboard_estimate(request: Request) -> Response:
    return await document_page(request, ESTIMATE, ESTIMATE_PAGE, estimate_context)


async def dashboard_estimate_update(request: Request) -> Response:
    return await document_update(request, ESTIMATE)


async def dashboard_estimate_send(request: Request) -> Response:
    estimate_id = request.path_params["estimate"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        estimate = _estimate(who, estimate_id)
        notices.send(
            who.session,
            business=who.business,
            document=estimate,
            links=request.app.state.links,
            actor=who.actor,
        )
        notice = f"{estimate.number} is sent: the customer has it by email and in the portal."
        return estimate_context(who, estimate, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return estimate_context(who, _estimate(who, estimate_id), errors=field_errors(invalid))

    return await action(request, ESTIMATE_PAGE, act, rebuild, section="invoices")


async def dashboard_estimate_pdf(request: Request) -> Response:
    """The PDF as the customer will get it, drafts included (a preview)."""
    estimate_id = request.path_params["estimate"]

    def build(who: Staff) -> tuple[bytes, str]:
        estimate = _estimate(who, estimate_id)
        customer = customers.get(
            who.session, business=who.business, customer_id=estimate.customer_id
        )
        lines = estimates.lines(who.session, estimate=estimate)
        return pdfs.estimate_pdf(who.business, customer, estimate, lines), estimate.number

    return await pdf(request, build)


routes = [
    Route("/estimates/new", dashboard_estimate_new, name="dashboard_estimate_new"),
    Route(
        "/estimates", dashboard_estimate_create, methods=["POST"], name="dashboard_estimate_create"
    ),
    Route("/estimates/{estimate}", dashboard_estimate, name="dashboard_estimate"),
    Route(
        "/estimates/{estimate}",
        dashboard_estimate_update,
        methods=["POST"],
        name="dashboard_estimate_update",
    ),
    Route("/estimates/{estimate}/pdf", dashboard_estimate_pdf, name="dashboard_estimate_pdf"),
    Route(
        "/estimates/{estimate}/send",
        dashboard_estimate_send,
        methods=["POST"],
        name="dashboard_estimate_send",
    ),
]
