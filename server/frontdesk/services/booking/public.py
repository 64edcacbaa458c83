"""Booking without an account: a visitor asks for a visit, confirms it from an emailed link, and
it becomes a pending appointment the business confirms or declines.

Asking stores nothing: the request travels inside the signed link (Purpose.BOOKING_REQUEST), so a
form a bot fills in with someone else's address ends as one unanswered email, and a flood of them
meets the rate limits below before any customer or appointment exists. The link carries what the
visitor typed to that same visitor's inbox; it is read back only through `tokens`."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from frontdesk import languages, tokens
from frontdesk.languages import gettext
from frontdesk.models import (
    Appointment,
    AppointmentStatus,
    BookingService,
    Business,
    Customer,
    Initiator,
)
from frontdesk.services import audit, customers, outbox
from frontdesk.services.booking import booking, news, placing, reading
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.links import Links
from frontdesk.services.rate_limits import Limit, Limiter
from frontdesk.tokens import InvalidToken, Purpose

# Per address and per client, in an hour: enough for a person correcting a typo, not for a bot.
BY_EMAIL = Limit("public-booking-email", burst=5, per_second=5 / 3600)
BY_IP = Limit("public-booking-ip", burst=20, per_second=20 / 3600)
# As the customer's own profile form checks a phone number (services/customers.py).
PHONE = re.compile(r"^\+?[0-9 ().-]{7,25}$")
# How far ahead the form lists days with free times.
DAYS_SHOWN = 14
_LIMITS = {
    "name": 200,
    "email": 320,
    "phone": 40,
    "address_line1": 200,
    "city": 100,
    "postal_code": 20,
    "notes": 1000,
}


@dataclass(frozen=True)
class Visit:
    """A visitor's request as typed; `website` is the honeypot a person never sees."""

    service_id: str = ""
    starts_at: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    address_line1: str = ""
    city: str = ""
    postal_code: str = ""
    notes: str = ""
    website: str = ""

    @classmethod
    def of(cls, form: Mapping[str, Any]) -> Visit:
        """From a form or a token's payload: every field a string, trimmed, cut to its limit."""
        return cls(**{name: _text(form.get(name, ""), name) for name in cls.__dataclass_fields__})

    def starts(self) -> datetime:
        try:
            moment = datetime.fromisoformat(self.starts_at)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise Invalid(
                gettext("Choose a time for the visit."),
                {"starts_at": gettext("Pick one of the times.")},
            )
        return moment


