"""The tenant (Business), its staff and its secret API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field

DEFAULT_TIP_BASIS_POINTS = [1800, 2000, 2500]


class Business(SQLModel, table=True):
    # One connected account per business: webhook events name the account, not the business.
    __table_args__ = (UniqueConstraint("processor_account", name="uq_business_processor_account"),)

    id: str = Field(default_factory=lambda: new_id("bus"), primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    slug: str = Field(unique=True, max_length=80)
    currency: str = Field(max_length=3)
    locale: str = Field(default="en_US", max_length=20)
    # Its customers' language when neither they nor their browser say one we speak.
    language: str = Field(default="en", max_length=12)
    time_zone: str = Field(default="UTC", max_length=60)
    logo_url: str | None = Field(default=None, max_length=2000)
    allow_payments: bool = True
    allow_estimates: bool = True
    allow_invoices: bool = True
    allow_profile_updates: bool = True
    allow_service_requests: bool = True
    allow_todos: bool = True
    allow_messages: bool = True
    allow_documents: bool = True
    allow_subscriptions: bool = True
    # Payment reminders by email, each at 09:00 business time: this many days before the due
    # date (None: none), on the day, and these days after it (services/reminders.py).
    reminders_before_days: int | None = 3
    reminders_on_due: bool = True
    reminders_after_days: list[int] = Field(default_factory=lambda: [3, 7, 14], sa_type=JSON)
    # The same reminders by text message too, to customers who agreed to texts (services/texts.py).
    reminders_by_text: bool = False
    tips_enabled: bool = False
    tip_basis_points: list[int] = Field(
        default_factory=lambda: list(DEFAULT_TIP_BASIS_POINTS), sa_type=JSON
    )
    # Card entry on our own pay page (popup) instead of inside the business's website, which keeps
    # that website out of PCI SAQ A's script-attack criterion.
    secure_pay_page: bool = False
    allow_partial_payments: bool = False
    partial_payment_minimum: int = 0
    allowed_origins: list[str] = Field(default_factory=list, sa_type=JSON)
    portal_page_url: str | None = Field(default=None, max_length=2000)
    # The business's own verified address for its hosted portal (custom_domain holds its state);
    # here too because links are made from the business alone.
    portal_domain: str | None = Field(default=None, unique=True, max_length=253)
    processor_account: str | None = Field(default=None, max_length=255)
    # The account's own state, kept in step by `connect` (onboarding, webhooks, "check now").
    # Charges are read on every portal request, so they have their own column.
    charges_enabled: bool = False
    processor_status: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The platform's fee on each charge, set by the operator: basis points plus a fixed amount
    # in minor units, taken as the processor's application fee.
    fee_basis_points: int = 0
    fee_fixed: int = 0
    # The business's late fee (services/late_fees.py), off unless it says so: either a fixed
    # amount in minor units or basis points of what is still due (the other is 0), added once
    # to an invoice this many days after its due date.
    late_fee_enabled: bool = False
    late_fee_fixed: int = 0
    late_fee_basis_points: int = 0
    late_fee_days: int = 15
    # PayPal (services/payments/paypal.py): the business's PayPal account, and whether its
    # customers are offered PayPal; off unless it says so.
    paypal_enabled: bool = False
    paypal_merchant_id: str | None = Field(default=None, max_length=40)
    # Monthly statements by email on the 1st (services/statements.py), off unless it says so.
    statements_emailed: bool = False
    # Automatic payments (services/autopay/): whether customers may turn them on, whether an
    # invoice is charged on its due date ("due") or when it is issued ("issue"), a notice this
    # many days before a due-date charge (0: none), and the days after the first try on which a
    # soft decline is tried again.
    autopay_enabled: bool = True
    autopay_charge_on: str = Field(default="due", max_length=10)
    autopay_notice_days: int = 3
    autopay_retry_days: list[int] = Field(default_factory=lambda: [1, 3, 5], sa_type=JSON)
    # Appointments (services/booking/): whether customers book visits in the portal, whether
    # visitors without an account may ask for one (the business confirms it), and up to how
    # many hours before the start customers may reschedule or cancel; after that they call.
    allow_booking: bool = False
    booking_public: bool = False
    booking_cancel_hours: int = 24
    # How customers reach the business when they cannot pay online (or want to talk).
    contact_email: str | None = Field(default=None, max_length=320)
    contact_phone: str | None = Field(default=None, max_length=40)
    theme: str = Field(default="default", max_length=40)
    # Values for the theme's --fd-* custom properties, set in the dashboard's theme editor.
    theme_overrides: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    custom_css: str = Field(default="", sa_type=Text)
    publishable_key: str = Field(default_factory=lambda: new_id("pk"), unique=True, max_length=40)
    # Moved on by any change every customer's portal views show (services/versions.py).
    data_version: int = 0
    created_at: datetime = created_at_field()


class StaffRole(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"


class StaffUser(TenantScoped, table=True):
    __tablename__ = "staff_user"

    id: str = Field(default_factory=lambda: new_id("usr"), primary_key=True, max_length=40)
    # One address signs in to one business, so sign-in needs no business picker.
    email: str = Field(unique=True, max_length=320)
    name: str = Field(default="", max_length=200)
    role: StaffRole = status_field(StaffRole.MANAGER)
    password_hash: str = Field(max_length=255)
    disabled: bool = False
    created_at: datetime = created_at_field()


class StaffInvitation(TenantScoped, table=True):
    """An emailed invitation to the dashboard, until it is accepted, withdrawn or runs out: the
    link names it, so an owner can see who is still to join and take an invitation back."""

    __tablename__ = "staff_invitation"

    id: str = Field(default_factory=lambda: new_id("sinv"), primary_key=True, max_length=40)
    email: str = Field(max_length=320)
    role: StaffRole = status_field(StaffRole.MANAGER)
    invited_by: str = Field(max_length=40)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(TenantScoped, table=True):
    __tablename__ = "api_key"
    __table_args__ = (UniqueConstraint("key_hash"),)

    id: str = Field(default_factory=lambda: new_id("key"), primary_key=True, max_length=40)
    name: str = Field(default="", max_length=200)
    # The first characters, shown in the dashboard so a key can be recognised; never enough to use.
    prefix: str = Field(max_length=20)
    # SHA-256 of the whole key: keys carry 256 random bits, so a slow hash adds nothing.
    key_hash: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
