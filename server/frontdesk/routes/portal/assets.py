"""What the portal loads besides its views: the loader, the business's stylesheet and logo, the
origin check and short-lived downloads."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk.languages import N_, gettext
from frontdesk.models import Business, Customer
from frontdesk.routes.portal import appointments as appointment_routes
from frontdesk.routes.portal import estimates as estimate_routes
from frontdesk.routes.portal import frame, refusals, viewer
from frontdesk.routes.portal import invoices as invoice_routes
from frontdesk.routes.portal import payments as payment_routes
from frontdesk.routes.portal import statements as statement_routes
from frontdesk.services import businesses, pdf_layout, portal, themes
from frontdesk.tokens import InvalidToken

WIDGET_BUNDLE = Path(__file__).resolve().parents[4] / "widget" / "dist" / "frontdesk.min.js"


# What a download token may name: "invoice:INV-1042", "estimate:EST-101", "receipt:pay_...",
# "statement:2026-11" (answered apart: it reads the app's clock) and "appointment:apt_..." (a
# calendar file).
DOCUMENTS = {
    "invoice": invoice_routes.pdf,
    "estimate": estimate_routes.pdf,
    "receipt": payment_routes.pdf,
}


def _file(
    request: Request, session: Session, business: Business, customer: Customer, document: str
) -> tuple[bytes, str, str]:
    """What a download token names, its Content-Disposition and its media type."""
    kind, _, reference = document.partition(":")
    if kind == "appointment":
        ics, name = appointment_routes.calendar(session, business, customer, reference)
        return ics, f'attachment; filename="{name}"', "text/calendar"
    if kind == "statement":  # which months have ended is the app clock's to say
        now = request.app.state.clock()
        pdf, name = statement_routes.pdf(session, business, customer, reference, now=now)
    elif kind in DOCUMENTS:
        pdf, name = DOCUMENTS[kind](session, business, customer, reference)
    else:
        raise refusals.NOT_FOUND
    return pdf, pdf_layout.disposition(name), "application/pdf"


async def portal_download(request: Request) -> Response:
    """One PDF (or a visit's calendar file), named by a short-lived download token (links
    cannot send Authorization)."""

    def render() -> Response:
        keys, business = request.app.state.settings.secret_key, frame.business_for(request)
        token = request.path_params["token"]
        with request.app.state.db.session(business.id) as session:
            try:
                customer, document = portal.from_download_token(
                    session, business=business, token=token, secret_keys=keys
                )
            except InvalidToken:
                raise refusals.PortalError(
                    401,
                    N_("This download link has expired"),
                    N_("Go back to the portal and try again."),
                ) from None
            content, disposition, media_type = _file(request, session, business, customer, document)
        headers = {"Content-Disposition": disposition, "Cache-Control": "no-store"}
        return Response(content, media_type=media_type, headers=headers)

    return await run_in_threadpool(frame.guarded, request, render)


async def portal_stylesheet(request: Request) -> Response:
    def render() -> Response:
        css = themes.stylesheet(frame.known_business(request))
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
        found = pdf_layout.logo(frame.known_business(request))
        if found is None:
            raise refusals.NOT_FOUND
        image, media_type = found
        headers = {
            "Cache-Control": "public, max-age=300",
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        return Response(image, media_type=media_type, headers=headers)

    return await run_in_threadpool(frame.guarded, request, render)


async def portal_origin_check(request: Request) -> Response:
    """Says whether the asking page's origin may show this portal; nothing else, but the line
    the loader shows when it may not, in the reader's language (their browser's, or the
    business's)."""

    business, origin = frame.known_business(request), request.headers.get("origin", "")
    if businesses.origin_allowed(business, origin, own_origin=frame.own_origin(request)):
        return JSONResponse({"allowed": True})
    viewer.speak(request, business)
    refused = gettext("This account portal is not available on this website.")
    return JSONResponse({"allowed": False, "message": refused}, headers={"Vary": "Accept-Language"})


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


# Outside /portal/{key}: the loader is the same file for every business.
outside = [Route("/widget/frontdesk.js", widget_script, name="widget_script")]
routes = [
    Route("/download/{token}", portal_download, name="portal_download"),
    Route("/portal.css", portal_stylesheet, name="portal_stylesheet"),
    Route("/origin-check", portal_origin_check, name="portal_origin_check"),
    Route("/logo", portal_logo, name="portal_logo"),
]
