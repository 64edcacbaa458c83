"""Webhooks from the payment processor: verified on the raw body, applied once per event."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk.processors import BadSignature, Unavailable
from frontdesk.services import processor_events
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


routes = [Route("/webhooks/stripe", webhooks_stripe, methods=["POST"], name="webhooks_stripe")]
