"""The API's view of booking (`/booking-services`, `/appointments`): services and their free
slots, appointments, and what the business's system may send (a booking, a move, a cancel)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from frontdesk import models
from frontdesk.api.schemas import Input, ListQuery, Output

Status = Literal["held", "pending", "confirmed", "canceled", "completed"]
Id = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^\S+$")]


class BookingService(Output):
    id: str
    object: Literal["booking_service"] = "booking_service"
    name: str
    duration_min: int
    buffer_before_min: int
    buffer_after_min: int
    min_notice_min: int
    max_days_ahead: int
    slot_step_min: int
    requires_confirmation: bool


class SlotQuery(Input):
    days: Annotated[int, Field(ge=1, le=31)] = 7


class Slots(Output):
    object: Literal["slots"] = "slots"
    service: str
    time_zone: str = Field(description="The business's zone, in which the slots are laid out.")
    slots: list[datetime] = Field(description="Free start times, UTC.")


class Appointment(Output):
    id: str
    object: Literal["appointment"] = "appointment"
    customer: str | None = Field(description="None for time the business blocked.")
    service: str | None
    crew: str
    status: Status
    starts_at: datetime
    ends_at: datetime
    notes: str
    cancel_reason: str
    service_request: str | None
    estimate: str | None
    created_at: datetime


class AppointmentListQuery(ListQuery):
    customer: str | None = Field(default=None, description="Our id or `external:<your id>`.")
    status: Status | None = None


class AppointmentCreate(Input):
    customer: Id = Field(description="Our id or `external:<your id>`.")
    service: Id
    starts_at: AwareDatetime = Field(description="One of the service's free slots.")
    notes: Annotated[str, StringConstraints(max_length=2000)] = ""
    service_request: Id | None = None
    estimate: Id | None = None


class Reschedule(Input):
    starts_at: AwareDatetime


class CancelBody(Input):
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


def shown(row: models.Appointment) -> Appointment:
    return Appointment(
        id=row.id,
        customer=row.customer_id,
        service=row.service_id,
        crew=row.crew_id,
        status=row.status,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        notes=row.notes,
        cancel_reason=row.cancel_reason,
        service_request=row.service_request_id,
        estimate=row.estimate_id,
        created_at=row.created_at,
    )
