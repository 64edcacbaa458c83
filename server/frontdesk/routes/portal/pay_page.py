"""Our own secure pay page: one payment, in its own window, under a strict CSP."""

from __future__ import annotations

from dataclasses import fields

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.rendering import templates
from frontdesk.services import payments

# Only our files and Stripe's, and no page may frame this one.
CSP = (
    "default-src 'self'; script-src 'self' {stripe}; frame-src {stripe}; "
    "connect-src 'self' {api}; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


async def pay_page(request: Request) -> Response:
    settings = request.app.state.settings

    def render() -> Response:
        shown = payments.for_pay_page(
            request.app.state.db,
            secret_keys=settings.secret_key,
            token=request.query_params.get("t", ""),
            payment_id=request.path_params["payment"],
            processor=request.app.state.processor,
        )
        context = {field.name: getattr(shown, field.name) for field in fields(shown)}
        context["publishable_key"] = settings.stripe_publishable_key
        context["stripe_js"] = settings.stripe_js_url
        context["demo"] = settings.environment == "demo"
        response = templates.TemplateResponse(request, "pages/pay/page.html", context)
        stripe, api = settings.stripe_origins
        response.headers["Content-Security-Policy"] = CSP.format(stripe=stripe, api=api)
        return response

    return await run_in_threadpool(render)


routes = [Route("/pay/{payment}", pay_page, name="pay_page")]
