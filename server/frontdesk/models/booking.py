"""Appointment booking: what a business offers (services), who does it (crews), when (working
hours and date overrides, in the business's local time), where (service area), and the
appointments themselves."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field


class BookingService(TenantScoped, table=True):
    """Something a customer can book: how long it takes and the business's terms for it
    (all in minutes, except the horizon in days)."""

    __tablename__ = "booking_service"

    id: str = Field(default_factory=lambda: new_id("svc"), primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    duration_min: int
    # Travel or set-up time kept free around the visit; the customer sees only the visit.
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    min_notice_min: int = 0
    max_days_ahead: int = 60
    slot_step_min: int = 30
    # Bookings wait as `pending` until the business confirms or declines them.
    requires_confirmation: bool = False
    active: bool = True
    created_at: datetime = created_at_field()


class Crew(TenantScoped, table=True):
    """A bookable resource (a crew or one person). A business that names none books against its
    one default crew, made with its first service, so every appointment has a resource to lock
    and the database's exclusion constraint has a column to compare."""

    __tablename__ = "crew"

    id: str = Field(default_factory=lambda: new_id("crew"), primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    is_default: bool = False
    active: bool = True
    # The services this crew does; empty: every service.
    service_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = created_at_field()


class WorkingHours(TenantScoped, table=True):
    """One weekly range of local time (Monday = 0). A crew with hours of its own keeps to them;
    every other crew keeps the business's (crew_id empty)."""

    __tablename__ = "working_hours"

    id: str = Field(default_factory=lambda: new_id("wh"), primary_key=True, max_length=40)
    crew_id: str | None = Field(default=None, foreign_key="crew.id", max_length=40)
    weekday: int
    start_local: time
    end_local: time


class DateOverride(TenantScoped, table=True):
    """One date's hours instead of the weekly ones (a holiday when closed, an extra day, a short
    day). Several rows on one date are several ranges; a crew's rows replace the business's."""

    __tablename__ = "date_override"

    id: str = Field(default_factory=lambda: new_id("dov"), primary_key=True, max_length=40)
    crew_id: str | None = Field(default=None, foreign_key="crew.id", max_length=40)
    day: date
    closed: bool = False
    start_local: time | None = None
    end_local: time | None = None


class ServiceArea(TenantScoped, table=True):
    """A postal code, or the start of one ("SW1", "941"), the business serves. No rows: it
    serves everywhere."""

    __tablename__ = "service_area"
    __table_args__ = (UniqueConstraint("business_id", "prefix"),)

    id: str = Field(default_factory=lambda: new_id("area"), primary_key=True, max_length=40)
    # Upper case without spaces, as customers' codes are compared.
    prefix: str = Field(max_length=20)


class AppointmentStatus(StrEnum):
    # Chosen by a customer and kept for them a few minutes (hold_expires_at); after that it
    # blocks nothing, whatever its status says.
    HELD = "held"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELED = "canceled"
    COMPLETED = "completed"


# The statuses that keep a crew busy (a held one only until its hold runs out).
BLOCKING = (AppointmentStatus.HELD, AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)


class Appointment(TenantScoped, table=True):
    """A visit booked for a customer, or time the business blocked (no customer, no service).
    On PostgreSQL an exclusion constraint (migration 0028) refuses two blocking rows of one crew
    whose blocked ranges overlap: the last wall behind the booking lock."""

    __tablename__ = "appointment"
    __table_args__ = (
        UniqueConstraint("business_id", "idempotency_key"),
        # The overlap check and the day list: one crew's appointments by time.
        Index("ix_appointment_crew_blocked", "crew_id", "blocked_from"),
        Index("ix_appointment_business_starts", "business_id", "starts_at"),
    )

    id: str = Field(default_factory=lambda: new_id("apt"), primary_key=True, max_length=40)
    customer_id: str | None = Field(default=None, foreign_key="customer.id", max_length=40)
    service_id: str | None = Field(default=None, foreign_key="booking_service.id", max_length=40)
    crew_id: str = Field(foreign_key="crew.id", max_length=40)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    # The visit widened by the service's buffers: what no other appointment of the crew may touch.
    blocked_from: datetime = Field(sa_type=UTCDateTime)
    blocked_until: datetime = Field(sa_type=UTCDateTime)
    status: AppointmentStatus = status_field(AppointmentStatus.HELD)
    hold_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notes: str = Field(default="", max_length=2000)
    cancel_reason: str = Field(default="", max_length=500)
    service_request_id: str | None = Field(
        default=None, foreign_key="service_request.id", max_length=40
    )
    estimate_id: str | None = Field(default=None, foreign_key="estimate.id", max_length=40)
    # The caller's key for "book this once", so a retried request finds its first booking.
    idempotency_key: str | None = Field(default=None, max_length=255)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class AppointmentReminder(TenantScoped, table=True):
    """The day-before reminder of one appointment, decided once: the key is the wall against a
    second one, whatever runs the scheduler."""

    __tablename__ = "appointment_reminder"

    appointment_id: str = Field(foreign_key="appointment.id", primary_key=True, max_length=40)
    due_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime = Field(sa_type=UTCDateTime)
    sent: bool = False
    # Why not: "late" (found after the visit's own day began), "no portal access", ...
    reason: str = Field(default="", max_length=40)
    created_at: datetime = created_at_field()
