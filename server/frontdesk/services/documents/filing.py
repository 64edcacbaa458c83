"""Approved estimates filed in the customer's documents as signed PDFs: the estimate as it was
approved, with a certificate page saying who approved it, when, from where and to which words."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from frontdesk.models import (
    Attachment,
    Business,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
)
from frontdesk.services import attachment_files, attachments, customers, estimates, pdf_layout, pdfs
from frontdesk.services.documents import certificate, chain, news
from frontdesk.services.documents.rules import OWNER_KIND, sha256
from frontdesk.services.documents.signing import IDENTIFIED_BY
from frontdesk.storage import Storage

# What the estimate job is queued as, once the approval commits (estimates.decide).
JOB = "file_estimate"


def file_estimate(
    session: Session,
    *,
    business: Business,
    estimate_id: str,
    store: Storage,
    verify_url: str,
    now: datetime,
) -> Document | None:
    """The approved estimate in the customer's documents, once: a retried job finds it filed."""
    filed = session.exec(select(Document).where(Document.estimate_id == estimate_id)).first()
    if filed is not None:
        return filed
    estimate = estimates.get_by_reference(session, business=business, reference=estimate_id)
    if estimate.decided_at is None or not estimate.signer_name:
        return None
    customer = customers.get(session, business=business, customer_id=estimate.customer_id)
    original = pdfs.estimate_pdf(
        business, customer, estimate, estimates.lines(session, estimate=estimate)
    )
    document = Document(
        business_id=business.id,
        customer_id=customer.id,
        title=f"Estimate {estimate.number}",
        kind=DocumentKind.ESTIMATE,
        estimate_id=estimate.id,
        attachment_id="",
        sha256=sha256(original),
        created_at=now,
        updated_at=now,
    )
    name = pdf_layout.plain_name(estimate.number)
    as_sent = _kept(session, business, document, f"{name}.pdf", original, store)
    document.attachment_id = as_sent.id
    session.add(document)
    session.add(
        DocumentVersion(
            business_id=business.id,
            document_id=document.id,
            version=1,
            attachment_id=as_sent.id,
            sha256=as_sent.sha256,
        )
    )
    session.flush()
    who = chain.Who("customer", customer.id, estimate.signer_ip or "")
    terms = estimates.terms(business)
    approved = chain.append(
        session,
        document,
        "signed",
        who,
        estimate.decided_at,
        typed_name=estimate.signer_name,
        sha256=document.sha256,
        terms_sha256=sha256(terms),
    )
    sealed = certificate.sealed(
        original,
        certificate.Certificate(
            business_name=business.name,
            document_title=document.title,
            reference=document.id,
            version=1,
            sent_sha256=document.sha256,
            signer_name=estimate.signer_name,
            signer_email=customer.email,
            identified_by=IDENTIFIED_BY.format(business=business.name, email=customer.email),
            consent_text_sha256=sha256(terms),
            consented_at=estimate.decided_at,
            signed_at=estimate.decided_at,
            signer_time_zone="",
            shown_time_zone=business.time_zone,
            ip=estimate.signer_ip or "",
            user_agent="",
            chain_head=approved.hash,
            trail=[(estimate.decided_at, "Approved by the customer")],
            verify_url=verify_url,
        ),
    )
    signed = _kept(session, business, document, f"{name} (signed).pdf", sealed, store)
    document.status, document.signed_at = DocumentStatus.SIGNED, estimate.decided_at
    document.signer_name = estimate.signer_name
    document.signed_attachment_id, document.signed_sha256 = signed.id, signed.sha256
    chain.append(session, document, "sealed", chain.Who("system"), now, signed_sha256=signed.sha256)
    news.announce(session, business, document, "document.signed")
    return document


def _kept(
    session: Session,
    business: Business,
    document: Document,
    filename: str,
    data: bytes,
    store: Storage,
) -> Attachment:
    return attachments.stored(
        session,
        business=business,
        customer_id=document.customer_id,
        owner_kind=OWNER_KIND,
        owner_id=document.id,
        clean=attachment_files.Clean(filename, "application/pdf", data),
        by=attachments.Party.customer(document.customer_id),
        store=store,
    )
