"""create_app(): routes, middleware, lifespan and the mapping of errors to responses."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path

from anyio import CapacityLimiter, to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from frontdesk import htmx, languages
from frontdesk.api.operations import problem
from frontdesk.business_cache import BusinessCache
from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.jobs import OutboxRunner
from frontdesk.languages import N_, gettext
from frontdesk.middleware.body_limit import BodyLimitMiddleware
from frontdesk.middleware.csrf import CSRFCookieMiddleware
from frontdesk.middleware.custom_domains import CustomDomainMiddleware
from frontdesk.middleware.forwarded import ForwardedMiddleware
from frontdesk.middleware.request_log import RequestLogMiddleware
from frontdesk.middleware.security_headers import SecurityHeadersMiddleware
from frontdesk.models import utcnow
from frontdesk.processors import Declined, ProcessorError, Refused
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.processors.sandbox import create_app as create_sandbox
from frontdesk.processors.sandbox.store import Store
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.resolver import DnsResolver
from frontdesk.routes import (
    api,
    attachments,
    dashboard,
    documents,
    domains,
    health,
    portal,
    texts,
    webhooks,
)
from frontdesk.routes.dashboard.sign_in import SignInLimits
from frontdesk.routes.portal.attempts import PaymentAttemptLimits
from frontdesk.routes.portal.sign_in import SignInLinkLimits
from frontdesk.services.errors import Forbidden, Invalid, NotFound, Unauthenticated
from frontdesk.services.links import Links
from frontdesk.services.rate_limits import Limit, Limiter
from frontdesk.settings import Settings
from frontdesk.urls import NamedRoutes

log = logging.getLogger("frontdesk.app")
STATIC_DIR = Path(__file__).parent / "static"


def _error(
    request: Request, status: int, message: str, fields: dict[str, str] | None = None
) -> Response:
    title = HTTPStatus(status).phrase
    if request.url.path.startswith("/api/"):
        return problem(status, title, message, fields)
    return htmx.render(
        request,
        page="pages/errors/error.html",
        fragment="fragments/errors/error.html",
        # The words in the reader's language (the page's title: fragments/errors/title.html).
        context={
            "title": title,
            "message": gettext(message) if message else message,
            "fields": fields or {},
            "status": status,
        },
        status_code=status,
    )


RETRY_AFTER_OUTAGE = 5  # seconds: the database is usually back within a few


async def _database_away(request: Request, exc: Exception) -> Response:
    # Logged once by the database itself when it goes and when it is back, not per request.
    response = _error(
        request,
        503,
        N_("We are briefly unavailable. Nothing was changed; please try again shortly."),
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_OUTAGE)
    return response


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(request, 404, N_("There is nothing here. The link may be old or mistyped."))


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Invalid)
    return _error(request, 422, exc.message, exc.fields)


async def _unauthenticated(request: Request, exc: Exception) -> Response:
    return _error(request, 401, str(exc) or N_("Please sign in."))


async def _forbidden(request: Request, exc: Exception) -> Response:
    return _error(request, 403, str(exc) or N_("You are not allowed to do that."))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return await _not_found(request, exc)
    return _error(request, exc.status_code, exc.detail, None)


async def _processor_error(request: Request, exc: Exception) -> Response:
    # Card declines are answered where payments are made; these reach here from elsewhere.
    log.warning("payment processor error on %s: %s", request.url.path, exc)
    if isinstance(exc, Declined):
        return _error(request, 402, f"The card was declined: {exc.message}")
    if isinstance(exc, Refused):
        return _error(request, 409, f"The payment processor refused this: {exc.message}")
    return _error(
        request,
        503,
        N_("We could not reach the payment processor. Nothing was charged; try again."),
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    # The traceback goes to our log, never to the client.
    log.error("unhandled error on %s", request.url.path, exc_info=exc)
    return _error(
        request, 500, N_("Something went wrong on our side. Please try again in a moment.")
    )


def create_app(settings: Settings, db: Database | None = None) -> Starlette:
    database = db or Database(settings.resolved_database_url, pool_size=settings.connections)
    if settings.catalogues:
        languages.add_catalogues(settings.catalogues)
    sandbox = None
    if settings.stripe_sandbox:
        settings = settings.with_sandbox()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        sandbox = create_sandbox(
            secret_key=settings.stripe_secret_key,
            publishable_key=settings.stripe_publishable_key,
            webhook_url=f"{settings.base_url}/webhooks/stripe",
            webhook_secret=settings.stripe_webhook_secret,
            store=Store.open(settings.sandbox_state),
        )
        log.warning("serving the Stripe sandbox at /_stripe: no real money moves")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Handlers are mostly CPU (Python): a few threads beat anyio's forty, which only take
        # turns at the GIL (bench/throughput.py shows the difference).
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        app.state.drawing = CapacityLimiter(settings.drawing_threads)  # routes/portal/frame.py
        runner = (
            OutboxRunner(
                database, settings, processor=app.state.processor, resolver=app.state.resolver
            )
            if settings.run_jobs
            else None
        )
        if runner:
            runner.start()
        # A mounted app's lifespan does not run, so the sandbox's webhook sender starts here.
        if sandbox:
            sandbox.state.sender.start()
        try:
            yield
        finally:
            if sandbox:
                sandbox.state.sender.stop()
            if runner:
                runner.stop()
            app.state.processor.close()
            if app.state.paypal:
                app.state.paypal.close()
            if db is None:
                database.dispose()

    app = Starlette(
        routes=[
            *health.routes,
            *portal.routes,
            *webhooks.routes,
            *texts.routes,
            *domains.routes,
            *attachments.routes,
            *documents.routes,
            Mount("/api/v1", routes=api.routes),
            Mount(
                "/dashboard",
                routes=dashboard.routes,
                middleware=[
                    Middleware(
                        CSRFCookieMiddleware, secure=settings.is_production, path="/dashboard"
                    )
                ],
            ),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
            *([Mount("/_stripe", app=sandbox, name="stripe_sandbox")] if sandbox else []),
        ],
        middleware=[
            # First, so every later part (the request log, limits, audit) sees the real client.
            Middleware(ForwardedMiddleware, trusted=settings.trusted_proxies),
            # Then a business's own address, which shows its hosted portal and nothing else.
            Middleware(CustomDomainMiddleware, platform_host=settings.platform_host),
            Middleware(RequestLogMiddleware),
            Middleware(BodyLimitMiddleware),
            Middleware(SecurityHeadersMiddleware, https=settings.base_url.startswith("https://")),
        ],
        exception_handlers={
            NotFound: _not_found,
            Invalid: _invalid,
            Forbidden: _forbidden,
            Unauthenticated: _unauthenticated,
            HTTPException: _http_error,
            ProcessorError: _processor_error,
            DatabaseUnavailable: _database_away,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.processor = StripeProcessor.from_settings(settings)
    # PayPal, when it is set up (processors/paypal.py); None otherwise.
    app.state.paypal = PayPalProcessor.from_settings(settings)
    app.state.links = Links.from_settings(settings)
    # What time it is, asked wherever a rule depends on it; tests move it instead of waiting.
    app.state.clock = utcnow
    # The business each portal request names, kept a few seconds (business_cache.py).
    app.state.businesses = BusinessCache(database, lambda: app.state.clock())
    # Who is asked about custom domains' DNS records; tests point it at their own server.
    app.state.resolver = DnsResolver(settings.dns_servers)
    # Shared by every worker and machine: the buckets live in the database.
    app.state.limiter = Limiter(database, lambda: app.state.clock())
    app.state.api_limit = Limit(
        "api", burst=settings.api_rate_burst, per_second=settings.api_rate_per_second
    )
    app.state.sign_in_limits = SignInLimits()
    app.state.sign_in_link_limits = SignInLinkLimits()
    app.state.payment_attempt_limits = PaymentAttemptLimits()
    # Templates link from the route table read once here (urls.py), not walked per link.
    app.state.named_routes = NamedRoutes(app.router)
    return app
