"""A business's own address for its hosted portal (account.theirbusiness.com), and what its DNS
records were last found to say."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field


class DomainStatus(StrEnum):
    # Added: the owner is to create the two records.
    PENDING = "pending"
    # Both records found: the host serves the business's portal.
    VERIFIED = "verified"
    # Was verified, then a re-check found a record gone or changed: the host serves nothing.
    FAILING = "failing"


class CustomDomain(TenantScoped, table=True):
    __tablename__ = "custom_domain"

    id: str = Field(default_factory=lambda: new_id("dom"), primary_key=True, max_length=40)
    # Lower case, IDNA-encoded, no trailing dot; one business's only, across all businesses.
    hostname: str = Field(unique=True, max_length=253)
    status: DomainStatus = status_field(DomainStatus.PENDING)
    # The TXT record's value proves the owner controls the name.
    token: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    last_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the last check found missing, in words for the owner ("" when all was well).
    last_error: str = Field(default="", max_length=500)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
