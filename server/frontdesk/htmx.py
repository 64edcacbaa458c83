"""The only module that reads HX-* headers: it decides between a whole page and a fragment."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from frontdesk.rendering import templates


def wants_fragment(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


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
    response.headers["Vary"] = "HX-Request"
    return response
