"""The customer's documents in the portal: the archive, one document with its files, signing it,
and withdrawing their consent to sign electronically."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import Attachment, Business, Customer, Document
from frontdesk.routes.portal import frame
from frontdesk.services import attachments, documents, host_events
from frontdesk.services.errors import Invalid

SECTION = "documents"
LIST = "fragments/documents/list.html"
DETAIL = "fragments/documents/detail.html"


def list_shown(items: list[Document]) -> dict[str, Any]:
    """The archive drawn with `items` (the theme gallery draws it with samples)."""
    shown = {"documents": items, "labels": documents.LABELS, "status": documents.status_label}
    return {**shown, "current": SECTION}


def list_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    return list_shown(documents.for_customer(session, customer=customer))


def who(request: Request, customer: Customer) -> documents.Who:
    """The customer as a document's trail records them: where from, with which browser."""
    return documents.Who(
        "customer",
        customer.id,
        frame.client_ip(request),
        request.headers.get("user-agent", ""),
    )


def detail_shown(
    document: Document,
    files: dict[str, str],
    *,
    consented: bool,
    disclosure: str,
    notice: str = "",
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One document with its file links (`original`, `signed`: attachment link tokens), and the
    signing form blank or as typed."""
    return {
        "document": document,
        "labels": documents.LABELS,
        "status": documents.status_label,
        "files": files,
        "consented": consented,
        "disclosure": disclosure,
        "notice": notice,
        "problem": "",
        "errors": errors or {},
        "typed_name": str(form.get("typed_name", "")) if form else "",
        "agreed": bool(form and form.get("agreed")),
        "consents": bool(form and form.get("consents")),
        "current": SECTION,
    }


def _files(
    request: Request, session: Session, customer: Customer, document: Document
) -> dict[str, str]:
    def token(attachment_id: str) -> str:
        found = session.get(Attachment, attachment_id)
        assert found is not None, "a document's file row is never deleted"
        return attachments.token(
            session,
            attachment=found,
            audience=attachments.Party.customer(customer.id),
            secret_keys=request.app.state.settings.secret_key,
            now=request.app.state.clock(),
        )

    files = {"original": token(document.attachment_id)}
    if document.signed_attachment_id:
        files["signed"] = token(document.signed_attachment_id)
    return files


def detail_context(
    request: Request,
    document_id: str,
    notice: str = "",
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
) -> frame.Build:
    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        found = documents.get_for_customer(session, customer=customer, document_id=document_id)
        if not frame.limits(request).read_only:
            documents.viewed(
                session, document=found, who=who(request, customer), now=request.app.state.clock()
            )
        consented = documents.current_consent(session, customer=customer) is not None
        return detail_shown(
            found,
            _files(request, session, customer, found),
            consented=consented,
            disclosure=documents.disclosure(business),
            notice=notice,
            form=form,
            errors=errors,
        )

    return build


async def portal_documents(request: Request) -> Response:
    return await frame.view(request, LIST, list_context, section=SECTION)


async def portal_document(request: Request) -> Response:
    document_id = request.path_params["document"]
    return await frame.view(request, DETAIL, detail_context(request, document_id), section=SECTION)


def _signature(request: Request, form: FormData) -> documents.Signature:
    """The signing form as sent, with the zone the loader reports the browser is in."""
    return documents.Signature(
        typed_name=str(form.get("typed_name", "")),
        agreed=bool(form.get("agreed")),
        consents=bool(form.get("consents")),
        time_zone=request.headers.get("frontdesk-time-zone", ""),
        version=int(seen) if (seen := str(form.get("version", ""))).isdigit() else 0,
    )


async def portal_document_sign(request: Request) -> Response:
    document_id = request.path_params["document"]

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        found = documents.get_for_customer(s, customer=customer, document_id=document_id)
        signed = documents.sign(
            s,
            business=business,
            customer=customer,
            document=found,
            signature=_signature(request, form),
            who=who(request, customer),
            store=attachments.store_for(request.app.state.settings),
            links=request.app.state.links,
            verify_url=str(request.url_for("documents_verify")),
            now=request.app.state.clock(),
        )
        frame.tell(request, host_events.document_signed(s, business, customer, signed))
        notice = gettext("Signed. Your signed copy is below and on its way to you by email.")
        return detail_context(request, document_id, notice)(s, business, customer)

    def rebuild(
        s: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        built = detail_context(request, document_id, form=form, errors=invalid.fields)
        return {**built(s, business, customer), "problem": invalid.message}

    return await frame.action(request, DETAIL, act, rebuild, section=SECTION)


async def portal_document_consent_withdraw(request: Request) -> Response:
    document_id = request.path_params["document"]

    def act(s: Session, business: Business, customer: Customer, form: FormData) -> dict[str, Any]:
        documents.get_for_customer(s, customer=customer, document_id=document_id)
        now = request.app.state.clock()
        documents.withdraw_consent(
            s, business=business, customer=customer, who=who(request, customer), now=now
        )
        notice = gettext(
            "You no longer sign electronically. %(business)s will arrange paper copies "
            "with you; you can consent again when you sign."
        ) % {"business": business.name}
        return detail_context(request, document_id, notice)(s, business, customer)

    def rebuild(
        s: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        built = detail_context(request, document_id)(s, business, customer)
        return {**built, "problem": invalid.message}

    return await frame.action(request, DETAIL, act, rebuild, section=SECTION)


routes = [
    Route("/documents", portal_documents, name="portal_documents"),
    Route("/documents/{document}", portal_document, name="portal_document"),
    Route(
        "/documents/{document}/sign",
        portal_document_sign,
        methods=["POST"],
        name="portal_document_sign",
    ),
    Route(
        "/documents/{document}/consent/withdraw",
        portal_document_consent_withdraw,
        methods=["POST"],
        name="portal_document_consent_withdraw",
    ),
]
