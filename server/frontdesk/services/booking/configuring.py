"""The booking settings as an owner sees and types them: what is set up now, and each form's
values read field by field (every mistake reported at once) before `setup` applies them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlmodel import Session, col, select

from frontdesk.models import BookingService, Business, Crew, DateOverride, ServiceArea, WorkingHours
from frontdesk.services import audit
from frontdesk.services.booking import setup
from frontdesk.services.errors import Invalid

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Two weeks, as `setup` allows for the notice in minutes.
MOST_NOTICE_HOURS = 14 * 24


@dataclass(frozen=True)
class Setup:
    """What the booking settings page shows."""

    services: list[BookingService]
    crews: list[Crew]
    # The business's weekly hours (every crew without its own keeps them): weekday -> range.
    hours: dict[int, tuple[time, time]]
    upcoming: list[DateOverride]
    area: list[str]


def current(session: Session, business: Business, today: date) -> Setup:
    """The business's booking setup; dates from `today` (the business's) on."""
    hours: dict[int, tuple[time, time]] = {}
    weekly = select(WorkingHours).where(col(WorkingHours.crew_id).is_(None))
    for row in session.exec(weekly.order_by(col(WorkingHours.start_local))):
        # The form edits one range a day: the first of the day's.
        hours.setdefault(row.weekday, (row.start_local, row.end_local))
    return Setup(
        services=list(session.exec(select(BookingService).order_by(col(BookingService.name)))),
        crews=list(
            session.exec(select(Crew).order_by(col(Crew.is_default).desc(), col(Crew.name)))
        ),
        hours=hours,
        upcoming=list(
            session.exec(
                select(DateOverride)
                .where(col(DateOverride.day) >= today)
                .order_by(col(DateOverride.day), col(DateOverride.start_local))
            )
        ),
        area=sorted(area.prefix for area in session.exec(select(ServiceArea))),
    )


def _whole(typed: str, field: str, errors: dict[str, str]) -> int:
    try:
        return int(typed.strip())
    except ValueError:
        errors[field] = "Enter a whole number."
        return 0


def _clock(typed: str, field: str, errors: dict[str, str]) -> time | None:
    """A local time of day typed as 08:00 (nothing typed: None)."""
    if not typed.strip():
        return None
    try:
        return time.fromisoformat(typed.strip())
    except ValueError:
        errors[field] = "Enter a time like 08:00."
        return None


def _refuse(problem: str, errors: dict[str, str]) -> None:
    if errors:
        raise Invalid(problem, errors)


def save_terms(
    session: Session, *, business: Business, public: bool, cancel_hours: str, actor: audit.Actor
) -> list[str]:
    errors: dict[str, str] = {}
    hours = _whole(cancel_hours, "booking_cancel_hours", errors)
    _refuse("The booking terms need fixing.", errors)
    return setup.set_terms(
        session, business=business, public=public, cancel_hours=hours, actor=actor
    )


@dataclass(frozen=True)
class TypedService:
    """The service form as typed; the notice in hours, as owners think of it."""

    name: str
    duration_min: str
    buffer_before_min: str
    buffer_after_min: str
    min_notice_hours: str
    max_days_ahead: str
    slot_step_min: str
    requires_confirmation: bool
    active: bool


def _terms(typed: TypedService) -> setup.ServiceTerms:
    errors: dict[str, str] = {}
    numbers = {
        field: _whole(getattr(typed, field), field, errors)
        for field in (
            "duration_min",
            "buffer_before_min",
            "buffer_after_min",
            "min_notice_hours",
            "max_days_ahead",
            "slot_step_min",
        )
    }
    notice = numbers.pop("min_notice_hours")
    if "min_notice_hours" not in errors and not 0 <= notice <= MOST_NOTICE_HOURS:
        errors["min_notice_hours"] = f"Enter hours from 0 to {MOST_NOTICE_HOURS} (two weeks)."
    _refuse("The service needs fixing.", errors)
    return setup.ServiceTerms(
        name=typed.name,
        min_notice_min=notice * 60,
        requires_confirmation=typed.requires_confirmation,
        active=typed.active,
        **numbers,
    )


def add_service(
    session: Session, *, business: Business, typed: TypedService, actor: audit.Actor
) -> BookingService:
    terms = _terms(typed)
    return setup.create_service(
        session,
        business=business,
        name=terms.name,
        duration_min=terms.duration_min,
        buffer_before_min=terms.buffer_before_min,
        buffer_after_min=terms.buffer_after_min,
        min_notice_min=terms.min_notice_min,
        max_days_ahead=terms.max_days_ahead,
        slot_step_min=terms.slot_step_min,
        requires_confirmation=terms.requires_confirmation,
        actor=actor,
    )


def change_service(
    session: Session,
    *,
    business: Business,
    service_id: str,
    typed: TypedService,
    actor: audit.Actor,
) -> list[str]:
    """What changed of the service."""
    setup.own_service(session, business, service_id)
    terms = _terms(typed)
    return setup.update_service(
        session, business=business, service_id=service_id, terms=terms, actor=actor
    )


def save_hours(
    session: Session,
    *,
    business: Business,
    typed: list[tuple[bool, str, str]],
    actor: audit.Actor,
) -> None:
    """The business's weekly hours: for each weekday from Monday, (open, start, end) as typed."""
    errors: dict[str, str] = {}
    hours = []
    for weekday, (is_open, start_typed, end_typed) in enumerate(typed[: len(WEEKDAYS)]):
        if not is_open:
            continue
        field = f"hours_{weekday}"
        start, end = _clock(start_typed, field, errors), _clock(end_typed, field, errors)
        if field in errors:
            continue
        if start is None or end is None or not start < end:
            errors[field] = "Give a start before the end, or mark the day closed."
            continue
        hours.append((weekday, start, end))
    _refuse("The working hours need fixing.", errors)
    setup.set_hours(session, business=business, hours=hours, actor=actor)


