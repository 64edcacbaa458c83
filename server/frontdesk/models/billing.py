"""Documents a customer is billed with: invoices, estimates, their lines, and account credit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, Numeric, UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field


class InvoiceStatus(StrEnum):
    """What is stored. Overdue and partially paid are derived (services/invoices.py)."""

    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"


class EstimateStatus(StrEnum):
    """What is stored. Expired is derived from the expiry date (services/estimates.py)."""

    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class LineBase(TenantScoped):
    """A priced line. `amount` and `tax_amount` are fixed when the line is written."""

    position: int = 0
    description: str = Field(max_length=1000)
    quantity: Decimal = Field(default=Decimal(1), sa_type=Numeric(12, 3))
    unit_amount: int
    # Either a rate (basis points, 825 = 8.25 %) or a fixed tax amount typed by the business.
    tax_rate_bp: int | None = None
    amount: int = 0
    tax_amount: int = 0


class Invoice(TenantScoped, table=True):
    __table_args__ = (
        UniqueConstraint("business_id", "number"),
        UniqueConstraint("business_id", "external_id", name="uq_invoice_external_id"),
        Index("ix_invoice_business_customer_status", "business_id", "customer_id", "status"),
        # The customer's invoices newest first (lists, recent charges) without a sort.
        Index("ix_invoice_customer_issued", "customer_id", "issue_date", "number"),
        # The dashboard's list, newest first: its page read off the index, not all sorted.
        Index("ix_invoice_business_created", "business_id", "created_at", "id"),
    )

    id: str = Field(default_factory=lambda: new_id("inv"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", max_length=40)
    number: str = Field(max_length=40)
    status: InvoiceStatus = status_field(InvoiceStatus.DRAFT)
    currency: str = Field(max_length=3)
    issue_date: date
    due_date: date
    subtotal: int = 0
    tax_total: int = 0
    total: int = 0
    notes: str = Field(default="", max_length=4000)
    # The business's own id for it, for lookups from its system.
    external_id: str | None = Field(default=None, max_length=255)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The subscription whose period it bills (subscription_period says which period).
    subscription_id: str | None = Field(default=None, foreign_key="subscription.id", max_length=40)
    created_at: datetime = created_at_field()


class InvoiceLine(LineBase, table=True):
    __tablename__ = "invoice_line"

    id: str = Field(default_factory=lambda: new_id("il"), primary_key=True, max_length=40)
    invoice_id: str = Field(foreign_key="invoice.id", index=True, max_length=40)


class Estimate(TenantScoped, table=True):
    __table_args__ = (
        UniqueConstraint("business_id", "number"),
        UniqueConstraint("business_id", "external_id", name="uq_estimate_external_id"),
        Index("ix_estimate_business_customer_status", "business_id", "customer_id", "status"),
    )

    id: str = Field(default_factory=lambda: new_id("est"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", max_length=40)
    number: str = Field(max_length=40)
    status: EstimateStatus = status_field(EstimateStatus.DRAFT)
    currency: str = Field(max_length=3)
    issue_date: date
    expires_on: date
    subtotal: int = 0
    tax_total: int = 0
    total: int = 0
    notes: str = Field(default="", max_length=4000)
    # The business's own id for it, for lookups from its system.
    external_id: str | None = Field(default=None, max_length=255)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signer_name: str = Field(default="", max_length=200)
    signer_ip: str = Field(default="", max_length=45)
    rejection_reason: str = Field(default="", max_length=2000)
    created_at: datetime = created_at_field()


class EstimateLine(LineBase, table=True):
    __tablename__ = "estimate_line"

    id: str = Field(default_factory=lambda: new_id("el"), primary_key=True, max_length=40)
    estimate_id: str = Field(foreign_key="estimate.id", index=True, max_length=40)


class CreditNote(TenantScoped, table=True):
    """Account credit. Unapplied credit (no invoice) is what puts a customer in credit."""

    __tablename__ = "credit_note"

    id: str = Field(default_factory=lambda: new_id("cn"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    invoice_id: str | None = Field(default=None, foreign_key="invoice.id", max_length=40)
    amount: int
    currency: str = Field(max_length=3)
    reason: str = Field(default="", max_length=1000)
    created_at: datetime = created_at_field()


class LateFee(TenantScoped, table=True):
    """The late-fee decision on one invoice: added (with its line) or skipped (the account was
    paused when the fee fell due). The primary key is the wall against a second fee, whatever
    runs the scheduler; it is written in the transaction that adds the line."""

    __tablename__ = "late_fee"

    invoice_id: str = Field(foreign_key="invoice.id", primary_key=True, max_length=40)
    outcome: str = Field(max_length=20)  # added, skipped
    reason: str = Field(default="", max_length=200)
    amount: int = 0
    line_id: str | None = Field(default=None, foreign_key="invoice_line.id", max_length=40)
    # When the business's terms made it due (10:00 where the business is, on day N overdue).
    due_at: datetime = Field(sa_type=UTCDateTime)
    # The notice email was left out: the fee was found long after it fell due.
    quiet: bool = False
    created_at: datetime = created_at_field()
