"""To-dos on a customer's account: the items people add and check off (items.py) and the ones
that close themselves when what they ask for happens (closing.py). Callers use this package's
names (`todos.create(...)`)."""

from frontdesk.services.todos.closing import close, reopen
from frontdesk.services.todos.items import (
    CLOSES,
    LINKABLE,
    OPEN_COUNT,
    READ_ONLY,
    SAVE_PAYMENT_METHOD,
    Board,
    TodoInput,
    board,
    check,
    completed_on,
    create,
    customer_may_change,
    delete,
    edit,
    get,
    linkable,
    related_numbers,
)

__all__ = [
    "CLOSES",
    "LINKABLE",
    "OPEN_COUNT",
    "READ_ONLY",
    "SAVE_PAYMENT_METHOD",
    "Board",
    "TodoInput",
    "board",
    "check",
    "close",
    "completed_on",
    "create",
    "customer_may_change",
    "delete",
    "edit",
    "get",
    "linkable",
    "related_numbers",
    "reopen",
]
