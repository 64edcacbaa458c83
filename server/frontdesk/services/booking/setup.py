"""A business's booking setup: its services, crews, weekly hours, date overrides and service
area. Each change is checked here and written to the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, time

from sqlmodel import Session, col, delete, select

from frontdesk.models import (
    BookingService,
    Business,
    Crew,
    DateOverride,
    ServiceArea,
    WorkingHours,
)
from frontdesk.services import audit
from frontdesk.services.errors import Invalid, NotFound

MOST_MINUTES = 24 * 60
DEFAULT_CREW = "Default"


def default_crew(session: Session, business: Business) -> Crew:
    """The business's default crew, made the first time it is needed."""
    found = session.exec(select(Crew).where(col(Crew.is_default).is_(True))).first()
    if found is None:
        found = Crew(business_id=business.id, name=DEFAULT_CREW, is_default=True)
        session.add(found)
        session.flush()
    return found


@dataclass(frozen=True)
class ServiceTerms:
    """A service as its owner sets it: how long it takes and the terms for booking it (minutes,
    except the horizon in days)."""

    name: str
    duration_min: int
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    min_notice_min: int = 0
    max_days_ahead: int = 60
    slot_step_min: int = 30
    requires_confirmation: bool = False
    active: bool = True


def _checked(terms: ServiceTerms) -> ServiceTerms:
    errors: dict[str, str] = {}
    if not terms.name.strip():
        errors["name"] = "Name the service."
    elif len(terms.name.strip()) > 200:
        errors["name"] = "Use 200 characters at most."
    if not 5 <= terms.duration_min <= MOST_MINUTES:
        errors["duration_min"] = "Enter a duration from 5 minutes to a day."
    for field in ("buffer_before_min", "buffer_after_min", "min_notice_min"):
        if not 0 <= getattr(terms, field) <= 14 * MOST_MINUTES:
            errors[field] = "Enter minutes from 0 to two weeks."
    if not 1 <= terms.max_days_ahead <= 365:
        errors["max_days_ahead"] = "Enter days from 1 to 365."
    if not 5 <= terms.slot_step_min <= MOST_MINUTES:
        errors["slot_step_min"] = "Enter a step from 5 minutes to a day."
    if errors:
        raise Invalid("The service needs fixing.", errors)
    return replace(terms, name=terms.name.strip())


def create_service(
    session: Session,
    *,
    business: Business,
    name: str,
    duration_min: int,
    actor: audit.Actor,
    buffer_before_min: int = 0,
    buffer_after_min: int = 0,
    min_notice_min: int = 0,
    max_days_ahead: int = 60,
    slot_step_min: int = 30,
    requires_confirmation: bool = False,
) -> BookingService:
    terms = _checked(
        ServiceTerms(
            name=name,
            duration_min=duration_min,
            buffer_before_min=buffer_before_min,
            buffer_after_min=buffer_after_min,
            min_notice_min=min_notice_min,
            max_days_ahead=max_days_ahead,
            slot_step_min=slot_step_min,
            requires_confirmation=requires_confirmation,
        )
    )
    service = BookingService(business_id=business.id, **asdict(terms))
    session.add(service)
    default_crew(session, business)
    session.flush()
    actor.record(session, business.id, "booking.service_created", "booking_service", service.id)
    return service


def own_service(session: Session, business: Business, service_id: str) -> BookingService:
    """One of the business's services, active or not."""
    service = session.get(BookingService, service_id)
    if service is None or service.business_id != business.id:
        raise NotFound("no such service")
    return service


def update_service(
    session: Session,
    *,
    business: Business,
    service_id: str,
    terms: ServiceTerms,
    actor: audit.Actor,
) -> list[str]:
    """Change a service (an inactive one is offered to nobody; its appointments stay). Booked
    visits keep their times; the new terms apply to the next booking. Returns what changed."""
    service = own_service(session, business, service_id)
    wanted = asdict(_checked(terms))
    changed = audit.assign(service, wanted)
    if changed:
        session.flush()
        actor.record(
            session,
            business.id,
            "booking.service_changed",
            "booking_service",
            service.id,
            changed=changed,
        )
    return changed


def add_crew(
    session: Session,
    *,
    business: Business,
    name: str,
    actor: audit.Actor,
    service_ids: Iterable[str] = (),
) -> Crew:
    if not name.strip():
        raise Invalid("The crew needs fixing.", {"name": "Name the crew."})
    crew = Crew(business_id=business.id, name=name.strip(), service_ids=list(service_ids))
    session.add(crew)
    session.flush()
    actor.record(session, business.id, "booking.crew_added", "crew", crew.id)
    return crew


