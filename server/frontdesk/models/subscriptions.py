"""A customer's recurring plan: lines billed every period (weekly, monthly, yearly, every N of
them), each period invoiced once, in the business's time zone; paused or cancelled by the
business, or by the customer where the business allows it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import (
    TenantScoped,
    UTCDateTime,
    created_at_field,
    new_id,
    status_field,
)


class Interval(StrEnum):
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    # No invoices until `paused_until`, or for the next `skip_periods` periods.
    PAUSED = "paused"
    CANCELED = "canceled"
    # Its end date or its number of periods was reached.
    ENDED = "ended"


class Subscription(TenantScoped, table=True):
    __tablename__ = "subscription"
    __table_args__ = (
        # The scheduler's question: which subscriptions have a period due by now.
        Index("ix_subscription_due", "status", "next_due_at"),
        Index("ix_subscription_customer", "business_id", "customer_id"),
    )

    id: str = Field(default_factory=lambda: new_id("sub"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", max_length=40)
    name: str = Field(max_length=200)
    currency: str = Field(max_length=3)
    # [{"description", "unit_amount", "quantity", "tax_rate_bp"}], priced like invoice lines.
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    interval: Interval = status_field(Interval.MONTH)
    interval_count: int = 1
    # Periods are dates where the business is; the n-th starts n intervals after `start_on`
    # (a 31st clamps to the month's last day and comes back the month after).
    start_on: date
    end_on: date | None = None
    max_periods: int | None = None
    time_zone: str = Field(max_length=64)
    days_until_due: int = 14
    status: SubscriptionStatus = status_field(SubscriptionStatus.ACTIVE)
    # The next period not yet billed (or skipped), by number from 0, its first day, and when it
    # falls due (its first day's start where the business is, in UTC).
    next_period: int = 0
    next_period_start: date
    next_due_at: datetime = Field(sa_type=UTCDateTime)
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str = Field(default="", max_length=500)
    paused_until: date | None = None
    skip_periods: int = 0
    customer_can_cancel: bool = True
    customer_can_pause: bool = True
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class SubscriptionPeriod(TenantScoped, table=True):
    """What became of one period: invoiced (with the invoice), skipped while paused, or caught
    up after the scheduler was away. The primary key (subscription, period) is the last wall
    against billing a period twice, whatever runs it."""

    __tablename__ = "subscription_period"

    subscription_id: str = Field(foreign_key="subscription.id", primary_key=True, max_length=40)
    period: int = Field(primary_key=True)
    starts_on: date
    ends_on: date
    outcome: str = Field(max_length=20)  # invoiced, skipped
    invoice_id: str | None = Field(default=None, foreign_key="invoice.id", max_length=40)
    # The notice email was left out: the period was already long past when it was billed.
    quiet: bool = False
    created_at: datetime = created_at_field()


class SubscriptionChange(TenantScoped, table=True):
    """One saved edit of a plan (its lines, name or terms) and what it did about the period
    already invoiced at the old amount: an adjustment invoice or account credit at once, or
    nothing until the next period. The (subscription, nonce) key makes a form sent twice (a
    double click, a retry) one change."""

    __tablename__ = "subscription_change"
    __table_args__ = (
        UniqueConstraint("subscription_id", "nonce", name="uq_subscription_change_nonce"),
    )

    id: str = Field(default_factory=lambda: new_id("sch"), primary_key=True, max_length=40)
    subscription_id: str = Field(foreign_key="subscription.id", index=True, max_length=40)
    nonce: str = Field(max_length=64)
    # Each period's invoice before and after, tax included (minor units).
    old_amount: int
    new_amount: int
    # now (adjusted at once), next_period (the new amount from the next invoice), none (there
    # was nothing to prorate: the amount is the same, or no period is running on its invoice).
    proration: str = Field(max_length=20)
    # The period prorated, and its days left (the day of the change included) of all its days.
    period: int | None = None
    days_left: int = 0
    days_in_period: int = 0
    # Invoiced now (above 0) or credited now (below 0).
    adjustment: int = 0
    invoice_id: str | None = Field(default=None, foreign_key="invoice.id", max_length=40)
    credit_note_id: str | None = Field(default=None, foreign_key="credit_note.id", max_length=40)
    old_lines: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    new_lines: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = created_at_field()
