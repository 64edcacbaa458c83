"""A PayPal checkout: one order at PayPal for one pending payment of ours, from its creation to
the capture that settles it (services/payments/paypal.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field


class PayPalCheckoutStatus(StrEnum):
    CREATED = "created"
    # The payer approved and we asked PayPal to capture; its answer has not reached us yet.
    APPROVED = "approved"
    CAPTURED = "captured"
    # PayPal holds the capture (a review, an eCheck): it completes or is declined later.
    PENDING = "pending"
    FAILED = "failed"
    EXPIRED = "expired"


class PayPalCheckout(TenantScoped, table=True):
    """The payment it is for holds the amount and the invoices, frozen when it was made; the
    order at PayPal carries this row's id as its custom_id."""

    __tablename__ = "paypal_checkout"
    __table_args__ = (UniqueConstraint("order_id"), UniqueConstraint("payment_id"))

    id: str = Field(default_factory=lambda: new_id("ppc"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", max_length=40)
    payment_id: str = Field(foreign_key="payment.id", max_length=40)
    order_id: str | None = Field(default=None, max_length=64)
    amount: int
    currency: str = Field(max_length=3)
    status: PayPalCheckoutStatus = status_field(PayPalCheckoutStatus.CREATED)
    capture_id: str | None = Field(default=None, max_length=64)
    # Each capture after a decline is a new request to PayPal (a repeat would get the decline).
    attempts: int = 0
    created_at: datetime = created_at_field()
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
