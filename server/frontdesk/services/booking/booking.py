"""Booking: holding a slot, booking it, moving, cancelling, confirming, blocking time. Each
change that puts a visit on a crew's time goes through placing.place (the lock and the re-check);
the rules of who may change what, and when, are here."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from frontdesk.languages import N_, gettext
from frontdesk.models import (
    Appointment,
    AppointmentStatus,
    Business,
    Crew,
    Customer,
    Initiator,
)
from frontdesk.services import audit, customers
from frontdesk.services.booking import news, reading
from frontdesk.services.booking.placing import (
    aware,
    check_area,
    end_expired_holds,
    lock,
    place,
)
from frontdesk.services.errors import Invalid, NotFound

HOLD = timedelta(minutes=5)


def hold(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    service_id: str,
    starts_at: datetime,
    now: datetime,
    notes: str = "",
) -> Appointment:
    """Keep a slot for the customer for HOLD while they confirm: nobody else is offered it."""
    service = reading.service(session, business=business, service_id=service_id)
    check_area(session, customer)
    appointment = Appointment(
        business_id=business.id,
        customer_id=customer.id,
        service_id=service.id,
        crew_id="",
        starts_at=aware(starts_at),
        ends_at=starts_at,
        blocked_from=starts_at,
        blocked_until=starts_at,
        status=AppointmentStatus.HELD,
        hold_expires_at=now + HOLD,
        notes=notes.strip(),
    )
    return place(session, business, service, appointment, now)


def confirm_hold(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    appointment_id: str,
    now: datetime,
) -> Appointment:
    """Book the customer's held slot: pending when the service waits for the business's yes,
    confirmed otherwise. A hold that ran out is booked all the same if the slot is still free."""
    appointment = reading.get(
        session, business=business, appointment_id=appointment_id, customer_id=customer.id
    )
    if appointment.status != AppointmentStatus.HELD:
        raise Invalid(gettext("This appointment is already booked or was canceled."))
    assert appointment.service_id is not None
    service = reading.service(session, business=business, service_id=appointment.service_id)
    check_area(session, customer)
    appointment.status = (
        AppointmentStatus.PENDING if service.requires_confirmation else AppointmentStatus.CONFIRMED
    )
    appointment.hold_expires_at = None
    place(session, business, service, appointment, now)
    actor = audit.Actor(Initiator.CUSTOMER, customer.id)
    booked(session, business, appointment, actor)
    return appointment


def book(
    session: Session,
    *,
    business: Business,
    customer_id: str,
    service_id: str,
    starts_at: datetime,
    now: datetime,
    actor: audit.Actor,
    notes: str = "",
    idempotency_key: str | None = None,
    service_request_id: str | None = None,
    estimate_id: str | None = None,
) -> Appointment:
    """Book for a customer (the business, or its system through the API): confirmed at once.
    The same `idempotency_key` again returns the first booking."""
    if idempotency_key:
        earlier = session.exec(
            select(Appointment).where(Appointment.idempotency_key == idempotency_key)
        ).first()
        if earlier is not None:
            return earlier
    customer = customers.get(session, business=business, customer_id=customer_id)
    service = reading.service(session, business=business, service_id=service_id)
    check_area(session, customer)
    appointment = Appointment(
        business_id=business.id,
        customer_id=customer.id,
        service_id=service.id,
        crew_id="",
        starts_at=aware(starts_at),
        ends_at=starts_at,
        blocked_from=starts_at,
        blocked_until=starts_at,
        status=AppointmentStatus.CONFIRMED,
        notes=notes.strip(),
        idempotency_key=idempotency_key,
        service_request_id=service_request_id,
        estimate_id=estimate_id,
    )
    place(session, business, service, appointment, now)
    booked(session, business, appointment, actor)
    return appointment


def booked(
    session: Session,
    business: Business,
    appointment: Appointment,
    actor: audit.Actor,
    **noted: str,
) -> None:
    """Record a booking made (with what else is `noted` of it) and tell both sides."""
    actor.record(
        session,
        business.id,
        "appointment.booked",
        "appointment",
        appointment.id,
        starts_at=appointment.starts_at.isoformat(),
        status=str(appointment.status),
        **noted,
    )
    news.changed(session, business=business, appointment=appointment, change="booked")


# Why a visit cannot be moved or canceled, by its status, as a customer reads it.
UNCHANGEABLE = {
    AppointmentStatus.HELD: N_("This appointment is held and cannot be changed."),
    AppointmentStatus.CANCELED: N_("This appointment is canceled and cannot be changed."),
    AppointmentStatus.COMPLETED: N_("This appointment is completed and cannot be changed."),
}


def _within_policy(business: Business, appointment: Appointment, now: datetime) -> None:
    if appointment.starts_at - now < timedelta(hours=business.booking_cancel_hours):
        raise Invalid(
            gettext("It is too late to change this appointment online."),
            {
                "appointment": gettext(
                    "Changes are possible up to %(hours)s hours before the start; please call us."
                )
                % {"hours": business.booking_cancel_hours}
            },
        )


def _changeable(appointment: Appointment) -> None:
    if appointment.status not in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED):
        said = UNCHANGEABLE.get(appointment.status)
        if said is None:
            raise Invalid(f"This appointment is {appointment.status} and cannot be changed.")
        raise Invalid(gettext(said))


def reschedule(
    session: Session,
    *,
    business: Business,
    appointment_id: str,
    starts_at: datetime,
    now: datetime,
    actor: audit.Actor,
    customer_id: str | None = None,
) -> Appointment:
    """Move a booked visit to another free slot. A customer (`customer_id`) may do it only on
    their own appointment and within the business's policy window; the business any time."""
    appointment = reading.get(
        session, business=business, appointment_id=appointment_id, customer_id=customer_id
    )
    _changeable(appointment)
    if appointment.service_id is None:
        raise Invalid("Blocked time is not moved; remove it and block the new time.")
    if customer_id is not None:
        _within_policy(business, appointment, now)
    service = reading.service(session, business=business, service_id=appointment.service_id)
    was = appointment.starts_at
    appointment.starts_at = aware(starts_at)
    try:
        with session.no_autoflush:
            place(session, business, service, appointment, now)
    except Invalid:
        session.expire(appointment)  # nothing changes: the row keeps its old time
        raise
    actor.record(
        session,
        business.id,
        "appointment.rescheduled",
        "appointment",
        appointment.id,
        was=was.isoformat(),
        starts_at=appointment.starts_at.isoformat(),
    )
    news.changed(session, business=business, appointment=appointment, change="rescheduled")
    return appointment


