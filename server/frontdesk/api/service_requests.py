"""The API's view of service requests (`/service-requests`): the request, its public timeline,
and what the business's system may send (a reply, a status change)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from sqlmodel import Session, col, select

from frontdesk import models
from frontdesk.api.schemas import AddressOut, Input, ListQuery, Output

RequestStatus = Literal["new", "scheduled", "in_progress", "done", "declined", "cancelled"]
# Blank text is refused, so the document says so: at least one character that is not a space.
Words = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4000, pattern=r"\S"),
    Field(description="Plain text the customer reads; not blank."),
]


class ServiceRequestListQuery(ListQuery):
    customer: str | None = Field(default=None, description="Our id or `external:<your id>`.")
    status: RequestStatus | None = None


class Window(Output):
    date: date
    part: Literal["morning", "afternoon", "any"]


class TimelineEntry(Output):
    """A status change (`status` set) or a reply; the customer sees every entry."""

    author_kind: Literal["customer", "staff", "api"]
    author_id: str
    status: RequestStatus | None
    text: str
    created_at: datetime


class ServiceRequest(Output):
    id: str
    object: Literal["service_request"] = "service_request"
    number: str
    customer: str
    status: RequestStatus
    description: str
    address: AddressOut
    preferred_windows: list[Window]
    decline_reason: str
    estimate: str | None = Field(description="The estimate made from it, if any.")
    timeline: list[TimelineEntry]
    created_at: datetime
    updated_at: datetime


class CommentCreate(Input):
    text: Words


class StatusChange(Input):
    status: Literal["scheduled", "in_progress", "done", "declined"]
    reason: Annotated[str, StringConstraints(max_length=2000)] = Field(
        default="", description="Shown to the customer; needed to decline."
    )


def listed(session: Session, rows: Sequence[models.ServiceRequest]) -> list[ServiceRequest]:
    """Requests with their timelines, in one query for the timelines of the whole page."""
    entries: dict[str, list[TimelineEntry]] = defaultdict(list)
    statement = (
        select(models.ServiceRequestEvent)
        .where(col(models.ServiceRequestEvent.service_request_id).in_([row.id for row in rows]))
        .order_by(col(models.ServiceRequestEvent.created_at), col(models.ServiceRequestEvent.id))
    )
    for event in session.exec(statement):
        entries[event.service_request_id].append(
            TimelineEntry(
                author_kind=event.author_kind,
                author_id=event.author_id,
                status=event.status or None,
                text=event.text,
                created_at=event.created_at,
            )
        )
    return [
        ServiceRequest(
            id=row.id,
            number=row.number,
            customer=row.customer_id,
            status=row.status,
            description=row.description,
            address=AddressOut(
                line1=row.address_line1,
                line2=row.address_line2,
                city=row.city,
                region=row.region,
                postal_code=row.postal_code,
                country=row.country,
            ),
            preferred_windows=[Window.model_validate(w) for w in row.preferred_windows],
            decline_reason=row.decline_reason,
            estimate=row.estimate_id,
            timeline=entries[row.id],
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
