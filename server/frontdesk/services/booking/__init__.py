"""Appointment booking: availability as data, slots from a pure function, bookings that cannot
overlap, and the reminders and news around them.

Callers use this package's names (`booking.book(...)`); each lives in the module of its part."""

from frontdesk.services.booking import public as public  # visitors' requests
from frontdesk.services.booking.booking import (
    HOLD,
    block_time,
    book,
    cancel,
    confirm_hold,
    decide,
    hold,
    reschedule,
)
from frontdesk.services.booking.news import calendar_file
from frontdesk.services.booking.placing import Taken, check_area
from frontdesk.services.booking.reading import between, free_slots, get, service, services
from frontdesk.services.booking.reminders import remind_due
from frontdesk.services.booking.setup import (
    ServiceTerms,
    add_crew,
    add_override,
    create_service,
    default_crew,
    remove_override,
    set_area,
    set_hours,
    set_terms,
    update_service,
)

__all__ = [
    "HOLD",
    "ServiceTerms",
    "Taken",
    "add_crew",
    "add_override",
    "between",
    "block_time",
    "book",
    "calendar_file",
    "cancel",
    "check_area",
    "confirm_hold",
    "create_service",
    "decide",
    "default_crew",
    "free_slots",
    "get",
    "hold",
    "remind_due",
    "remove_override",
    "reschedule",
    "service",
    "services",
    "set_area",
    "set_hours",
    "set_terms",
    "update_service",
]
