"""The business's desk over the booking core: the day or week list with the names in it, one day's
free slots, times typed in the business's zone, and booking for a customer from a form (where a
wrong id in the form is a message, not a 404)."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from frontdesk.models import (
    Appointment,
    AppointmentStatus,
    BookingService,
    Business,
    Crew,
    Customer,
    Estimate,
    EstimateStatus,
    ServiceRequest,
)
from frontdesk.services import audit, customers, service_requests
from frontdesk.services.booking import booking, reading
from frontdesk.services.booking.placing import Taken
from frontdesk.services.errors import Invalid, NotFound

SPANS = {"day": 1, "week": 7}
# What the list shows: visits and blocked time that still stand (holds come and go in minutes).
LISTED = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED)
LABELS = {
    AppointmentStatus.HELD: "Held",
    AppointmentStatus.PENDING: "Pending confirmation",
    AppointmentStatus.CONFIRMED: "Confirmed",
    AppointmentStatus.CANCELED: "Canceled",
    AppointmentStatus.COMPLETED: "Completed",
}
# How far ahead the "Waiting for your answer" box looks: further than any service books.
WAITING_DAYS = 400


@dataclass(frozen=True)
class Row:
    """An appointment with the names the list shows, and its day in the business's zone."""

    appointment: Appointment
    customer: Customer | None
    service: BookingService | None
    crew: Crew | None
    day: date

    @property
    def blocked(self) -> bool:
        return self.appointment.service_id is None

    @property
    def label(self) -> str:
        if self.blocked and self.appointment.status == AppointmentStatus.CONFIRMED:
            return "Blocked time"
        return LABELS[self.appointment.status]

    @property
    def changeable(self) -> bool:
        return self.appointment.status in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)


@dataclass(frozen=True)
class Agenda:
    first: date
    span: str
    rows: list[Row]
    waiting: list[Row]

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(SPANS[self.span])]

    @property
    def previous(self) -> date:
        return self.first - timedelta(days=SPANS[self.span])

    @property
    def next(self) -> date:
        return self.first + timedelta(days=SPANS[self.span])


def read_day(text: str, today: date) -> date:
    """A day from a link or a form (YYYY-MM-DD); anything else is today."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return today


def today(business: Business, now: datetime) -> date:
    return now.astimezone(ZoneInfo(business.time_zone)).date()


def midnight(business: Business, day: date) -> datetime:
    """The start of `day` in the business's zone, in UTC."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(business.time_zone)).astimezone(UTC)


def rows(session: Session, business: Business, appointments: list[Appointment]) -> list[Row]:
    """The appointments with their customers, services and crews, read in three queries."""
    people = {a.customer_id for a in appointments if a.customer_id}
    offered = {a.service_id for a in appointments if a.service_id}
    teams = {a.crew_id for a in appointments}
    named_people = {
        row.id: row for row in session.exec(select(Customer).where(col(Customer.id).in_(people)))
    }
    named_services = {
        row.id: row
        for row in session.exec(select(BookingService).where(col(BookingService.id).in_(offered)))
    }
    named_crews = {row.id: row for row in session.exec(select(Crew).where(col(Crew.id).in_(teams)))}
    zone = ZoneInfo(business.time_zone)
    return [
        Row(
            a,
            named_people.get(a.customer_id or ""),
            named_services.get(a.service_id or ""),
            named_crews.get(a.crew_id),
            a.starts_at.astimezone(zone).date(),
        )
        for a in appointments
    ]


def agenda(session: Session, *, business: Business, day: date, span: str, now: datetime) -> Agenda:
    """A day's or a week's (Monday on) appointments and blocked time, and every booking still
    waiting for the business's yes or no."""
    span = span if span in SPANS else "day"
    first = day - timedelta(days=day.weekday()) if span == "week" else day
    listed = reading.between(
        session,
        start=midnight(business, first),
        end=midnight(business, first + timedelta(days=SPANS[span])),
        statuses=LISTED,
    )
    waiting = reading.between(
        session,
        start=now,
        end=now + timedelta(days=WAITING_DAYS),
        statuses=[AppointmentStatus.PENDING],
    )
    return Agenda(first, span, rows(session, business, listed), rows(session, business, waiting))


def one(session: Session, *, business: Business, appointment_id: str) -> Row:
    found = reading.get(session, business=business, appointment_id=appointment_id)
    return rows(session, business, [found])[0]


def crews(session: Session) -> list[Crew]:
    return list(
        session.exec(select(Crew).where(col(Crew.active).is_(True)).order_by(col(Crew.name)))
    )


def day_slots(
    session: Session,
    *,
    business: Business,
    service_id: str,
    day: date,
    now: datetime,
    leave_out: str | None = None,
) -> list[datetime]:
    """The service's free start times on `day` (the appointment being moved left out)."""
    found = reading.service(session, business=business, service_id=service_id)
    start = midnight(business, day)
    offered = reading.offer(session, business, found, now, 1, from_day=start, leave_out=leave_out)
    return [slot for slot in offered if slot < midnight(business, day + timedelta(days=1))]


