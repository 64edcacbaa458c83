"""The theme gallery's states of the customer's documents: the archive, one waiting for their
signature (with the consent they give once) and one signed, drawn by the portal route's own
builders on samples made here (gallery.py lists them with the other states)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from starlette.datastructures import FormData

from frontdesk.models import Business, Document, DocumentKind, DocumentStatus
from frontdesk.routes.portal import documents
from frontdesk.services import documents as documents_service
from frontdesk.services.gallery import Samples

# The samples have no stored files: their links name a file that is not there.
NO_FILE = "sample"
PROBLEMS = {
    "typed_name": "Type your full name to sign.",
    "agreed": "Tick the box to confirm you sign this document.",
}


def _samples(business: Business, s: Samples) -> list[Document]:
    noon = datetime.combine(s.today, time(12), tzinfo=UTC)

    def sample(title: str, kind: DocumentKind, days: int, **more: Any) -> Document:
        at = noon - timedelta(days=days)
        return Document(
            id=f"doc_sample{days}",
            business_id=business.id,
            customer_id=s.customer.id,
            title=title,
            kind=kind,
            attachment_id=NO_FILE,
            sha256="0" * 64,
            created_at=at,
            updated_at=at,
            **more,
        )

    return [
        sample("Lawn care agreement 2027", DocumentKind.CONTRACT, 1, requires_signature=True),
        sample(
            "Spring aeration work order",
            DocumentKind.CONTRACT,
            20,
            requires_signature=True,
            status=DocumentStatus.SIGNED,
            signed_at=noon - timedelta(days=19),
            signer_name=s.customer.name,
        ),
        sample(
            "Certificate of insurance",
            DocumentKind.COI,
            45,
            expires_on=s.today.replace(year=s.today.year + 1),
        ),
    ]


def archive(business: Business, s: Samples) -> dict[str, Any]:
    return documents.list_shown(_samples(business, s))


def no_documents(business: Business, s: Samples) -> dict[str, Any]:
    return documents.list_shown([])


def to_sign(business: Business, s: Samples) -> dict[str, Any]:
    """The first signature: the consent wording with the form, half filled in, told what is
    missing."""
    typed = FormData([("typed_name", ""), ("consents", "yes")])
    shown = documents.detail_shown(
        _samples(business, s)[0],
        {"original": NO_FILE},
        consented=False,
        disclosure=documents_service.disclosure(business),
        form=typed,
        errors=PROBLEMS,
    )
    return {**shown, "problem": "Please fix the highlighted fields."}


def signed(business: Business, s: Samples) -> dict[str, Any]:
    return documents.detail_shown(
        _samples(business, s)[1],
        {"original": NO_FILE, "signed": NO_FILE},
        consented=True,
        disclosure="",
        notice="Signed. Your signed copy is below and on its way to you by email.",
    )
