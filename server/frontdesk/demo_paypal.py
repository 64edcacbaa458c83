"""The demo's PayPal: credentials for the local stand-in (derived from the demo's own key, like
the Stripe sandbox's) and the demo business taking PayPal into the stand-in's merchant."""

from __future__ import annotations

import hmac

from frontdesk.db import Database
from frontdesk.models import Business
from frontdesk.processors.paypal_standin.store import MERCHANT_ID


def credentials(secret_keys: tuple[str, ...]) -> tuple[str, str, str]:
    """The stand-in's client id, secret and webhook id: stable across restarts, different on
    every installation, known to no one else."""

    def derive(purpose: str) -> str:
        return hmac.new(secret_keys[0].encode(), purpose.encode(), "sha256").hexdigest()[:32]

    return (
        f"standin-{derive('paypal-standin-client')}",
        derive("paypal-standin-secret"),
        derive("paypal-standin-webhook")[:17].upper(),
    )


def enable(db: Database, business: Business) -> None:
    """PayPal on for the demo business, into the stand-in's merchant, while no merchant id is
    set: an owner who changed it, or turned PayPal off, keeps that across restarts."""
    with db.session(business.id) as session:
        found = session.get(Business, business.id)
        assert found is not None
        if found.paypal_merchant_id is None:
            found.paypal_enabled, found.paypal_merchant_id = True, MERCHANT_ID
