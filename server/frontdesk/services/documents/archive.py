"""The business's side of the archive: sharing a file with a customer, replacing it (the old
version kept), withdrawing it, reminding the customer to sign; and what each side may list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select
from starlette.datastructures import UploadFile

from frontdesk import locks
from frontdesk.db import in_business
from frontdesk.models import (
    Business,
    Customer,
    Document,
    DocumentEvent,
    DocumentVersion,
    Initiator,
)
from frontdesk.services import attachment_files, attachments, audit
from frontdesk.services.documents import certificate, chain, news
from frontdesk.services.documents.rules import (
    KINDS,
    MAX_TITLE,
    MAX_VERSIONS,
    OWNER_KIND,
    Kind,
    Status,
)
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.links import Links
from frontdesk.storage import Storage


@dataclass(frozen=True)
class Shared:
    """A document as the business typed it in the upload form."""

    title: str
    kind: str
    expires_on: str = ""
    requires_signature: bool = False


def _who(actor: audit.Actor) -> chain.Who:
    return chain.Who(str(actor.kind), actor.id, actor.ip)


def _checked(shared: Shared, today: date) -> tuple[str, Kind, date | None]:
    errors: dict[str, str] = {}
    title = " ".join(shared.title.split())
    if not title:
        errors["title"] = "Give the document a title your customer will recognise."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Use at most {MAX_TITLE} characters (this has {len(title)})."
    kind = Kind.OTHER
    if shared.kind not in KINDS:
        errors["kind"] = "Choose what kind of document this is."
    else:
        kind = Kind(shared.kind)
    expires: date | None = None
    if shared.expires_on.strip():
        try:
            expires = date.fromisoformat(shared.expires_on.strip())
        except ValueError:
            errors["expires_on"] = "Enter the expiry as a date, like 2027-06-30."
        else:
            if expires < today:
                errors["expires_on"] = "This expiry date has passed: upload the current document."
    if errors:
        raise Invalid("Please fix the highlighted fields.", errors)
    return title, kind, expires


def _file(upload: UploadFile | None, *, for_signature: bool) -> attachment_files.Clean:
    """The uploaded file, checked as every attachment is; a document to sign must be a PDF we
    can add a certificate page to."""
    if upload is None or not (upload.filename or attachment_files.size_of(upload)):
        raise Invalid("Choose the file to share.", {"file": "Choose the file to share."})
    clean = attachment_files.cleaned(upload, "file")
    if for_signature:
        if clean.content_type != "application/pdf":
            message = f"{clean.filename} is not a PDF: only PDFs can be signed here."
            raise Invalid(message, {"file": message})
        certificate.page_count(clean.data, "file")
    return clean


def _keep(
    session: Session,
    business: Business,
    document: Document,
    clean: attachment_files.Clean,
    actor: audit.Actor,
    store: Storage,
) -> DocumentVersion:
    kept = attachments.stored(
        session,
        business=business,
        customer_id=document.customer_id,
        owner_kind=OWNER_KIND,
        owner_id=document.id,
        clean=clean,
        by=attachments.Party.staff(actor.id),
        store=store,
    )
    version = DocumentVersion(
        business_id=business.id,
        document_id=document.id,
        version=document.version,
        attachment_id=kept.id,
        sha256=kept.sha256,
        created_by_id=actor.id,
    )
    session.add(version)
    document.attachment_id, document.sha256 = kept.id, kept.sha256
    return version


def locked(session: Session, document: Document) -> Document:
    """The document re-read under its lock, for whoever changes it next (signing, replacing,
    withdrawing, a first view)."""
    found = locks.locked(session, Document, document.id, rewriting=Document.version)
    if found is None:
        raise NotFound("no such document")
    return found


def share(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    shared: Shared,
    upload: UploadFile | None,
    actor: audit.Actor,
    store: Storage,
    links: Links,
    now: datetime,
    today: date,
) -> Document:
    """A new document in the customer's archive (to sign, when asked), told to them by email
    and to the business's system by webhook; all or nothing."""
    title, kind, expires = _checked(shared, today)
    clean = _file(upload, for_signature=shared.requires_signature)
    document = Document(
        business_id=business.id,
        customer_id=customer.id,
        title=title,
        kind=kind,
        expires_on=expires,
        requires_signature=shared.requires_signature,
        attachment_id="",
        sha256="",
        created_at=now,
        updated_at=now,
    )
    # The file first (its row names the document's id, known already): the document's row
    # refers to the file, so it is written once the file's row exists.
    _keep(session, business, document, clean, actor, store)
    session.add(document)
    session.flush()
    chain.append(
        session,
        document,
        "shared",
        _who(actor),
        now,
        title=title,
        version=1,
        sha256=document.sha256,
        requires_signature=document.requires_signature,
    )
    actor.record(session, business.id, "document.shared", "document", document.id, title=title)
    news.announce(session, business, document, "document.shared")
    news.tell_customer(session, business, customer, document, links, news.shared_text(document))
    return document


def replace(
    session: Session,
    *,
    business: Business,
    document: Document,
    upload: UploadFile | None,
    actor: audit.Actor,
    store: Storage,
    links: Links,
    now: datetime,
) -> Document:
    """A new file for a document not yet signed; the customer sees the new one, the business
    keeps every version."""
    document = locked(session, document)
    if document.status != Status.SHARED:
        raise Invalid(f"A {document.status} document cannot be replaced: share a new one.")
    if document.version >= MAX_VERSIONS:
        raise Invalid(f"A document keeps at most {MAX_VERSIONS} versions: share a new one.")
    clean = _file(upload, for_signature=document.requires_signature)
    document.version += 1
    _keep(session, business, document, clean, actor, store)
    document.updated_at, document.viewed_at = now, None
    chain.append(
        session,
        document,
        "replaced",
        _who(actor),
        now,
        version=document.version,
        sha256=document.sha256,
    )
    actor.record(session, business.id, "document.replaced", "document", document.id)
    customer = session.get(Customer, document.customer_id)
    if customer is not None:
        text = f"{business.name} updated “{document.title}”: the new version is in your account."
        news.tell_customer(session, business, customer, document, links, text)
    return document


