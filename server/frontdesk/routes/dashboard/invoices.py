"""Invoices in the dashboard: the list, a page, the draft, sending, voiding, money received and the
PDF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import money
from frontdesk.models import (
    Invoice,
    PaymentMethodKind,
)
from frontdesk.routes.dashboard.drafts import (
    Kind,
    document_create,
    document_new,
    document_page,
    document_update,
)
from frontdesk.routes.dashboard.frame import (
    Staff,
    action,
    field_errors,
    page,
    page_number,
    pdf,
)
from frontdesk.services import (
    businesses,
    customers,
    inputs,
    invoices,
    notices,
    payments,
    pdfs,
)
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.links import Links

INVOICE_PAGE = "fragments/dashboard/invoice.html"


async def dashboard_invoices(request: Request) -> Response:
    status = request.query_params.get("status", "")
    number = page_number(request)

    def build(who: Staff) -> dict[str, Any]:
        rows, more = invoices.recent(who.session, status=status or None, page=number)
        return {
            "rows": rows,
            "status": status,
            "page_number": number,
            "more": more,
            "today": businesses.today(who.business),
        }

    return await page(
        request, "fragments/dashboard/invoices.html", build, title="Invoices", section="invoices"
    )


def _invoice(who: Staff, invoice_id: str) -> Invoice:
    return invoices.get(who.session, business=who.business, invoice_id=invoice_id)


def invoice_context(who: Staff, invoice: Invoice, **extra: Any) -> dict[str, Any]:
    view = invoices.views(who.session, [invoice])[0]
    context: dict[str, Any] = {
        "view": view,
        "invoice": invoice,
        "customer": customers.get(
            who.session, business=who.business, customer_id=invoice.customer_id
        ),
        "lines": invoices.lines(who.session, invoice=invoice),
        "applied": invoices.applied(who.session, invoice=invoice),
        "due_input": f"{money.to_decimal(view.amount_due, invoice.currency)}",
        "today": businesses.today(who.business),
        "title": invoice.number,
        "section": "invoices",
        "notice": "",
        "errors": {},
    }
    context.update(extra)
    return context


INVOICE = Kind(
    name="invoice",
    end="due_date",
    days=14,
    page="dashboard_invoice",
    find=_invoice,
    create=invoices.create,
    replace_draft=invoices.replace_draft,
    lines=lambda session, document: invoices.lines(session, invoice=document),
)


async def dashboard_invoice_new(request: Request) -> Response:
    return await document_new(request, INVOICE)


async def dashboard_invoice_create(request: Request) -> Response:
    return await document_create(request, INVOICE)


async def dashboard_invoice(request: Request) -> Response:
    return await document_page(request, INVOICE, INVOICE_PAGE, invoice_context)


async def dashboard_invoice_update(request: Request) -> Response:
    return await document_update(request, INVOICE)


def _send(who: Staff, invoice: Invoice, form: FormData, links: Links) -> str:
    notices.send(who.session, business=who.business, document=invoice, links=links, actor=who.actor)
    return f"{invoice.number} is sent: the customer has it by email and in the portal."


def _void(who: Staff, invoice: Invoice, form: FormData, links: Links) -> str:
    invoices.void(who.session, business=who.business, invoice=invoice, actor=who.actor)
    return f"{invoice.number} is void."


def _received(who: Staff, invoice: Invoice, form: FormData, links: Links) -> str:
    """Cash or a cheque the business took for it."""
    customer = customers.get(who.session, business=who.business, customer_id=invoice.customer_id)
    amount = inputs.amount(str(form.get("amount", "")), invoice.currency) or 0
    method = str(form.get("method", ""))
    # Anything but cash or a cheque is refused by the service, in words.
    kind = PaymentMethodKind(method) if method in ("cash", "cheque") else PaymentMethodKind.CARD
    payments.record_offline(
        who.session,
        business=who.business,
        customer=customer,
        invoice=invoice,
        amount=amount,
        method=kind,
        reference=str(form.get("reference", "")),
        actor=who.actor,
    )
    shown = money.format_amount(amount, invoice.currency, who.business.locale)
    return f"Recorded {shown} paid by {method}."


CHANGES: dict[str, Callable[[Staff, Invoice, FormData, Links], str]] = {
    "send": _send,
    "void": _void,
    "payment": _received,
}


async def dashboard_invoice_change(request: Request) -> Response:
    """Send a draft, void an invoice, or record cash or a cheque against it."""
    invoice_id, change = request.path_params["invoice"], request.path_params["change"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        invoice = _invoice(who, invoice_id)
        if change not in CHANGES:
            raise NotFound("no such change")
        notice = CHANGES[change](who, invoice, form, request.app.state.links)
        return invoice_context(who, invoice, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        invoice, errors = _invoice(who, invoice_id), field_errors(invalid)
        # The amount as typed, beside its error, instead of what is due.
        kept = {"due_input": str(form.get("amount", ""))} if "amount" in errors else {}
        return invoice_context(who, invoice, errors=errors, **kept)

    return await action(request, INVOICE_PAGE, act, rebuild, section="invoices")


async def dashboard_invoice_pdf(request: Request) -> Response:
    """The PDF as the customer will get it, drafts included (a preview)."""
    invoice_id = request.path_params["invoice"]

    def build(who: Staff) -> tuple[bytes, str]:
        invoice = _invoice(who, invoice_id)
        session = who.session
        customer = customers.get(session, business=who.business, customer_id=invoice.customer_id)
        document = pdfs.invoice_pdf(
            who.business,
            customer,
            invoices.views(session, [invoice])[0],
            invoices.lines(session, invoice=invoice),
            invoices.applied(session, invoice=invoice),
        )
        return document, invoice.number

    return await pdf(request, build)


routes = [
    Route("/invoices", dashboard_invoices, name="dashboard_invoices"),
    Route("/invoices/new", dashboard_invoice_new, name="dashboard_invoice_new"),
    Route("/invoices", dashboard_invoice_create, methods=["POST"], name="dashboard_invoice_create"),
    Route("/invoices/{invoice}", dashboard_invoice, name="dashboard_invoice"),
    Route(
        "/invoices/{invoice}",
        dashboard_invoice_update,
        methods=["POST"],
        name="dashboard_invoice_update",
    ),
    Route("/invoices/{invoice}/pdf", dashboard_invoice_pdf, name="dashboard_invoice_pdf"),
    Route(
        "/invoices/{invoice}/{change}",
        dashboard_invoice_change,
        methods=["POST"],
        name="dashboard_invoice_change",
    ),
]
