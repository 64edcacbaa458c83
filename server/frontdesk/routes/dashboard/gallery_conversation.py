"""The theme gallery's states of what the customer and the business say to each other: service
requests, to-dos and messages, each drawn by its portal route's own context builder on the samples
of services/gallery_conversation.py (gallery.py lists them with the other states)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from starlette.datastructures import FormData

from frontdesk.models import Business
from frontdesk.routes.portal import messages, service_requests, todos
from frontdesk.services.gallery import Samples
from frontdesk.services.todos import Board

# What services/service_requests/asking.py says of the form _typed() fills in.
PROBLEMS = {
    "address_line1": "Enter the street address.",
    "country": "Use the two-letter country code, like US or GB.",
    "windows": "Preferred dates cannot be in the past.",
}


def _typed(today: date) -> FormData:
    """A request as a customer sends it with mistakes: another address half typed, and a day
    gone by among the preferred times."""
    return FormData(
        [
            ("description", "Two fence panels came loose in the storm. Could someone fix them?"),
            ("address", "other"),
            ("address_line1", ""),
            ("city", "Portland"),
            ("postal_code", "97205"),
            ("country", "USA"),
            ("window_date", (today - timedelta(days=1)).isoformat()),
            ("window_part", "morning"),
            ("window_date", (today + timedelta(days=2)).isoformat()),
            ("window_part", "afternoon"),
        ]
    )


def requests(business: Business, s: Samples) -> dict[str, Any]:
    return service_requests.list_shown(s.conversation.requests)


def no_requests(business: Business, s: Samples) -> dict[str, Any]:
    return service_requests.list_shown([])


def request_form(business: Business, s: Samples) -> dict[str, Any]:
    return service_requests.form_shown()


def request_problems(business: Business, s: Samples) -> dict[str, Any]:
    return service_requests.form_shown(_typed(s.today), PROBLEMS)


# The samples have no photos: a photo's link would need a stored file behind it.
def request_replied(business: Business, s: Samples) -> dict[str, Any]:
    return service_requests.detail_shown(s.conversation.replied, [], s.conversation.replies)


def request_declined(business: Business, s: Samples) -> dict[str, Any]:
    return service_requests.detail_shown(s.conversation.declined, [], s.conversation.decline)


def todo_board(business: Business, s: Samples) -> dict[str, Any]:
    return todos.board_shown(business, s.conversation.board, s.conversation.numbers)


def no_todos(business: Business, s: Samples) -> dict[str, Any]:
    return todos.board_shown(business, Board([], [], []), {})


def thread(business: Business, s: Samples) -> dict[str, Any]:
    shown = messages.thread_shown(business, s.conversation.messages, {}, None)
    return {**shown, **messages.composer()}


def no_thread(business: Business, s: Samples) -> dict[str, Any]:
    return {**messages.thread_shown(business, [], {}, None), **messages.composer()}
