"""Documents in the dashboard: the Documents card of a customer's page (their documents, and
sharing a new one), the list of every document, and one document's page with its versions, the
signed copy, the audit trail and what can be done next (replace, remind, withdraw)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.middleware.body_limit import uploads
from frontdesk.models import Attachment, Customer, Document, DocumentStatus
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, page_number
from frontdesk.services import attachments, customers, documents, staff
from frontdesk.services.errors import Invalid

SECTION = "documents"
CARD = "fragments/dashboard/documents/card.html"
LIST = "fragments/dashboard/documents/list.html"
DETAIL = "fragments/dashboard/documents/detail.html"
# The upload form's fields, kept as typed when it is refused (the file cannot be).
FIELDS = ("title", "kind", "expires_on", "requires_signature")


def _today(request: Request, who: Staff) -> date:
    """Today in the business's zone, on the app's clock (what an expiry date is checked by)."""
    now: datetime = request.app.state.clock()
    return now.astimezone(ZoneInfo(who.business.time_zone)).date()


def _link(request: Request, who: Staff, attachment_id: str | None) -> tuple[Attachment, str] | None:
    """A file of the document with a staff link token to it."""
    found = who.session.get(Attachment, attachment_id) if attachment_id else None
    if found is None:
        return None
    token = attachments.token(
        who.session,
        attachment=found,
        audience=attachments.Party.staff(who.user.id),
        secret_keys=request.app.state.settings.secret_key,
        now=request.app.state.clock(),
    )
    return found, token


def _customer(who: Staff, customer_id: str) -> Customer:
    return customers.get(who.session, business=who.business, customer_id=customer_id)


def card_context(who: Staff, customer: Customer, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "customer": customer,
        "customer_documents": documents.for_business(who.session, customer_id=customer.id),
        "kinds": documents.KINDS,
        "labels": documents.LABELS,
        "status_label": documents.staff_status_label,
        "document_form": {},
        "document_errors": {},
        "document_notice": "",
    }
    return {**context, **extra}


async def dashboard_customer_documents(request: Request) -> Response:
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        return card_context(who, customer, title=customer.name)

    return await page(request, CARD, build, title="Documents", section="customers")


def _file(form: FormData) -> UploadFile | None:
    upload = form.get("file")
    return upload if isinstance(upload, UploadFile) else None


def _shared(form: FormData) -> documents.Shared:
    return documents.Shared(
        title=str(form.get("title", "")),
        kind=str(form.get("kind", "")),
        expires_on=str(form.get("expires_on", "")),
        requires_signature=form.get("requires_signature") == "yes",
    )


async def dashboard_document_share(request: Request) -> Response:
    customer_id = request.path_params["customer"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        made = documents.share(
            who.session,
            business=who.business,
            customer=customer,
            shared=_shared(form),
            upload=_file(form),
            actor=who.actor,
            store=attachments.store_for(request.app.state.settings),
            links=request.app.state.links,
            now=request.app.state.clock(),
            today=_today(request, who),
        )
        told = "they have an email" if customer.portal_enabled else "their portal access is off"
        notice = f"Shared “{made.title}” with {customer.name}; {told}."
        return card_context(who, customer, document_notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        typed = {name: str(form.get(name, "")) for name in FIELDS}
        shown = {"document_errors": field_errors(invalid), "document_form": typed}
        return card_context(who, _customer(who, customer_id), **shown)

    return await action(request, CARD, act, rebuild, section="customers")


async def dashboard_documents(request: Request) -> Response:
    view, number = request.query_params.get("view", ""), page_number(request)

    def build(who: Staff) -> dict[str, Any]:
        wanted = view if view in documents.VIEWS else ""
        rows, more = documents.listed(who.session, view=wanted, page=number)
        return {
            "rows": rows,
            "view": wanted,
            "views": documents.VIEWS,
            "labels": documents.LABELS,
            "status_label": documents.staff_status_label,
            "page_number": number,
            "more": more,
        }

    return await page(request, LIST, build, title="Documents", section=SECTION)


def _names(who: Staff, customer: Customer) -> Callable[[str, str], str]:
    """Who an event's actor is, by name where we know it."""
    team = {member.id: member.name or member.email for member in staff.team(who.session)}
    others = {"system": "Frontdesk", "api": "The API"}

    def name(kind: str, actor_id: str) -> str:
        if kind == "customer":
            return customer.name
        if kind == "staff":
            return team.get(actor_id, "A former staff member")
        return others.get(kind, kind)

    return name


