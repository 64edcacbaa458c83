"""Reading booking data: the availability and busy times the slot function takes, the slots of a
service, and appointments (one, a customer's, a business's by time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from frontdesk.models import (
    BLOCKING,
    Appointment,
    AppointmentStatus,
    BookingService,
    Business,
    Crew,
    DateOverride,
    WorkingHours,
)
from frontdesk.services.booking import slots
from frontdesk.services.errors import NotFound

# How many days of fresh slots a refusal offers instead of a taken one.
FRESH_DAYS = 3


def terms(service: BookingService) -> slots.Terms:
    return slots.Terms(
        duration=service.duration_min,
        buffer_before=service.buffer_before_min,
        buffer_after=service.buffer_after_min,
        min_notice=service.min_notice_min,
        max_days_ahead=service.max_days_ahead,
        step=service.slot_step_min,
    )


def service(session: Session, *, business: Business, service_id: str) -> BookingService:
    found = session.get(BookingService, service_id)
    if found is None or found.business_id != business.id or not found.active:
        raise NotFound("no such service")
    return found


def services(session: Session) -> list[BookingService]:
    return list(
        session.exec(
            select(BookingService)
            .where(col(BookingService.active).is_(True))
            .order_by(col(BookingService.name))
        )
    )


def crews_for(session: Session, service: BookingService) -> list[str]:
    """The crews that do `service`, by id; the business's default crew when it names none."""
    active = session.exec(select(Crew).where(col(Crew.active).is_(True))).all()
    named = sorted(
        crew.id
        for crew in active
        if not crew.is_default and (not crew.service_ids or service.id in crew.service_ids)
    )
    return named or sorted(crew.id for crew in active if crew.is_default)


def availability(session: Session, business: Business, crews: list[str]) -> slots.Availability:
    hours = session.exec(select(WorkingHours)).all()
    overrides = session.exec(select(DateOverride)).all()
    return slots.Availability(
        time_zone=business.time_zone,
        crews=tuple(crews),
        hours=tuple(slots.Hours(h.weekday, h.start_local, h.end_local, h.crew_id) for h in hours),
        overrides=tuple(
            slots.Override(o.day, None if o.closed else o.start_local, o.end_local, o.crew_id)
            for o in overrides
        ),
    )


def busy(
    session: Session,
    crews: Iterable[str],
    now: datetime,
    start: datetime,
    end: datetime,
    *,
    leave_out: str | None = None,
) -> list[slots.Busy]:
    """What keeps the crews busy between `start` and `end`: blocking appointments, a hold only
    until it runs out (so an expired one stops blocking without any job), and not `leave_out`
    (the appointment being moved)."""
    query = select(Appointment).where(
        col(Appointment.crew_id).in_(list(crews)),
        col(Appointment.status).in_(BLOCKING),
        or_(
            col(Appointment.status) != AppointmentStatus.HELD,
            col(Appointment.hold_expires_at) > now,
        ),
        col(Appointment.blocked_from) < end,
        col(Appointment.blocked_until) > start,
    )
    if leave_out:
        query = query.where(col(Appointment.id) != leave_out)
    return [
        slots.Busy(row.crew_id, row.blocked_from, row.blocked_until) for row in session.exec(query)
    ]


def offer(
    session: Session,
    business: Business,
    found: BookingService,
    now: datetime,
    days: int,
    *,
    from_day: datetime | None = None,
    leave_out: str | None = None,
) -> dict[datetime, list[str]]:
    """The service's free slots and the crews free for each, read from the database."""
    crews = crews_for(session, found)
    rules = terms(found)
    first = (from_day or now).astimezone(ZoneInfo(business.time_zone)).date()
    # Busy times a day either side of the window: buffers reach across midnight.
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC) - timedelta(days=2)
    end = start + timedelta(days=days + 4)
    taken = busy(session, crews, now, start, end, leave_out=leave_out)
    return slots.offer(
        availability(session, business, crews), taken, rules, now, days, from_day=first
    )


def free_slots(
    session: Session, *, business: Business, service_id: str, now: datetime, days: int
) -> list[datetime]:
    found = service(session, business=business, service_id=service_id)
    return list(offer(session, business, found, now, min(days, found.max_days_ahead + 1)))


def get(
    session: Session, *, business: Business, appointment_id: str, customer_id: str | None = None
) -> Appointment:
    """One appointment of the business (of that customer, when one is named): another's looks
    like none at all."""
    found = session.get(Appointment, appointment_id)
    if found is None or found.business_id != business.id:
        raise NotFound("no such appointment")
    if customer_id is not None and found.customer_id != customer_id:
        raise NotFound("no such appointment")
    return found


def between(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    customer_id: str | None = None,
    statuses: Iterable[AppointmentStatus] = BLOCKING,
) -> list[Appointment]:
    """Appointments starting in [start, end) in these statuses, earliest first: a day or week
    list, or a customer's upcoming ones."""
    query = select(Appointment).where(
        col(Appointment.starts_at) >= start,
        col(Appointment.starts_at) < end,
        col(Appointment.status).in_(list(statuses)),
    )
    if customer_id is not None:
        query = query.where(Appointment.customer_id == customer_id)
    return list(session.exec(query.order_by(col(Appointment.starts_at))))
