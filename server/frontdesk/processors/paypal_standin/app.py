"""The stand-in's HTTP side: OAuth, PayPal's routes with PayPal-Request-Id, the signing
certificate, the JavaScript SDK stand-in and signed webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from frontdesk.processors.paypal_standin import pages
from frontdesk.processors.paypal_standin.state import (
    PayPalError,
    absolute,
    invalid,
    public,
    unprocessable,
)
from frontdesk.processors.paypal_standin.store import Store
from frontdesk.processors.paypal_webhooks import (
    ALGORITHM,
    CERT_PATH,
    STANDIN_ROOT_PATH,
    signed_message,
)
from frontdesk.standins import Deliveries

STATIC = Path(__file__).parent / "static"
# Handler: (store, JSON body, path parameters) -> (kind of object made or shown, its id); each
# route also names the status it answers with when it succeeds.
Handler = Callable[[Store, dict[str, Any], dict[str, str]], tuple[str, str]]


def shown(store: Store, kind: str, object_id: str) -> dict[str, Any]:
    """An object as the API shows it now."""
    if kind == "order":
        found = store.order(object_id)
    elif kind == "capture":
        found = store.capture_details(object_id)
    else:
        found = store.refunds[object_id]
    visible: dict[str, Any] = public(found)
    return visible


class WebhookSender(Deliveries):
    """Delivers the store's events to one listener, signed as PayPal signs them, retrying."""

    def __init__(self, store: Store, url: str, webhook_id: str, base_url: str) -> None:
        super().__init__(store, attempts=5, first_wait=0.2, name="paypal-standin-webhooks")
        self.store, self.url, self.webhook_id, self.base_url = store, url, webhook_id, base_url

    def queued(self) -> list[dict[str, Any]]:
        return self.store.events

    def post(self, client: httpx.Client, item: dict[str, Any]) -> httpx.Response:
        payload = json.dumps(absolute(item, self.base_url)).encode()
        signer = self.store.signing()
        transmission_id, when = str(uuid.uuid4()), self.store.stamp()
        message = signed_message(transmission_id, when, self.webhook_id, payload)
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": when,
            "PAYPAL-TRANSMISSION-SIG": signer.sign(message),
            "PAYPAL-CERT-URL": f"{self.base_url}{CERT_PATH}{signer.cert_id}",
            "PAYPAL-AUTH-ALGO": ALGORITHM,
            "PAYPAL-AUTH-VERSION": "v2",
        }
        return client.post(self.url, content=payload, headers=headers)

    def describe(self, item: dict[str, Any]) -> str:
        return f"{item['event_type']} {item['id']}"


def _authentication_failure() -> JSONResponse:
    body = {
        "name": "AUTHENTICATION_FAILURE",
        "message": "Authentication failed due to invalid authentication credentials or a missing "
        "Authorization header.",
        "links": [
            {
                "href": "https://developer.paypal.com/docs/api/overview/#error",
                "rel": "information_link",
            }
        ],
    }
    return JSONResponse(body, status_code=401)


