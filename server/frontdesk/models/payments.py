"""Money that moved: payments, how they were applied to invoices, refunds, and saved methods."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class PaymentMethodKind(StrEnum):
    CARD = "card"
    US_BANK_ACCOUNT = "us_bank_account"
    CASH = "cash"
    CHEQUE = "cheque"


class Initiator(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    API = "api"


class Payment(TenantScoped, table=True):
    __table_args__ = (
        UniqueConstraint("business_id", "idempotency_key"),
        UniqueConstraint("business_id", "processor_reference"),
        Index("ix_payment_business_customer_created", "business_id", "customer_id", "created_at"),
    )

    id: str = Field(default_factory=lambda: new_id("pay"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", max_length=40)
    # What is applied to invoices. The tip is kept apart: it never counts against a balance.
    amount: int
    tip: int = 0
    currency: str = Field(max_length=3)
    method: PaymentMethodKind = status_field()
    status: PaymentStatus = status_field(PaymentStatus.PENDING)
    processor_reference: str | None = Field(default=None, max_length=255)
    idempotency_key: str = Field(max_length=255)
    initiated_by: Initiator = status_field(Initiator.CUSTOMER)
    failure_message: str = Field(default="", max_length=1000)
    # What a charge made by the business was for, shown to the customer.
    description: str = Field(default="", max_length=500)
    # The wording the customer agreed to when asking to save the card; it moves to the saved
    # PaymentMethod once the payment succeeds.
    save_consent_text: str = Field(default="", max_length=2000)
    created_at: datetime = created_at_field()
    succeeded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PaymentAllocation(TenantScoped, table=True):
    """The part of one payment applied to one invoice (a payment may settle several)."""

    __tablename__ = "payment_allocation"
    __table_args__ = (UniqueConstraint("payment_id", "invoice_id"),)

    id: str = Field(default_factory=lambda: new_id("pa"), primary_key=True, max_length=40)
    payment_id: str = Field(foreign_key="payment.id", index=True, max_length=40)
    invoice_id: str = Field(foreign_key="invoice.id", index=True, max_length=40)
    amount: int


class Refund(TenantScoped, table=True):
    __table_args__ = (UniqueConstraint("business_id", "idempotency_key"),)

    id: str = Field(default_factory=lambda: new_id("re"), primary_key=True, max_length=40)
    payment_id: str = Field(foreign_key="payment.id", index=True, max_length=40)
    amount: int
    currency: str = Field(max_length=3)
    status: PaymentStatus = status_field(PaymentStatus.PENDING)
    reason: str = Field(default="", max_length=1000)
    processor_reference: str | None = Field(default=None, max_length=255)
    idempotency_key: str = Field(max_length=255)
    created_at: datetime = created_at_field()


class PaymentMethod(TenantScoped, table=True):
    """A saved method: the processor's id and what identifies it to a person; never card numbers."""

    __tablename__ = "payment_method"
    __table_args__ = (UniqueConstraint("business_id", "processor_id"),)

    id: str = Field(default_factory=lambda: new_id("pm"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    processor_id: str = Field(max_length=255)
    kind: PaymentMethodKind = status_field(PaymentMethodKind.CARD)
    brand: str = Field(default="", max_length=40)
    last4: str = Field(max_length=4)
    exp_month: int | None = None
    exp_year: int | None = None
    is_default: bool = False
    consent_text: str = Field(default="", max_length=2000)
    consented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
