"""What the integration API keeps: idempotent replies, webhook endpoints and their deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field


class IdempotencyRecord(TenantScoped, table=True):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed for every retry."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("business_id", "key"),)

    id: str = Field(default_factory=lambda: new_id("idem"), primary_key=True, max_length=40)
    key: str = Field(max_length=255)
    # Method, path and body hashed: the same key with another request is refused, not replayed.
    fingerprint: str = Field(max_length=64)
    status_code: int = 0
    response: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = created_at_field()


class WebhookEndpoint(TenantScoped, table=True):
    __tablename__ = "webhook_endpoint"

    id: str = Field(default_factory=lambda: new_id("we"), primary_key=True, max_length=40)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    # Event types it receives; empty means every type.
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    # The signing secret, encrypted with the server's keys (sealing.py): it must be recoverable
    # to sign, so it cannot be hashed.
    sealed_secret: str = Field(sa_type=Text)
    enabled: bool = True
    created_at: datetime = created_at_field()
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    # Three days of retries ran out; a manual redelivery starts over.
    FAILED = "failed"


class WebhookDelivery(TenantScoped, table=True):
    """One event on its way to one endpoint, with the outcome of the latest attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at"),
    )

    id: str = Field(default_factory=lambda: new_id("whd"), primary_key=True, max_length=40)
    endpoint_id: str = Field(foreign_key="webhook_endpoint.id", max_length=40)
    event_id: str = Field(max_length=40)
    event_type: str = Field(max_length=80)
    # The event exactly as it is sent: the body is signed as stored.
    body: str = Field(sa_type=Text)
    status: DeliveryStatus = status_field(DeliveryStatus.PENDING)
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = created_at_field()
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
