"""Messages between a customer and the business: one conversation per customer, both directions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    # Said by Frontdesk on the business's behalf; the customer reads it as the business's.
    SYSTEM = "system"


class Message(TenantScoped, table=True):
    __table_args__ = (
        # The form carries a fresh nonce: a double submit finds the first message, not a second.
        UniqueConstraint("business_id", "customer_id", "client_nonce", name="uq_message_nonce"),
        Index("ix_message_conversation", "business_id", "customer_id", "created_at"),
    )

    id: str = Field(default_factory=lambda: new_id("msg"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", max_length=40)
    author_kind: AuthorKind = status_field()
    author_staff_id: str | None = Field(default=None, max_length=40)
    body: str = Field(default="", sa_type=Text)
    client_nonce: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    # Read by the other side: the customer reads the business's messages, staff the customer's.
    read_by_customer_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read_by_staff_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the unread notice by email named this message: one notice per unread burst.
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
