"""Webhooks from the payment processor: verified on the raw body, applied once per event."""

from __future__ import annotations

import logging
import time

import stripe
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk.payments import stripe_api
from frontdesk.services import processor_events
from frontdesk.services.processor_events import Outcome

log = logging.getLogger("frontdesk.webhooks")
TOLERANCE = 300  # seconds, either way: stripe-python only refuses old timestamps, not future ones


def _future_dated(signature: str) -> bool:
    stamps = [part[2:] for part in signature.split(",") if part.startswith("t=")]
    return not stamps or not stamps[0].isdigit() or int(stamps[0]) > time.time() + TOLERANCE


async def webhooks_stripe(request: Request) -> Response:
    settings = request.app.state.settings
    if not settings.stripe_webhook_secret:
        log.error("a Stripe webhook arrived but FRONTDESK_STRIPE_WEBHOOK_SECRET is not set")
        return JSONResponse({"error": "webhooks are not configured"}, status_code=503)
    payload = await request.body()
    signature = request.headers.get("stripe-signature", "")
    if _future_dated(signature):
        log.warning("refused a Stripe webhook signed in the future")
        return JSONResponse({"error": "bad signature"}, status_code=400)
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.stripe_webhook_secret, TOLERANCE
        )
    except (stripe.SignatureVerificationError, ValueError):
        log.warning("refused a Stripe webhook with a bad signature")
        return JSONResponse({"error": "bad signature"}, status_code=400)

    def apply() -> Response:
        outcome = processor_events.record_and_apply(
            request.app.state.db, event.to_dict(), stripe_api.client(settings)
        )
        if outcome in (Outcome.UNKNOWN_ACCOUNT, Outcome.REFUSED):
            return JSONResponse({"error": f"event {outcome.replace('_', ' ')}"}, status_code=400)
        return JSONResponse({"received": True, "duplicate": outcome == Outcome.DUPLICATE})

    return await run_in_threadpool(apply)


routes = [Route("/webhooks/stripe", webhooks_stripe, methods=["POST"], name="webhooks_stripe")]
