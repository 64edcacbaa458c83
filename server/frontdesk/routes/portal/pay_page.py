"""Our own secure pay page: one payment, in its own window, under a strict CSP."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import tokens
from frontdesk.rendering import templates
from frontdesk.services import businesses, customers, payments
from frontdesk.services.errors import NotFound
from frontdesk.tokens import InvalidToken, Purpose


async def pay_page(request: Request) -> Response:
    settings = request.app.state.settings

    def render() -> Response:
        try:
            claims = tokens.read(
                settings.secret_key, Purpose.PAY_PAGE, request.query_params.get("t", "")
            )
        except InvalidToken:
            raise NotFound("this payment link has expired") from None
        payment_id = request.path_params["payment"]
        if claims.extra.get("p") != payment_id:
            raise NotFound("no such payment")
        with request.app.state.db.session(claims.business_id) as session:
            business = businesses.get(session, claims.business_id)
            try:
                customer = customers.for_token(session, business=business, claims=claims)
            except InvalidToken:
                raise NotFound("no such payment") from None
            payment, client_secret = payments.waiting(
                session,
                business=business,
                customer=customer,
                payment_id=payment_id,
                processor=request.app.state.processor,
            )
        response = templates.TemplateResponse(
            request,
            "pages/pay/page.html",
            {
                "business": business,
                "customer": customer,
                "payment": payment,
                "client_secret": client_secret,
                "publishable_key": settings.stripe_publishable_key,
                "stripe_js": settings.stripe_js_url,
                "demo": settings.environment == "demo",
            },
        )
        stripe_origin, api_origin = settings.stripe_origins
        # Only our files and Stripe's, and no page may frame this one.
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' {stripe_origin}; frame-src {stripe_origin}; "
            f"connect-src 'self' {api_origin}; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
        )
        return response

    return await run_in_threadpool(render)


routes = [Route("/pay/{payment}", pay_page, name="pay_page")]
