"""Our own secure pay page: one payment, in its own window, under a strict CSP."""

from __future__ import annotations

from dataclasses import fields
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk.rendering import templates
from frontdesk.routes.portal import viewer
from frontdesk.services import payments
from frontdesk.services.payments import paypal_portal

# Only our files and the processor's, and no page may frame this one.
CSP = (
    "default-src 'self'; script-src 'self' {stripe}; frame-src {stripe}; "
    "connect-src 'self' {api}; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
# PayPal's script loads more of PayPal (its buttons' frames, images) from its other hosts.
PAYPAL_HOSTS = "https://*.paypal.com https://*.paypalobjects.com"


async def pay_page(request: Request) -> Response:
    settings = request.app.state.settings
    token, payment_id = request.query_params.get("t", ""), request.path_params["payment"]
    viewer.speak(request, None)  # a link that does not work is refused in the payer's language

    def render() -> Response:
        by_paypal = paypal_portal.for_pay_page(
            request.app.state.db,
            secret_keys=settings.secret_key,
            token=token,
            payment_id=payment_id,
        )
        if by_paypal is not None:
            return _paypal_page(request, by_paypal, token)
        shown = payments.for_pay_page(
            request.app.state.db,
            secret_keys=settings.secret_key,
            token=token,
            payment_id=payment_id,
            processor=request.app.state.processor,
        )
        context = {field.name: getattr(shown, field.name) for field in fields(shown)}
        context["publishable_key"] = settings.stripe_publishable_key
        context["stripe_js"] = settings.stripe_js_url
        context["paypal_sdk"] = ""
        stripe, api = settings.stripe_origins
        return _page(request, context, CSP.format(stripe=stripe, api=api))

    return await run_in_threadpool(render)


def _paypal_page(request: Request, shown: paypal_portal.PayPalPage, token: str) -> Response:
    """PayPal's buttons for the payment's order; our server captures when the payer approves."""
    sdk = paypal_portal.sdk_url(request.app.state.settings, shown.business)
    script = urlsplit(sdk)
    origin = f"{script.scheme}://{script.netloc}"
    hosts = f"{origin} {PAYPAL_HOSTS}" if origin == "https://www.paypal.com" else origin
    capture = request.url_for("pay_page_paypal", payment=shown.payment.id)
    context = {
        "business": shown.business,
        "customer": shown.customer,
        "payment": shown.payment,
        "client_secret": "",
        "publishable_key": "",
        "stripe_js": "",
        "paypal_sdk": sdk if shown.order_id else "",
        "paypal_order": shown.order_id,
        "paypal_capture": f"{capture}?t={token}",
    }
    response = _page(request, context, CSP.format(stripe=hosts, api=hosts))
    # PayPal's approval window reports back to this page through window.opener, which
    # "same-origin" would cut; windows this page did not open still cannot reach it.
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
    return response


def _page(request: Request, context: dict[str, Any], policy: str) -> Response:
    viewer.speak(request, context["business"], context["customer"])
    context["demo"] = request.app.state.settings.environment == "demo"
    response = templates.TemplateResponse(request, "pages/pay/page.html", context)
    response.headers["Content-Security-Policy"] = policy
    return response


async def pay_page_paypal(request: Request) -> Response:
    """The payer approved on this page: capture, and say how it went (JSON for pay-page.js)."""
    state = request.app.state

    def capture() -> Response:
        captured = paypal_portal.capture_on_pay_page(
            state.db,
            secret_keys=state.settings.secret_key,
            token=request.query_params.get("t", ""),
            payment_id=request.path_params["payment"],
            processor=state.paypal,
            now=state.clock(),
        )
        status = captured.payment.status
        return JSONResponse({"status": status, "message": captured.message})

    return await run_in_threadpool(capture)


routes = [
    Route("/pay/{payment}", pay_page, name="pay_page"),
    Route("/pay/{payment}/paypal", pay_page_paypal, methods=["POST"], name="pay_page_paypal"),
]
