"""The customer's side of signing: consenting to sign electronically (once, withdrawable),
signing with a typed name, and the sealed copy (the original's pages and a certificate page)
whose hash the verify page recognises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from frontdesk.languages import gettext
from frontdesk.models import (
    Attachment,
    Business,
    Customer,
    Document,
    Initiator,
    SignatureConsent,
)
from frontdesk.services import attachment_files, attachments, audit
from frontdesk.services.documents import certificate, chain, news
from frontdesk.services.documents.archive import locked
from frontdesk.services.documents.rules import (
    EVENTS,
    MAX_NAME,
    OWNER_KIND,
    Status,
    consent_text,
    sha256,
)
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.links import Links
from frontdesk.storage import Storage

# How the customer was identified, as the certificate page says it: every portal session starts
# from a link or code sent to their address, or a token the business's own site signed for them.
IDENTIFIED_BY = "Signed in to {business}'s customer portal as {email}"


@dataclass(frozen=True)
class Signature:
    """What the signing form sent."""

    typed_name: str
    # The box "I have read it and sign it" (intent to sign).
    agreed: bool
    # The box for the electronic-signature disclosure, when they have not consented yet.
    consents: bool
    # The browser's IANA zone, as it reported it (kept as reported, checked for shape only).
    time_zone: str = ""
    # The version the customer had open: a replaced document is read again before signing.
    version: int = 0


def current_consent(session: Session, *, customer: Customer) -> SignatureConsent | None:
    return session.exec(
        select(SignatureConsent)
        .where(
            SignatureConsent.customer_id == customer.id,
            col(SignatureConsent.withdrawn_at).is_(None),
        )
        .order_by(col(SignatureConsent.at).desc())
        .limit(1)
    ).first()


def disclosure(business: Business) -> str:
    """The consent wording this business's customers read (and agree to, word for word)."""
    contact = business.contact_email or business.contact_phone or business.name
    return consent_text(business.name, contact)


def consent(
    session: Session, *, business: Business, customer: Customer, who: chain.Who, now: datetime
) -> SignatureConsent:
    """The customer's consent to sign electronically, with the words they agreed to."""
    found = current_consent(session, customer=customer)
    if found is not None:
        return found
    text = disclosure(business)
    given = SignatureConsent(
        business_id=business.id,
        customer_id=customer.id,
        text=text,
        sha256=sha256(text),
        ip=who.ip[:64],
        user_agent=who.user_agent[:400],
        at=now,
    )
    session.add(given)
    audit.Actor(Initiator.CUSTOMER, customer.id, who.ip).record(
        session, business.id, "signature_consent.given", "customer", customer.id
    )
    return given


def withdraw_consent(
    session: Session, *, business: Business, customer: Customer, who: chain.Who, now: datetime
) -> None:
    found = current_consent(session, customer=customer)
    if found is None:
        raise Invalid(gettext("You have not consented to sign electronically."))
    found.withdrawn_at = now
    audit.Actor(Initiator.CUSTOMER, customer.id, who.ip).record(
        session, business.id, "signature_consent.withdrawn", "customer", customer.id
    )


def _checked(signature: Signature, has_consent: bool) -> tuple[str, str]:
    errors: dict[str, str] = {}
    name = " ".join(signature.typed_name.split())
    if not name:
        errors["typed_name"] = gettext("Type your full name to sign.")
    elif len(name) > MAX_NAME:
        errors["typed_name"] = gettext("Use at most %(limit)s characters.") % {"limit": MAX_NAME}
    if not signature.agreed:
        errors["agreed"] = gettext("Tick the box to confirm you sign this document.")
    if not has_consent and not signature.consents:
        errors["consents"] = gettext("Agree to sign electronically first, or ask for a paper copy.")
    zone = signature.time_zone.strip()[:64]
    try:
        ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = ""
    if errors:
        raise Invalid(gettext("Please fix the highlighted fields."), errors)
    return name, zone


