"""The sandbox's HTTP side: Stripe's routes, keys, `Stripe-Account`, idempotency and webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from frontdesk.processors.sandbox import pages
from frontdesk.processors.sandbox.connect import access_revoked
from frontdesk.processors.sandbox.forms import decode
from frontdesk.processors.sandbox.store import PLATFORM, Store, StripeError
from frontdesk.standins import Deliveries

log = logging.getLogger("frontdesk.sandbox")
Handler = Callable[[Store, str, dict[str, Any], Request], dict[str, Any]]
# Endpoints the browser (Stripe.js) may call with the publishable key.
PUBLIC = {
    "payment_method_create",
    "payment_intent_confirm",
    "payment_intent_authenticate",
    "payment_intent_retrieve",
    "setup_intent_confirm",
    "setup_intent_authenticate",
    "setup_intent_retrieve",
}


def _public(obj: Any) -> Any:
    """What Stripe would show: the sandbox's own `_` fields stay inside."""
    if isinstance(obj, dict):
        return {k: _public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [_public(v) for v in obj]
    return obj


def bearer(request: Request) -> str:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return key if scheme.lower() == "bearer" else ""


def public_base(request: Request) -> str:
    """Where a browser reaches the sandbox: this request's origin and the sandbox's own mount
    (`/_stripe` in the demo). `request.base_url` would drop the mount: it is the outer app's."""
    root = request.scope.get("root_path", "")
    return str(request.url.replace(path=root, query="", fragment="")).rstrip("/")


def sign(secret: str, payload: bytes, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header, as Stripe computes it."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


class WebhookSender(Deliveries):
    """Delivers the store's events to one endpoint, signed, retrying a few times like Stripe."""

    def __init__(self, store: Store, url: str, secret: str, attempts: int = 5) -> None:
        super().__init__(store, attempts=attempts, first_wait=0.2, name="sandbox-webhooks")
        self.store, self.url, self.secret = store, url, secret

    def queued(self) -> list[dict[str, Any]]:
        return self.store.events

    def post(self, client: httpx.Client, item: dict[str, Any]) -> httpx.Response:
        payload = json.dumps(_public(item)).encode()
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": sign(self.secret, payload),
        }
        return client.post(self.url, content=payload, headers=headers)

    def describe(self, item: dict[str, Any]) -> str:
        return str(item["id"])


def create_app(
    *,
    secret_key: str,
    publishable_key: str,
    webhook_url: str = "",
    webhook_secret: str = "",
    store: Store | None = None,
) -> Starlette:
    state = store or Store()
    sender = WebhookSender(state, webhook_url, webhook_secret) if webhook_url else None

    def endpoint(name: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            key = bearer(request)
            allowed = {secret_key} | ({publishable_key} if name in PUBLIC else set())
            if key not in allowed:
                error = StripeError(401, "invalid_request_error", "Invalid API Key provided.")
                return JSONResponse(error.body, status_code=401)
            account = request.headers.get("stripe-account", PLATFORM)
            pairs = (
                list((await request.form()).multi_items())
                if request.method == "POST"
                else list(request.query_params.multi_items())
            )
            params = decode([(k, str(v)) for k, v in pairs])
            if key == publishable_key and "client_secret" in params:
                params["_client_secret"] = params.pop("client_secret")
            idempotency_key = (
                request.headers.get("idempotency-key") if request.method == "POST" else None
            )
            fingerprint = hashlib.sha256(
                f"{request.url.path}:{json.dumps(params, sort_keys=True)}".encode()
            ).hexdigest()

            def run() -> tuple[int, dict[str, Any]]:
                with state.lock:
                    # Unknown accounts are served as ever; one whose owner revoked access is not.
                    if state.revoked(account):
                        raise access_revoked(account, key)
                    if idempotency_key:
                        saved = state.idempotency.get((account, idempotency_key))
                        if saved:
                            if saved[0] != fingerprint:
                                raise StripeError(
                                    400,
                                    "idempotency_error",
                                    "Keys for idempotent requests can only be used with the same "
                                    "parameters they were first used with.",
                                )
                            return saved[1], saved[2]
                    try:
                        status, body = 200, _public(handler(state, account, params, request))
                    except StripeError as error:
                        status, body = error.status, _public(error.body)
                    if idempotency_key:
                        state.idempotency[(account, idempotency_key)] = (fingerprint, status, body)
                    if request.method == "POST":
                        state.save()
                    return status, body

            try:
                status, body = await run_in_threadpool(run)
            except StripeError as error:
                status, body = error.status, error.body
            headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
            return JSONResponse(body, status_code=status, headers=headers)

        return serve

    def client_secret_matches(
        store: Store, account: str, obj_id: str, params: dict[str, Any]
    ) -> None:
        # Publishable-key calls must show the intent's secret; the kind is in the id's prefix.
        kind = "setup_intent" if obj_id.startswith("seti_") else "payment_intent"
        secret = params.pop("_client_secret", None)
        if secret is not None and secret != store.get(account, kind, obj_id)["client_secret"]:
            raise StripeError(
                400, "invalid_request_error", "The client_secret provided does not match."
            )

    def confirm_setup(s: Store, a: str, p: dict[str, Any], r: Request) -> dict[str, Any]:
        client_secret_matches(s, a, r.path_params["id"], p)
        return s.confirm_setup(a, r.path_params["id"], p)

    def confirm(s: Store, a: str, p: dict[str, Any], r: Request) -> dict[str, Any]:
        pi_id = r.path_params["id"]
        client_secret_matches(s, a, pi_id, p)
        return s.confirm(a, pi_id, p, off_session=str(p.get("off_session", "")).lower() == "true")

    def authenticate(s: Store, a: str, p: dict[str, Any], r: Request) -> dict[str, Any]:
        client_secret_matches(s, a, r.path_params["id"], p)
        return s.authenticate(a, r.path_params["id"], p.get("result") == "pass")

    def retrieve_intent(s: Store, a: str, p: dict[str, Any], r: Request) -> dict[str, Any]:
        intent_id = r.path_params["id"]
        client_secret_matches(s, a, intent_id, p)
        kind = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
        return s.get(a, kind, intent_id)

    def list_events(s: Store, a: str, p: dict[str, Any], r: Request) -> dict[str, Any]:
        data = [e for e in reversed(s.events) if e.get("account", PLATFORM) == a]
        if p.get("type"):
            data = [e for e in data if e["type"] == p["type"]]
        limit = int(p.get("limit") or 10)
        return {
            "object": "list",
            "data": data[:limit],
            "has_more": len(data) > limit,
            "url": "/v1/events",
        }

    def list_of(kind: str, path: str) -> Handler:
        """Stripe's list: newest first, `created[gte]`, `limit` and `starting_after` pages."""

        def listing(s: Store, a: str, p: dict[str, Any], r: Request) -> dict[str, Any]:
            since = int((p.get("created") or {}).get("gte") or 0)
            data = sorted(
                (
                    obj
                    for (acct, _), obj in s.objects.items()
                    if acct == a and obj["object"] == kind and obj["created"] >= since
                ),
                key=lambda obj: (obj["created"], obj["id"]),
                reverse=True,
            )
            after = p.get("starting_after")
            if after:
                ids = [obj["id"] for obj in data]
                data = data[ids.index(after) + 1 :] if after in ids else []
            limit = min(int(p.get("limit") or 10), 100)
            return {
                "object": "list",
                "data": data[:limit],
                "has_more": len(data) > limit,
                "url": path,
            }

        return listing

    handlers: list[tuple[str, str, str, Handler]] = [
        ("POST", "/v1/customers", "customer_create", lambda s, a, p, r: s.create_customer(a, p)),
        (
            "GET",
            "/v1/customers/{id}",
            "customer_retrieve",
            lambda s, a, p, r: s.get(a, "customer", r.path_params["id"]),
        ),
        (
            "GET",
            "/v1/customers/{id}/payment_methods",
            "customer_payment_methods",
            lambda s, a, p, r: s.list_methods(a, r.path_params["id"]),
        ),
        (
            "POST",
            "/v1/payment_methods",
            "payment_method_create",
            lambda s, a, p, r: s.create_payment_method(a, p),
        ),
        (
            "GET",
            "/v1/payment_methods/{id}",
            "payment_method_retrieve",
            lambda s, a, p, r: s.payment_method(a, r.path_params["id"]),
        ),
        (
            "POST",
            "/v1/payment_methods/{id}/attach",
            "payment_method_attach",
            lambda s, a, p, r: s.attach(a, r.path_params["id"], p.get("customer", "")),
        ),
        (
            "POST",
            "/v1/payment_methods/{id}/detach",
            "payment_method_detach",
            lambda s, a, p, r: s.detach(a, r.path_params["id"]),
        ),
        (
            "POST",
            "/v1/payment_intents",
            "payment_intent_create",
            lambda s, a, p, r: s.create_payment_intent(a, p),
        ),
        ("GET", "/v1/payment_intents/{id}", "payment_intent_retrieve", retrieve_intent),
        ("POST", "/v1/payment_intents/{id}/confirm", "payment_intent_confirm", confirm),
        (
            "POST",
            "/v1/payment_intents/{id}/cancel",
            "payment_intent_cancel",
            lambda s, a, p, r: s.cancel(a, r.path_params["id"]),
        ),
        (
            "POST",
            "/v1/payment_intents/{id}/sandbox_authenticate",
            "payment_intent_authenticate",
            authenticate,
        ),
        (
            "POST",
            "/v1/setup_intents",
            "setup_intent_create",
            lambda s, a, p, r: s.create_setup_intent(a, p),
        ),
        ("GET", "/v1/setup_intents/{id}", "setup_intent_retrieve", retrieve_intent),
        ("POST", "/v1/setup_intents/{id}/confirm", "setup_intent_confirm", confirm_setup),
        (
            "POST",
            "/v1/setup_intents/{id}/sandbox_authenticate",
            "setup_intent_authenticate",
            authenticate,
        ),
        (
            "GET",
            "/v1/payment_intents",
            "payment_intent_list",
            list_of("payment_intent", "/v1/payment_intents"),
        ),
        ("POST", "/v1/refunds", "refund_create", lambda s, a, p, r: s.create_refund(a, p)),
        ("GET", "/v1/refunds", "refund_list", list_of("refund", "/v1/refunds")),
        ("GET", "/v1/events", "event_list", list_events),
        ("POST", "/v1/accounts", "account_create", lambda s, a, p, r: s.create_account(p)),
        (
            "GET",
            "/v1/accounts/{id}",
            "account_retrieve",
            lambda s, a, p, r: s.connected(r.path_params["id"], bearer(r)),
        ),
        (
            "POST",
            "/v1/account_links",
            "account_link_create",
            lambda s, a, p, r: s.create_account_link(p, base=public_base(r), key=bearer(r)),
        ),
        (
            "GET",
            "/v1/application_fees",
            "application_fee_list",
            list_of("application_fee", "/v1/application_fees"),
        ),
        # Stripe's OAuth lives on connect.stripe.com: stripe-python's "connect" base address.
        ("POST", "/oauth/token", "oauth_token", lambda s, a, p, r: s.exchange_code(p)),
        ("POST", "/oauth/deauthorize", "oauth_deauthorize", lambda s, a, p, r: s.deauthorize(p)),
    ]

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
        middleware=[
            # Stripe.js calls the API from the customer's page, as api.stripe.com allows.
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST"],
                allow_headers=["*"],
            )
        ],
        routes=[
            Mount("/v3", StaticFiles(directory=Path(__file__).parent / "static"), name="stripe_js"),
            *(
                Route(path, endpoint(name, handler), methods=[method], name=name)
                for method, path, name, handler in handlers
            ),
            *pages.routes(state),
        ],
        lifespan=lifespan,
    )
    app.state.store = state
    app.state.sender = sender
    return app
