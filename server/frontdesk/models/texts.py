"""Text messages: each one sent to a customer (and what became of it) and each reply received."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field


class TextStatus(StrEnum):
    QUEUED = "queued"  # in the outbox
    SENT = "sent"  # the provider took it
    DELIVERED = "delivered"  # the carrier says the phone has it
    FAILED = "failed"  # refused by the provider, or undeliverable
    # Consent was withdrawn (a STOP) between queueing and sending: never sent.
    WITHDRAWN = "withdrawn"
    RECEIVED = "received"  # a reply from the customer


class Text(TenantScoped, table=True):
    __tablename__ = "text_message"
    __table_args__ = (Index("ix_text_message_business_created", "business_id", "created_at"),)

    id: str = Field(default_factory=lambda: new_id("txt"), primary_key=True, max_length=40)
    customer_id: str | None = Field(default=None, foreign_key="customer.id", max_length=40)
    inbound: bool = False
    # Why it was sent ("reminder:due", "pay_link") or what the reply was ("stop", "start", "other").
    purpose: str = Field(max_length=40)
    to_number: str = Field(max_length=20)
    from_number: str = Field(default="", max_length=20)
    body: str = Field(max_length=1600)
    status: TextStatus = status_field(TextStatus.QUEUED)
    # The provider's id (Twilio's "SM..."), by which its status callbacks name it.
    provider_sid: str | None = Field(default=None, index=True, max_length=64)
    error: str = Field(default="", max_length=500)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
