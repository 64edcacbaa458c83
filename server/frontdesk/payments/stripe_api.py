"""The one place a Stripe client is made. Only the base address differs between real Stripe and
the local sandbox; every call goes through the official library either way."""

from __future__ import annotations

import stripe
from stripe._base_address import BaseAddresses

from frontdesk.settings import Settings


def client(settings: Settings) -> stripe.StripeClient:
    base: BaseAddresses | None = None
    if settings.stripe_api_base:
        base = {"api": settings.stripe_api_base}
    # stripe-python 16 treats None as zero retries; network retries reuse the idempotency key.
    return stripe.StripeClient(
        settings.stripe_secret_key, base_addresses=base, max_network_retries=2
    )
