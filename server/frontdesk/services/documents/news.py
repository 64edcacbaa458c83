"""Who hears of a document: the business's system (webhooks), the customer by email with a link
that opens it, and both sides with the signed copy attached."""

from __future__ import annotations

from sqlmodel import Session, col, select

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
    kind = LABELS[document.kind].lower()
    if document.requires_signature:
        return f"There is a {kind} for you to review and sign: “{document.title}”."
    return f"There is a new {kind} in your account: “{document.title}”."


def tell_customer(
    session: Session,
    business: Business,
    customer: Customer,
    document: Document,
    links: Links,
    news: str,
    *,
    attach_signed: bool = False,
) -> None:
    """An email with a link that signs the customer in at the document; none without access."""
    if not customer.portal_enabled:
        return
    link = links.payment(business, customer, view=f"document/{document.id}")
    outbox.email(
        session,
        business=business,
        to=customer.email,
        subject=f"{document.title} — {business.name}",
        text=(
            f"Hello {customer.name},\n\n{news}\n\nOpen it here:\n\n{link}\n\n"
            "The link opens your account: keep it to yourself.\n"
        ),
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