def _text(value: object, name: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    return text if name == "notes" else " ".join(text.split())[:320]


@dataclass(frozen=True)
class Choices:
    """What the form offers: the services, the days with free times, the chosen day's times."""

    services: list[BookingService]
    service: BookingService | None
    days: list[date]
    day: date | None
    times: list[datetime]
    zone: str


def offered(business: Business) -> None:
    """Only a business that takes bookings, and from visitors, shows the form."""
    if not (business.allow_booking and business.booking_public):
        raise NotFound("this business does not take bookings from visitors")


def choices(
    session: Session, *, business: Business, visit: Visit, day: str, now: datetime
) -> Choices:
    offered(business)
    zone = ZoneInfo(business.time_zone)
    try:
        found = _service(session, business, visit.service_id) if visit.service_id else None
    except Invalid:
        found = None  # a stale or made-up choice: the form asks again
    free = (
        reading.free_slots(
            session, business=business, service_id=found.id, now=now, days=DAYS_SHOWN
        )
        if found
        else []
    )
    by_day = {k: list(v) for k, v in groupby(free, key=lambda slot: slot.astimezone(zone).date())}
    try:
        chosen: date | None = date.fromisoformat(day) if day else None
    except ValueError:
        chosen = None
    if chosen not in by_day and visit.starts_at:
        # A form shown again (a refusal) keeps the day of the time it had.
        chosen = _day_of(visit.starts_at, zone)
    return Choices(
        services=reading.services(session),
        service=found,
        days=list(by_day),
        day=chosen,
        times=by_day.get(chosen, []) if chosen else [],
        zone=business.time_zone,
    )


def _day_of(starts_at: str, zone: ZoneInfo) -> date | None:
    try:
        moment = datetime.fromisoformat(starts_at)
    except ValueError:
        return None
    return moment.astimezone(zone).date() if moment.tzinfo else None


def _service(session: Session, business: Business, service_id: str) -> BookingService:
    try:
        return reading.service(session, business=business, service_id=service_id)
    except NotFound:
        raise Invalid(
            gettext("Choose one of our services."),
            {"service_id": gettext("That service is not offered.")},
        ) from None


def _field_errors(visit: Visit) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not visit.name:
        errors["name"] = gettext("Enter your name.")
    if not customers.EMAIL_PATTERN.match(visit.email):
        errors["email"] = gettext("Enter an email address like name@example.com.")
    if visit.phone and not PHONE.match(visit.phone):
        errors["phone"] = gettext("Enter a phone number with 7 to 15 digits, or leave it empty.")
    if not visit.address_line1:
        errors["address_line1"] = gettext("Enter the street address of the visit.")
    if not visit.postal_code:
        errors["postal_code"] = gettext("Enter the postal code of the visit.")
    for name, limit in _LIMITS.items():
        if len(getattr(visit, name)) > limit and name not in errors:
            errors[name] = gettext("Use at most %(limit)s characters.") % {"limit": limit}
    return errors


def check(
    session: Session, *, business: Business, visit: Visit, now: datetime
) -> tuple[BookingService, datetime]:
    """The service and time a request asks for, if it could be booked now; else Invalid (a
    placing.Taken with fresh times when only the time is gone)."""
    offered(business)
    errors = _field_errors(visit)
    if errors:
        raise Invalid(gettext("Please fix the highlighted fields."), errors)
    service = _service(session, business, visit.service_id)
    placing.check_postal_code(session, visit.postal_code)
    starts_at = visit.starts()
    if starts_at not in reading.offer(session, business, service, now, 1, from_day=starts_at):
        raise placing.refusal(session, business, service, starts_at, now, None)
    return service, starts_at


def ask(
    session: Session,
    *,
    business: Business,
    visit: Visit,
    now: datetime,
    links: Links,
    limiter: Limiter,
    ip: str,
) -> None:
    """Email the visitor a link that books their request. Nothing else is stored; a filled-in
    honeypot gets the same answer and no email."""
    service, starts_at = check(session, business=business, visit=visit, now=now)
    if visit.website:
        return
    limiter.take((BY_EMAIL, f"{business.id}:{visit.email.lower()}"), (BY_IP, ip))
    claims = {
        **asdict(replace(visit, website="")),
        "b": business.id,
        "n": secrets.token_urlsafe(12),
    }
    token = tokens.sign(links.secret_keys, Purpose.BOOKING_REQUEST, claims)
    link = f"{links.base_url}/p/{business.slug}/book?t={token}"
    # The visitor has no account yet: the language of the page they asked on.
    with languages.speaking(languages.of_customer("", business.language)):
        said = {
            "business": business.name,
            "service": service.name,
            "at": news.when(business, starts_at),
            "link": link,
        }
        outbox.email(
            session,
            business=business,
            to=visit.email.lower(),
            subject=gettext("Confirm your request: %(service)s with %(business)s") % said,
            # Nothing the visitor typed: the form must not carry a stranger's words to an inbox.
            text=gettext(
                "Hello,\n\nYou asked %(business)s for %(service)s on %(at)s.\n\n"
                "To send the request, open this link within an hour and confirm:\n\n"
                "%(link)s\n\n%(business)s then confirms the visit by email. If you did not "
                "ask, ignore this email: nothing is booked without the link.\n"
            )
            % said,
            reply_to=business.contact_email or "",
        )


@dataclass(frozen=True)
class Request:
    """A request read back from its link: what was asked, and the link's own id."""

    visit: Visit
    nonce: str


def read(secret_keys: tuple[str, ...], *, business: Business, token: str) -> Request:
    """The request a link of this business carries, or InvalidToken."""
    payload = tokens.unsign(secret_keys, Purpose.BOOKING_REQUEST, token)
    nonce = payload.get("n")
    if payload.get("b") != business.id or not isinstance(nonce, str) or not nonce:
        raise InvalidToken("this link is not valid")
    return Request(Visit.of(payload), nonce)


def summary(
    session: Session, *, business: Business, request: Request
) -> tuple[BookingService, datetime]:
    """The service and the time asked for, as the confirmation page shows them."""
    offered(business)
    return _service(session, business, request.visit.service_id), request.visit.starts()


def confirm(
    session: Session, *, business: Business, request: Request, now: datetime, starts_at: str = ""
) -> Appointment:
    """Book the request as a pending appointment, for the customer with its email address (made
    if new). `starts_at` is another time, chosen when the first was taken. The same link again
    returns the first booking."""
    visit = replace(request.visit, starts_at=starts_at or request.visit.starts_at)
    service = _service(session, business, visit.service_id)
    key = f"public:{request.nonce}"
    # Under the lock the booking takes anyway, so two clicks of one link queue here.
    placing.lock(session, reading.crews_for(session, service))
    earlier = session.exec(select(Appointment).where(Appointment.idempotency_key == key)).first()
    if earlier is not None:
        return earlier
    service, moment = check(session, business=business, visit=visit, now=now)
    customer = _customer(session, business, visit)
    appointment = Appointment(
        business_id=business.id,
        customer_id=customer.id,
        service_id=service.id,
        crew_id="",
        starts_at=moment,
        ends_at=moment,
        blocked_from=moment,
        blocked_until=moment,
        status=AppointmentStatus.PENDING,
        notes=_notes(customer, visit),
        idempotency_key=key,
    )
    placing.place(session, business, service, appointment, now)
    actor = audit.Actor(Initiator.CUSTOMER, customer.id)
    booking.booked(session, business, appointment, actor, via="public booking form")
    return appointment


def _customer(session: Session, business: Business, visit: Visit) -> Customer:
    """The business's customer with this address (the link proved the visitor reads its mail),
    their empty details filled in; else a new one."""
    email = visit.email.lower()
    found = session.exec(
        select(Customer).where(Customer.email == email).order_by(col(Customer.created_at))
    ).first()
    details: dict[str, Any] = {
        "phone": visit.phone,
        "address_line1": visit.address_line1,
        "city": visit.city,
        "postal_code": visit.postal_code,
    }
    if found is None:
        found = customers.create(
            session, business=business, name=visit.name, email=email, **details
        )
        session.flush()
        actor = audit.Actor(Initiator.CUSTOMER, found.id)
        actor.record(
            session, business.id, "customer.created", "customer", found.id, via="public booking"
        )
        return found
    if not found.postal_code:
        for name, value in details.items():
            setattr(found, name, getattr(found, name) or value)
    return found


def _notes(customer: Customer, visit: Visit) -> str:
    """The visitor's notes, with the address of the visit when it is not the customer's own."""
    notes = visit.notes[:1000]
    if placing.postal_key(customer.postal_code) == placing.postal_key(visit.postal_code):
        return notes
    where = ", ".join(p for p in (visit.address_line1, visit.city, visit.postal_code) if p)
    return f"Visit at: {where}\n{notes}".strip()
