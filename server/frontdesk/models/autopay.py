"""Automatic payments: a customer's consent to have their invoices charged to a saved card, each
attempt to charge an invoice under it, and the notices sent before (an upcoming charge, a card
about to expire)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field

from frontdesk.models.base import (
    TenantScoped,
    UTCDateTime,
    created_at_field,
    new_id,
    status_field,
)


class AutopayEnrollment(TenantScoped, table=True):
    """The customer's own consent, kept word for word with where it was given. Only the customer
    creates one (staff can only end it); ending keeps the record. One active per customer."""

    __tablename__ = "autopay_enrollment"
    __table_args__ = (
        Index(
            "ux_autopay_enrollment_active",
            "customer_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: str = Field(default_factory=lambda: new_id("ap"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    payment_method_id: str = Field(foreign_key="payment_method.id", max_length=40)
    consent_text: str = Field(max_length=2000)
    consent_sha256: str = Field(max_length=64)
    consented_at: datetime = Field(sa_type=UTCDateTime)
    # The business's day when the customer agreed: invoices due from then on are covered; what
    # was overdue already is theirs to pay (the consent says so).
    starts_on: date
    consent_ip: str = Field(default="", max_length=64)
    consent_user_agent: str = Field(default="", max_length=500)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # customer, staff, api or system (the card was removed, or declined for good).
    revoked_by: str = Field(default="", max_length=20)
    revoke_reason: str = Field(default="", max_length=300)
    created_at: datetime = created_at_field()


class AttemptStatus(StrEnum):
    # Committed before the processor is asked, so a crash leaves a mark that is resumed with the
    # same idempotency key instead of a second charge.
    CHARGING = "charging"
    SUCCEEDED = "succeeded"
    # Paid from the customer's credit; nothing was charged.
    CREDITED = "credited"
    # A decline worth trying again (insufficient funds, a generic decline).
    SOFT_FAILED = "soft_failed"
    # A decline that will not change (lost, stolen, expired card): no more tries.
    HARD_FAILED = "hard_failed"
    # The bank wants the customer: they were emailed the link to confirm.
    NEEDS_ACTION = "needs_action"
    # Not charged: above the customer's limit, found too late, or already paid.
    SKIPPED = "skipped"


FINAL = {
    AttemptStatus.SUCCEEDED,
    AttemptStatus.CREDITED,
    AttemptStatus.HARD_FAILED,
    AttemptStatus.NEEDS_ACTION,
    AttemptStatus.SKIPPED,
}


class AutopayAttempt(TenantScoped, table=True):
    """One try at charging one invoice. The primary key (invoice, attempt) is the last wall
    against two charges for the same try, whatever runs the scheduler."""

    __tablename__ = "autopay_attempt"

    invoice_id: str = Field(foreign_key="invoice.id", primary_key=True, max_length=40)
    attempt: int = Field(primary_key=True)
    enrollment_id: str = Field(foreign_key="autopay_enrollment.id", index=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    # When it fell due (06:00 where the business is, in UTC) and when it was decided.
    due_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime = Field(sa_type=UTCDateTime)
    status: AttemptStatus = status_field(AttemptStatus.CHARGING)
    amount: int = 0
    payment_id: str | None = Field(default=None, foreign_key="payment.id", max_length=40)
    # The processor's code ("insufficient_funds", "expired_card") or ours ("over_limit", "late").
    code: str = Field(default="", max_length=60)
    message: str = Field(default="", max_length=500)
    # The last try of an invoice that failed: the customer and the business have been told.
    gave_up: bool = False
    created_at: datetime = created_at_field()


class AutopayNotice(TenantScoped, table=True):
    """A notice decided once: "upcoming" for an invoice about to be charged, "expiring:YYYY-MM"
    for a card used by automatic payments. Sent, or skipped with the reason."""

    __tablename__ = "autopay_notice"

    subject_id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(primary_key=True, max_length=20)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=40)
    due_at: datetime = Field(sa_type=UTCDateTime)
    sent: bool = False
    reason: str = Field(default="", max_length=40)
    created_at: datetime = created_at_field()
