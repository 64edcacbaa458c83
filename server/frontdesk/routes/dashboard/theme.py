"""The theme editor, whose preview is the real portal fragments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import (
    Business,
)
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
    themes,
)
from frontdesk.services.errors import Invalid

THEME_PAGE = "fragments/dashboard/theme.html"


# The settings the editor offers by name; the rest of a pack's values stay as the pack sets them.
EDITABLE = ("accent", "accent-text", "bg", "surface", "text", "font", "radius")


FONTS = {
    "System": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    "Serif": 'Georgia, "Times New Roman", serif',
    "Rounded": '"Nunito", "Varela Round", system-ui, sans-serif',
    "Monospace": 'ui-monospace, "SFMono-Regular", Menlo, monospace',
}


def _theme_choice(params: Mapping[str, Any]) -> tuple[str, dict[str, str], str]:
    """The pack, the overrides and the custom CSS a form or a preview address asks for."""
    pack = str(params.get("theme", "default"))
    if pack not in themes.packs():
        raise Invalid("Choose a theme.", {"theme": "Choose one of the themes listed."})
    overrides = {name: str(params.get(name, "")).strip() for name in EDITABLE}
    return pack, themes.validate_overrides(overrides), str(params.get("custom_css", ""))


def _previewed(business: Business, params: Mapping[str, Any], portal_host: str) -> Business:
    pack, overrides, css = _theme_choice(params)
    # A detached copy: editing the session's own row would publish the preview.
    shown = Business(**business.model_dump())
    shown.theme, shown.theme_overrides = pack, overrides
    shown.custom_css = themes.sanitise_custom_css(css, portal_host=portal_host)
    return shown


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
        "values": {name: business.theme_overrides.get(name, "") for name in EDITABLE},
        "pack_values": values,
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
        shown = _previewed(who.business, form, request.url.hostname or "")
        upload = form.get("logo")
        logo = (
            themes.Logo(upload.content_type or "", upload.file.read())
            if isinstance(upload, UploadFile) and upload.filename
            else None
        )
        themes.publish(who.session, who.business, shown, logo, who.actor)
        return theme_context(who, request, notice="Published: the portal shows it now.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return theme_context(who, request, errors=field_errors(invalid))

    return await action(request, THEME_PAGE, act, rebuild, section="settings", owners_only=True)


async def dashboard_theme_preview(request: Request) -> Response:
    """The real portal (shell and home view of one customer) with the theme being edited, in a
    shadow root as the widget builds it: what the live portal will look like."""
    params = request.query_params

    def build(who: Staff) -> dict[str, Any]:
        shown = _previewed(who.business, params, request.url.hostname or "")
        wanted = params.get("customer", "")
        customer = (
            customers.get(who.session, business=who.business, customer_id=wanted)
            if wanted
            else customers.search(who.session, business=who.business, query="", page=1)[0][0]
        )
        shell = frame.fragment(
            request,
            shown,
            customer,
            "fragments/portal/shell.html",
            {
                "view_template": "fragments/portal/home.html",
                **portal_home_routes.home_context(who.session, shown, customer),
            },
        )
        return {"shell": bytes(shell.body).decode(), "css_query": urlencode(list(params.items()))}

    return await preview_page(request, build)


async def dashboard_theme_css(request: Request) -> Response:
    params = request.query_params

    def build(who: Staff) -> str:
        return themes.stylesheet(_previewed(who.business, params, request.url.hostname or ""))

    return await stylesheet(request, build)


routes = [
    Route("/theme", dashboard_theme, name="dashboard_theme"),
    Route("/theme", dashboard_theme_save, methods=["POST"], name="dashboard_theme_save"),
    Route("/theme/preview", dashboard_theme_preview, name="dashboard_theme_preview"),
    Route("/theme/preview.css", dashboard_theme_css, name="dashboard_theme_css"),
]
