"""The day-before reminder of each confirmed appointment, by email with its .ics, at 09:00
where the business is on the day before the visit; once per appointment.

The scheduler asks every minute (scheduler.KINDS), the way services/reminders.py does: find
what is due across businesses, then decide each appointment in its own transaction under its
row's lock after reading it again; AppointmentReminder's key is the wall behind that. One found
only on the visit's own day (the server was away) is recorded as skipped: "tomorrow" would be
wrong, and the customer already has the booking email."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update as update_rows
from sqlmodel import Session, col, select

from frontdesk.db import Database
from frontdesk.models import (
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    Business,
    Customer,
    Initiator,
)
from frontdesk.services import audit
from frontdesk.services import reminders as invoice_reminders
from frontdesk.services.booking import news
from frontdesk.services.links import Links

SYSTEM = audit.Actor(Initiator.SYSTEM, "scheduler")
# Every reminder falls due less than this before its visit (09:00 the day before, any zone).
AHEAD = timedelta(days=2)


def moment(business: Business, appointment: Appointment) -> datetime:
    """09:00 where the business is, on the day before the visit's local day (UTC)."""
    day = appointment.starts_at.astimezone(ZoneInfo(business.time_zone)).date()
    return invoice_reminders.moment(day - timedelta(days=1), business.time_zone)


def due(db: Database, now: datetime) -> list[tuple[str, str]]:
    """(business, appointment) ids whose reminder moment has come and that nobody decided."""
    with db.unscoped("the scheduler looks for appointment reminders across businesses") as session:
        rows = session.exec(
            select(Business, Appointment)
            .join(Appointment, col(Appointment.business_id) == Business.id)
            .outerjoin(
                AppointmentReminder,
                col(AppointmentReminder.appointment_id) == Appointment.id,
            )
            .where(
                Appointment.status == AppointmentStatus.CONFIRMED,
                col(Appointment.customer_id).is_not(None),
                col(Appointment.starts_at) > now,
                col(Appointment.starts_at) <= now + AHEAD,
                col(AppointmentReminder.appointment_id).is_(None),
            )
            .order_by(col(Appointment.starts_at))
        ).all()
    return [
        (business.id, appointment.id)
        for business, appointment in rows
        if moment(business, appointment) <= now
    ]


def remind_due(db: Database, links: Links, now: datetime) -> int:
    """Every appointment reminder whose moment has come, one transaction each; how many were
    decided (sent or skipped)."""
    decided = 0
    for business_id, appointment_id in due(db, now):
        with db.session(business_id) as session:
            decided += remind(session, appointment_id, now)
    return decided


def remind(session: Session, appointment_id: str, now: datetime) -> int:
    # A no-op write takes the row's lock, so a cancel or a second runner waits for this one.
    session.execute(
        update_rows(Appointment)
        .where(col(Appointment.id) == appointment_id)
        .values(status=Appointment.status)
        .execution_options(synchronize_session=False)
    )
    appointment = session.get(Appointment, appointment_id, populate_existing=True)
    if appointment is None or appointment.status != AppointmentStatus.CONFIRMED:
        return 0
    if session.get(AppointmentReminder, appointment_id) is not None:
        return 0
    business = session.get(Business, appointment.business_id)
    customer = session.get(Customer, appointment.customer_id)
    assert business is not None and customer is not None
    at = moment(business, appointment)
    record = AppointmentReminder(
        business_id=business.id,
        appointment_id=appointment.id,
        due_at=at,
        decided_at=now,
        reason=_reason(business, appointment, now),
    )
    if not record.reason:
        record.sent = True
        news.reminder(session, business=business, appointment=appointment)
        SYSTEM.record(
            session,
            business.id,
            "appointment.reminded",
            "customer",
            customer.id,
            appointment=appointment.id,
        )
    session.add(record)
    session.flush()  # the key: a second runner stops here
    return 1


def _reason(business: Business, appointment: Appointment, now: datetime) -> str:
    zone = ZoneInfo(business.time_zone)
    visit_day = appointment.starts_at.astimezone(zone).date()
    return "late" if now.astimezone(zone).date() >= visit_day else ""
