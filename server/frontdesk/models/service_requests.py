"""Work a customer asks the business for in the portal, and its public timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, created_at_field, new_id, status_field


class ServiceRequestStatus(StrEnum):
    NEW = "new"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"
    # By the customer, and only while it is new.
    CANCELLED = "cancelled"


class ServiceRequest(TenantScoped, table=True):
    __tablename__ = "service_request"
    __table_args__ = (
        UniqueConstraint("business_id", "number"),
        # The dashboard's queue: one status, newest first.
        Index("ix_service_request_business_status", "business_id", "status", "created_at"),
    )

    id: str = Field(default_factory=lambda: new_id("sr"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    number: str = Field(max_length=40)
    status: ServiceRequestStatus = status_field(ServiceRequestStatus.NEW)
    description: str = Field(max_length=4000)
    # Where the work is: the customer's profile address when they chose it, copied at the time.
    address_line1: str = Field(default="", max_length=200)
    address_line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=2)
    # Up to three {"date": "2026-12-01", "part": "morning" | "afternoon" | "any"}.
    preferred_windows: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    # Shown to the customer: a decline always says why.
    decline_reason: str = Field(default="", max_length=2000)
    estimate_id: str | None = Field(default=None, foreign_key="estimate.id", max_length=40)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ServiceRequestEvent(TenantScoped, table=True):
    """One entry of a request's timeline: a status change or a public comment. The customer sees
    every one, so nothing internal is ever written here."""

    __tablename__ = "service_request_event"

    id: str = Field(default_factory=lambda: new_id("sre"), primary_key=True, max_length=40)
    service_request_id: str = Field(foreign_key="service_request.id", index=True, max_length=40)
    author_kind: str = Field(max_length=20)  # customer, staff, api
    author_id: str = Field(default="", max_length=40)
    # The status it moved to (a status change), or "" for a comment.
    status: str = Field(default="", max_length=20)
    text: str = Field(default="", max_length=4000)
    created_at: datetime = created_at_field()