def withdraw(
    session: Session, *, business: Business, document: Document, actor: audit.Actor, now: datetime
) -> Document:
    """The customer stops seeing the document; its record, files and trail stay."""
    document = locked(session, document)
    if document.status == Status.WITHDRAWN:
        raise Invalid("This document is already withdrawn.")
    document.status, document.updated_at = Status.WITHDRAWN, now
    chain.append(session, document, "withdrawn", _who(actor), now)
    actor.record(session, business.id, "document.withdrawn", "document", document.id)
    return document


def remind(
    session: Session,
    *,
    business: Business,
    document: Document,
    actor: audit.Actor,
    links: Links,
    now: datetime,
) -> Document:
    """Another email asking the customer to sign."""
    document = locked(session, document)
    if document.status != Status.SHARED or not document.requires_signature:
        raise Invalid("Only a document waiting for a signature can be reminded about.")
    customer = session.get(Customer, document.customer_id)
    if customer is None or not customer.portal_enabled:
        raise Invalid("This customer's portal access is off: turn it on to send a reminder.")
    text = f"{business.name} is waiting for your signature on “{document.title}”."
    news.tell_customer(session, business, customer, document, links, text)
    document.reminded_at = now
    chain.append(session, document, "reminded", _who(actor), now)
    actor.record(session, business.id, "document.reminded", "document", document.id)
    return document


def for_customer(session: Session, *, customer: Customer) -> list[Document]:
    """What the customer's archive lists: everything not withdrawn, newest first."""
    return list(
        session.exec(
            select(Document)
            .where(Document.customer_id == customer.id, Document.status != Status.WITHDRAWN)
            .order_by(col(Document.created_at).desc(), col(Document.id).desc())
        )
    )


# How many documents of the customer bound as :customer wait for their signature (portal home
# says so, counting it with its other figures in one query).
WAITING_COUNT = (
    select(func.count())
    .select_from(Document)
    .where(
        in_business(Document),
        Document.customer_id == bindparam("customer"),
        Document.status == Status.SHARED,
        col(Document.requires_signature).is_(True),
    )
    .scalar_subquery()
)


def get_for_customer(session: Session, *, customer: Customer, document_id: str) -> Document:
    """The customer's own document; another's, or a withdrawn one, is not found."""
    found = session.exec(
        select(Document).where(
            Document.id == document_id,
            Document.customer_id == customer.id,
            Document.status != Status.WITHDRAWN,
        )
    ).first()
    if found is None:
        raise NotFound("no such document")
    return found


def for_business(
    session: Session, *, customer_id: str | None = None, limit: int = 200
) -> list[Document]:
    """The business's documents (one customer's, when named), withdrawn ones too."""
    query = select(Document)
    if customer_id is not None:
        query = query.where(Document.customer_id == customer_id)
    return list(
        session.exec(
            query.order_by(col(Document.created_at).desc(), col(Document.id).desc()).limit(limit)
        )
    )


# What the dashboard's list can show besides everything, by what each view means.
VIEWS = {"waiting": "Waiting for signature", "signed": "Signed", "withdrawn": "Withdrawn"}


def listed(
    session: Session, *, view: str, page: int, per_page: int = 25
) -> tuple[list[tuple[Document, Customer]], bool]:
    """One page of the business's documents in one of VIEWS (anything else: all), newest first,
    with their customers; and whether there is a next page."""
    query = select(Document, Customer).join(Customer, col(Customer.id) == col(Document.customer_id))
    if view == "waiting":
        query = query.where(
            Document.status == Status.SHARED, col(Document.requires_signature).is_(True)
        )
    elif view in VIEWS:
        query = query.where(Document.status == Status(view))
    rows = session.exec(
        query.order_by(col(Document.created_at).desc(), col(Document.id).desc())
        .limit(per_page + 1)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return [(document, customer) for document, customer in rows[:per_page]], len(rows) > per_page


def get(session: Session, *, document_id: str) -> Document:
    found = session.exec(select(Document).where(Document.id == document_id)).first()
    if found is None:
        raise NotFound("no such document")
    return found


def versions(session: Session, *, document: Document) -> list[DocumentVersion]:
    return list(
        session.exec(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document.id)
            .order_by(col(DocumentVersion.version).desc())
        )
    )


def viewed(session: Session, *, document: Document, who: chain.Who, now: datetime) -> None:
    """The customer opened the document: once per version, in its trail (two tabs opening it
    at once meet at the lock, and the second finds it viewed)."""
    if document.viewed_at is not None or document.status != Status.SHARED:
        return
    document = locked(session, document)
    if document.viewed_at is not None or document.status != Status.SHARED:
        return
    document.viewed_at = now
    chain.append(session, document, "viewed", who, now, version=document.version)


def trail(session: Session, *, document: Document) -> tuple[list[DocumentEvent], int | None]:
    """The document's events and the seq where the chain breaks (None: it holds)."""
    events = chain.events(session, document)
    return events, chain.broken_at(events)


def staff_actor(staff_id: str, ip: str) -> audit.Actor:
    return audit.Actor(Initiator.STAFF, staff_id, ip)
