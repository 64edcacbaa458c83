"""The customer portal's entry points: the session exchange (shell and deep links), home,
downloads, the stylesheet, the widget script and the hosted page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from frontdesk.models import Business, Customer
from frontdesk.processors import Processor
from frontdesk.rendering import templates
from frontdesk.routes import estimates as estimate_routes
from frontdesk.routes import invoices as invoice_routes
from frontdesk.routes import pay as pay_routes
from frontdesk.routes import pay_page, visits
from frontdesk.routes import payments as payment_routes
from frontdesk.routes import profile as profile_routes
from frontdesk.services import businesses, customers, documents, portal, sign_in, themes
from frontdesk.services.errors import NotFound
from frontdesk.services.rate_limits import Limit, Limited
from frontdesk.settings import Settings
from frontdesk.tokens import InvalidToken

WIDGET_BUNDLE = Path(__file__).resolve().parents[3] / "widget" / "dist" / "frontdesk.min.js"


PORTAL_SIGN_IN_EMAIL = Limit("portal-sign-in-email", burst=3, per_second=1 / 300)
PORTAL_SIGN_IN_IP = Limit("portal-sign-in-ip", burst=20, per_second=0.2)


@dataclass(frozen=True)
class SignInLinkLimits:
    """Emailed sign-ins: three per address, then one every five minutes; twenty per client."""

    by_email: Limit = PORTAL_SIGN_IN_EMAIL
    by_ip: Limit = PORTAL_SIGN_IN_IP


@dataclass(frozen=True)
class Place:
    """Where a deep link (#invoice/INV-1042, #estimates, ...) opens the portal."""

    template: str
    build: visits.Build
    section: str | None


def home_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    today = businesses.today(business)
    return {
        "home": portal.home(session, business=business, customer=customer, today=today),
        "current": "home",
    }


def _place(link: str, settings: Settings, processor: Processor) -> Place:
    name, _, argument = link.partition("/")
    if name == "invoice" and argument:
        return Place(
            "fragments/invoices/detail.html", invoice_routes.detail_context(argument), "invoices"
        )
    if name == "complete" and argument:
        return Place(
            "fragments/pay/charged.html",
            pay_routes.complete_context(argument, processor, settings),
            "pay",
        )
    if name == "pay" and argument:
        return Place(
            "fragments/pay/choose.html",
            lambda s, b, c: pay_routes.choose_context(s, b, c, [argument]),
            "pay",
        )
    if name == "estimate" and argument:
        return Place(
            "fragments/estimates/detail.html", estimate_routes.detail_context(argument), "estimates"
        )
    places = {
        "invoices": Place(
            "fragments/invoices/list.html", invoice_routes.list_context(None, 1), "invoices"
        ),
        "estimates": Place(
            "fragments/estimates/list.html", estimate_routes.list_context, "estimates"
        ),
        "payments": Place("fragments/payments/history.html", payment_routes.history_context, None),
        "profile": Place("fragments/profile/form.html", profile_routes.form_context, "profile"),
        "pay": Place("fragments/pay/choose.html", pay_routes.choose_context, "pay"),
    }
    return places.get(name, Place("fragments/portal/home.html", home_context, None))


async def portal_session(request: Request) -> Response:
    """Trades an arrival token for a session, and shows the shell open at the deep link's view."""
    form = await request.form()
    token = str(form.get("token", ""))
    place = _place(
        str(form.get("view", "")), request.app.state.settings, request.app.state.processor
    )

    def exchange() -> Response:
        settings = request.app.state.settings
        business = visits.business_for(request)
        with request.app.state.db.session(business.id) as session:
            try:
                arrival = portal.exchange(
                    session, business=business, token=token, secret_keys=settings.secret_key
                )
                customer = arrival.customer
                request.state.limits = arrival.limits
            except customers.AccessDisabled:
                raise visits.no_access(business) from None
            except InvalidToken as exc:
                # Expired, used or replaced: the way forward is a fresh link by email.
                return sign_in_form(request, business, problem=f"{str(exc).capitalize()}.")
            wanted = (
                _place(arrival.destination, settings, request.app.state.processor)
                if arrival.destination
                else place
            )
            home = _place("", settings, request.app.state.processor)
            current = wanted if portal.section_enabled(business, wanted.section) else home
            if arrival.limits.pay_only and current.section != "pay":
                raise visits.Refused(
                    403,
                    "Payments are off",
                    f"{business.name} is not taking payments here right now.",
                )
            try:
                context = current.build(session, business, customer)
            except NotFound:
                current, context = home, home_context(session, business, customer)
        return visits.fragment(
            request,
            business,
            customer,
            "fragments/portal/shell.html",
            {"view_template": current.template, **context},
        )

    return await run_in_threadpool(visits.guarded, request, exchange)


async def portal_go(request: Request) -> Response:
    """The view a deep link names, for a portal that is already open (the hash changed)."""
    place = _place(
        request.path_params["place"], request.app.state.settings, request.app.state.processor
    )
    return await visits.view(request, place.template, place.build, section=place.section)


async def portal_home(request: Request) -> Response:
    return await visits.view(request, "fragments/portal/home.html", home_context)


def sign_in_form(
    request: Request,
    business: Business,
    *,
    problem: str = "",
    sent_to: str = "",
    status: int = 401,
) -> Response:
    return templates.TemplateResponse(
        request,
        "fragments/portal/sign_in.html",
        {"business": business, "problem": problem, "sent_to": sent_to},
        status_code=status,
    )


async def portal_sign_in(request: Request) -> Response:
    def render() -> Response:
        return sign_in_form(request, visits.business_for(request), status=200)

    return await run_in_threadpool(visits.guarded, request, render)


async def portal_sign_in_request(request: Request) -> Response:
    """Email a sign-in link and code. The answer is the same for any address."""
    form = await request.form()
    email = str(form.get("email", "")).strip()[:320]
    limits: SignInLinkLimits = request.app.state.sign_in_link_limits

    def send() -> Response:
        settings = request.app.state.settings
        business = visits.business_for(request)
        if "@" not in email:
            return sign_in_form(request, business, problem="Enter your email address.", status=422)
        try:
            request.app.state.limiter.take(
                (limits.by_email, f"{business.id}:{email.lower()}"),
                (limits.by_ip, visits.client_ip(request)),
            )
        except Limited as limited:
            refused = sign_in_form(
                request,
                business,
                problem=f"Too many requests. Try again in {limited.retry_after} seconds.",
                status=429,
            )
            refused.headers["Retry-After"] = str(limited.retry_after)
            return refused
        with request.app.state.db.session(business.id) as session:
            sign_in.request(
                session,
                business=business,
                email=email,
                secret_keys=settings.secret_key,
                base_url=settings.base_url,
            )
        return sign_in_form(request, business, sent_to=email, status=200)

    return await run_in_threadpool(visits.guarded, request, send)


async def portal_sign_in_code(request: Request) -> Response:
    """The code from the email, typed in: the portal opens, as a link would have opened it."""
    form = await request.form()
    email, code = str(form.get("email", ""))[:320], str(form.get("code", ""))[:12]

    def check() -> Response:
        settings = request.app.state.settings
        business = visits.business_for(request)
        # The attempt is counted in its own transaction, so a wrong code still uses up a try.
        with request.app.state.db.session(business.id) as session:
            try:
                customer = sign_in.check_code(
                    session, email=email, code=code, secret_keys=settings.secret_key
                )
            except InvalidToken as exc:
                problem = f"{str(exc).capitalize()}."
                customer = None
        if customer is None:
            return sign_in_form(request, business, problem=problem, sent_to=email, status=422)
        with request.app.state.db.session(business.id) as session:
            context = home_context(session, business, customer)
        return visits.fragment(
            request,
            business,
            customer,
            "fragments/portal/shell.html",
            {"view_template": "fragments/portal/home.html", **context},
        )

    return await run_in_threadpool(visits.guarded, request, check)


async def portal_download(request: Request) -> Response:
    """One PDF, named by a short-lived download token (links cannot send Authorization)."""

    def render() -> Response:
        settings = request.app.state.settings
        business = visits.business_for(request)
        with request.app.state.db.session(business.id) as session:
            try:
                customer, document = portal.from_download_token(
                    session,
                    business=business,
                    token=request.path_params["token"],
                    secret_keys=settings.secret_key,
                )
            except InvalidToken:
                raise visits.Refused(
                    401, "This download link has expired", "Go back to the portal and try again."
                ) from None
            kind, _, reference = document.partition(":")
            if kind == "invoice":
                pdf, name = invoice_routes.pdf(session, business, customer, reference)
            elif kind == "receipt":
                pdf, name = payment_routes.pdf(session, business, customer, reference)
            else:
                raise visits.NOT_FOUND
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    return await run_in_threadpool(visits.guarded, request, render)


async def portal_stylesheet(request: Request) -> Response:
    def render() -> Response:
        with request.app.state.db.unscoped("the stylesheet is public") as session:
            business = businesses.by_publishable_key(session, request.path_params["key"])
        css = themes.stylesheet(business)
        # Revalidated on every load, so a theme the business saves shows at once.
        etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:32] + '"'
        headers = {"Cache-Control": "no-cache", "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(css, media_type="text/css", headers=headers)

    return await run_in_threadpool(render)


async def portal_logo(request: Request) -> Response:
    """The logo from our own origin: host pages that allow our script allow this too."""

    def render() -> Response:
        with request.app.state.db.unscoped("the logo is public") as session:
            business = businesses.by_publishable_key(session, request.path_params["key"])
        found = documents.logo(business)
        if found is None:
            raise visits.NOT_FOUND
        image, media_type = found
        headers = {
            "Cache-Control": "public, max-age=300",
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        return Response(image, media_type=media_type, headers=headers)

    return await run_in_threadpool(visits.guarded, request, render)


async def portal_origin_check(request: Request) -> Response:
    """Says whether the asking page's origin may show this portal; nothing else."""

    def check() -> bool:
        with request.app.state.db.unscoped("the origin check is public") as session:
            business = businesses.by_publishable_key(session, request.path_params["key"])
        origin = request.headers.get("origin", "")
        return businesses.origin_allowed(business, origin, own_origin=visits.own_origin(request))

    return JSONResponse({"allowed": await run_in_threadpool(check)})


@cache
def _bundle() -> bytes:
    return WIDGET_BUNDLE.read_bytes()


async def widget_script(request: Request) -> Response:
    return Response(
        _bundle(),
        media_type="text/javascript",
        headers={
            "Cache-Control": "public, max-age=300",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


async def hosted_portal(request: Request) -> Response:
    """The full-page portal for businesses without a website: the same element, on our page."""

    def render() -> HTMLResponse:
        with request.app.state.db.unscoped("the hosted page is found by slug") as session:
            business = businesses.by_slug(session, request.path_params["slug"])
        frame_ancestors = " ".join(business.allowed_origins) or "'none'"
        response = templates.TemplateResponse(
            request, "pages/portal/hosted.html", {"business": business}
        )
        stripe, api = request.app.state.settings.stripe_origins
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' {stripe}; style-src 'self'; "
            "img-src 'self' data: https:; "
            f"connect-src 'self' {api}; frame-src {stripe}; frame-ancestors {frame_ancestors}; "
            "base-uri 'none'; form-action 'self'; object-src 'none'"
        )
        return response

    return await run_in_threadpool(render)


routes = [
    *invoice_routes.routes,
    *pay_page.routes,
    *pay_routes.routes,
    *estimate_routes.routes,
    *payment_routes.routes,
    *profile_routes.routes,
    Route("/widget/frontdesk.js", widget_script, name="widget_script"),
    Route("/p/{slug}", hosted_portal, name="hosted_portal"),
    Route("/portal/{key}/session", portal_session, methods=["POST"], name="portal_session"),
    Route("/portal/{key}/home", portal_home, name="portal_home"),
    Route("/portal/{key}/go/{place:path}", portal_go, name="portal_go"),
    Route(
        "/portal/{key}/sign-in",
        portal_sign_in_request,
        methods=["POST"],
        name="portal_sign_in_request",
    ),
    Route(
        "/portal/{key}/sign-in/code",
        portal_sign_in_code,
        methods=["POST"],
        name="portal_sign_in_code",
    ),
    Route("/portal/{key}/sign-in", portal_sign_in, name="portal_sign_in"),
    Route("/portal/{key}/download/{token}", portal_download, name="portal_download"),
    Route("/portal/{key}/portal.css", portal_stylesheet, name="portal_stylesheet"),
    Route("/portal/{key}/origin-check", portal_origin_check, name="portal_origin_check"),
    Route("/portal/{key}/logo", portal_logo, name="portal_logo"),
]