@dataclass(frozen=True)
class Choosing:
    """The booking form's state: for whom (a request's customer, a given one, or `choices`),
    which service, which day, and that day's free slots once both are known."""

    request: ServiceRequest | None
    estimate: Estimate | None
    customer: Customer | None
    choices: list[Customer]
    services: list[BookingService]
    service: BookingService | None
    day: date
    slots: list[datetime]


def approved_estimate(session: Session, *, business: Business, estimate_id: str) -> Estimate:
    """An estimate of the business its customer approved: the work a visit is booked for."""
    found = session.get(Estimate, estimate_id) if estimate_id else None
    if found is None or found.business_id != business.id:
        raise NotFound("no such estimate")
    if found.status != EstimateStatus.ACCEPTED:
        raise Invalid(
            "Only an approved estimate is booked.", {"service": "Book once the customer approves."}
        )
    return found


def choosing(
    session: Session,
    *,
    business: Business,
    customer_id: str,
    service_request_id: str,
    service_id: str,
    day: date,
    now: datetime,
    estimate_id: str = "",
) -> Choosing:
    """Ids that are not the business's (typed, or another business's) are simply not chosen."""
    request: ServiceRequest | None = None
    estimate: Estimate | None = None
    customer: Customer | None = None
    with suppress(NotFound):
        request = service_requests.get(session, business=business, request_id=service_request_id)
    with suppress(NotFound, Invalid):
        estimate = approved_estimate(session, business=business, estimate_id=estimate_id)
    with suppress(NotFound):
        wanted = request.customer_id if request else customer_id
        wanted = estimate.customer_id if estimate else wanted
        customer = customers.get(session, business=business, customer_id=wanted)
    offered = reading.services(session)
    service = next((found for found in offered if found.id == service_id), None)
    slots = (
        day_slots(session, business=business, service_id=service.id, day=day, now=now)
        if service and customer
        else []
    )
    choices = [] if customer else customers.list_page(session, business=business, limit=500)
    return Choosing(request, estimate, customer, choices, offered, service, day, slots)


def local_moment(business: Business, text: str, field: str) -> datetime:
    """A time typed in the business's zone (an <input type=datetime-local>), in UTC."""
    try:
        typed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid("Check the times.", {field: "Enter a date and time."}) from None
    if typed.tzinfo is not None:
        return typed.astimezone(UTC)
    return typed.replace(tzinfo=ZoneInfo(business.time_zone)).astimezone(UTC)


def chosen_slot(text: str) -> datetime:
    """A slot picked from those offered (their values are UTC times with their offset)."""
    try:
        picked = datetime.fromisoformat(text.strip())
    except ValueError:
        picked = None
    if picked is None or picked.tzinfo is None:
        raise Invalid("Choose a time.", {"starts_at": "Choose one of the free times."})
    return picked


def block(
    session: Session,
    *,
    business: Business,
    crew_id: str,
    starts: str,
    ends: str,
    notes: str,
    now: datetime,
    actor: audit.Actor,
) -> Appointment:
    """Block time typed in the business's zone for one of its crews."""
    starts_at = local_moment(business, starts, "starts_at")
    ends_at = local_moment(business, ends, "ends_at")
    try:
        return booking.block_time(
            session,
            business=business,
            crew_id=crew_id,
            starts_at=starts_at,
            ends_at=ends_at,
            now=now,
            actor=actor,
            notes=notes,
        )
    except NotFound:
        raise Invalid("Choose a crew.", {"crew": "Choose one of your crews."}) from None


def book(
    session: Session,
    *,
    business: Business,
    customer_id: str,
    service_id: str,
    starts_at: str,
    now: datetime,
    actor: audit.Actor,
    notes: str = "",
    form_key: str = "",
    service_request_id: str = "",
    estimate_id: str = "",
) -> Appointment:
    """The business books for a customer (for a service request or an approved estimate: its
    customer). `form_key` is the form's own: the same form sent twice books once."""
    key = f"desk:{form_key}" if form_key else None
    try:
        if service_request_id:
            request = service_requests.get(
                session, business=business, request_id=service_request_id
            )
            customer_id = request.customer_id
        if estimate_id:
            estimate = approved_estimate(session, business=business, estimate_id=estimate_id)
            customer_id = estimate.customer_id
        customer = customers.get(session, business=business, customer_id=customer_id)
        found = reading.service(session, business=business, service_id=service_id)
    except NotFound:
        raise Invalid(
            "Choose the customer and the service again.",
            {"service": "Choose one of your services for one of your customers."},
        ) from None
    try:
        return booking.book(
            session,
            business=business,
            customer_id=customer.id,
            service_id=found.id,
            starts_at=chosen_slot(starts_at),
            now=now,
            actor=actor,
            notes=notes,
            idempotency_key=key,
            service_request_id=service_request_id or None,
            estimate_id=estimate_id or None,
        )
    except Taken:
        if key is None:
            raise
        # Sent twice at once: the second waited on the lock while the first took the slot.
        earlier = session.exec(
            select(Appointment).where(Appointment.idempotency_key == key)
        ).first()
        if earlier is None:
            raise
        return earlier
