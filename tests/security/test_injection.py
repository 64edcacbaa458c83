"""Names, addresses, invoice lines and notes that carry markup render as text in the portal, the
dashboard, emails and PDFs; SQL-looking input is just text."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import select
from starlette.datastructures import UploadFile

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.models import (
    AuthorKind,
    Customer,
    Initiator,
    OutboxItem,
    ServiceRequest,
    ServiceRequestEvent,
    utcnow,
)
from frontdesk.services import (
    attachments,
    audit,
    businesses,
    documents,
    estimates,
    invoices,
    messages,
    notices,
    pdfs,
    todos,
)
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.services.messages import notices as message_notices
from frontdesk.settings import Settings
from tests.conftest import LiveServer, csrf_field
from tests.factories import make_business
from tests.security.payloads import payloads

PAYLOADS = payloads()


def test_the_list_holds_fifty_payloads() -> None:
    assert len(PAYLOADS) >= 50


# Bare tags our own pages are made of: finding one says nothing about the payload.
OURS = re.compile(r"<(table|p|div|span|tr|td|button|details|textarea|a)>")


def inert(html: str, payload: str) -> None:
    """The payload's markup did not survive: none of its tags stands raw in the page."""
    for tag in re.findall(r"<[a-zA-Z][^<>]*>?", payload):
        if not OURS.fullmatch(tag):
            assert tag not in html, f"{tag!r} came through unescaped"


# Escaping happens where the text is drawn, whichever database held it (a PostgreSQL round trip
# of such strings is test_sql_looking_input_is_just_text's, on both).
@pytest.mark.one_backend
@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_render_as_text_in_the_portal_dashboard_email_and_pdf(
    live_server: LiveServer, db: Database, settings: Settings, payload: str
) -> None:
    made = make_business(db)
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        customer = Customer(
            business_id=business.id,
            name=payload[:200],
            email="x@example.com",
            address_line1=payload[:200],
            city=payload[:100],
        )
        session.add(customer)
        session.flush()
        lines = [LineInput(payload[:1000], 1000)]
        today = date.today()
        invoice = invoices.create(
            session,
            business=business,
            customer=customer,
            lines=lines,
            issue_date=today,
            due_date=today + timedelta(days=7),
            notes=payload,
            send=True,
        )
        estimate = estimates.create(
            session,
            business=business,
            customer=customer,
            lines=lines,
            issue_date=today,
            expires_on=today + timedelta(days=30),
            notes=payload,
            send=True,
        )
        for assignee in ("customer", "business"):
            todos.create(
                session,
                business=business,
                customer=customer,
                entry=todos.TodoInput(payload[:200], notes=payload, assignee=assignee),
                actor=audit.Actor(Initiator.STAFF, made.owner.id),
            )
        session.flush()
        notices.document_sent(
            session,
            business=business,
            document=invoice,
            links=Links.from_settings(settings),
        )
        # A message each way, and the email notice of the business's (its text in the email).
        for author in (messages.CUSTOMER, messages.Author(AuthorKind.STAFF, made.owner.id)):
            message, _ = messages.post(
                session,
                business=business,
                customer=customer,
                author=author,
                body=f"{payload} https://example.com/{payload}",
                client_nonce="",
                now=utcnow(),
                notice_after=timedelta(0),
            )
        links = Links.from_settings(settings)
        message_notices.notify(
            session, business=business, message_id=message.id, links=links, now=utcnow()
        )
        # A service request and a public reply, written as the customer and the business typed.
        request = ServiceRequest(
            business_id=business.id,
            customer_id=customer.id,
            number="REQ-1001",
            description=payload,
            address_line1=payload[:200],
            decline_reason=payload,
        )
        session.add(request)
        session.flush()
        session.add(
            ServiceRequestEvent(
                business_id=business.id,
                service_request_id=request.id,
                author_kind="staff",
                status="declined",
                text=payload,
            )
        )
        # A document titled and named with the payload (its email says the title).
        document = documents.share(
            session,
            business=business,
            customer=customer,
            shared=documents.Shared(title=payload[:200], kind="other"),
            upload=UploadFile(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), filename=f"{payload[:100]}.pdf"),
            actor=audit.Actor(Initiator.STAFF, made.owner.id),
            store=attachments.store_for(settings),
            links=Links.from_settings(settings),
            now=utcnow(),
            today=today,
        )
        view = invoices.views(session, [invoice])[0]
        pdf = pdfs.invoice_pdf(
            business, customer, view, invoices.lines(session, invoice=invoice), []
        )
    assert pdf.startswith(b"%PDF-")

    key = made.business.publishable_key
    token = tokens.mint(
        settings.secret_key,
        tokens.Purpose.EMBED,
        business_id=made.business.id,
        customer_id=customer.id,
        link_version=1,
    )
    opened = httpx.post(f"{live_server.url}/portal/{key}/session", data={"token": token})
    assert opened.status_code == 200
    bearer = {"Authorization": f"Bearer {opened.headers['Frontdesk-Session']}"}
    pages = [opened.text]
    for path in (
        f"invoices/{invoice.number}",
        "invoices",
        f"estimates/{estimate.number}",
        "profile",
        "todos",
        "messages",
        "requests",
        f"requests/{request.number}",
        "documents",
        f"documents/{document.id}",
    ):
        answer = httpx.get(f"{live_server.url}/portal/{key}/{path}", headers=bearer)
        assert answer.status_code == 200, path
        pages.append(answer.text)
    with httpx.Client(base_url=f"{live_server.url}/dashboard") as desk:
        form = desk.get("/sign-in").text
        csrf = csrf_field(form)
        from tests.factories import PASSWORD

        desk.post(
            "/sign-in", data={"email": made.owner.email, "password": PASSWORD, "csrf_token": csrf}
        )
        for path in (
            f"/customers/{customer.id}",
            f"/customers/{customer.id}/todos",
            f"/invoices/{invoice.id}",
            "/customers",
            "/messages",
            f"/messages/{customer.id}",
            "/requests",
            f"/requests/{request.id}",
            "/documents",
            f"/documents/{document.id}",
            f"/customers/{customer.id}/documents",
        ):
            answer = desk.get(path)
            assert answer.status_code == 200, path
            pages.append(answer.text)
    from frontdesk.jobs import JobContext
    from frontdesk.mailing import branded

    with db.session(made.business.id) as session:
        mails = [i for i in session.exec(select(OutboxItem)) if i.kind == "email"]
    assert len(mails) == 3  # the invoice's, the message's and the document's
    for mail in mails:
        pages.append(branded(made.business.id, mail.payload, JobContext(settings, db))["html"])
    for page in pages:
        inert(page, payload)


def test_sql_looking_input_is_just_text(live_server: LiveServer, db: Database) -> None:
    made = make_business(db)
    api = {"Authorization": f"Bearer {made.secret_api_key}"}
    name = "Robert'); DROP TABLE customer;--"
    created = httpx.post(
        f"{live_server.url}/api/v1/customers",
        headers=api,
        json={"name": name, "email": "bobby@example.com"},
    )
    assert created.status_code == 201 and created.json()["name"] == name
    found = httpx.get(
        f"{live_server.url}/api/v1/customers", headers=api, params={"email": "x' OR '1'='1"}
    )
    assert found.json()["data"] == []
    assert (
        httpx.get(f"{live_server.url}/api/v1/customers", headers=api).json()["data"][0]["name"]
        == name
    )
