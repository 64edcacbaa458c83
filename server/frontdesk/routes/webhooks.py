"""Webhooks from the payment processors (Stripe, PayPal): verified on the raw body, applied once
per event."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk.processors import BadSignature, Unavailable
from frontdesk.services import processor_events
from frontdesk.services.payments import paypal as paypal_payments
from frontdesk.services.processor_events import Outcome

log = logging.getLogger("frontdesk.webhooks")


async def webhooks_stripe(request: Request) -> Response:
    processor = request.app.state.processor
    payload = await request.body()
    try:
        event = processor.verify_event(payload, request.headers.get("stripe-signature", ""))
    except Unavailable:
        log.error("a Stripe webhook arrived but FRONTDESK_STRIPE_WEBHOOK_SECRET is not set")
        return JSONResponse({"error": "webhooks are not configured"}, status_code=503)
    except BadSignature as bad:
        log.warning("refused a Stripe webhook: %s", bad)
        return JSONResponse({"error": "bad signature"}, status_code=400)

    def apply() -> Response:
        outcome = processor_events.record_and_apply(request.app.state.db, event, processor)
        if outcome in (Outcome.UNKNOWN_ACCOUNT, Outcome.REFUSED):
            return JSONResponse({"error": f"event {outcome.replace('_', ' ')}"}, status_code=400)
        return JSONResponse({"received": True, "duplicate": outcome == Outcome.DUPLICATE})

    return await run_in_threadpool(apply)


async def webhooks_paypal(request: Request) -> Response:
    paypal = request.app.state.paypal
    if paypal is None:
        return JSONResponse({"error": "PayPal is not configured"}, status_code=503)
    payload, clock = await request.body(), request.app.state.clock

    def apply() -> Response:
        # Verifying may fetch PayPal's certificate: a blocking call, kept off the event loop.
        try:
            event = paypal.verify_event(payload, request.headers, now=clock())
        except Unavailable as away:
            log.error("a PayPal webhook could not be verified now: %s", away)
            return JSONResponse({"error": "try again later"}, status_code=503)
        except BadSignature as bad:
            log.warning("refused a PayPal webhook: %s", bad)
            return JSONResponse({"error": "bad signature"}, status_code=400)
        outcome = paypal_payments.on_event(request.app.state.db, event, paypal)
        if outcome in (Outcome.UNKNOWN_ACCOUNT, Outcome.REFUSED):
            return JSONResponse({"error": f"event {outcome.replace('_', ' ')}"}, status_code=400)
        return JSONResponse({"received": True, "duplicate": outcome == Outcome.DUPLICATE})

    return await run_in_threadpool(apply)


routes = [
    Route("/webhooks/stripe", webhooks_stripe, methods=["POST"], name="webhooks_stripe"),
    Route("/webhooks/paypal", webhooks_paypal, methods=["POST"], name="webhooks_paypal"),
]
