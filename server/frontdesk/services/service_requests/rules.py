"""What a service request may hold and become: limits, statuses and their names, and the
checks every side shares."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from frontdesk.models import (
    Business,
    ServiceRequestStatus,
)

Status = ServiceRequestStatus
MAX_TEXT = 4000
MAX_REASON = 2000
MAX_WINDOWS = 3
MAX_PHOTOS = 5
# What the attachments store files a request's photos under.
OWNER_KIND = "service_request"
PARTS = {"morning": "Morning", "afternoon": "Afternoon", "any": "Any time"}
# What the business may move a request to; a request that is done, declined or cancelled is final.
OPEN = (Status.NEW, Status.SCHEDULED, Status.IN_PROGRESS)
STAFF_MOVES = (Status.SCHEDULED, Status.IN_PROGRESS, Status.DONE, Status.DECLINED)
LABELS = {
    Status.NEW: "New",
    Status.SCHEDULED: "Scheduled",
    Status.IN_PROGRESS: "In progress",
    Status.DONE: "Done",
    Status.DECLINED: "Declined",
    Status.CANCELLED: "Cancelled",
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
        errors[name] = f"Use at most {limit:,} characters (this has {len(cleaned):,})."
    return cleaned
