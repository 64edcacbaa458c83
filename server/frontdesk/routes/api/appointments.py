"""Booking through the API: services and their free slots, appointments listed, booked, moved
and canceled. Bookings made here are the business's own: confirmed at once."""

from __future__ import annotations

from sqlmodel import select

from frontdesk import models
from frontdesk.api import appointments as shapes
from frontdesk.api import schemas
from frontdesk.api.operations import Call, Operation, page
from frontdesk.models import utcnow
from frontdesk.services import booking, customers


def list_booking_services(call: Call) -> schemas.Page[shapes.BookingService]:
    rows = booking.services(call.session)
    data = [shapes.BookingService.model_validate(row) for row in rows]
    return schemas.Page[shapes.BookingService](data=data, has_more=False, next_cursor=None)


def list_slots(call: Call) -> shapes.Slots:
    query: shapes.SlotQuery = call.query
    service_id = call.params["booking_service"]
    found = booking.free_slots(
        call.session, business=call.business, service_id=service_id, now=utcnow(), days=query.days
    )
    return shapes.Slots(service=service_id, time_zone=call.business.time_zone, slots=found)


def list_appointments(call: Call) -> schemas.Page[shapes.Appointment]:
    query: shapes.AppointmentListQuery = call.query
    statement = select(models.Appointment)
    if query.customer:
        customer = customers.get_by_reference(
            call.session, business=call.business, reference=query.customer
        )
        statement = statement.where(models.Appointment.customer_id == customer.id)
    if query.status:
        statement = statement.where(models.Appointment.status == query.status)
    rows, more, cursor = page(call.session, statement, models.Appointment, query)
    data = [shapes.shown(row) for row in rows]
    return schemas.Page[shapes.Appointment](data=data, has_more=more, next_cursor=cursor)


def get_appointment(call: Call) -> shapes.Appointment:
    found = booking.get(
        call.session, business=call.business, appointment_id=call.params["appointment"]
    )
    return shapes.shown(found)


def create_appointment(call: Call) -> shapes.Appointment:
    body: shapes.AppointmentCreate = call.body
    customer = customers.get_by_reference(
        call.session, business=call.business, reference=body.customer
    )
    found = booking.book(
        call.session,
        business=call.business,
        customer_id=customer.id,
        service_id=body.service,
        starts_at=body.starts_at,
        now=utcnow(),
        actor=call.actor,
        notes=body.notes,
        service_request_id=body.service_request,
        estimate_id=body.estimate,
    )
    return shapes.shown(found)


def reschedule_appointment(call: Call) -> shapes.Appointment:
    body: shapes.Reschedule = call.body
    found = booking.reschedule(
        call.session,
        business=call.business,
        appointment_id=call.params["appointment"],
        starts_at=body.starts_at,
        now=utcnow(),
        actor=call.actor,
    )
    return shapes.shown(found)


def cancel_appointment(call: Call) -> shapes.Appointment:
    body: shapes.CancelBody = call.body
    found = booking.cancel(
        call.session,
        business=call.business,
        appointment_id=call.params["appointment"],
        now=utcnow(),
        actor=call.actor,
        reason=body.reason,
    )
    return shapes.shown(found)


APPOINTMENT = "/appointments/{appointment}"
TAG = "Appointments"

operations = [
    Operation(
        "GET",
        "/booking-services",
        "list_booking_services",
        "List bookable services",
        TAG,
        list_booking_services,
        schemas.Page[shapes.BookingService],
    ),
    Operation(
        "GET",
        "/booking-services/{booking_service}/slots",
        "list_slots",
        "List a service's free slots",
        TAG,
        list_slots,
        shapes.Slots,
        query=shapes.SlotQuery,
        description="Start times (UTC) laid out on the business's hours in its time zone, "
        "from today for `days` days, each offered while any crew is free for it, buffers "
        "and minimum notice included.",
    ),
    Operation(
        "GET",
        "/appointments",
        "list_appointments",
        "List appointments",
        TAG,
        list_appointments,
        schemas.Page[shapes.Appointment],
        query=shapes.AppointmentListQuery,
    ),
    Operation(
        "POST",
        "/appointments",
        "create_appointment",
        "Book an appointment for a customer",
        TAG,
        create_appointment,
        shapes.Appointment,
        201,
        body=shapes.AppointmentCreate,
        description="Confirmed at once. A time that is not free is refused with 422 and the "
        "free times nearby; nothing is booked twice, however many requests race for it. "
        "Both sides get an email and `appointment.booked` is sent.",
    ),
    Operation(
        "GET",
        APPOINTMENT,
        "get_appointment",
        "Get an appointment",
        TAG,
        get_appointment,
        shapes.Appointment,
    ),
    Operation(
        "POST",
        APPOINTMENT + "/reschedule",
        "reschedule_appointment",
        "Move an appointment to another free slot",
        TAG,
        reschedule_appointment,
        shapes.Appointment,
        body=shapes.Reschedule,
    ),
    Operation(
        "POST",
        APPOINTMENT + "/cancel",
        "cancel_appointment",
        "Cancel an appointment",
        TAG,
        cancel_appointment,
        shapes.Appointment,
        body=shapes.CancelBody,
    ),
]
