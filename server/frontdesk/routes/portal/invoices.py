"""The customer's invoices in the portal: the filtered list, one invoice, its PDF."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import N_, NC_
from frontdesk.models import Business, Customer
from frontdesk.routes.portal import frame
from frontdesk.services import businesses, invoices, pdfs
from frontdesk.services.invoices import DisplayStatus

FILTERS = [
    ("", N_("All")),
    (DisplayStatus.UNPAID, N_("Unpaid")),
    (DisplayStatus.OVERDUE, NC_("invoice", "Overdue")),
    (DisplayStatus.PARTIALLY_PAID, N_("Partially paid")),
    (DisplayStatus.PROCESSING, NC_("invoice", "Processing")),
    (DisplayStatus.PAID, NC_("invoice", "Paid")),
]


def list_context(status: DisplayStatus | None, page: int) -> frame.Build:
    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        views, more = invoices.list_page(
            session,
            business=business,
            customer=customer,
            status=status,
            page=page,
            today=businesses.today(business),
        )
        return {
            "invoices": views,
            "status": status or "",
            "filters": FILTERS,
            "page": page,
            "more": more,
            "current": "invoices",
        }

    return build


def detail_context(number: str) -> frame.Build:
    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        view = invoices.get_for_customer(
            session, business=business, customer=customer, number=number
        )
        return {
            "view": view,
            "lines": invoices.lines(session, invoice=view.invoice),
            "applied": invoices.applied(session, invoice=view.invoice),
            "current": "invoices",
        }

    return build


def pdf(session: Session, business: Business, customer: Customer, number: str) -> tuple[bytes, str]:
    context = detail_context(number)(session, business, customer)
    document = pdfs.invoice_pdf(
        business, customer, context["view"], context["lines"], context["applied"]
    )
    return document, number


async def portal_invoices(request: Request) -> Response:
    raw_status = request.query_params.get("status", "")
    status = DisplayStatus(raw_status) if raw_status in {f for f, _ in FILTERS if f} else None
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    return await frame.view(
        request, "fragments/invoices/list.html", list_context(status, page), section="invoices"
    )


async def portal_invoice(request: Request) -> Response:
    return await frame.view(
        request,
        "fragments/invoices/detail.html",
        detail_context(request.path_params["number"]),
        section="invoices",
    )


routes = [
    Route("/invoices", portal_invoices, name="portal_invoices"),
    Route("/invoices/{number:text}", portal_invoice, name="portal_invoice"),
]
