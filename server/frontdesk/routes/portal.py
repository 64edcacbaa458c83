"""The customer portal: fragments for <frontdesk-portal>, its stylesheet, and the hosted page."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from frontdesk.models import Business, Customer
from frontdesk.rendering import templates
from frontdesk.services import businesses, portal, themes
from frontdesk.services.errors import NotFound
from frontdesk.tokens import InvalidToken

WIDGET_BUNDLE = Path(__file__).resolve().parents[3] / "widget" / "dist" / "frontdesk.min.js"


class Refused(Exception):
    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _business(request: Request) -> Business:
    """The business named by the path's publishable key, if this page's origin may show it."""
    with request.app.state.db.unscoped("the publishable key comes before any token") as session:
        try:
            business: Business = businesses.by_publishable_key(session, request.path_params["key"])
        except NotFound:
            raise Refused(404, "Portal not found", "This account portal does not exist.") from None
    origin = request.headers.get("origin")
    if origin and not businesses.origin_allowed(business, origin, own_origin=_own_origin(request)):
        raise Refused(
            403, "Not available here", "This account portal is not available on this website."
        )
    return business


def _notice(request: Request, refused: Refused) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "fragments/portal/notice.html",
        {"title": refused.title, "message": refused.message},
        status_code=refused.status,
    )


def _fragment(
    request: Request, business: Business, customer: Customer, name: str, context: dict[str, Any]
) -> HTMLResponse:
    settings = request.app.state.settings
    demo = settings.environment == "demo"
    response = templates.TemplateResponse(
        request, name, {"business": business, "customer": customer, "demo": demo, **context}
    )
    # Every answer renews the session, so it only ends after a quiet hour.
    response.headers["Frontdesk-Session"] = portal.session_token(settings.secret_key, customer)
    return response


def _signed_in(request: Request, session: Session, business: Business) -> Customer:
    settings = request.app.state.settings
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Refused(401, "Please sign in", "Sign in again to see your account.")
    try:
        return portal.from_session(
            session,
            business=business,
            token=token,
            secret_keys=settings.secret_key,
            max_age=settings.portal_session_seconds,
        )
    except InvalidToken as exc:
        raise Refused(
            401, "Your session has ended", f"For your security, {exc}. Reload the page to continue."
        ) from None


def _view(
    request: Request, name: str, build: Callable[[Session, Business, Customer], dict[str, Any]]
) -> Callable[[], HTMLResponse]:
    """A portal view for the signed-in customer, run in the threadpool by the caller."""

    def render() -> HTMLResponse:
        try:
            business = _business(request)
            with request.app.state.db.session(business.id) as session:
                customer = _signed_in(request, session, business)
                context = build(session, business, customer)
        except Refused as refused:
            return _notice(request, refused)
        return _fragment(request, business, customer, name, context)

    return render


def _home_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    today = businesses.today(business)
    return {
        "home": portal.home(session, business=business, customer=customer, today=today),
        "today": today,
    }


async def portal_session(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token", ""))

    def exchange() -> HTMLResponse:
        settings = request.app.state.settings
        try:
            business = _business(request)
            with request.app.state.db.session(business.id) as session:
                try:
                    customer = portal.exchange(
                        session, business=business, token=token, secret_keys=settings.secret_key
                    )
                except InvalidToken as exc:
                    title = "This link has expired" if exc.expired else "This link does not work"
                    raise Refused(
                        401, title, f"{str(exc).capitalize()}. Ask {business.name} for a new one."
                    ) from None
                context = _home_context(session, business, customer)
        except Refused as refused:
            return _notice(request, refused)
        return _fragment(request, business, customer, "fragments/portal/shell.html", context)

    return await run_in_threadpool(exchange)


async def portal_home(request: Request) -> Response:
    return await run_in_threadpool(_view(request, "fragments/portal/home.html", _home_context))


async def portal_sign_in(request: Request) -> Response:
    def render() -> HTMLResponse:
        try:
            business = _business(request)
        except Refused as refused:
            return _notice(request, refused)
        return templates.TemplateResponse(
            request, "fragments/portal/sign_in.html", {"business": business}
        )

    return await run_in_threadpool(render)


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


async def portal_origin_check(request: Request) -> Response:
    """Says whether the asking page's origin may show this portal; nothing else."""

    def check() -> bool:
        with request.app.state.db.unscoped("the origin check is public") as session:
            business = businesses.by_publishable_key(session, request.path_params["key"])
        origin = request.headers.get("origin", "")
        return businesses.origin_allowed(business, origin, own_origin=_own_origin(request))

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
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
            f"connect-src 'self'; frame-ancestors {frame_ancestors}; base-uri 'none'; "
            "form-action 'self'; object-src 'none'"
        )
        return response

    return await run_in_threadpool(render)


routes = [
    Route("/widget/frontdesk.js", widget_script, name="widget_script"),
    Route("/p/{slug}", hosted_portal, name="hosted_portal"),
    Route("/portal/{key}/session", portal_session, methods=["POST"], name="portal_session"),
    Route("/portal/{key}/home", portal_home, name="portal_home"),
    Route("/portal/{key}/sign-in", portal_sign_in, name="portal_sign_in"),
    Route("/portal/{key}/portal.css", portal_stylesheet, name="portal_stylesheet"),
    Route("/portal/{key}/origin-check", portal_origin_check, name="portal_origin_check"),
]
