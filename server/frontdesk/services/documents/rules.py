"""What a document may hold: kinds and states with their names, limits, and the words a customer
agrees to before signing electronically (kept word for word with every consent)."""

from __future__ import annotations

import hashlib

from frontdesk.languages import N_, gettext
from frontdesk.models import Document, DocumentKind, DocumentStatus

Kind = DocumentKind
Status = DocumentStatus
MAX_TITLE = 200
MAX_NAME = 200
# What the attachments store files documents under (each version, and the signed copy).
OWNER_KIND = "document"
# Each version is one file; versions are documents' own rows, so the store's per-owner limit is
# only a backstop against a loop replacing a document forever.
MAX_VERSIONS = 50
KINDS = {
    Kind.CONTRACT: N_("Contract"),
    Kind.WARRANTY: N_("Warranty"),
    Kind.COI: N_("Certificate of insurance"),
    Kind.OTHER: N_("Other"),
}
# Estimates are filed by approving them, never uploaded as such.
LABELS = {**KINDS, Kind.ESTIMATE: N_("Approved estimate")}


# A trail event as people read it (the dashboard's trail, the certificate page).
EVENTS = {
    "shared": "Shared with the customer",
    "replaced": "Replaced with a new version",
    "viewed": "Opened by the customer",
    "reminded": "Reminder to sign sent",
    "consented": "Consent to sign electronically given",
    "signed": "Signed by the customer",
    "sealed": "Signed copy sealed",
    "withdrawn": "Withdrawn",
}


def status_label(document: Document) -> str:
    """What the customer reads for a document's state."""
    if document.status == Status.WITHDRAWN:
        return N_("Withdrawn")
    if document.status == Status.SIGNED:
        return N_("Signed")
    return N_("Needs your signature") if document.requires_signature else N_("Shared")


def staff_status_label(document: Document) -> str:
    """What the business reads for a document's state."""
    if document.status == Status.SHARED and document.requires_signature:
        return "Awaiting signature"
    return status_label(document)


# ESIGN (15 U.S.C. 7001(c)) asks that a consumer be told, before consenting: that paper is
# available, that consent can be withdrawn and how, what it covers, and how to get a paper copy.
# The customer reads it in their language, and what they read is what is kept with the consent.
CONSENT_TEXT = N_(
    "I agree to sign documents from %(business)s electronically, and that my electronic "
    "signature has the same effect as signing on paper. This covers the documents %(business)s "
    "shares with me in this portal until I withdraw my consent. I may withdraw it at any time on "
    "any document's page in this portal; after that, nothing more is signed electronically and "
    "%(business)s will arrange paper copies to sign. I may ask %(business)s for a paper copy of "
    "any document, free of charge, at %(contact)s. I can open and keep PDF files on this device."
)


def consent_text(business_name: str, contact: str) -> str:
    return gettext(CONSENT_TEXT) % {"business": business_name, "contact": contact}


def sha256(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()