def _crew(session: Session, business: Business, crew_id: str | None) -> str | None:
    if crew_id is None:
        return None
    crew = session.get(Crew, crew_id)
    if crew is None or crew.business_id != business.id:
        raise NotFound("no such crew")
    return crew.id


def set_hours(
    session: Session,
    *,
    business: Business,
    hours: Iterable[tuple[int, time, time]],
    actor: audit.Actor,
    crew_id: str | None = None,
) -> list[WorkingHours]:
    """Replace the weekly hours (the business's, or one crew's): (weekday, start, end) local."""
    owner = _crew(session, business, crew_id)
    wanted = list(hours)
    for weekday, start, end in wanted:
        if not 0 <= weekday <= 6 or not start < end:
            raise Invalid(
                "The hours need fixing.", {"hours": "Each range needs a weekday and start < end."}
            )
    mine = (
        col(WorkingHours.crew_id).is_(None) if owner is None else col(WorkingHours.crew_id) == owner
    )
    session.execute(delete(WorkingHours).where(mine))
    rows = [
        WorkingHours(
            business_id=business.id, crew_id=owner, weekday=day, start_local=start, end_local=end
        )
        for day, start, end in wanted
    ]
    session.add_all(rows)
    session.flush()
    actor.record(session, business.id, "booking.hours_set", "crew", owner or "")
    return rows


def add_override(
    session: Session,
    *,
    business: Business,
    day: date,
    actor: audit.Actor,
    start: time | None = None,
    end: time | None = None,
    crew_id: str | None = None,
) -> DateOverride:
    """Other hours on one date, or (no start and end) closed that day."""
    if (start is None) != (end is None) or (start is not None and end is not None and start >= end):
        raise Invalid("The date needs fixing.", {"end": "Give a start before the end, or none."})
    row = DateOverride(
        business_id=business.id,
        crew_id=_crew(session, business, crew_id),
        day=day,
        closed=start is None,
        start_local=start,
        end_local=end,
    )
    session.add(row)
    session.flush()
    actor.record(session, business.id, "booking.date_override", "date_override", row.id)
    return row


def set_area(
    session: Session, *, business: Business, prefixes: Iterable[str], actor: audit.Actor
) -> list[str]:
    """Replace the service area: postal codes or their starts ("941", "SW1A"); none: anywhere."""
    wanted = sorted({"".join(p.split()).upper() for p in prefixes if p.strip()})
    if any(len(prefix) > 20 for prefix in wanted):
        raise Invalid(
            "The area needs fixing.", {"prefixes": "Postal codes are 20 characters at most."}
        )
    session.execute(delete(ServiceArea))
    session.add_all(ServiceArea(business_id=business.id, prefix=prefix) for prefix in wanted)
    session.flush()
    actor.record(session, business.id, "booking.area_set", "business", business.id, prefixes=wanted)
    return wanted


def remove_override(
    session: Session, *, business: Business, override_id: str, actor: audit.Actor
) -> None:
    """Drop one date's other hours: the weekly hours apply that day again."""
    row = session.get(DateOverride, override_id)
    if row is None or row.business_id != business.id:
        raise NotFound("no such date")
    session.delete(row)
    session.flush()
    actor.record(
        session, business.id, "booking.date_override_removed", "date_override", override_id
    )


MOST_CANCEL_HOURS = 720


def set_terms(
    session: Session,
    *,
    business: Business,
    public: bool,
    cancel_hours: int,
    actor: audit.Actor,
) -> list[str]:
    """Whether visitors without an account may ask for a visit, and how long before a visit
    customers may still move or cancel it. Returns what changed."""
    if not 0 <= cancel_hours <= MOST_CANCEL_HOURS:
        raise Invalid(
            "The booking terms need fixing.",
            {"booking_cancel_hours": f"Enter hours from 0 to {MOST_CANCEL_HOURS}."},
        )
    wanted = {"booking_public": public, "booking_cancel_hours": cancel_hours}
    changed = audit.assign(business, wanted)
    if changed:
        actor.record(
            session,
            business.id,
            "settings.booking_changed",
            "business",
            business.id,
            changed=changed,
        )
    return changed
