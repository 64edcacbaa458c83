"""The business's side: the queue, one request, replying, moving it on, making an estimate."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case
from sqlmodel import Session, col, select

from frontdesk.models import (
    Business,
    Customer,
    Estimate,
    ServiceRequest,
    ServiceRequestEvent,
)
from frontdesk.services import attachments, audit, estimates
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.services.service_requests.news import (
    add_event,
    announce,
    tell_customer,
)
from frontdesk.services.service_requests.rules import (
    ESTIMATE_DAYS,
    LABELS,
    MAX_REASON,
    MAX_TEXT,
    OPEN,
    OWNER_KIND,
    STAFF_MOVES,
    Status,
    checked_text,
    local_today,
)


def get(session: Session, *, business: Business, request_id: str) -> ServiceRequest:
    found = session.get(ServiceRequest, request_id)
    if found is None or found.business_id != business.id:
        raise NotFound("no such service request")
    return found


def for_estimate(session: Session, *, estimate: Estimate) -> ServiceRequest | None:
    """The request an estimate was made from, if any (the estimate's page links back)."""
    return session.exec(
        select(ServiceRequest).where(ServiceRequest.estimate_id == estimate.id)
    ).first()


def timeline(session: Session, *, request: ServiceRequest) -> list[ServiceRequestEvent]:
    return list(
        session.exec(
            select(ServiceRequestEvent)
            .where(ServiceRequestEvent.service_request_id == request.id)
            .order_by(col(ServiceRequestEvent.created_at), col(ServiceRequestEvent.id))
        ).all()
    )


def photos(
    session: Session,
    *,
    business: Business,
    request: ServiceRequest,
    audience: attachments.Party,
    secret_keys: tuple[str, ...],
    now: datetime,
) -> list[attachments.Linked]:
    """The request's photos, each with a short-lived link for `audience` to open it."""
    return attachments.linked(
        session,
        business=business,
        owner_kind=OWNER_KIND,
        owner_id=request.id,
        audience=audience,
        secret_keys=secret_keys,
        now=now,
    )


def queue(
    session: Session, *, status: str | None, page: int, per_page: int = 25
) -> tuple[list[tuple[ServiceRequest, Customer]], bool]:
    """The business's requests with their customers, new ones first, then newest first."""
    statement = select(ServiceRequest, Customer).join(
        Customer, col(Customer.id) == col(ServiceRequest.customer_id)
    )
    if status:
        statement = statement.where(ServiceRequest.status == status)
    new_first = case((col(ServiceRequest.status) == Status.NEW, 0), else_=1)
    rows = session.exec(
        statement.order_by(
            new_first, col(ServiceRequest.created_at).desc(), col(ServiceRequest.id).desc()
        )
        .limit(per_page + 1)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return [(request, customer) for request, customer in rows[:per_page]], len(rows) > per_page


def comment(
    session: Session,
    *,
    business: Business,
    request: ServiceRequest,
    text: str,
    actor: audit.Actor,
    links: Links,
    now: datetime,
) -> ServiceRequest:
    """A reply the customer sees on the request's timeline, and by email."""
    errors: dict[str, str] = {}
    cleaned = checked_text(text, "text", errors, empty="Write a reply.", limit=MAX_TEXT)
    if errors:
        raise Invalid("The reply needs fixing.", errors)
    add_event(session, request, actor, now, text=cleaned)
    actor.record(session, business.id, "service_request.commented", "service_request", request.id)
    announce(session, business, request, "service_request.updated", change="comment")
    tell_customer(session, business, request, links, f"{business.name} replied:\n\n{cleaned}")
    return request


def change_status(
    session: Session,
    *,
    business: Business,
    request: ServiceRequest,
    status: str,
    reason: str,
    actor: audit.Actor,
    links: Links,
    now: datetime,
) -> ServiceRequest:
    """The business moves the request on; a decline says why, and the customer sees it."""
    if request.status not in OPEN:
        raise Invalid(f"This request is {LABELS[request.status].lower()}: it can no longer change.")
    if status not in STAFF_MOVES:
        raise Invalid(
            "Choose a status.", {"status": "Choose scheduled, in progress, done or declined."}
        )
    if status == request.status:
        raise Invalid(f"This request is {LABELS[request.status].lower()} already.")
    errors: dict[str, str] = {}
    cleaned = reason.strip()
    if status == Status.DECLINED:
        cleaned = checked_text(
            reason, "reason", errors, empty="Say why: the customer sees it.", limit=MAX_REASON
        )
    elif len(cleaned) > MAX_TEXT:
        errors["reason"] = f"Use at most {MAX_TEXT:,} characters."
    if errors:
        raise Invalid("The status change needs fixing.", errors)
    before, request.status = request.status, Status(status)
    if request.status == Status.DECLINED:
        request.decline_reason = cleaned
    add_event(session, request, actor, now, status=request.status, text=cleaned)
    actor.record(
        session,
        business.id,
        "service_request.status_changed",
        "service_request",
        request.id,
        before=str(before),
        after=str(request.status),
    )
    announce(session, business, request, "service_request.updated", change="status")
    news = f"{business.name} marked your request {LABELS[request.status].lower()}."
    tell_customer(session, business, request, links, f"{news}\n\n{cleaned}".strip())
    return request


def to_estimate(
    session: Session,
    *,
    business: Business,
    request: ServiceRequest,
    actor: audit.Actor,
    now: datetime,
) -> Estimate:
    """A draft estimate for the request's customer, its description as the first line (priced
    by the business before sending); the request and the estimate name each other."""
    if request.estimate_id:
        raise Invalid("This request has an estimate already.")
    if request.status not in OPEN:
        raise Invalid(f"This request is {LABELS[request.status].lower()}: no estimate is needed.")
    customer = session.get(Customer, request.customer_id)
    assert customer is not None  # the foreign key says so
    today = local_today(business, now)
    estimate = estimates.create(
        session,
        business=business,
        customer=customer,
        lines=[LineInput(request.description[:1000], 0)],
        issue_date=today,
        expires_on=today + timedelta(days=ESTIMATE_DAYS),
        notes=f"For your service request {request.number}.",
        actor=actor,
    )
    session.flush()
    request.estimate_id, request.updated_at = estimate.id, now
    actor.record(
        session,
        business.id,
        "service_request.estimated",
        "service_request",
        request.id,
        estimate=estimate.number,
    )
    announce(session, business, request, "service_request.updated", change="estimate")
    return estimate
