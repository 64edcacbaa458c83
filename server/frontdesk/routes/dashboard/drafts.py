"""The draft editor invoices and estimates share: lines, dates, the customer, create and update,
described by a Kind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from frontdesk import money
from frontdesk.models import (
    Customer,
    Estimate,
    Invoice,
)
from frontdesk.models.billing import LineBase
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page
from frontdesk.services import (
    businesses,
    customers,
    inputs,
)
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.lines import LineInput

EDITOR = "fragments/dashboard/document_editor.html"


COLUMNS = ("description", "quantity", "unit_price", "tax_rate")


def _typed_rows(form: FormData) -> list[dict[str, str]]:
    """The editor's line rows as typed, blank ones included."""
    return [
        dict(zip(COLUMNS, map(str, values), strict=False))
        for values in zip(*(form.getlist(name) for name in COLUMNS), strict=False)
    ]


def _lines(form: FormData, currency: str) -> list[LineInput]:
    """The lines the typed rows make; blank rows are skipped."""
    return inputs.lines(_typed_rows(form), currency)


Document = Invoice | Estimate


@dataclass(frozen=True)
class Kind:
    """What differs between the two documents the editor makes."""

    name: str
    # The second date: when an invoice is due, when an estimate expires.
    end: str
    # How far after the issue date the editor proposes it.
    days: int
    # The route that shows one.
    page: str
    find: Callable[[Staff, str], Document]
    create: Callable[..., Document]
    replace_draft: Callable[..., Document]
    lines: Callable[[Session, Any], Sequence[LineBase]]


def _dates(form: FormData, today: date, kind: Kind) -> tuple[date, date]:
    try:
        issued = date.fromisoformat(str(form.get("issue_date") or today.isoformat()))
        ends = date.fromisoformat(str(form.get(kind.end) or (today + timedelta(14)).isoformat()))
    except ValueError:
        raise Invalid("Dates need fixing.", {kind.end: "Use a date like 2026-12-31."}) from None
    return issued, ends


def _chosen_customer(who: Staff, form: FormData) -> Customer:
    try:
        return customers.get(
            who.session, business=who.business, customer_id=str(form.get("customer", ""))
        )
    except NotFound:
        raise Invalid("Choose a customer.", {"customer": "Choose a customer."}) from None


def _typed_customer(who: Staff, form: FormData) -> Customer | None:
    """The customer the form named, if it is one of this business's (to show the form again)."""
    try:
        return _chosen_customer(who, form)
    except Invalid:
        return None


def _customer_of(who: Staff, document: Document) -> Customer:
    return customers.get(who.session, business=who.business, customer_id=document.customer_id)


BLANK_ROW = {"description": "", "quantity": "1", "unit_price": "", "tax_rate": ""}


def _rows(
    who: Staff, kind: Kind, document: Document | None, form: FormData | None
) -> list[dict[str, str]]:
    """The line rows as typed (after a refused save), as stored, or blank; room for more."""
    rows: list[dict[str, str]] = []
    if form is not None:
        rows = _typed_rows(form)
    elif document is not None:
        rows = [
            {
                "description": line.description,
                "quantity": f"{line.quantity.normalize():f}",
                "unit_price": f"{money.to_decimal(line.unit_amount, document.currency)}",
                "tax_rate": f"{Decimal(line.tax_rate_bp) / 100:f}" if line.tax_rate_bp else "",
            }
            for line in kind.lines(who.session, document)
        ]
    return rows + [BLANK_ROW] * max(3 - len(rows), 1)


def _values(
    who: Staff, kind: Kind, document: Document | None, form: FormData | None
) -> dict[str, str]:
    """The dates and notes: as typed, as stored, or a new draft's defaults."""
    if form is not None:
        values = {name: str(form.get(name, "")) for name in ("issue_date", "notes")}
        return {**values, "ends": str(form.get(kind.end, ""))}
    if document is not None:
        ends = getattr(document, kind.end).isoformat()
        return {
            "issue_date": document.issue_date.isoformat(),
            "notes": document.notes,
            "ends": ends,
        }
    today = businesses.today(who.business)
    ends = (today + timedelta(kind.days)).isoformat()
    return {"issue_date": today.isoformat(), "notes": "", "ends": ends}


def editor_context(
    who: Staff,
    kind: Kind,
    *,
    customer: Customer | None,
    document: Document | None = None,
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The draft editor for an invoice or an estimate: its lines, dates and notes."""
    choices = (
        []
        if customer
        else customers.search(who.session, business=who.business, query="", page=1, per_page=500)[0]
    )
    return {
        "kind": kind.name,
        "end_field": kind.end,
        "customer": customer,
        "document": document,
        "rows": _rows(who, kind, document, form),
        "values": {
            **_values(who, kind, document, form),
            "customer": customer.id if customer else "",
        },
        "choices": choices,
        "errors": errors or {},
        "title": f"Edit {document.number}" if document else f"New {kind.name}",
        "section": "invoices",
    }


async def document_new(request: Request, kind: Kind) -> Response:
    customer_id = request.query_params.get("customer", "")

    def build(who: Staff) -> dict[str, Any]:
        customer = (
            customers.get(who.session, business=who.business, customer_id=customer_id)
            if customer_id
            else None
        )
        return editor_context(who, kind, customer=customer)

    return await page(request, EDITOR, build, title=f"New {kind.name}", section="invoices")


async def document_create(request: Request, kind: Kind) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer = _chosen_customer(who, form)
        lines = _lines(form, who.business.currency)
        issued, ends = _dates(form, businesses.today(who.business), kind)
        document = kind.create(
            who.session,
            business=who.business,
            customer=customer,
            lines=lines,
            issue_date=issued,
            notes=str(form.get("notes", ""))[:4000],
            actor=who.actor,
            **{kind.end: ends},
        )
        who.session.flush()
        return {"redirect": request.url_for(kind.page, **{kind.name: document.id})}

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        customer = _typed_customer(who, form)
        return editor_context(who, kind, customer=customer, form=form, errors=field_errors(invalid))

    return await action(request, EDITOR, act, rebuild, section="invoices")


async def document_page(
    request: Request, kind: Kind, template: str, show: Callable[[Staff, Any], dict[str, Any]]
) -> Response:
    """One document: its page, or with `?edit=1` its draft in the editor."""
    reference = request.path_params[kind.name]
    editing = bool(request.query_params.get("edit"))

    def build(who: Staff) -> dict[str, Any]:
        document = kind.find(who, reference)
        if editing and document.status == "draft":
            return editor_context(
                who, kind, customer=_customer_of(who, document), document=document
            )
        return show(who, document)

    return await page(
        request,
        EDITOR if editing else template,
        build,
        title=kind.name.capitalize(),
        section="invoices",
    )


async def document_update(request: Request, kind: Kind) -> Response:
    reference = request.path_params[kind.name]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        document = kind.find(who, reference)
        lines = _lines(form, who.business.currency)
        issued, ends = _dates(form, businesses.today(who.business), kind)
        kind.replace_draft(
            who.session,
            business=who.business,
            lines=lines,
            issue_date=issued,
            notes=str(form.get("notes", ""))[:4000],
            actor=who.actor,
            **{kind.name: document, kind.end: ends},
        )
        return {"redirect": request.url_for(kind.page, **{kind.name: document.id})}

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        document = kind.find(who, reference)
        customer, errors = _customer_of(who, document), field_errors(invalid)
        return editor_context(
            who, kind, customer=customer, document=document, form=form, errors=errors
        )

    return await action(request, EDITOR, act, rebuild, section="invoices")
