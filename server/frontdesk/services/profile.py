"""The customer's own details, as they change them in the portal: the checks, the audit record,
the host page's and the owners' notices, and the words they agree to texts by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from frontdesk.languages import N_, gettext
from frontdesk.models import Business, Customer, utcnow
from frontdesk.services import audit, customers, events, outbox
from frontdesk.services.errors import Invalid

SMS_CONSENT_TEXT = N_(
    "Send me appointment and payment reminders by text message from {business}. Message and data "
    "rates may apply. Reply STOP to opt out."
)


def sms_consent_text(business: Business) -> str:
    """The words a customer agrees to texts by, in their language (shown, then kept)."""
    return gettext(SMS_CONSENT_TEXT).format(business=business.name)


_PHONE = re.compile(r"^\+?[0-9 ().-]{7,25}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
PROFILE_FIELDS = (
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)
_LIMITS = {
    "email": 320,
    "phone": 40,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 2,
}


@dataclass(frozen=True)
class ProfileInput:
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    sms_consent: bool


def _profile_errors(profile: ProfileInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not customers.EMAIL_PATTERN.match(profile.email):
        errors["email"] = gettext("Enter an email address like name@example.com.")
    if profile.phone and not _PHONE.match(profile.phone):
        errors["phone"] = gettext("Enter a phone number with 7 to 15 digits, like +1 555 010 2200.")
    if profile.sms_consent and not profile.phone:
        errors["phone"] = gettext("Add a mobile number to receive text reminders.")
    for field, missing in (
        ("address_line1", N_("Enter your street address.")),
        ("city", N_("Enter your city.")),
        ("postal_code", N_("Enter your postal code.")),
    ):
        if not getattr(profile, field):
            errors[field] = gettext(missing)
    if not _COUNTRY.match(profile.country):
        errors["country"] = gettext("Use the two-letter country code, like US or GB.")
    for field, limit in _LIMITS.items():
        if len(getattr(profile, field)) > limit and field not in errors:
            errors[field] = gettext("Use at most %(limit)s characters.") % {"limit": limit}
    return errors


def update_profile(
    session: Session, *, business: Business, customer: Customer, profile: ProfileInput, ip: str
) -> dict[str, list[object]]:
    """Apply the customer's own changes; returns what changed (field: [before, after])."""
    text = {field: " ".join(str(getattr(profile, field)).split()) for field in PROFILE_FIELDS}
    text["email"], text["country"] = text["email"].lower(), text["country"].upper()
    cleaned = ProfileInput(**text, sms_consent=profile.sms_consent)
    errors = _profile_errors(cleaned)
    if errors:
        raise Invalid(gettext("Please fix the highlighted fields."), errors)
    changes: dict[str, list[object]] = {}
    for field in (*PROFILE_FIELDS, "sms_consent"):
        before, after = getattr(customer, field), getattr(cleaned, field)
        if before != after:
            changes[field] = [before, after]
            setattr(customer, field, after)
    if "sms_consent" in changes:
        customer.sms_consent_text = sms_consent_text(business) if cleaned.sms_consent else ""
        customer.sms_consent_at = utcnow() if cleaned.sms_consent else None
    if not changes:
        return changes
    audit.record(
        session,
        business=business,
        actor_type="customer",
        actor_id=customer.id,
        action="customer.profile_updated",
        target_type="customer",
        target_id=customer.id,
        detail={"changes": changes, "sms_consent_text": customer.sms_consent_text},
        ip=ip,
    )
    customers.announce(session, business, customer, sorted(changes), by="customer")
    with outbox.in_house():
        events.email_owners(
            session,
            business=business,
            subject=f"{customer.name} updated their details",
            text=f"{customer.name} changed: {', '.join(sorted(changes))}. "
            "See the customer's page for the details.",
        )
    return changes
