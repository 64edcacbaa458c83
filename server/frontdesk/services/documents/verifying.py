"""Anyone may ask whether a PDF is a document signed here and unaltered: its SHA-256 either is
the hash we recorded when sealing it, or it is not. The answer holds only what the PDF's own
certificate page already shows (the business, the title, who signed, when)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from frontdesk.languages import gettext
from frontdesk.models import Business, Document
from frontdesk.services.documents import chain
from frontdesk.services.documents.rules import Status, sha256
from frontdesk.services.errors import Invalid

HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Verdict:
    sha256: str
    # None when no signed document has this hash.
    business_name: str | None = None
    title: str = ""
    signer_name: str = ""
    signed_at: datetime | None = None
    reference: str = ""
    # The document's audit trail still holds (False: it was altered after signing).
    trail_holds: bool = True

    @property
    def matches(self) -> bool:
        return self.business_name is not None


def checked_hash(typed: str) -> str:
    digest = typed.strip().lower()
    if not HEX.match(digest):
        message = gettext("A SHA-256 hash is 64 characters, 0-9 and a-f.")
        raise Invalid(message, {"sha256": message})
    return digest


def of_file(data: bytes) -> str:
    if not data:
        message = gettext("Choose the PDF to check.")
        raise Invalid(message, {"file": message})
    return sha256(data)


def verdict(session: Session, *, digest: str) -> Verdict:
    """What the hash names. `session` is unscoped: the hash, not a business, says where to look;
    a withdrawn document still verifies (withdrawing hides it, it does not unsign it)."""
    found = session.exec(
        select(Document).where(
            Document.signed_sha256 == digest,
            col(Document.status).in_([Status.SIGNED, Status.WITHDRAWN]),
        )
    ).first()
    if found is None:
        return Verdict(digest)
    business = session.get(Business, found.business_id)
    events = chain.events(session, found)
    return Verdict(
        digest,
        business.name if business else "",
        found.title,
        found.signer_name,
        found.signed_at,
        found.id,
        chain.broken_at(events) is None,
    )