def save_crew(
    session: Session,
    *,
    business: Business,
    name: str,
    service_ids: list[str],
    actor: audit.Actor,
) -> Crew:
    """A crew that does the chosen services (none chosen: every service)."""
    known = {service.id for service in session.exec(select(BookingService))}
    if not set(service_ids) <= known:
        raise Invalid("The crew needs fixing.", {"crew_services": "Choose among your services."})
    if len(name.strip()) > 200:
        raise Invalid("The crew needs fixing.", {"name": "Use 200 characters at most."})
    return setup.add_crew(
        session, business=business, name=name, service_ids=sorted(set(service_ids)), actor=actor
    )


def save_override(
    session: Session,
    *,
    business: Business,
    day: str,
    closed: bool,
    start: str,
    end: str,
    today: date,
    actor: audit.Actor,
) -> DateOverride:
    """A closed day, or other hours on one date (today or later, in the business's zone)."""
    errors: dict[str, str] = {}
    when = today
    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        errors["override_day"] = "Enter a date like 2027-12-24."
    if when < today:
        errors["override_day"] = "Choose today or a later date."
    opens, closes = _clock(start, "override_hours", errors), _clock(end, "override_hours", errors)
    if not closed and "override_hours" not in errors and (opens is None or closes is None):
        errors["override_hours"] = "Give the hours of that day, or mark it closed."
    elif not closed and opens is not None and closes is not None and not opens < closes:
        errors["override_hours"] = "Give a start before the end."
    _refuse("The date needs fixing.", errors)
    return setup.add_override(
        session,
        business=business,
        day=when,
        start=None if closed else opens,
        end=None if closed else closes,
        actor=actor,
    )


def save_area(session: Session, *, business: Business, typed: str, actor: audit.Actor) -> list[str]:
    """The service area typed as postal codes or their starts, by comma or by line."""
    return setup.set_area(
        session, business=business, prefixes=typed.replace(",", "\n").splitlines(), actor=actor
    )
