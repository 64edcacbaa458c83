"""Putting a visit on a crew's time without double bookings, inside the caller's transaction.

`place` takes the lock of every crew that does the service (a no-op write on their rows, in id
order: a row lock on PostgreSQL, the writer's lock on SQLite), reads what keeps them busy again
under it, picks the first free crew and writes. Nothing outside the database runs between the
check and the write (emails and webhooks go to the outbox). On PostgreSQL the exclusion
constraint of migration 0028 is the last wall; its refusal reads like any other taken slot."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import update as update_rows
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from frontdesk import languages
from frontdesk.languages import N_, gettext
from frontdesk.models import (
    Appointment,
    AppointmentStatus,
    BookingService,
    Business,
    Crew,
    Customer,
    ServiceArea,
)
from frontdesk.services.booking import reading, slots
from frontdesk.services.booking.reading import FRESH_DAYS
from frontdesk.services.errors import Invalid

OVERLAP = "ex_appointment_crew_overlap"


class Taken(Invalid):
    """The slot went to someone else first; `slots` are free ones near it, to choose again."""

    def __init__(self, free: list[datetime], time_zone: str) -> None:
        zone = ZoneInfo(time_zone)
        nearby = ", ".join(_moment(slot.astimezone(zone)) for slot in free[:6])
        super().__init__(
            gettext("That time was just taken. Please choose another."),
            {
                "starts_at": gettext("Free times nearby: %(times)s.") % {"times": nearby}
                if nearby
                else gettext("No free times nearby.")
            },
        )
        self.slots = free


def _moment(moment: datetime) -> str:
    """A free time as "Mon May 4 09:00", in the customer's language."""
    if languages.current() == languages.SOURCE:
        return f"{moment:%a %b %-d %H:%M}"
    return format_datetime(moment, "EEE d MMM HH:mm", locale=languages.current())


def postal_key(code: str) -> str:
    return "".join(code.split()).upper()


def check_area(session: Session, customer: Customer) -> None:
    """Refuse a customer whose postal code the business does not serve (no area: it serves
    everywhere)."""
    check_postal_code(
        session,
        customer.postal_code,
        missing=gettext("Add your postal code to your details, then book."),
    )


def check_postal_code(
    session: Session, postal_code: str, *, missing: str = N_("Enter the postal code of the visit.")
) -> None:
    """Refuse a postal code the business does not serve (a visitor's, before they are a
    customer); `missing` says what to do when there is none."""
    prefixes = [area.prefix for area in session.exec(select(ServiceArea))]
    if not prefixes:
        return
    code = postal_key(postal_code)
    if not code:
        raise Invalid(
            gettext("We need the address of the visit first."), {"postal_code": gettext(missing)}
        )
    if not any(code.startswith(prefix) for prefix in prefixes):
        raise Invalid(
            gettext("We do not serve that area."),
            {
                "postal_code": gettext("%(postal_code)s is outside the area we serve.")
                % {"postal_code": postal_code}
            },
        )


def lock(session: Session, crews: list[str]) -> None:
    # One statement per crew in id order: two bookings wanting the same crews queue instead of
    # each holding one and waiting for the other.
    for crew_id in sorted(crews):
        session.execute(
            update_rows(Crew)
            .where(col(Crew.id) == crew_id)
            .values(name=Crew.name)
            .execution_options(synchronize_session=False)
        )


def refusal(
    session: Session,
    business: Business,
    service: BookingService,
    starts_at: datetime,
    now: datetime,
    leave_out: str | None,
) -> Invalid:
    """Why `starts_at` cannot be booked, in words the customer can act on."""
    rules = reading.terms(service)
    if starts_at <= now:
        return Invalid(
            gettext("That time has passed."),
            {"starts_at": gettext("Choose a time in the future.")},
        )
    if starts_at < now + timedelta(minutes=rules.min_notice):
        hours = rules.min_notice / 60
        return Invalid(
            gettext("That is too soon to book."),
            {
                "starts_at": gettext("Book at least %(hours)s hours ahead.")
                % {"hours": f"{hours:g}"}
            },
        )
    if starts_at > now + timedelta(days=rules.max_days_ahead):
        return Invalid(
            gettext("That is too far ahead to book."),
            {
                "starts_at": gettext("Book at most %(days)s days ahead.")
                % {"days": rules.max_days_ahead}
            },
        )
    crews = reading.crews_for(session, service)
    open_ = slots.offer(
        reading.availability(session, business, crews),
        [],
        rules,
        now,
        1,
        from_day=starts_at.astimezone(ZoneInfo(business.time_zone)).date(),
    )
    if starts_at not in open_:
        return Invalid(
            gettext("That time is outside our hours."),
            {"starts_at": gettext("Choose one of the times offered.")},
        )
    fresh = reading.offer(
        session, business, service, now, FRESH_DAYS, from_day=starts_at, leave_out=leave_out
    )
    return Taken(list(fresh), business.time_zone)


def place(
    session: Session,
    business: Business,
    service: BookingService,
    appointment: Appointment,
    now: datetime,
) -> Appointment:
    """Put `appointment` (new, or moved to its new starts_at) on a free crew, under the lock."""
    crews = reading.crews_for(session, service)
    if not crews:
        raise Invalid(
            gettext("This service cannot be booked yet."), {"service": gettext("It has no crew.")}
        )
    lock(session, crews)
    start = appointment.starts_at
    leave_out = appointment.id
    free = reading.offer(session, business, service, now, 1, from_day=start, leave_out=leave_out)
    if start not in free:
        raise refusal(session, business, service, start, now, leave_out)
    rules = reading.terms(service)
    appointment.crew_id = free[start][0]
    appointment.ends_at = start + timedelta(minutes=rules.duration)
    appointment.blocked_from, appointment.blocked_until = rules.blocked(start)
    appointment.updated_at = now
    end_expired_holds(session, appointment, now)
    try:
        with session.begin_nested():
            session.add(appointment)
            session.flush()
    except IntegrityError as error:
        if OVERLAP not in str(error.orig):
            raise
        raise refusal(session, business, service, start, now, leave_out) from None
    return appointment


def end_expired_holds(session: Session, appointment: Appointment, now: datetime) -> None:
    # An expired hold blocks nothing, but its row still says `held`, which the exclusion
    # constraint counts: end the ones in the way.
    session.execute(
        update_rows(Appointment)
        .where(
            col(Appointment.crew_id) == appointment.crew_id,
            col(Appointment.status) == AppointmentStatus.HELD,
            col(Appointment.hold_expires_at) <= now,
            col(Appointment.blocked_from) < appointment.blocked_until,
            col(Appointment.blocked_until) > appointment.blocked_from,
            col(Appointment.id) != appointment.id,
        )
        .values(status=AppointmentStatus.CANCELED, cancel_reason="hold expired")
        .execution_options(synchronize_session=False)
    )


def aware(starts_at: datetime) -> datetime:
    if starts_at.tzinfo is None:
        raise Invalid("Give the time with its offset.", {"starts_at": "Like 2026-05-04T09:00Z."})
    return starts_at
