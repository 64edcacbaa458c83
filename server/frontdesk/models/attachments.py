"""Files customers and staff attach to something of theirs (a service request, a message): the
row says whose and what; the bytes live in the blob store under `storage_key`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, created_at_field, new_id


class Attachment(TenantScoped, table=True):
    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_owner", "business_id", "owner_kind", "owner_id"),)

    id: str = Field(default_factory=lambda: new_id("att"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    # What it is attached to ("service_request", "message"): created first, in the same
    # transaction, so a file never exists without its owner.
    owner_kind: str = Field(max_length=40)
    owner_id: str = Field(max_length=40)
    # The name to show, cleaned of paths and control characters; never a path on disk.
    filename: str = Field(max_length=200)
    # Sniffed from the stored bytes (image/jpeg, image/png, application/pdf), never the client's.
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    # `<business_id>/<sha256>`: identical files of one business share one stored blob.
    storage_key: str = Field(max_length=200)
    created_by_kind: str = Field(max_length=20)
    created_by_id: str = Field(max_length=40)
    created_at: datetime = created_at_field()
