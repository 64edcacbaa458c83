"""The only module that reads or writes HX-* headers: page or fragment, and where htmx goes next."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from frontdesk.rendering import templates


def wants_fragment(request: Request) -> bool:
    """htmx swapping part of a page gets the fragment; anything that replaces the whole body
    (HX-Location after a form, the back button's restore, a plain load) gets the whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Request-Type") != "full"
    )


def render(
    request: Request,
    *,
    page: str,
    fragment: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """`fragment` for htmx requests, else `page` (which includes the fragment)."""
    name = fragment if wants_fragment(request) else page
    response: HTMLResponse = templates.TemplateResponse(
        request, name, context or {}, status_code=status_code
    )
    response.headers["Vary"] = "HX-Request, HX-Request-Type"
    return response


def redirect(request: Request, url: str) -> Response:
    """Leave for `url` entirely (a whole page load): htmx follows HX-Redirect, a browser 303."""
    if wants_fragment(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def location(request: Request, url: str) -> Response:
    """Go to `url` within the app: htmx fetches it in place (HX-Location), a browser gets 303."""
    if wants_fragment(request):
        return Response(status_code=204, headers={"HX-Location": url})
    return RedirectResponse(url, status_code=303)


def trigger(response: Response, events: dict[str, Any]) -> None:
    """Events for the page to hear with this answer (HX-Trigger: name to detail, as JSON; ASCII
    escaped, as a header must be)."""
    response.headers["HX-Trigger"] = json.dumps(events, separators=(",", ":"))
