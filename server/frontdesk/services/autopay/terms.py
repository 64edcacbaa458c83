"""The business's terms for automatic payments, set by an owner in settings: whether customers may
turn them on, when an invoice is charged, the notice before and the retry days. Enrolments made
under older words keep them (the words agreed to are stored); new ones get the new words."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from frontdesk.models import Business
from frontdesk.services import audit
from frontdesk.services.autopay.schedule import CHARGE_ON
from frontdesk.services.errors import Invalid

MOST_NOTICE_DAYS = 14
MOST_RETRIES, LAST_RETRY_DAY = 5, 30


@dataclass(frozen=True)
class AutopayTerms:
    """The settings form as typed."""

    enabled: bool
    charge_on: str  # "due" or "issue"
    notice_days: str  # "3"; "0" for none
    retry_days: str  # "1, 3, 5"; "" for none


def _numbers(typed: str) -> list[int] | None:
    try:
        return [int(part) for part in typed.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        return None


def update(
    session: Session, business: Business, wanted: AutopayTerms, actor: audit.Actor
) -> list[str]:
    """Apply the terms; what changed (nothing is saved when a field is wrong)."""
    errors: dict[str, str] = {}
    if wanted.charge_on not in CHARGE_ON:
        errors["autopay_charge_on"] = "Choose when invoices are charged."
    notice = _numbers(wanted.notice_days)
    if notice is None or len(notice) > 1 or not all(0 <= n <= MOST_NOTICE_DAYS for n in notice):
        errors["autopay_notice_days"] = f"Enter a number of days from 0 to {MOST_NOTICE_DAYS}."
    retries = _numbers(wanted.retry_days)
    if (
        retries is None
        or len(set(retries)) > MOST_RETRIES
        or not all(1 <= day <= LAST_RETRY_DAY for day in retries)
    ):
        errors["autopay_retry_days"] = (
            f"List up to {MOST_RETRIES} days from 1 to {LAST_RETRY_DAY} after the first try, "
            "like 1, 3, 5."
        )
    if errors:
        raise Invalid("The automatic payment terms need fixing.", errors)
    values = {
        "autopay_enabled": wanted.enabled,
        "autopay_charge_on": wanted.charge_on,
        "autopay_notice_days": (notice or [0])[0],
        "autopay_retry_days": sorted(set(retries or [])),
    }
    changed = audit.assign(business, values)
    if changed:
        actor.record(
            session,
            business.id,
            "settings.autopay_changed",
            "business",
            business.id,
            changed=changed,
        )
    return changed