def detail_context(
    request: Request, who: Staff, document: Document, **extra: Any
) -> dict[str, Any]:
    customer = _customer(who, document.customer_id)
    events, broken_at = documents.trail(who.session, document=document)
    versions = [
        (version, _link(request, who, version.attachment_id))
        for version in documents.versions(who.session, document=document)
    ]
    shared = document.status == DocumentStatus.SHARED
    context: dict[str, Any] = {
        "document": document,
        "customer": customer,
        "labels": documents.LABELS,
        "status_label": documents.staff_status_label,
        "versions": versions,
        "signed_file": _link(request, who, document.signed_attachment_id),
        "events": events,
        "broken_at": broken_at,
        "happened": documents.EVENTS,
        "actor_name": _names(who, customer),
        "may_replace": shared,
        "may_remind": shared and document.requires_signature,
        "may_withdraw": document.status != DocumentStatus.WITHDRAWN,
        "title": document.title,
        "section": SECTION,
        "notice": "",
        "errors": {},
    }
    return {**context, **extra}


def _document(who: Staff, document_id: str) -> Document:
    return documents.get(who.session, document_id=document_id)


async def dashboard_document(request: Request) -> Response:
    document_id = request.path_params["document"]

    def build(who: Staff) -> dict[str, Any]:
        return detail_context(request, who, _document(who, document_id))

    return await page(request, DETAIL, build, title="Document", section=SECTION)


Act = Callable[[Staff, FormData, Document], str]


async def _act(request: Request, act: Act) -> Response:
    """An action on the document's page: the page comes back with what happened, or why not."""
    document_id = request.path_params["document"]

    def done(who: Staff, form: FormData) -> dict[str, Any]:
        found = _document(who, document_id)
        notice = act(who, form, found)
        return detail_context(request, who, found, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        found = _document(who, document_id)
        return detail_context(request, who, found, errors=field_errors(invalid))

    return await action(request, DETAIL, done, rebuild, section=SECTION)


async def dashboard_document_replace(request: Request) -> Response:
    def act(who: Staff, form: FormData, found: Document) -> str:
        documents.replace(
            who.session,
            business=who.business,
            document=found,
            upload=_file(form),
            actor=who.actor,
            store=attachments.store_for(request.app.state.settings),
            links=request.app.state.links,
            now=request.app.state.clock(),
        )
        return f"Version {found.version} is the one the customer sees now; earlier ones are kept."

    return await _act(request, act)


async def dashboard_document_remind(request: Request) -> Response:
    def act(who: Staff, form: FormData, found: Document) -> str:
        documents.remind(
            who.session,
            business=who.business,
            document=found,
            actor=who.actor,
            links=request.app.state.links,
            now=request.app.state.clock(),
        )
        return "Reminder sent: the customer has an email asking them to sign."

    return await _act(request, act)


async def dashboard_document_withdraw(request: Request) -> Response:
    def act(who: Staff, form: FormData, found: Document) -> str:
        documents.withdraw(
            who.session,
            business=who.business,
            document=found,
            actor=who.actor,
            now=request.app.state.clock(),
        )
        return "Withdrawn: the customer no longer sees it. Its files and trail are kept here."

    return await _act(request, act)


ONE = "/documents/{document}"
routes = [
    Route("/documents", dashboard_documents, name="dashboard_documents"),
    Route(ONE, dashboard_document, name="dashboard_document"),
    Route(
        ONE + "/replace",
        uploads(max_files=1)(dashboard_document_replace),
        methods=["POST"],
        name="dashboard_document_replace",
    ),
    Route(
        ONE + "/remind",
        dashboard_document_remind,
        methods=["POST"],
        name="dashboard_document_remind",
    ),
    Route(
        ONE + "/withdraw",
        dashboard_document_withdraw,
        methods=["POST"],
        name="dashboard_document_withdraw",
    ),
    Route(
        "/customers/{customer}/documents",
        dashboard_customer_documents,
        name="dashboard_customer_documents",
    ),
    Route(
        "/customers/{customer}/documents",
        uploads(max_files=1)(dashboard_document_share),
        methods=["POST"],
        name="dashboard_document_share",
    ),
]
