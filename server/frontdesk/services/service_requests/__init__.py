"""Service requests: the customer asks for work in the portal, the business works the queue,
and every change the customer should know of goes on the request's public timeline.

Callers use this package's names (`service_requests.create(...)`); each lives in the module of
its side."""

from frontdesk.services.service_requests.asking import (
    Wanted,
    Window,
    cancel,
    comment_by_customer,
    create,
    get_for_customer,
    list_for_customer,
)
from frontdesk.services.service_requests.rules import (
    ADDRESS_FIELDS,
    LABELS,
    MAX_PHOTOS,
    MAX_WINDOWS,
    OPEN,
    PARTS,
    STAFF_MOVES,
    local_today,
)
from frontdesk.services.service_requests.working import (
    change_status,
    comment,
    for_estimate,
    get,
    photos,
    queue,
    timeline,
    to_estimate,
)

__all__ = [
    "ADDRESS_FIELDS",
    "LABELS",
    "MAX_PHOTOS",
    "MAX_WINDOWS",
    "OPEN",
    "PARTS",
    "STAFF_MOVES",
    "Wanted",
    "Window",
    "cancel",
    "change_status",
    "comment",
    "comment_by_customer",
    "create",
    "for_estimate",
    "get",
    "get_for_customer",
    "list_for_customer",
    "local_today",
    "photos",
    "queue",
    "timeline",
    "to_estimate",
]
