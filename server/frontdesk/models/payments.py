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
    PAYPAL = "paypal"


class Initiator(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    API = "api"
    # The platform's operator, at the command line (connecting an account, setting a fee).
    OPERATOR = "operator"
    # The payment processor, telling us about the business's account.
    PROCESSOR = "processor"
    # The server itself, on a schedule (the daily re-check of custom domains).
    SYSTEM = "system"


class RefundCause(StrEnum):
    """Why money went back: someone asked (staff or the API, with who), or the duplicate rule
    (a second payment for invoices another payment had settled)."""

    STAFF = "staff"
    API = "api"
    DUPLICATE = "duplicate"


class InvoiceEffect(StrEnum):
    """What a refund does to the invoices its payment settled."""

    # The customer no longer owes it: a credit note keeps the invoice settled.
    CREDIT = "credit"
    # The customer still owes it: the invoice reopens by the refunded amount.
    REOPEN = "reopen"
    # Nothing: the money refunded never settled anything (a duplicate, a tip).
    NONE = "none"


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
    # The account the intent was made on: refunds go back through it after a reconnection.
    processor_account: str | None = Field(default=None, max_length=255)
    # The platform's part of `charged`, taken by the processor from the business's account.
    application_fee: int = 0
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

    @property
    def charged(self) -> int:
        """What the processor takes: the amount applied to invoices and the tip."""
        return self.amount + self.tip


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
    cause: RefundCause = status_field(RefundCause.STAFF)
    # Who asked: a staff user's or an API key's id (empty for the duplicate rule).
    actor: str = Field(default="", max_length=40)
    # For the duplicate rule: the payment (or credit note) that had settled the invoices first.
    collided_with: str = Field(default="", max_length=40)
    invoice_effect: InvoiceEffect = status_field(InvoiceEffect.NONE)
    # The platform's fee given back with this refund, in proportion to the amount refunded.
    application_fee_refunded: int = 0
    processor_reference: str | None = Field(default=None, max_length=255)
    idempotency_key: str = Field(max_length=255)
    created_at: datetime = created_at_field()


class RefundAllocation(TenantScoped, table=True):
    """The part of one refund taken back from one invoice the payment had settled."""

    __tablename__ = "refund_allocation"
    __table_args__ = (UniqueConstraint("refund_id", "invoice_id"),)

    id: str = Field(default_factory=lambda: new_id("ra"), primary_key=True, max_length=40)
    refund_id: str = Field(foreign_key="refund.id", index=True, max_length=40)
    invoice_id: str = Field(foreign_key="invoice.id", index=True, max_length=40)
    amount: int


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
    # The processor's card fingerprint: the same card saved again replaces the older entry.
    fingerprint: str = Field(default="", max_length=64)
    is_default: bool = False
    consent_text: str = Field(default="", max_length=2000)
    consented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
