"""Telling both sides about an appointment: emails (the customer's with an .ics file), the
business's webhooks, and the calendar file itself, made when the email goes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from frontdesk import languages
from frontdesk.languages import N_, gettext
from frontdesk.models import Appointment, BookingService, Business, Customer
from frontdesk.services import events, outbox
from frontdesk.services.booking import ics

ATTACHMENT = "appointment"  # outbox attachments name it `appointment:<id>`
WEBHOOKS = {"booked", "rescheduled", "canceled"}


def when(business: Business, moment: datetime) -> str:
    """ "Tuesday, December 8, 2026 at 09:30 (CET)", in the language being spoken."""
    local = moment.astimezone(ZoneInfo(business.time_zone))
    return f"{outbox.written_moment(local, business.locale)} ({local.tzname()})"


# How each change is told, to the customer (in their language) and to the owners (in English).
SAID = {
    "requested": N_(
        "Your appointment for %(service)s on %(at)s is requested; we will confirm it shortly."
    ),
    "booked": N_("Your appointment for %(service)s on %(at)s is booked."),
    "rescheduled": N_("Your appointment for %(service)s on %(at)s has moved."),
    "canceled": N_("Your appointment for %(service)s on %(at)s is canceled."),
    "confirmed": N_("Your appointment for %(service)s on %(at)s is confirmed."),
}


def data(appointment: Appointment) -> dict[str, Any]:
    """The appointment as webhook receivers see it."""
    return {
        "appointment": appointment.id,
        "customer": appointment.customer_id,
        "service": appointment.service_id,
        "crew": appointment.crew_id,
        "status": str(appointment.status),
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
    }


def _about(session: Session, appointment: Appointment) -> tuple[Customer, str]:
    customer = session.get(Customer, appointment.customer_id)
    service = session.get(BookingService, appointment.service_id)
    assert customer is not None and service is not None
    return customer, service.name


def changed(session: Session, *, business: Business, appointment: Appointment, change: str) -> None:
    """Email the customer and the owners about `change` (booked, rescheduled, canceled,
    confirmed), and send the business's webhook for the first three."""
    customer, name = _about(session, appointment)
    with outbox.in_house():
        at = when(business, appointment.starts_at)
    said = {
        "booked": (
            "is requested; we will confirm it shortly"
            if appointment.status == "pending"
            else "is booked"
        ),
        "rescheduled": "has moved",
        "canceled": "is canceled",
        "confirmed": "is confirmed",
    }[change]
    told = "requested" if change == "booked" and appointment.status == "pending" else change
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        words = {
            "name": customer.name,
            "service": name,
            "business": business.name,
            "at": when(business, appointment.starts_at),
        }
        parts = [gettext("Hello %(name)s,") % words, "\n\n", gettext(SAID[told]) % words]
        if change != "canceled":
            parts += [" ", gettext("Add it to your calendar with the attached file.")]
        parts += ["\n\n", gettext("Reply to this email if anything should change."), "\n"]
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("%(service)s with %(business)s: %(at)s") % words,
            text="".join(parts),
            reply_to=business.contact_email or "",
            attachment=f"{ATTACHMENT}:{appointment.id}",
        )
    with outbox.in_house():
        events.email_owners(
            session,
            business=business,
            subject=f"Appointment {change}: {customer.name}, {name}, {at}",
            text=f"{customer.name}'s appointment for {name} on {at} {said}.\n",
        )
    if change in WEBHOOKS:
        events.emit(
            session, business=business, type=f"appointment.{change}", data=data(appointment)
        )


def reminder(session: Session, *, business: Business, appointment: Appointment) -> None:
    customer, name = _about(session, appointment)
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        words = {
            "name": customer.name,
            "service": name,
            "business": business.name,
            "at": when(business, appointment.starts_at),
        }
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("Reminder: %(service)s with %(business)s tomorrow") % words,
            text=gettext(
                "Hello %(name)s,\n\nA reminder of your appointment for %(service)s on %(at)s. "
                "If you cannot make it, please tell us as soon as you can.\n"
            )
            % words,
            reply_to=business.contact_email or "",
            attachment=f"{ATTACHMENT}:{appointment.id}",
        )


def calendar_file(
    session: Session, *, business: Business, appointment_id: str
) -> tuple[bytes, str]:
    """The .ics of an appointment as it stands when the email goes (a canceled one cancels)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.business_id != business.id:
        raise LookupError(f"appointment {appointment_id} is gone")
    customer, name = _about(session, appointment)
    address = ", ".join(
        part for part in (customer.address_line1, customer.city, customer.postal_code) if part
    )
    content = ics.event(
        uid=f"{appointment.id}@frontdesk",
        stamp=appointment.updated_at,
        start=appointment.starts_at,
        end=appointment.ends_at,
        summary=gettext("%(service)s with %(business)s")
        % {"service": name, "business": business.name},
        location=address,
        description=appointment.notes,
        canceled=appointment.status == "canceled",
        # Calendars replace an event only by a higher SEQUENCE: each change's time is one.
        sequence=int(appointment.updated_at.timestamp()) % 2**31,
    )
    return content, "appointment.ics"
