"""Webhooks from the SMS provider: replies from customers' phones (STOP, START, anything else)
and its reports on texts we sent. Each is verified by its X-Twilio-Signature, computed over the
address the provider posted to: our configured base address, as the provider knows it (behind a
proxy the request's own host may differ)."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.services import texts
from frontdesk.texts.provider import verify

log = logging.getLogger("frontdesk.webhooks")
# What Twilio expects back from a messaging webhook: TwiML that sends no reply of its own (the
# provider answers STOP and START itself).
NO_REPLY = "<Response/>"


async def _verified(request: Request) -> dict[str, str] | Response:
    """The posted parameters when the provider signed them, else the answer that refuses them."""
    settings = request.app.state.settings
    if not settings.sms_ready:
        return Response("Texts are not set up here.", status_code=404)
    form = await request.form()
    params = [(name, str(value)) for name, value in form.multi_items()]
    query = f"?{request.url.query}" if request.url.query else ""
    url = f"{settings.base_url}{request.url.path}{query}"
    if not verify(
        settings.sms_auth_token, url, params, request.headers.get("x-twilio-signature", "")
    ):
        log.warning("refused a texts webhook without a good signature")
        return Response("Bad signature.", status_code=403)
    return dict(params)


async def texts_inbound(request: Request) -> Response:
    params = await _verified(request)
    if isinstance(params, Response):
        return params
    reply = texts.Reply(
        sender=params.get("From", ""),
        to=params.get("To", ""),
        body=params.get("Body", ""),
        sid=params.get("MessageSid", ""),
    )
    await run_in_threadpool(texts.receive, request.app.state.db, reply, request.app.state.clock())
    return Response(NO_REPLY, media_type="text/xml")


async def texts_status(request: Request) -> Response:
    params = await _verified(request)
    if isinstance(params, Response):
        return params
    known = await run_in_threadpool(
        lambda: texts.report(
            request.app.state.db,
            sid=params.get("MessageSid", ""),
            status=params.get("MessageStatus", ""),
            error_code=params.get("ErrorCode", ""),
        )
    )
    # Unknown yet (we have not recorded the provider's id): it posts the report again.
    return Response(status_code=204 if known else 404)


routes = [
    Route("/webhooks/texts", texts_inbound, methods=["POST"], name="texts_inbound"),
    Route("/webhooks/texts/status", texts_status, methods=["POST"], name="texts_status"),
]
