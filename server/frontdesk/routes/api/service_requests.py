"""Service requests through the API: list, read, reply and move on."""

from __future__ import annotations

from sqlmodel import select

from frontdesk import models
from frontdesk.api import schemas
from frontdesk.api import service_requests as shapes
from frontdesk.api.operations import Call, Operation, page
from frontdesk.models import utcnow
from frontdesk.services import customers, service_requests


def list_service_requests(call: Call) -> schemas.Page[shapes.ServiceRequest]:
    query: shapes.ServiceRequestListQuery = call.query
    statement = select(models.ServiceRequest)
    if query.customer:
        customer = customers.get_by_reference(
            call.session, business=call.business, reference=query.customer
        )
        statement = statement.where(models.ServiceRequest.customer_id == customer.id)
    if query.status:
        statement = statement.where(models.ServiceRequest.status == query.status)
    rows, more, cursor = page(call.session, statement, models.ServiceRequest, query)
    data = shapes.listed(call.session, rows)
    return schemas.Page[shapes.ServiceRequest](data=data, has_more=more, next_cursor=cursor)


def _request(call: Call) -> models.ServiceRequest:
    return service_requests.get(
        call.session, business=call.business, request_id=call.params["service_request"]
    )


def get_service_request(call: Call) -> shapes.ServiceRequest:
    return shapes.listed(call.session, [_request(call)])[0]


def comment_service_request(call: Call) -> shapes.ServiceRequest:
    body: shapes.CommentCreate = call.body
    found = service_requests.comment(
        call.session,
        business=call.business,
        request=_request(call),
        text=body.text,
        actor=call.actor,
        links=call.links,
        now=utcnow(),
    )
    call.session.flush()
    return shapes.listed(call.session, [found])[0]


def change_service_request_status(call: Call) -> shapes.ServiceRequest:
    body: shapes.StatusChange = call.body
    found = service_requests.change_status(
        call.session,
        business=call.business,
        request=_request(call),
        status=body.status,
        reason=body.reason,
        actor=call.actor,
        links=call.links,
        now=utcnow(),
    )
    call.session.flush()
    return shapes.listed(call.session, [found])[0]


SERVICE_REQUEST = "/service-requests/{service_request}"

operations = [
    Operation(
        "GET",
        "/service-requests",
        "list_service_requests",
        "List service requests",
        "Service requests",
        list_service_requests,
        schemas.Page[shapes.ServiceRequest],
        query=shapes.ServiceRequestListQuery,
        description="What customers asked for in the portal, each with its public timeline.",
    ),
    Operation(
        "GET",
        SERVICE_REQUEST,
        "get_service_request",
        "Get a service request",
        "Service requests",
        get_service_request,
        shapes.ServiceRequest,
    ),
    Operation(
        "POST",
        SERVICE_REQUEST + "/comments",
        "comment_service_request",
        "Reply to a service request",
        "Service requests",
        comment_service_request,
        shapes.ServiceRequest,
        201,
        body=shapes.CommentCreate,
        description="The customer sees the reply on the request's timeline and gets an email.",
    ),
    Operation(
        "POST",
        SERVICE_REQUEST + "/status",
        "change_service_request_status",
        "Change a service request's status",
        "Service requests",
        change_service_request_status,
        shapes.ServiceRequest,
        body=shapes.StatusChange,
        description="From new, scheduled or in progress only; declining needs a `reason`, "
        "which the customer sees. The customer gets an email.",
    ),
]