def sign(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    document: Document,
    signature: Signature,
    who: chain.Who,
    store: Storage,
    links: Links,
    verify_url: str,
    now: datetime,
) -> Document:
    """Signs the customer's document: the trail must hold, the consent is on record, the signed
    copy is sealed and kept, and both sides get it by email. Signing twice is refused."""
    document = locked(session, document)
    if document.customer_id != customer.id or document.status == Status.WITHDRAWN:
        raise NotFound("no such document")
    if document.status == Status.SIGNED:
        raise Invalid(
            gettext("You have already signed this document: download the signed copy below.")
        )
    if not document.requires_signature:
        raise Invalid(gettext("This document does not need your signature."))
    if signature.version and signature.version != document.version:
        raise Invalid(
            gettext(
                "%(business)s updated this document since you opened it: read the new "
                "version above, then sign."
            )
            % {"business": business.name}
        )
    given = current_consent(session, customer=customer)
    name, zone = _checked(signature, given is not None)
    events = chain.events(session, document)
    if chain.broken_at(events) is not None:
        raise Invalid(
            gettext(
                "This document's record does not check out, so it cannot be signed now. "
                "%(business)s has been told; please contact them."
            )
            % {"business": business.name}
        )
    if given is None:
        given = consent(session, business=business, customer=customer, who=who, now=now)
        chain.append(session, document, "consented", who, now, consent_sha256=given.sha256)
    signed = chain.append(
        session,
        document,
        "signed",
        who,
        now,
        typed_name=name,
        time_zone=zone,
        version=document.version,
        sha256=document.sha256,
        consent_sha256=given.sha256,
    )
    original = _bytes(session, store, document.attachment_id)
    sealed = certificate.sealed(
        original,
        certificate.Certificate(
            business_name=business.name,
            document_title=document.title,
            reference=document.id,
            version=document.version,
            sent_sha256=document.sha256,
            signer_name=name,
            signer_email=customer.email,
            identified_by=IDENTIFIED_BY.format(business=business.name, email=customer.email),
            consent_text_sha256=given.sha256,
            consented_at=given.at,
            signed_at=now,
            signer_time_zone=zone,
            shown_time_zone=business.time_zone,
            ip=who.ip,
            user_agent=who.user_agent,
            chain_head=signed.hash,
            trail=[(event.at, EVENTS.get(event.kind, event.kind)) for event in [*events, signed]],
            verify_url=verify_url,
        ),
    )
    kept = attachments.stored(
        session,
        business=business,
        customer_id=customer.id,
        owner_kind=OWNER_KIND,
        owner_id=document.id,
        clean=attachment_files.Clean(_signed_name(document), "application/pdf", sealed),
        by=attachments.Party.customer(customer.id),
        store=store,
    )
    document.status, document.signed_at, document.signer_name = Status.SIGNED, now, name
    document.signed_attachment_id, document.signed_sha256 = kept.id, kept.sha256
    document.updated_at = now
    chain.append(session, document, "sealed", chain.Who("system"), now, signed_sha256=kept.sha256)
    audit.Actor(Initiator.CUSTOMER, customer.id, who.ip).record(
        session, business.id, "document.signed", "document", document.id, title=document.title
    )
    news.announce(session, business, document, "document.signed")
    text = gettext("You signed “%(title)s”. Your signed copy is attached.") % {
        "title": document.title
    }
    news.tell_customer(session, business, customer, document, links, text, attach_signed=True)
    news.tell_business_signed(session, business, customer, document, links)
    return document


def _bytes(session: Session, store: Storage, attachment_id: str) -> bytes:
    found = session.get(Attachment, attachment_id)
    if found is None:
        raise NotFound("the document's file is gone")
    return store.get(found.storage_key)


def signed_copy(session: Session, *, document: Document, store: Storage) -> tuple[bytes, str]:
    """The sealed PDF and its file name (for emails and downloads)."""
    if document.signed_attachment_id is None:
        raise NotFound("this document is not signed")
    return _bytes(session, store, document.signed_attachment_id), _signed_name(document)


def _signed_name(document: Document) -> str:
    title = attachment_files.display_name(document.title) or "document"
    return f"{title} (signed).pdf"
