"""Webhooks from the payment processor: verified on the raw body, applied once per event."""

from __future__ import annotations

import logging
import time

import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk.models import Business, ProcessorEvent
from frontdesk.payments import stripe_api
from frontdesk.services import payments

log = logging.getLogger("frontdesk.webhooks")
TOLERANCE = 300  # seconds, either way: stripe-python only refuses old timestamps, not future ones
INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
}


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
        db = request.app.state.db
        with db.unscoped("a webhook names a connected account, not a business") as session:
            business = session.exec(
                select(Business).where(
                    Business.processor_account == getattr(event, "account", None)
                )
            ).first()
        if business is None:
            log.warning("refused event %s for an unknown account", event.id)
            return JSONResponse({"error": "unknown account"}, status_code=400)
        try:
            with db.session(business.id) as session:
                if session.get(ProcessorEvent, event.id) is not None:
                    return JSONResponse({"received": True, "duplicate": True})
                session.add(
                    ProcessorEvent(
                        id=event.id,
                        business_id=business.id,
                        type=event.type,
                        payload=event.to_dict(),
                    )
                )
                if event.type in INTENT_EVENTS:
                    payments.apply_intent(
                        session,
                        business=business,
                        intent=event.data.object.to_dict(),
                        client=stripe_api.client(settings),
                    )
        except IntegrityError:
            return JSONResponse({"received": True, "duplicate": True})  # a concurrent copy won
        except payments.Refused as refused:
            log.warning("refused event %s: %s", event.id, refused)
            return JSONResponse({"error": "event does not match our records"}, status_code=400)
        return JSONResponse({"received": True})

    return await run_in_threadpool(apply)


routes = [Route("/webhooks/stripe", webhooks_stripe, methods=["POST"], name="webhooks_stripe")]
