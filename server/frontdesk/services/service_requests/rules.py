"""What a service request may hold and become: limits, statuses and their names, and the
checks every side shares."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from frontdesk.languages import N_, NC_, gettext
from frontdesk.models import (
    Business,
    ServiceRequestStatus,
)
from frontdesk.services import inputs

Status = ServiceRequestStatus
MAX_TEXT = 4000
MAX_REASON = 2000
MAX_WINDOWS = 3
MAX_PHOTOS = 5
# What the attachments store files a request's photos under.
OWNER_KIND = "service_request"
PARTS = {"morning": N_("Morning"), "afternoon": N_("Afternoon"), "any": N_("Any time")}
# What the business may move a request to; a request that is done, declined or cancelled is final.
OPEN = (Status.NEW, Status.SCHEDULED, Status.IN_PROGRESS)
STAFF_MOVES = (Status.SCHEDULED, Status.IN_PROGRESS, Status.DONE, Status.DECLINED)
LABELS = {
    Status.NEW: N_("New"),
    Status.SCHEDULED: N_("Scheduled"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.DONE: NC_("request", "Done"),
    Status.DECLINED: NC_("request", "Declined"),
    Status.CANCELLED: NC_("request", "Cancelled"),
}
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code", "country")
ADDRESS_LIMITS = {
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 2,
}
# Estimates made from a request are valid for as long as the dashboard's own drafts.
ESTIMATE_DAYS = 30


def local_today(business: Business, now: datetime) -> date:
    """`now` as a date where the business is: what "not in the past" means to its customers."""
    return now.astimezone(ZoneInfo(business.time_zone)).date()


def checked_text(text: str, name: str, errors: dict[str, str], *, empty: str, limit: int) -> str:
    """`text` without its outer spaces; what is wrong with it goes into `errors` under `name`."""
    cleaned = text.strip()
    if not cleaned:
        errors[name] = empty
    elif len(cleaned) > limit:
        errors[name] = gettext("Use at most %(limit)s characters (this has %(count)s).") % {
            "limit": inputs.number(limit),
            "count": inputs.number(len(cleaned)),
        }
    return cleaned
