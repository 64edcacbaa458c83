"""The theme gallery's sample service requests, to-dos and messages: what the sample customer and
the business say to each other, built in memory and never saved (as services/gallery.py's
invoices and payments are)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from frontdesk.models import (
    AuthorKind,
    Business,
    Customer,
    Initiator,
    Invoice,
    Message,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceRequestStatus,
    Todo,
    TodoAssignee,
)
from frontdesk.services.service_requests import ADDRESS_FIELDS
from frontdesk.services.todos import SAVE_PAYMENT_METHOD, Board

Status = ServiceRequestStatus
WORK = "Spring clean-up of the back garden: beds weeded, leaves cleared and the lawn edged."
BOOKED = "Booked for Tuesday morning, between 8 and 10. Please leave the side gate unlocked."
STUMP = "Could you take out the old oak stump next to the shed?"
REASON = "Stump grinding needs a machine we don't have. Oakline Tree Care does it: 555 010 3300."
# Long enough to wrap at phone width, with a link in it, as the business's answers often are.
LONG_REPLY = (
    "Of course. We'll look at the sprinkler when we come on Tuesday, and if the valve needs "
    "replacing we'll bring one, so there is no second visit. Until then, switching that zone off "
    "at the controller stops the drip; this page shows where the switch is: "
    "https://example.com/help/sprinkler-zones-and-controllers. Anything else, just write here."
)
# Line breaks as the customer typed them: the thread keeps them.
LINES = (
    "Hi! Could the crew also look at the sprinkler by the front steps?\n"
    "It has dripped since Sunday.\n\nThanks,\nJordan"
)


@dataclass(frozen=True)
class Conversation:
    """One customer's requests (one with the business's replies, one declined), to-dos on both
    sides and done, and a thread with messages from both sides."""

    requests: list[ServiceRequest]  # newest first, as the list shows them
    replied: ServiceRequest
    replies: list[ServiceRequestEvent]
    declined: ServiceRequest
    decline: list[ServiceRequestEvent]
    board: Board
    numbers: dict[str, str]  # the linked invoice's number by its id, as todos.related_numbers
    messages: list[Message]  # oldest first, as the thread shows them


def conversation(
    business: Business, customer: Customer, today: date, linked: Invoice
) -> Conversation:
    """The sample conversation, dated around `today`; one to-do is about `linked`."""

    def request(number: str, days_ago: int, status: Status, **fields: Any) -> ServiceRequest:
        sent = _at(today - timedelta(days=days_ago))
        made = ServiceRequest(
            business_id=business.id,
            customer_id=customer.id,
            number=number,
            status=status,
            created_at=sent,
            updated_at=sent,
            **{"description": "Aerate and overseed the front lawn before summer.", **fields},
        )
        for name in ADDRESS_FIELDS:  # the profile's address, copied as a request "here" copies it
            setattr(made, name, getattr(customer, name))
        return made

    def day(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    replied = request(
        "REQ-1004",
        9,
        Status.IN_PROGRESS,
        description=WORK,
        preferred_windows=[{"date": day(-2), "part": "morning"}],
    )
    declined = request("REQ-1002", 45, Status.DECLINED, description=STUMP, decline_reason=REASON)
    fresh = request(
        "REQ-1005",
        1,
        Status.NEW,
        preferred_windows=[{"date": day(3), "part": "morning"}, {"date": day(4), "part": "any"}],
    )
    return Conversation(
        requests=[
            fresh,
            replied,
            request("REQ-1003", 30, Status.DONE),
            declined,
            request("REQ-1001", 60, Status.CANCELLED),
        ],
        replied=replied,
        replies=[
            _reply(replied, today - timedelta(days=8), "", "Thanks, Jordan. We can fit this in."),
            _reply(replied, today - timedelta(days=7), Status.SCHEDULED, BOOKED),
            _reply(replied, today, Status.IN_PROGRESS, "The crew is on site."),
        ],
        declined=declined,
        decline=[_reply(declined, today - timedelta(days=44), Status.DECLINED, REASON)],
        board=_board(business, customer, today, linked),
        numbers={linked.id: linked.number},
        messages=[
            _message(business, customer, today - timedelta(days=3), AuthorKind.CUSTOMER, LINES),
            _message(business, customer, today - timedelta(days=3), AuthorKind.STAFF, LONG_REPLY),
            _message(business, customer, today - timedelta(days=1), AuthorKind.CUSTOMER, "Thanks!"),
        ],
    )


def _at(day: date, hour: int = 15) -> datetime:
    return datetime.combine(day, time(hour, 30), tzinfo=UTC)


def _reply(request: ServiceRequest, day: date, status: str, text: str) -> ServiceRequestEvent:
    return ServiceRequestEvent(
        business_id=request.business_id,
        service_request_id=request.id,
        author_kind=Initiator.STAFF,
        status=status,
        text=text,
        created_at=_at(day),
    )


def _todo(business: Business, customer: Customer, title: str, **fields: Any) -> Todo:
    made = {"created_by_kind": Initiator.STAFF, **fields}
    return Todo(business_id=business.id, customer_id=customer.id, title=title, **made)


def _board(business: Business, customer: Customer, today: date, linked: Invoice) -> Board:
    """Ordered as todos.board orders them: open ones by due day, done ones newest first."""
    mine = {"created_by_kind": Initiator.CUSTOMER, "created_by_id": customer.id}
    automatic = {"created_by_kind": Initiator.SYSTEM, "completed_by_kind": Initiator.SYSTEM}
    return Board(
        for_you=[
            _todo(
                business,
                customer,
                "Send photos of the side gate",
                notes="So we can quote the new latch.",
                due_on=today - timedelta(days=3),
            ),
            _todo(
                business,
                customer,
                "Move the patio chairs",
                due_on=today + timedelta(days=3),
                **mine,
            ),
            _todo(
                business,
                customer,
                f"Pay invoice {linked.number}",
                due_on=linked.due_date,
                related_kind="invoice",
                related_id=linked.id,
                auto_rule=f"pay_invoice:{linked.id}",
                created_by_kind=Initiator.SYSTEM,
            ),
        ],
        by_office=[
            _todo(
                business,
                customer,
                "Order the replacement fence panels",
                assignee=TodoAssignee.BUSINESS,
                due_on=today + timedelta(days=7),
            ),
        ],
        done=[
            _todo(
                business,
                customer,
                "Choose a mulch colour",
                completed_at=_at(today - timedelta(days=2)),
                **{**mine, "completed_by_kind": Initiator.CUSTOMER},
            ),
            _todo(
                business,
                customer,
                "Save a card for automatic payments",
                auto_rule=SAVE_PAYMENT_METHOD,
                completed_at=_at(today - timedelta(days=5)),
                **automatic,
            ),
        ],
    )


def _message(
    business: Business, customer: Customer, day: date, author: AuthorKind, body: str
) -> Message:
    """Read by the other side already, so the customer's own show "Seen"."""
    at = _at(day, hour=14 if author == AuthorKind.CUSTOMER else 16)
    return Message(
        business_id=business.id,
        customer_id=customer.id,
        author_kind=author,
        body=body,
        client_nonce=f"sample-{day}-{author}",
        created_at=at,
        read_by_customer_at=at,
        read_by_staff_at=at,
    )
