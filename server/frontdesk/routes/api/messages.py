"""A customer's messages through the API: the conversation, and a message from the business."""

from __future__ import annotations

from sqlmodel import select

from frontdesk import models
from frontdesk.api import messages as shapes
from frontdesk.api import schemas
from frontdesk.api.operations import Call, Operation, page
from frontdesk.models import AuthorKind, utcnow
from frontdesk.routes.api.frame import CUSTOMER, _customer
from frontdesk.services import messages


def list_messages(call: Call) -> schemas.Page[shapes.Message]:
    customer = _customer(call)
    statement = select(models.Message).where(models.Message.customer_id == customer.id)
    rows, more, cursor = page(call.session, statement, models.Message, call.query)
    data = [shapes.Message.model_validate(row) for row in rows]
    return schemas.Page[shapes.Message](data=data, has_more=more, next_cursor=cursor)


def create_message(call: Call) -> shapes.Message:
    body: shapes.MessageCreate = call.body
    message, _ = messages.post(
        call.session,
        business=call.business,
        customer=_customer(call),
        author=messages.Author(AuthorKind.STAFF),
        body=body.body,
        client_nonce=body.client_nonce,
        now=utcnow(),
        notice_after=messages.notice_after(call.settings),
    )
    call.session.flush()
    return shapes.Message.model_validate(message)


# In the API's list after the customer's own operations (routes/api/__init__.py).
operations = [
    Operation(
        "GET",
        CUSTOMER + "/messages",
        "list_messages",
        "List a customer's messages",
        "Messages",
        list_messages,
        schemas.Page[shapes.Message],
        query=schemas.ListQuery,
        description="The customer's conversation with the business, newest first.",
    ),
    Operation(
        "POST",
        CUSTOMER + "/messages",
        "create_message",
        "Send the customer a message",
        "Messages",
        create_message,
        shapes.Message,
        201,
        body=shapes.MessageCreate,
        description="Written as the business. If the customer has not read it within a few "
        "minutes, they are emailed it with a link to reply in their portal.",
    ),
]
