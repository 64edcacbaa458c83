"""A business's customers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id


class Customer(TenantScoped, table=True):
    __table_args__ = (
        UniqueConstraint("business_id", "external_id"),
        Index("ix_customer_business_email", "business_id", "email"),
        Index("ix_customer_business_name", "business_id", "name"),
    )

    id: str = Field(default_factory=lambda: new_id("cus"), primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    phone: str = Field(default="", max_length=40)
    address_line1: str = Field(default="", max_length=200)
    address_line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=2)
    sms_consent: bool = False
    sms_consent_text: str = Field(default="", max_length=1000)
    sms_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    portal_enabled: bool = True
    # The language they chose in their profile ("" until they choose: languages.choose).
    language: str = Field(default="", max_length=12)
    # Every link and token carries this; bumping it revokes all of them at once.
    link_version: int = 1
    # Moved on by any change their portal views show (services/versions.py).
    data_version: int = 0
    external_id: str | None = Field(default=None, max_length=255)
    # The customer's id at the payment processor, on the business's connected account.
    processor_customer_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = created_at_field()


class SignInRequest(TenantScoped, table=True):
    """An emailed sign-in: a link (its nonce, used once) and a 6-digit code, for 15 minutes."""

    __tablename__ = "sign_in_request"

    id: str = Field(default_factory=lambda: new_id("sir"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    nonce: str = Field(unique=True, max_length=64)
    # HMAC of the code with the server's key: a database read alone does not reveal it.
    code_hash: str = Field(max_length=64)
    attempts: int = 0
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class EndedSession(TenantScoped, table=True):
    """A portal session its customer signed out of: its tokens (and their renewals) are refused
    until they would have expired anyway, after which the row is no longer needed."""

    __tablename__ = "ended_session"

    # The session's own id, carried by every renewal of its token ("s").
    id: str = Field(primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    ended_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime)
