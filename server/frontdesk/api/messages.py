"""The API's view of a customer's messages (`/customers/{customer}/messages`): the conversation,
newest first, and what the business's system may post into it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from frontdesk.api.schemas import Input, Output


class Message(Output):
    id: str
    object: Literal["message"] = "message"
    customer: str = Field(validation_alias="customer_id")
    author_kind: Literal["customer", "staff", "system"]
    author_staff_id: str | None = Field(description="The staff member who wrote it, if one did.")
    body: str
    created_at: datetime
    read_by_customer_at: datetime | None
    read_by_staff_at: datetime | None


class MessageCreate(Input):
    body: Annotated[
        str,
        StringConstraints(min_length=1, max_length=5000, pattern=r"\S"),
        Field(description="Plain text the customer reads; not blank."),
    ]
    client_nonce: Annotated[
        str,
        StringConstraints(max_length=64),
        Field(description="Sending the same nonce again returns the first message, not a second."),
    ] = ""
