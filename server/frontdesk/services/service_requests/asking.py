"""The customer's side: asking for work (with photos), their list, one request, cancelling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile

from frontdesk.languages import N_, gettext
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    ServiceRequest,
)
from frontdesk.services import attachments, audit
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.links import Links
from frontdesk.services.service_requests.news import (
    add_event,
    announce,
    tell_business,
)
from frontdesk.services.service_requests.rules import (
    ADDRESS_FIELDS,
    ADDRESS_LIMITS,
    LABELS,
    MAX_PHOTOS,
    MAX_TEXT,
    MAX_WINDOWS,
    OPEN,
    OWNER_KIND,
    PARTS,
    Status,
    checked_text,
    local_today,
)
from frontdesk.storage import Storage

# Why the customer cannot cancel a request the business has taken up (or that has ended).
NOT_CANCELLED = {
    Status.SCHEDULED: N_("This request is scheduled already: ask %(business)s to cancel it."),
    Status.IN_PROGRESS: N_("This request is in progress already: ask %(business)s to cancel it."),
    Status.DONE: N_("This request is done already: ask %(business)s to cancel it."),
    Status.DECLINED: N_("This request is declined already: ask %(business)s to cancel it."),
    Status.CANCELLED: N_("This request is cancelled already: ask %(business)s to cancel it."),
}


# Why a finished request takes no comment.
NO_COMMENTS = {
    Status.DONE: N_("This request is done: write to %(business)s in Messages instead."),
    Status.DECLINED: N_("This request is declined: write to %(business)s in Messages instead."),
    Status.CANCELLED: N_("This request is cancelled: write to %(business)s in Messages instead."),
}


@dataclass(frozen=True)
class Window:
    """A preferred time as typed: a date (YYYY-MM-DD) and a part of the day."""

    date: str
    part: str


@dataclass(frozen=True)
class Wanted:
    """The customer's request as typed. `address` is used when `use_profile_address` is off."""

    description: str
    use_profile_address: bool = True
    address: dict[str, str] = field(default_factory=dict)
    windows: list[Window] = field(default_factory=list)


def _windows(windows: list[Window], today: date, errors: dict[str, str]) -> list[dict[str, str]]:
    typed = [w for w in windows if w.date.strip() or w.part.strip() not in ("", "any")]
    if len(typed) > MAX_WINDOWS:
        errors["windows"] = gettext("Choose at most %(count)s preferred times.") % {
            "count": MAX_WINDOWS
        }
        return []
    kept = []
    for window in typed:
        try:
            day = date.fromisoformat(window.date.strip())
        except ValueError:
            errors["windows"] = gettext("Enter each preferred date as a date, like 2026-12-01.")
            continue
        if day < today:
            errors["windows"] = gettext("Preferred dates cannot be in the past.")
        elif window.part not in PARTS:
            errors["windows"] = gettext("Choose morning, afternoon or any time.")
        else:
            kept.append({"date": day.isoformat(), "part": window.part})
    return kept


def _address(customer: Customer, wanted: Wanted, errors: dict[str, str]) -> dict[str, str]:
    if wanted.use_profile_address:
        if not customer.address_line1:
            errors["address"] = gettext("Your profile has no address yet: enter where the work is.")
        return {name: getattr(customer, name) for name in ADDRESS_FIELDS}
    typed = {name: " ".join(wanted.address.get(name, "").split()) for name in ADDRESS_FIELDS}
    typed["country"] = typed["country"].upper()
    for name, missing in (
        ("address_line1", N_("Enter the street address.")),
        ("city", N_("Enter the city.")),
    ):
        if not typed[name]:
            errors[name] = gettext(missing)
    if typed["country"] and not (typed["country"].isalpha() and len(typed["country"]) == 2):
        errors["country"] = gettext("Use the two-letter country code, like US or GB.")
    for name, limit in ADDRESS_LIMITS.items():
        if len(typed[name]) > limit and name not in errors:
            errors[name] = gettext("Use at most %(limit)s characters.") % {"limit": limit}
    return typed


def _next_number(session: Session) -> str:
    count = session.exec(select(func.count()).select_from(ServiceRequest)).one()
    return f"REQ-{1001 + count}"


