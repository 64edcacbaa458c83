"""Documents a business shares with one customer (contracts, warranties, certificates of
insurance), their versions, the signature consent a customer gives once, and each document's
audit events chained by hash."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import (
    TenantScoped,
    UTCDateTime,
    created_at_field,
    new_id,
    status_field,
)


class DocumentKind(StrEnum):
    CONTRACT = "contract"
    WARRANTY = "warranty"
    # A certificate of insurance: usually has an expiry date.
    COI = "coi"
    # An approved estimate, filed here with its certificate when the customer approves it.
    ESTIMATE = "estimate"
    OTHER = "other"


class DocumentStatus(StrEnum):
    SHARED = "shared"
    SIGNED = "signed"
    # Taken back by the business: the customer no longer sees it; the record and files stay.
    WITHDRAWN = "withdrawn"


class Document(TenantScoped, table=True):
    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_customer", "business_id", "customer_id", "created_at"),
        # The public verify page finds a signed PDF by its hash, across businesses.
        Index("ix_document_signed_sha256", "signed_sha256"),
    )

    id: str = Field(default_factory=lambda: new_id("doc"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", max_length=40)
    title: str = Field(max_length=200)
    kind: DocumentKind = status_field(DocumentKind.OTHER)
    status: DocumentStatus = status_field(DocumentStatus.SHARED)
    requires_signature: bool = False
    expires_on: date | None = None
    # The current version: its file and that file's SHA-256 as sent (copied from the version).
    version: int = 1
    attachment_id: str = Field(foreign_key="attachment.id", max_length=40)
    sha256: str = Field(max_length=64)
    estimate_id: str | None = Field(default=None, foreign_key="estimate.id", max_length=40)
    viewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Once signed: the sealed PDF (original pages and the certificate page) and its SHA-256.
    signed_attachment_id: str | None = Field(
        default=None, foreign_key="attachment.id", max_length=40
    )
    signed_sha256: str | None = Field(default=None, max_length=64)
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signer_name: str = Field(default="", max_length=200)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class DocumentVersion(TenantScoped, table=True):
    """Every file a document has had, the current one included: replacing keeps the old."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: str = Field(default_factory=lambda: new_id("docv"), primary_key=True, max_length=40)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=40)
    version: int
    attachment_id: str = Field(foreign_key="attachment.id", max_length=40)
    sha256: str = Field(max_length=64)
    created_by_id: str = Field(default="", max_length=40)
    created_at: datetime = created_at_field()


class DocumentEvent(TenantScoped, table=True):
    """One audit event of a document. `hash` is SHA-256 over the previous event's hash and this
    event's canonical JSON, so changing or removing any event breaks every hash after it; the
    unique (document, seq) makes two writers racing to append meet in the database."""

    __tablename__ = "document_event"
    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: str = Field(default_factory=lambda: new_id("doce"), primary_key=True, max_length=40)
    document_id: str = Field(foreign_key="document.id", index=True, max_length=40)
    seq: int
    # shared, viewed, consented, signed, replaced, withdrawn, reminded, sealed
    kind: str = Field(max_length=20)
    at: datetime = created_at_field()
    actor_kind: str = Field(max_length=20)  # customer, staff, api, system
    actor_id: str = Field(default="", max_length=40)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=400)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class SignatureConsent(TenantScoped, table=True):
    """A customer's consent to sign electronically, given once with the disclosure they read
    (kept word for word, with its hash) and withdrawable; withdrawn, signing stops until they
    consent again."""

    __tablename__ = "signature_consent"

    id: str = Field(default_factory=lambda: new_id("sigc"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    text: str = Field(max_length=4000)
    sha256: str = Field(max_length=64)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=400)
    at: datetime = created_at_field()
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
