"""The customer's estimates in the portal: the list, one estimate, its PDF, and approving or
rejecting it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Business, Customer
from frontdesk.routes.portal import frame
from frontdesk.services import businesses, estimates, host_events, pdfs
from frontdesk.services.errors import Invalid


def list_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    return {
        "estimates": estimates.list_for_customer(session, business=business, customer=customer),
        "status_of": estimates.status,
        "current": "estimates",
    }


def detail_context(number: str) -> frame.Build:
    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        estimate = estimates.get_for_customer(
            session, business=business, customer=customer, number=number
        )
        return {
            "estimate": estimate,
            "lines": estimates.lines(session, estimate=estimate),
            "status": estimates.status(estimate, businesses.today(business)),
            "terms": estimates.terms(business),
            "errors": {},
            "message": "",
            "form": {},
            "current": "estimates",
        }

    return build


def pdf(session: Session, business: Business, customer: Customer, number: str) -> tuple[bytes, str]:
    estimate = estimates.get_for_customer(
        session, business=business, customer=customer, number=number
    )
    lines = estimates.lines(session, estimate=estimate)
    return pdfs.estimate_pdf(business, customer, estimate, lines), number


async def portal_estimates(request: Request) -> Response:
    return await frame.view(
        request, "fragments/estimates/list.html", list_context, section="estimates"
    )


async def portal_estimate(request: Request) -> Response:
    return await frame.view(
        request,
        "fragments/estimates/detail.html",
        detail_context(request.path_params["number"]),
        section="estimates",
    )


def _decision(form: FormData) -> estimates.Decision:
    return estimates.Decision(
        accept=form.get("decision") == "accept",
        signer_name=str(form.get("signer_name", "")),
        accepted_terms=form.get("accept_terms") == "yes",
        reason=str(form.get("reason", "")),
    )


async def portal_estimate_decide(request: Request) -> Response:
    number, ip = request.path_params["number"], frame.client_ip(request)

    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        estimate = estimates.get_for_customer(
            session, business=business, customer=customer, number=number
        )
        today = businesses.today(business)
        estimates.decide(
            session,
            business=business,
            customer=customer,
            estimate=estimate,
            decision=_decision(form),
            ip=ip,
            today=today,
        )
        frame.tell(request, host_events.estimate_decided(session, business, customer, estimate))
        return detail_context(number)(session, business, customer)

    def rebuild(
        session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        context = detail_context(number)(session, business, customer)
        return {**context, "errors": invalid.fields, "message": invalid.message, "form": form}

    template = "fragments/estimates/detail.html"
    return await frame.action(request, template, act, rebuild, section="estimates")


routes = [
    Route("/estimates", portal_estimates, name="portal_estimates"),
    Route("/estimates/{number:text}", portal_estimate, name="portal_estimate"),
    Route(
        "/estimates/{number:text}/decision",
        portal_estimate_decide,
        methods=["POST"],
        name="portal_estimate_decide",
    ),
]
