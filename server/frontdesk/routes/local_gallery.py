"""The theme gallery for a theme.css on a designer's own disk, as `frontdesk theme serve` runs it:
a sample business wearing the file's values, read again on every request, and a signal that
changes whenever the file does, which the page polls to reload itself."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from frontdesk.middleware.security_headers import DEFAULT_CSP
from frontdesk.models import Business
from frontdesk.rendering import templates
from frontdesk.routes.dashboard import gallery
from frontdesk.services import themes
from frontdesk.services.gallery import local_business


def theme_file(request: Request) -> Path:
    path: Path = request.app.state.theme_file
    return path


def _worn(path: Path) -> tuple[Business, str]:
    """The sample business in the file's theme, or in the default one with what to fix."""
    try:
        return local_business(themes.from_file(path)), ""
    except ValueError as problem:
        return local_business({}), f"{problem} (showing the default theme until it is fixed)"


def saved(path: Path) -> str:
    """Changes whenever the file's content does, however the editor saves it."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


async def theme_local_gallery(request: Request) -> Response:
    path = theme_file(request)
    version = saved(path)  # before reading it: a save from now on changes the signal
    business, problem = _worn(path)
    urls = (str(request.url_for("theme_local_gallery")), str(request.url_for("theme_local_frame")))
    context = {
        **gallery.gallery_context(request.query_params, *urls),
        "business": business,
        "problem": problem,
        "path": str(path),
        "saved": version,
        "local": True,
    }
    return templates.TemplateResponse(request, "pages/dashboard/theme_gallery.html", context)


async def theme_local_frame(request: Request) -> Response:
    business, _ = _worn(theme_file(request))
    shell = gallery.render(request, business, request.query_params.get("state", ""))
    context = {"business": business, "shell": shell, "css_url": request.url_for("theme_local_css")}
    response = templates.TemplateResponse(request, "pages/dashboard/theme_preview.html", context)
    # Framed by the gallery page (our own); every other page refuses frames.
    response.headers["Content-Security-Policy"] = DEFAULT_CSP.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    )
    return response


async def theme_local_css(request: Request) -> Response:
    business, _ = _worn(theme_file(request))
    return Response(themes.stylesheet(business), media_type="text/css")


async def theme_local_saved(request: Request) -> Response:
    return PlainTextResponse(saved(theme_file(request)))


routes = [
    Route("/", theme_local_gallery, name="theme_local_gallery"),
    Route("/frame", theme_local_frame, name="theme_local_frame"),
    Route("/theme.css", theme_local_css, name="theme_local_css"),
    Route("/saved", theme_local_saved, name="theme_local_saved"),
]
