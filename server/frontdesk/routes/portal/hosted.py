"""The hosted portal page, /p/{slug}, for businesses without a website of their own."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from frontdesk.rendering import templates
from frontdesk.services import businesses


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
    Route("/p/{slug}", hosted_portal, name="hosted_portal"),
]