def create(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    wanted: Wanted,
    now: datetime,
    links: Links,
    photos: Sequence[UploadFile],
    store: Storage,
    ip: str = "",
) -> ServiceRequest:
    """The customer's new request with its photos (all or nothing); the business hears of it by
    email and webhook."""
    errors: dict[str, str] = {}
    description = checked_text(
        wanted.description,
        "description",
        errors,
        empty=gettext("Describe the work you need."),
        limit=MAX_TEXT,
    )
    windows = _windows(wanted.windows, local_today(business, now), errors)
    address = _address(customer, wanted, errors)
    if errors:
        raise Invalid(gettext("Please fix the highlighted fields."), errors)
    request = ServiceRequest(
        business_id=business.id,
        customer_id=customer.id,
        number=_next_number(session),
        description=description,
        preferred_windows=windows,
        created_at=now,
        updated_at=now,
    )
    for name, value in address.items():
        setattr(request, name, value)
    session.add(request)
    session.flush()
    attachments.receive(
        session,
        business=business,
        customer_id=customer.id,
        owner_kind=OWNER_KIND,
        owner_id=request.id,
        files=photos,
        by=attachments.Party.customer(customer.id),
        max_files=MAX_PHOTOS,
        store=store,
        field="photos",
    )
    actor = audit.Actor(Initiator.CUSTOMER, customer.id, ip)
    actor.record(
        session,
        business.id,
        "service_request.created",
        "service_request",
        request.id,
        number=request.number,
    )
    announce(session, business, request, "service_request.created", change="created")
    tell_business(
        session,
        business,
        subject=f"New service request {request.number} from {customer.name}",
        text=(
            f"{customer.name} asked for work ({request.number}):\n\n{description}\n\n"
            f"See it and reply in your dashboard:\n\n"
            f"{links.base_url}/dashboard/requests/{request.id}\n"
        ),
    )
    return request


def list_for_customer(session: Session, *, customer: Customer) -> list[ServiceRequest]:
    return list(
        session.exec(
            select(ServiceRequest)
            .where(ServiceRequest.customer_id == customer.id)
            .order_by(col(ServiceRequest.created_at).desc(), col(ServiceRequest.id).desc())
        ).all()
    )


def get_for_customer(session: Session, *, customer: Customer, number: str) -> ServiceRequest:
    """The customer's own request by number; another customer's is not found."""
    found = session.exec(
        select(ServiceRequest).where(
            ServiceRequest.number == number, ServiceRequest.customer_id == customer.id
        )
    ).first()
    if found is None:
        raise NotFound("no such service request")
    return found


def cancel(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    request: ServiceRequest,
    now: datetime,
    ip: str = "",
) -> ServiceRequest:
    """The customer withdraws their request, while the business has not yet taken it up."""
    if request.status != Status.NEW:
        said = NOT_CANCELLED.get(request.status)
        if said is None:
            label = LABELS[request.status].lower()
            raise Invalid(f"This request is {label} already: ask {business.name} to cancel it.")
        raise Invalid(gettext(said) % {"business": business.name})
    request.status = Status.CANCELLED
    actor = audit.Actor(Initiator.CUSTOMER, customer.id, ip)
    add_event(session, request, actor, now, status=Status.CANCELLED)
    actor.record(session, business.id, "service_request.cancelled", "service_request", request.id)
    announce(session, business, request, "service_request.updated", change="cancelled")
    tell_business(
        session,
        business,
        subject=f"{customer.name} cancelled service request {request.number}",
        text=f"{customer.name} cancelled {request.number}; nothing more is needed.",
    )
    return request


def comment_by_customer(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    request: ServiceRequest,
    text: str,
    now: datetime,
    ip: str = "",
) -> ServiceRequest:
    """The customer's word on their own request (a gate code, a change of plan): on the timeline
    the business works from, and to the business by email. Finished requests take none."""
    if request.status not in OPEN:
        said = NO_COMMENTS.get(request.status)
        if said is None:
            label = LABELS[request.status].lower()
            raise Invalid(f"This request is {label}: write to {business.name} in Messages instead.")
        raise Invalid(gettext(said) % {"business": business.name})
    errors: dict[str, str] = {}
    empty = gettext("Write a comment first.")
    cleaned = checked_text(text, "text", errors, empty=empty, limit=MAX_TEXT)
    if errors:
        raise Invalid(gettext("The comment needs fixing."), errors)
    actor = audit.Actor(Initiator.CUSTOMER, customer.id, ip)
    add_event(session, request, actor, now, text=cleaned)
    actor.record(session, business.id, "service_request.commented", "service_request", request.id)
    announce(session, business, request, "service_request.updated", change="comment")
    tell_business(
        session,
        business,
        subject=f"{customer.name} on service request {request.number}",
        text=f"{customer.name} wrote on {request.number}:\n\n{cleaned}",
    )
    return request
