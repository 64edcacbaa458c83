"""The hosted portal page, /p/{slug}, for businesses without a website of their own."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from frontdesk.rendering import templates
from frontdesk.routes.portal import viewer
from frontdesk.services import businesses

# What a `lang` attribute may say (BCP 47's shape: "es", "pt-BR"); anything else is not passed on.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}\Z")


async def hosted_portal(request: Request) -> Response:
    """The full-page portal for businesses without a website: the same element, on our page,
    in the language `?lang=` asks for (passed on to the element), else the visitor's."""
    viewer.speak(request, None)  # a page that does not exist is refused in it too

    def render() -> HTMLResponse:
        with request.app.state.db.unscoped("the hosted page is found by slug") as session:
            business = businesses.by_slug(session, request.path_params["slug"])
        viewer.speak(request, business)
        asked = request.query_params.get("lang", "")
        frame_ancestors = " ".join(business.allowed_origins) or "'none'"
        response = templates.TemplateResponse(
            request,
            "pages/portal/hosted.html",
            {"business": business, "asked_language": asked if LANGUAGE_TAG.match(asked) else ""},
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
