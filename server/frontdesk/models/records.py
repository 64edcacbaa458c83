"""What happened (the audit trail) and what must still happen (the outbox of side effects)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from frontdesk.models.base import (
    TenantScoped,
    UTCDateTime,
    created_at_field,
    new_id,
    status_field,
    utcnow,
)


class AuditEvent(TenantScoped, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_business_created", "business_id", "created_at"),)

    id: str = Field(default_factory=lambda: new_id("evt"), primary_key=True, max_length=40)
    actor_type: str = Field(max_length=20)  # staff, customer, api, system
    actor_id: str = Field(default="", max_length=40)
    action: str = Field(max_length=80)  # "invoice.sent", "customer.profile_updated", ...
    target_type: str = Field(default="", max_length=40)
    target_id: str = Field(default="", max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    ip: str = Field(default="", max_length=45)
    created_at: datetime = created_at_field()


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    # Out of attempts: kept for the dashboard and for manual redelivery.
    DEAD = "dead"


class OutboxItem(TenantScoped, table=True):
    __tablename__ = "outbox_item"
    __table_args__ = (Index("ix_outbox_item_due", "status", "next_attempt_at"),)

    id: str = Field(default_factory=lambda: new_id("job"), primary_key=True, max_length=40)
    kind: str = Field(max_length=40)  # a key of jobs.HANDLERS
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: OutboxStatus = status_field(OutboxStatus.PENDING)
    attempts: int = 0
    max_attempts: int = 12  # services/outbox.py sets it per kind
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A claim is a lease: a runner that dies mid-item lets it become due again when this passes.
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=2000)
    created_at: datetime = created_at_field()
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProcessorEvent(TenantScoped, table=True):
    """A webhook event from the payment processor, kept so a duplicate delivery applies once."""

    __tablename__ = "processor_event"

    id: str = Field(primary_key=True, max_length=255)  # the processor's event id
    type: str = Field(max_length=80)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    received_at: datetime = created_at_field()


class BooksCheck(TenantScoped, table=True):
    """The newest check of one business's books (services/payments/ledger.py): when it ran
    and what it found wrong, one line per broken record. The dashboard warns the owner."""

    __tablename__ = "books_check"

    id: str = Field(default_factory=lambda: new_id("bk"), primary_key=True, max_length=40)
    checked_at: datetime = created_at_field()
    problems: list[str] = Field(default_factory=list, sa_type=JSON)


class RateLimit(SQLModel, table=True):
    """One token bucket (services/rate_limits.py). Not a tenant's row: limits count callers
    (addresses, API keys, customers) whoever they belong to. The key is a hash."""

    __tablename__ = "rate_limit"

    key: str = Field(primary_key=True, max_length=64)
    tokens: float
    # Seconds since the epoch: the bucket's arithmetic runs in SQL on both databases.
    updated_at: float
    granted: bool = True