def cancel(
    session: Session,
    *,
    business: Business,
    appointment_id: str,
    now: datetime,
    actor: audit.Actor,
    customer_id: str | None = None,
    reason: str = "",
) -> Appointment:
    """Cancel a booked visit (or a hold, or blocked time). A customer only their own, within the
    business's policy window."""
    appointment = reading.get(
        session, business=business, appointment_id=appointment_id, customer_id=customer_id
    )
    if appointment.status == AppointmentStatus.HELD:
        appointment.status = AppointmentStatus.CANCELED
        appointment.cancel_reason = "let go"
        return appointment
    _changeable(appointment)
    if customer_id is not None:
        _within_policy(business, appointment, now)
    appointment.status = AppointmentStatus.CANCELED
    appointment.cancel_reason = reason.strip()[:500]
    appointment.updated_at = now
    actor.record(
        session, business.id, "appointment.canceled", "appointment", appointment.id, reason=reason
    )
    if appointment.customer_id is not None:
        news.changed(session, business=business, appointment=appointment, change="canceled")
    return appointment


def decide(
    session: Session,
    *,
    business: Business,
    appointment_id: str,
    accept: bool,
    now: datetime,
    actor: audit.Actor,
    reason: str = "",
) -> Appointment:
    """The business confirms or declines a pending booking; declined is canceled, with the
    reason the customer reads."""
    appointment = reading.get(session, business=business, appointment_id=appointment_id)
    if appointment.status != AppointmentStatus.PENDING:
        raise Invalid(f"This appointment is {appointment.status}, not waiting for an answer.")
    if not accept:
        return cancel(
            session,
            business=business,
            appointment_id=appointment.id,
            now=now,
            actor=actor,
            reason=reason or "declined",
        )
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.updated_at = now
    actor.record(session, business.id, "appointment.confirmed", "appointment", appointment.id)
    news.changed(session, business=business, appointment=appointment, change="confirmed")
    return appointment


def block_time(
    session: Session,
    *,
    business: Business,
    crew_id: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    actor: audit.Actor,
    notes: str = "",
) -> Appointment:
    """Keep a crew free of bookings for a while (a day off, a job booked by phone). Refused
    where the crew is already booked; nothing else is checked (the business knows its day)."""
    crew = session.get(Crew, crew_id)
    if crew is None or crew.business_id != business.id:
        raise NotFound("no such crew")
    if aware(ends_at) <= aware(starts_at):
        raise Invalid("The end must come after the start.", {"ends_at": "Pick a later end."})
    lock(session, [crew.id])
    if reading.busy(session, [crew.id], now, starts_at, ends_at):
        raise Invalid(
            "That crew has appointments then.",
            {"starts_at": "Move or cancel them first, or block another time."},
        )
    blocked = Appointment(
        business_id=business.id,
        crew_id=crew.id,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from=starts_at,
        blocked_until=ends_at,
        status=AppointmentStatus.CONFIRMED,
        notes=notes.strip(),
        updated_at=now,
    )
    end_expired_holds(session, blocked, now)
    session.add(blocked)
    session.flush()
    actor.record(session, business.id, "appointment.blocked", "appointment", blocked.id)
    return blocked
