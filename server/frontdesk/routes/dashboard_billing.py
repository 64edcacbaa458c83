"""Dashboard: invoices (list, send, void, offline payment, PDF), estimates (send), the draft
editor both share (new, edit), and payments (list, one payment with its refunds, refunding)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import money
from frontdesk.models import (
    Customer,
    Estimate,
    Invoice,
    Payment,
    PaymentMethodKind,
    RefundCause,
)
from frontdesk.models.billing import LineBase
from frontdesk.routes.dashboard import SignedOut, Staff, action, field_errors, page, signed_in
from frontdesk.routes.dashboard_customers import page_number
from frontdesk.services import (
    businesses,
    customers,
    documents,
    estimates,
    invoices,
    notices,
    payments,
)
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.lines import LineInput

INVOICE_PAGE = "fragments/dashboard/invoice.html"
EDITOR = "fragments/dashboard/document_editor.html"
PAYMENT_PAGE = "fragments/dashboard/payment.html"


# --- the document editor, shared by invoices and estimates ---------------------------------------


COLUMNS = ("description", "quantity", "unit_price", "tax_rate")


def _typed_rows(form: FormData) -> list[dict[str, str]]:
    """The editor's line rows as typed, blank ones included."""
    return [
        dict(zip(COLUMNS, map(str, values), strict=False))
        for values in zip(*(form.getlist(name) for name in COLUMNS), strict=False)
    ]


def _lines(form: FormData, currency: str) -> list[LineInput]:
    """The lines the typed rows make; blank rows are skipped."""
    rows = [{k: v.strip() for k, v in row.items()} for row in _typed_rows(form)]
    lines, errors = [], {}
    for i, row in enumerate(r for r in rows if r.get("description") or r.get("unit_price")):
        try:
            unit = money.parse(row.get("unit_price") or "0", currency)
        except money.MoneyError as exc:
            errors[f"lines[{i}].unit_amount"] = str(exc).capitalize()
            unit = 0
        try:
            quantity = Decimal(row.get("quantity") or "1")
            rate = row.get("tax_rate")
            tax_bp = int((Decimal(rate) * 100).to_integral_value()) if rate else None
        except InvalidOperation:
            errors[f"lines[{i}].quantity"] = "Quantity and tax rate must be numbers."
            quantity, tax_bp = Decimal(1), None
        lines.append(LineInput(row.get("description", ""), unit, quantity, tax_rate_bp=tax_bp))
    if errors:
        raise Invalid("Some lines need fixing.", errors)
    return lines


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
    today = businesses.today(who.business)
    rows: list[dict[str, str]] = []
    if form is not None:
        rows = _typed_rows(form)
    elif document is not None:
        for line in kind.lines(who.session, document):
            rows.append(
                {
                    "description": line.description,
                    "quantity": f"{line.quantity.normalize():f}",
                    "unit_price": f"{money.to_decimal(line.unit_amount, document.currency)}",
                    "tax_rate": f"{Decimal(line.tax_rate_bp) / 100:f}" if line.tax_rate_bp else "",
                }
            )
    rows += [{"description": "", "quantity": "1", "unit_price": "", "tax_rate": ""}] * max(
        3 - len(rows), 1
    )
    if form is not None:
        values = {name: str(form.get(name, "")) for name in ("issue_date", "notes")}
        values["ends"] = str(form.get(kind.end, ""))
    elif document is not None:
        values = {"issue_date": document.issue_date.isoformat(), "notes": document.notes}
        values["ends"] = getattr(document, kind.end).isoformat()
    else:
        values = {"issue_date": today.isoformat(), "notes": ""}
        values["ends"] = (today + timedelta(kind.days)).isoformat()
    values["customer"] = customer.id if customer else ""
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
        "rows": rows,
        "values": values,
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
            **{kind.end: ends},
        )
        who.session.flush()
        who.audit(f"{kind.name}.created", "customer", customer.id, **{kind.name: document.number})
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
            **{kind.name: document, kind.end: ends},
        )
        who.audit(
            f"{kind.name}.edited", "customer", document.customer_id, **{kind.name: document.number}
        )
        return {"redirect": request.url_for(kind.page, **{kind.name: document.id})}

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        document = kind.find(who, reference)
        return editor_context(
            who,
            kind,
            customer=_customer_of(who, document),
            document=document,
            form=form,
            errors=field_errors(invalid),
        )

    return await action(request, EDITOR, act, rebuild, section="invoices")


