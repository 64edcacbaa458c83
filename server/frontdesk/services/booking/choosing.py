"""What a customer sees while booking: their visits (coming and past), the services they may
book, and a service's free times grouped by the business's days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from frontdesk.db import in_business, prebuilt, read
from frontdesk.languages import N_, NC_
from frontdesk.models import Appointment, AppointmentStatus, BookingService, Business, Customer
from frontdesk.services.booking import reading

# A visit the customer has: asked for (waiting for the business's yes) or confirmed.
BOOKED = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)
LABELS = {
    AppointmentStatus.HELD: N_("Not booked yet"),
    AppointmentStatus.PENDING: N_("Waiting for confirmation"),
    AppointmentStatus.CONFIRMED: N_("Confirmed"),
    AppointmentStatus.CANCELED: N_("Canceled"),
    AppointmentStatus.COMPLETED: NC_("appointment", "Done"),
}
PAST_SHOWN = 10


@dataclass(frozen=True)
class Visits:
    coming: list[Appointment]
    # Visits that have been, and canceled ones, latest first.
    past: list[Appointment]


def start_of(business: Business, day: date) -> datetime:
    """The first moment of `day` where the business is, in UTC."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(business.time_zone)).astimezone(UTC)


def visits(session: Session, *, business: Business, customer: Customer, now: datetime) -> Visits:
    mine = select(Appointment).where(
        Appointment.customer_id == customer.id, col(Appointment.service_id).is_not(None)
    )
    coming = session.exec(
        mine.where(col(Appointment.status).in_(BOOKED), col(Appointment.ends_at) > now).order_by(
            col(Appointment.starts_at)
        )
    ).all()
    gone = session.exec(
        mine.where(
            (col(Appointment.status) == AppointmentStatus.CANCELED)
            | (col(Appointment.status).in_(BOOKED) & (col(Appointment.ends_at) <= now))
            | (col(Appointment.status) == AppointmentStatus.COMPLETED)
        )
        .order_by(col(Appointment.starts_at).desc())
        .limit(PAST_SHOWN)
    ).all()
    return Visits(list(coming), list(gone))


class Visit(NamedTuple):
    """A booked visit as the home page's card shows it."""

    id: str
    starts_at: datetime
    status: str  # stored as a plain string (an AppointmentStatus value)


_NEXT_VISIT = prebuilt(
    select(col(Appointment.id), col(Appointment.starts_at), col(Appointment.status))
    .where(
        in_business(Appointment),
        Appointment.customer_id == bindparam("customer"),
        col(Appointment.status).in_(BOOKED),
        col(Appointment.starts_at) >= bindparam("start"),
    )
    .order_by(col(Appointment.starts_at))
    .limit(1)
)


def next_visit(
    session: Session, *, business: Business, customer: Customer, today: date
) -> Visit | None:
    """The customer's next booked visit from today on (the home page's card)."""
    said = {"customer": customer.id, "start": start_of(business, today)}
    found = read(session, _NEXT_VISIT, said).first()
    return Visit._make(found) if found else None


def names(session: Session) -> dict[str, str]:
    """Every service's name by id, retired ones too: a past visit keeps the name it had."""
    return {found.id: found.name for found in session.exec(select(BookingService))}


def open_days(
    session: Session,
    *,
    business: Business,
    service: BookingService,
    now: datetime,
    leave_out: str | None = None,
) -> dict[date, list[datetime]]:
    """The service's free times (UTC) as far ahead as it may be booked, by the business's day:
    only days with a free time."""
    zone = ZoneInfo(business.time_zone)
    free = reading.offer(
        session, business, service, now, service.max_days_ahead + 1, leave_out=leave_out
    )
    days: dict[date, list[datetime]] = {}
    for start in free:
        days.setdefault(start.astimezone(zone).date(), []).append(start)
    return days


def parse_start(value: str) -> datetime | None:
    """A time the form sent back (ISO 8601 with its offset, as we wrote it), or None."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None
