"""The theme editor, whose preview is the real portal fragments."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Business
from frontdesk.routes.dashboard import gallery
from frontdesk.routes.dashboard.frame import (
    Staff,
    action,
    field_errors,
    page,
    preview_page,
    stylesheet,
)
from frontdesk.routes.portal import frame
from frontdesk.routes.portal import home as portal_home_routes
from frontdesk.services import (
    customers,
    portal,
    themes,
)
from frontdesk.services.errors import Invalid

THEME_PAGE = "fragments/dashboard/theme.html"


COLOURS = {
    "accent": "Accent",
    "accent-text": "Text on accent",
    "bg": "Background",
    "surface": "Cards",
    "text": "Text",
}


FONTS = {
    "System": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    "Serif": 'Georgia, "Times New Roman", serif',
    "Rounded": '"Nunito", "Varela Round", system-ui, sans-serif',
    "Monospace": 'ui-monospace, "SFMono-Regular", Menlo, monospace',
}


def theme_context(who: Staff, request: Request, **extra: Any) -> dict[str, Any]:
    business = who.business
    values = themes.values_for(business)
    context: dict[str, Any] = {
        "title": "Theme",
        "section": "settings",
        "packs": themes.packs(),
        "fonts": FONTS,
        # Only what the business set; the pack's own values show as placeholders, so choosing
        # another pack later changes everything not overridden.
        "values": {name: business.theme_overrides.get(name, "") for name in themes.EDITABLE},
        "pack_values": values,
        "colours": COLOURS,
        # Each picker starts on the colour its field shows: the business's, else the pack's.
        "pickers": {
            name: themes.picker_colour(values.get(name, "")) or "#000000" for name in COLOURS
        },
        "states": gallery.STATES,
        "preview_query": urlencode(
            {"theme": business.theme, **business.theme_overrides, "custom_css": business.custom_css}
        ),
        "notice": "",
        "errors": {},
    }
    context.update(extra)
    return context


async def dashboard_theme(request: Request) -> Response:
    def build(who: Staff) -> dict[str, Any]:
        return theme_context(who, request)

    return await page(request, THEME_PAGE, build, title="Theme", section="settings")


async def dashboard_theme_save(request: Request) -> Response:
    """Publish the theme: the live portal adopts it on its next load."""

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        shown = themes.draft(who.business, form, portal_host=request.url.hostname or "")
        upload = form.get("logo")
        logo = (
            themes.Logo(upload.content_type or "", upload.file.read())
            if isinstance(upload, UploadFile) and upload.filename
            else None
        )
        themes.publish(who.session, who.business, shown, logo, who.actor)
        # The stylesheet is read as the portal loads: a portal open now keeps the old one.
        published = "Published: the portal shows it from the next page load."
        return theme_context(who, request, notice=published)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return theme_context(who, request, errors=field_errors(invalid))

    return await action(request, THEME_PAGE, act, rebuild, section="settings", owners_only=True)


async def dashboard_theme_preview(request: Request) -> Response:
    """The real portal with the theme being edited, in a shadow root as the widget builds it: a
    sample customer who owes money (or the state asked for), or one of the business's customers
    by id, exactly as the live portal shows them."""
    params, host = request.query_params, request.url.hostname or ""

    def build(who: Staff) -> dict[str, Any]:
        shown = themes.draft(who.business, params, portal_host=host)
        wanted = params.get("customer", "")
        shell = (
            _customers_portal(request, who, shown, wanted)
            if wanted
            else gallery.render(request, shown, params.get("state") or "owing")
        )
        theme = urlencode(gallery.theme_params(params))
        return {"shell": shell, "css_url": f"{request.url_for('dashboard_theme_css')}?{theme}"}

    return await preview_page(request, build)


def _customers_portal(request: Request, who: Staff, shown: Business, customer_id: str) -> str:
    customer = customers.get(who.session, business=who.business, customer_id=customer_id)
    now = request.app.state.clock()
    shell = frame.fragment(
        request,
        shown,
        customer,
        "fragments/portal/shell.html",
        {
            "view_template": "fragments/portal/home.html",
            # What the nav counts (unread messages), as the live shell draws it.
            **portal.nav(who.session, business=shown, customer=customer),
            **portal_home_routes.home_context(now)(who.session, shown, customer),
        },
    )
    return bytes(shell.body).decode()


async def dashboard_theme_css(request: Request) -> Response:
    params = request.query_params

    def build(who: Staff) -> str:
        return themes.stylesheet(
            themes.draft(who.business, params, portal_host=request.url.hostname or "")
        )

    return await stylesheet(request, build)


routes = [
    Route("/theme", dashboard_theme, name="dashboard_theme"),
    Route("/theme", dashboard_theme_save, methods=["POST"], name="dashboard_theme_save"),
    Route("/theme/preview", dashboard_theme_preview, name="dashboard_theme_preview"),
    Route("/theme/preview.css", dashboard_theme_css, name="dashboard_theme_css"),
]