def create_app(
    *,
    client_id: str,
    secret: str,
    base_url: str,
    webhook_url: str = "",
    webhook_id: str = "",
    store: Store | None = None,
) -> Starlette:
    """The stand-in for one REST app, reached by browsers and our server at `base_url`, posting
    its events to `webhook_url` (our PayPal webhook, registered as `webhook_id`)."""
    held = store or Store()
    base = base_url.rstrip("/")
    sender = WebhookSender(held, webhook_url, webhook_id, base) if webhook_url else None

    async def oauth_token(request: Request) -> Response:
        pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        form = await request.form()
        if not hmac.compare_digest(request.headers.get("authorization", ""), f"Basic {pair}"):
            body = {"error": "invalid_client", "error_description": "Client Authentication failed"}
            return JSONResponse(body, status_code=401)
        if form.get("grant_type") != "client_credentials":
            body = {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}
            return JSONResponse(body, status_code=400)
        return JSONResponse(await _locked(held, held.issue_token, save=True))

    def endpoint(
        name: str, handler: Handler, success: int
    ) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not held.token_valid(token):
                return _authentication_failure()
            raw = await request.body() if request.method == "POST" else b""
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                body = None
            request_id = request.headers.get("paypal-request-id", "")
            params = dict(request.path_params)

            def run() -> tuple[int, dict[str, Any]]:
                if not isinstance(body, dict):
                    raise invalid("MALFORMED_REQUEST_JSON", "The request JSON is not well formed.")
                fingerprint = hashlib.sha256(
                    f"{request.url.path} {json.dumps(body, sort_keys=True)}".encode()
                ).hexdigest()
                remembered = f"{name} {request_id}"
                if request_id and remembered in held.requests:
                    first, status, kind, object_id = held.requests[remembered]
                    if first != fingerprint:
                        raise unprocessable(
                            "PAYPAL_REQUEST_ID_PREVIOUSLY_USED",
                            "The PayPal-Request-Id has already been used for another request.",
                        )
                    return status, shown(held, kind, object_id)
                kind, object_id = handler(held, body, params)
                # Only what succeeded is remembered: after a decline the payer may approve with
                # another funding source, and the same capture request then goes through.
                if request_id and request.method == "POST":
                    held.requests[remembered] = [fingerprint, success, kind, object_id]
                return success, shown(held, kind, object_id)

            try:
                status, answer = await _locked(held, run, save=request.method == "POST")
            except PayPalError as error:
                status, answer = error.status, error.body
            headers = {"Paypal-Debug-Id": secrets.token_hex(7)}
            return JSONResponse(absolute(answer, base), status_code=status, headers=headers)

        return serve

    handlers: list[tuple[str, str, str, Handler, int]] = [
        (
            "POST",
            "/v2/checkout/orders",
            "orders_create",
            lambda s, b, p: ("order", s.create_order(b)["id"]),
            201,
        ),
        (
            "GET",
            "/v2/checkout/orders/{id}",
            "orders_get",
            lambda s, b, p: ("order", s.order(p["id"])["id"]),
            200,
        ),
        (
            "POST",
            "/v2/checkout/orders/{id}/capture",
            "orders_capture",
            lambda s, b, p: ("order", s.capture(p["id"])["id"]),
            201,
        ),
        (
            "GET",
            "/v2/payments/captures/{id}",
            "captures_get",
            lambda s, b, p: ("capture", s.capture_details(p["id"])["id"]),
            200,
        ),
        (
            "POST",
            "/v2/payments/captures/{id}/refund",
            "captures_refund",
            lambda s, b, p: ("refund", s.refund(p["id"], b)["id"]),
            201,
        ),
    ]

    async def certificate(request: Request) -> Response:
        signer = await _locked(held, held.signing, save=True)
        if request.path_params["cert_id"] != signer.cert_id:
            return Response("Not found", status_code=404)
        return Response(signer.cert, media_type="application/x-pem-file")

    async def root_certificate(request: Request) -> Response:
        signer = await _locked(held, held.signing, save=True)
        return Response(signer.root, media_type="application/x-pem-file")

    async def sdk(request: Request) -> Response:
        return FileResponse(STATIC / "paypal.js", media_type="text/javascript")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if sender:
            sender.start()
        try:
            yield
        finally:
            if sender:
                sender.stop()

    app = Starlette(
        routes=[
            Route("/v1/oauth2/token", oauth_token, methods=["POST"], name="oauth_token"),
            *(
                Route(path, endpoint(name, handler, success), methods=[method], name=name)
                for method, path, name, handler, success in handlers
            ),
            Route(CERT_PATH + "{cert_id}", certificate, name="certificate"),
            Route(STANDIN_ROOT_PATH, root_certificate, name="root_certificate"),
            Route("/sdk/js", sdk, name="sdk"),
            Mount("/sdk/static", StaticFiles(directory=STATIC), name="static"),
            *pages.routes(held),
        ],
        lifespan=lifespan,
    )
    app.state.store = held
    return app


async def _locked(store: Store, work: Callable[[], Any], *, save: bool = False) -> Any:
    def run() -> Any:
        with store.lock:
            try:
                return work()
            finally:
                if save:
                    store.save()

    return await run_in_threadpool(run)