# --- invoices ------------------------------------------------------------------------------------


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


async def dashboard_invoice_change(request: Request) -> Response:
    """Send a draft, void an invoice, or record cash or a cheque against it."""
    invoice_id, change = request.path_params["invoice"], request.path_params["change"]
    settings = request.app.state.settings

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        invoice = _invoice(who, invoice_id)
        if change == "send":
            notices.send(
                who.session,
                business=who.business,
                document=invoice,
                secret_keys=settings.secret_key,
                base_url=settings.base_url,
            )
            notice = f"{invoice.number} is sent: the customer has it by email and in the portal."
        elif change == "void":
            invoices.void(who.session, business=who.business, invoice=invoice)
            notice = f"{invoice.number} is void."
        elif change == "payment":
            customer = customers.get(
                who.session, business=who.business, customer_id=invoice.customer_id
            )
            try:
                amount = money.parse(str(form.get("amount", "")), invoice.currency)
            except money.MoneyError as exc:
                raise Invalid("Choose another amount.", {"amount": str(exc).capitalize()}) from None
            method = str(form.get("method", ""))
            payments.record_offline(
                who.session,
                business=who.business,
                customer=customer,
                invoice=invoice,
                amount=amount,
                method=PaymentMethodKind(method)
                if method in ("cash", "cheque")
                else PaymentMethodKind.CARD,
                reference=str(form.get("reference", "")),
            )
            shown = money.format_amount(amount, invoice.currency, who.business.locale)
            notice = f"Recorded {shown} paid by {method}."
        else:
            raise NotFound("no such change")
        who.audit(f"invoice.{change}", "customer", invoice.customer_id, invoice=invoice.number)
        return invoice_context(who, invoice, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return invoice_context(who, _invoice(who, invoice_id), errors=field_errors(invalid))

    return await action(request, INVOICE_PAGE, act, rebuild, section="invoices")


async def dashboard_invoice_pdf(request: Request) -> Response:
    """The PDF as the customer will get it, drafts included (a preview)."""
    invoice_id = request.path_params["invoice"]

    def render() -> Response:
        try:
            user = signed_in(request)
        except SignedOut:
            return Response("Sign in again.", status_code=401)
        with request.app.state.db.session(user.business_id) as session:
            business = businesses.get(session, user.business_id)
            invoice = invoices.get(session, business=business, invoice_id=invoice_id)
            customer = customers.get(session, business=business, customer_id=invoice.customer_id)
            document = documents.invoice_pdf(
                business,
                customer,
                invoices.views(session, [invoice])[0],
                invoices.lines(session, invoice=invoice),
                invoices.applied(session, invoice=invoice),
            )
        return Response(
            document,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
        )

    return await run_in_threadpool(render)


# --- estimates -----------------------------------------------------------------------------------

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
    settings = request.app.state.settings

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        estimate = _estimate(who, estimate_id)
        was_draft = notices.send(
            who.session,
            business=who.business,
            document=estimate,
            secret_keys=settings.secret_key,
            base_url=settings.base_url,
        )
        if was_draft:
            who.audit("estimate.send", "customer", estimate.customer_id, estimate=estimate.number)
        notice = f"{estimate.number} is sent: the customer has it by email and in the portal."
        return estimate_context(who, estimate, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return estimate_context(who, _estimate(who, estimate_id), errors=field_errors(invalid))

    return await action(request, ESTIMATE_PAGE, act, rebuild, section="invoices")


# --- payments ------------------------------------------------------------------------------------


async def dashboard_payments(request: Request) -> Response:
    number = page_number(request)

    def build(who: Staff) -> dict[str, Any]:
        rows = who.session.exec(
            select(Payment, Customer)
            .join(Customer, col(Customer.id) == Payment.customer_id)
            .order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
            .limit(26)
            .offset((number - 1) * 25)
        ).all()
        shown = rows[:25]
        seen = payments.views(who.session, [payment for payment, _ in shown])
        return {
            "rows": [(view, customer) for view, (_, customer) in zip(seen, shown, strict=True)],
            "more": len(rows) > 25,
            "page_number": number,
        }

    return await page(
        request, "fragments/dashboard/payments.html", build, title="Payments", section="payments"
    )


def _payment(who: Staff, payment_id: str) -> Payment:
    found = who.session.get(Payment, payment_id)
    if found is None or found.business_id != who.business.id:
        raise NotFound("no such payment")
    return found


def payment_context(who: Staff, payment: Payment, **extra: Any) -> dict[str, Any]:
    customer = customers.get(who.session, business=who.business, customer_id=payment.customer_id)
    [view] = payments.history(
        who.session,
        business=who.business,
        customer=customer,
        payment_id=payment.id,
        attempts=True,
    )
    context: dict[str, Any] = {
        "view": view,
        "payment": payment,
        "customer": customer,
        "refundable": view.kept
        if payment.status == "succeeded" and payment.processor_reference
        else 0,
        "effects": payments.EFFECTS,
        "confirming": None,
        "typed": "",
        "reason": "",
        "effect": "",
        "title": "Payment",
        "section": "payments",
        "notice": "",
        "errors": {},
    }
    context.update(extra)
    return context


async def dashboard_payment(request: Request) -> Response:
    payment_id = request.path_params["payment"]

    def build(who: Staff) -> dict[str, Any]:
        return payment_context(who, _payment(who, payment_id))

    return await page(request, PAYMENT_PAGE, build, title="Payment", section="payments")


async def dashboard_payment_refund(request: Request) -> Response:
    """Refund, in two steps: the business says how much and what becomes of the invoices, sees
    exactly that, and confirms it. Nothing moves before the confirmation."""
    payment_id = request.path_params["payment"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        payment = _payment(who, payment_id)
        typed = str(form.get("amount", "")).strip()
        try:
            amount = money.parse(typed, payment.currency) if typed else None
        except money.MoneyError as exc:
            raise Invalid("Choose another amount.", {"amount": str(exc).capitalize()}) from None
        effect, reason = str(form.get("effect", "")), str(form.get("reason", ""))[:1000]
        if form.get("confirmed") != "yes":
            planned = payments.plan(
                who.session, business=who.business, payment=payment, amount=amount, effect=effect
            )
            return payment_context(who, payment, confirming=planned, typed=typed, reason=reason)
        refund = payments.refund(
            who.session,
            business=who.business,
            payment=payment,
            amount=amount,
            reason=reason,
            effect=effect,
            cause=RefundCause.STAFF,
            actor=who.user.id,
            processor=request.app.state.processor,
        )
        who.session.flush()
        who.audit(
            "payment.refunded",
            "customer",
            payment.customer_id,
            payment=payment.id,
            refund=refund.id,
            amount=refund.amount,
            invoice_effect=str(refund.invoice_effect),
        )
        shown = money.format_amount(refund.amount, refund.currency, who.business.locale)
        return payment_context(who, payment, notice=f"Refunded {shown}.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return payment_context(
            who,
            _payment(who, payment_id),
            errors=field_errors(invalid),
            typed=str(form.get("amount", "")),
            reason=str(form.get("reason", "")),
            effect=str(form.get("effect", "")),
        )

    return await action(request, PAYMENT_PAGE, act, rebuild, section="payments")


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
    Route(
        "/estimates/{estimate}/send",
        dashboard_estimate_send,
        methods=["POST"],
        name="dashboard_estimate_send",
    ),
    Route("/payments", dashboard_payments, name="dashboard_payments"),
    Route("/payments/{payment}", dashboard_payment, name="dashboard_payment"),
    Route(
        "/payments/{payment}/refunds",
        dashboard_payment_refund,
        methods=["POST"],
        name="dashboard_payment_refund",
    ),
]
