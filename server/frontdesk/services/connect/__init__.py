"""A business's own account at the payment processor: setting one up (or linking one it has),
its state in words, keeping that state current, and disconnecting. The platform's fee on each
charge is `payments.fees`.

Callers use this package's names (`connect.start(...)`); each lives in the module of its seam.
"""

from frontdesk.services.connect.account import (
    ACCOUNT_EVENTS,
    Status,
    check,
    disconnect,
    made_on,
    on_event,
    refresh,
    status,
)
from frontdesk.services.connect.onboarding import (
    KINDS,
    again,
    authorize_url,
    linked,
    returned,
    start,
    state_token,
)

__all__ = [
    "ACCOUNT_EVENTS",
    "KINDS",
    "Status",
    "again",
    "authorize_url",
    "check",
    "disconnect",
    "linked",
    "made_on",
    "on_event",
    "refresh",
    "returned",
    "start",
    "state_token",
    "status",
]
