"""Who hears of a document: the business's system (webhooks), the customer by email with a link
that opens it, and both sides with the signed copy attached."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlmodel import Session, col, select

from frontdesk import languages
from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Document, StaffRole, StaffUser
from frontdesk.services import events, outbox
from frontdesk.services.documents.rules import LABELS
from frontdesk.services.links import Links

# What an email's `attachment` names for a signed copy (jobs make the PDF part when sending).
SIGNED_COPY = "document"


def announce(session: Session, business: Business, document: Document, type: str) -> None:
    data = {
        "document": document.id,
        "customer": document.customer_id,
        "title": document.title,
        "kind": str(document.kind),
        "status": str(document.status),
        "requires_signature": document.requires_signature,
        "version": document.version,
        "sha256": document.sha256,
    }
    if document.signed_sha256:
        data["signed_sha256"] = document.signed_sha256
    events.emit(session, business=business, type=type, data=data)


def shared_text(document: Document) -> str:
    """The news of a shared document, in the language being spoken."""
    said = {"kind": gettext(LABELS[document.kind]).lower(), "title": document.title}
    if document.requires_signature:
        return gettext("There is a %(kind)s for you to review and sign: “%(title)s”.") % said
    return gettext("There is a new %(kind)s in your account: “%(title)s”.") % said


def tell_customer(
    session: Session,
    business: Business,
    customer: Customer,
    document: Document,
    links: Links,
    news: str | Callable[[], str],
    *,
    attach_signed: bool = False,
) -> None:
    """An email with a link that signs the customer in at the document; none without access.
    `news` as a callable is said in the customer's language."""
    if not customer.portal_enabled:
        return
    link = links.payment(business, customer, view=f"document/{document.id}")
    if news == shared_text(document):
        # The news of a document shared from the dashboard, in English there: said again below.
        news = partial(shared_text, document)
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {"name": customer.name}
        text = "".join(
            (
                gettext("Hello %(name)s,") % said,
                "\n\n",
                news() if callable(news) else news,
                "\n\n",
                gettext("Open it here:"),
                f"\n\n{link}\n\n",
                gettext("The link opens your account: keep it to yourself."),
                "\n",
            )
        )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=f"{document.title} — {business.name}",
            text=text,
            attachment=f"{SIGNED_COPY}:{document.id}" if attach_signed else "",
        )


def tell_business_signed(
    session: Session, business: Business, customer: Customer, document: Document, links: Links
) -> None:
    """The signed copy to the business's contact address, else its owners."""
    addresses = (
        [business.contact_email]
        if business.contact_email
        else session.exec(
            select(StaffUser.email).where(
                StaffUser.role == StaffRole.OWNER, col(StaffUser.disabled).is_(False)
            )
        ).all()
    )
    with outbox.in_house():
        for address in addresses:
            outbox.email(
                session,
                business=business,
                to=address,
                subject=f"Signed: {document.title} ({customer.name})",
                text=(
                    f"{customer.name} signed “{document.title}”. The signed copy, with its "
                    f"certificate page, is attached and in your dashboard:\n\n"
                    f"{links.base_url}/dashboard/documents/{document.id}\n"
                ),
                attachment=f"{SIGNED_COPY}:{document.id}",
            )
