"""Documents through the API: share a file with a customer, read, list, withdraw, remind to
sign; and check a signed PDF's hash, whoever's document it is."""

from __future__ import annotations

from contextlib import suppress

from sqlmodel import select
from starlette.datastructures import UploadFile

from frontdesk import models
from frontdesk.api import documents as shapes
from frontdesk.api import schemas
from frontdesk.api.operations import Call, Operation, page
from frontdesk.models import utcnow
from frontdesk.routes.api.invoices import _document_customer
from frontdesk.services import attachments, businesses, customers, documents
from frontdesk.services.errors import NotFound


def list_documents(call: Call) -> schemas.Page[shapes.Document]:
    query: shapes.DocumentListQuery = call.query
    statement = select(models.Document)
    if query.customer:
        customer = customers.get_by_reference(
            call.session, business=call.business, reference=query.customer
        )
        statement = statement.where(models.Document.customer_id == customer.id)
    if query.status:
        statement = statement.where(models.Document.status == query.status)
    rows, more, cursor = page(call.session, statement, models.Document, query)
    data = shapes.listed(call.session, rows)
    return schemas.Page[shapes.Document](data=data, has_more=more, next_cursor=cursor)


def _document(call: Call) -> models.Document:
    return documents.get(call.session, document_id=call.params["document"])


def get_document(call: Call) -> shapes.Document:
    return shapes.listed(call.session, [_document(call)])[0]


def create_document(call: Call) -> shapes.Document:
    body: shapes.DocumentCreate = call.body
    shared = documents.Shared(
        title=body.title,
        kind=body.kind,
        expires_on=body.expires_on.isoformat() if body.expires_on else "",
        requires_signature=body.requires_signature,
    )
    row = documents.share(
        call.session,
        business=call.business,
        customer=_document_customer(call, body.customer),
        shared=shared,
        # A text field named `file` is no file: the service asks for one.
        upload=body.file if isinstance(body.file, UploadFile) else None,
        actor=call.actor,
        store=attachments.store_for(call.settings),
        links=call.links,
        now=utcnow(),
        today=businesses.today(call.business),
    )
    call.session.flush()
    return shapes.listed(call.session, [row])[0]


def withdraw_document(call: Call) -> shapes.Document:
    row = documents.withdraw(
        call.session,
        business=call.business,
        document=_document(call),
        actor=call.actor,
        now=utcnow(),
    )
    call.session.flush()
    return shapes.listed(call.session, [row])[0]


def remind_document(call: Call) -> shapes.Document:
    row = documents.remind(
        call.session,
        business=call.business,
        document=_document(call),
        actor=call.actor,
        links=call.links,
        now=utcnow(),
    )
    call.session.flush()
    return shapes.listed(call.session, [row])[0]


def verify_document(call: Call) -> shapes.Verification:
    body: shapes.HashCheck = call.body
    digest = documents.checked_hash(body.sha256)
    with call.db.unscoped("a signed PDF's hash names its business") as session:
        verdict = documents.verdict(session, digest=digest)
    mine = None
    # The caller's own session finds the document only when it is theirs.
    with suppress(NotFound):
        if verdict.matches:
            mine = documents.get(call.session, document_id=verdict.reference).id
    return shapes.Verification.of(verdict, mine)


DOCUMENT = "/documents/{document}"

operations = [
    Operation(
        "GET",
        "/documents",
        "list_documents",
        "List documents",
        "Documents",
        list_documents,
        schemas.Page[shapes.Document],
        query=shapes.DocumentListQuery,
        description="Files shared with customers (withdrawn ones too), each with its versions.",
    ),
    Operation(
        "POST",
        "/documents",
        "create_document",
        "Share a document with a customer",
        "Documents",
        create_document,
        shapes.Document,
        201,
        body=shapes.DocumentCreate,
        upload=True,
        description="Sent as `multipart/form-data`. The customer is emailed a link to it (to sign "
        "it, when `requires_signature`), and `document.shared` is sent to your webhooks.",
    ),
    Operation(
        "POST",
        "/documents/verify",
        "verify_document",
        "Check whether a PDF is a document signed here, unaltered",
        "Documents",
        verify_document,
        shapes.Verification,
        body=shapes.HashCheck,
        description="Any business's signed documents are checked; the answer holds only what "
        "the signed PDF's certificate page shows.",
    ),
    Operation(
        "GET",
        DOCUMENT,
        "get_document",
        "Get a document",
        "Documents",
        get_document,
        shapes.Document,
    ),
    Operation(
        "POST",
        DOCUMENT + "/withdraw",
        "withdraw_document",
        "Withdraw a document",
        "Documents",
        withdraw_document,
        shapes.Document,
        description="The customer no longer sees it; its record, files and audit trail stay, "
        "and a signed copy still verifies.",
    ),
    Operation(
        "POST",
        DOCUMENT + "/remind",
        "remind_document",
        "Remind the customer to sign",
        "Documents",
        remind_document,
        shapes.Document,
        description="Another email asking them to sign; only while it waits for a signature.",
    ),
]
