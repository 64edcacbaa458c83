"""The business's PayPal account in its settings: the merchant id payments go to, and whether
customers are offered PayPal at all."""

from __future__ import annotations

import re

from sqlmodel import Session

from frontdesk.models import Business
from frontdesk.processors.paypal_standin.store import MERCHANT_ID as STANDIN_MERCHANT_ID
from frontdesk.services import audit
from frontdesk.services.errors import Invalid
from frontdesk.settings import PAYPAL_API_BASES, Settings

# PayPal's merchant ids ("payer ids" of business accounts) are 13 upper-case letters and digits.
MERCHANT_ID = re.compile(r"[A-Z0-9]{13}")


def standin_merchant(settings: Settings) -> str:
    """The local stand-in's merchant, offered in the settings when FRONTDESK_PAYPAL_BASE_URL
    points at it (never in production, where the base must be PayPal's own); "" otherwise."""
    base = settings.paypal_base_url.rstrip("/")
    if settings.environment == "production" or not base or base in PAYPAL_API_BASES:
        return ""
    return STANDIN_MERCHANT_ID


def configure(
    session: Session,
    business: Business,
    *,
    enabled: bool,
    merchant_id: str,
    actor: audit.Actor,
) -> bool:
    """Set the business's PayPal merchant id and whether PayPal is offered; whether that changed
    anything. Turning PayPal on needs a merchant id; an id may be kept while it is off."""
    cleaned = merchant_id.strip().upper()
    if cleaned and not MERCHANT_ID.fullmatch(cleaned):
        raise Invalid(
            "The PayPal merchant id needs fixing.",
            {
                "paypal_merchant_id": "A merchant id is 13 letters and digits, as PayPal shows "
                "it under Account settings, Business information."
            },
        )
    if enabled and not cleaned:
        raise Invalid(
            "PayPal needs your merchant id first.",
            {"paypal_merchant_id": "Enter your PayPal merchant id to take PayPal."},
        )
    wanted = (enabled, cleaned or None)
    if (business.paypal_enabled, business.paypal_merchant_id) == wanted:
        return False
    business.paypal_enabled, business.paypal_merchant_id = wanted
    actor.record(
        session,
        business.id,
        "settings.paypal_changed",
        "business",
        business.id,
        paypal_enabled=enabled,
        paypal_merchant_id=cleaned,
    )
    return True
