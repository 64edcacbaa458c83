"""Dashboard: portal settings and embedding (owners change them), developers (API keys, webhook
endpoints and their deliveries, the email outbox) and the activity trail."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlmodel import col, select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import money
from frontdesk.models import Business, OutboxItem, StaffRole
from frontdesk.routes import portal as portal_routes
from frontdesk.routes import visits
from frontdesk.routes.dashboard import (
    Staff,
    action,
    field_errors,
    page,
    preview_page,
    stylesheet,
)
from frontdesk.services import audit, businesses, customers, staff, themes, webhooks
from frontdesk.services.errors import Invalid

SETTINGS_PAGE = "fragments/dashboard/settings.html"
DEVELOPERS_PAGE = "fragments/dashboard/developers.html"


def settings_context(who: Staff, request: Request, **extra: Any) -> dict[str, Any]:
    business = who.business
    base = request.app.state.settings.base_url
    context: dict[str, Any] = {
        "title": "Settings",
        "section": "settings",
        "snippet": (
            f'<script async src="{base}/widget/frontdesk.js"></script>\n'
            f'<frontdesk-portal business="{business.publishable_key}"></frontdesk-portal>'
        ),
        "tip_percents": ", ".join(f"{bp / 100:g}" for bp in business.tip_basis_points),
        "minimum": money.to_decimal(business.partial_payment_minimum, business.currency),
        "origin_check": None,
        "team": staff.team(who.session),
        "notice": "",
        "errors": {},
    }
    context.update(extra)
    return context


async def dashboard_settings(request: Request) -> Response:
    def build(who: Staff) -> dict[str, Any]:
        return settings_context(who, request)

    return await page(request, SETTINGS_PAGE, build, title="Settings", section="settings")


def _switch(form: FormData, name: str) -> bool:
    return form.get(name) == "yes"


async def dashboard_settings_portal(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        try:
            minimum = money.parse(
                str(form.get("partial_payment_minimum") or "0"), who.business.currency
            )
        except money.MoneyError as exc:
            raise Invalid(
                "The minimum needs fixing.", {"partial_payment_minimum": str(exc).capitalize()}
            ) from None
        changed = businesses.update_portal(
            who.business,
            businesses.PortalSettings(
                allow_payments=_switch(form, "allow_payments"),
                allow_invoices=_switch(form, "allow_invoices"),
                allow_estimates=_switch(form, "allow_estimates"),
                allow_profile_updates=_switch(form, "allow_profile_updates"),
                tips_enabled=_switch(form, "tips_enabled"),
                tip_percents=str(form.get("tip_percents", "")),
                allow_partial_payments=_switch(form, "allow_partial_payments"),
                partial_payment_minimum=minimum,
                secure_pay_page=_switch(form, "secure_pay_page"),
            ),
        )
        if changed:
            who.audit("settings.portal_changed", "business", who.business.id, changed=changed)
        notice = "Saved: the portal uses these now." if changed else "Nothing changed."
        return settings_context(who, request, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return settings_context(who, request, errors=field_errors(invalid))

    return await action(request, SETTINGS_PAGE, act, rebuild, section="settings", owners_only=True)


async def dashboard_settings_embed(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        origins = str(form.get("allowed_origins", "")).replace(",", "\n").splitlines()
        changed = businesses.update_embed(
            who.business, origins=origins, portal_page_url=str(form.get("portal_page_url", ""))
        )
        if changed:
            who.audit("settings.embed_changed", "business", who.business.id, changed=changed)
        return settings_context(who, request, notice="Saved." if changed else "Nothing changed.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return settings_context(who, request, errors=field_errors(invalid))

    return await action(request, SETTINGS_PAGE, act, rebuild, section="settings", owners_only=True)


async def dashboard_staff_invite(request: Request) -> Response:
    settings = request.app.state.settings

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        role = str(form.get("role", "manager"))
        staff.invite(
            who.session,
            business=who.business,
            secret_keys=settings.secret_key,
            base_url=settings.base_url,
            email=str(form.get("email", "")),
            role=StaffRole.OWNER if role == "owner" else StaffRole.MANAGER,
            invited_by=who.user,
        )
        who.audit("staff.invited", "business", who.business.id, email=str(form.get("email")))
        return settings_context(who, request, notice="Invitation sent.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return settings_context(who, request, errors=field_errors(invalid))

    return await action(request, SETTINGS_PAGE, act, rebuild, section="settings", owners_only=True)


async def dashboard_settings_check(request: Request) -> Response:
    """Would the snippet load on this website? Fetches nothing: it compares the origin."""

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        parts = urlsplit(str(form.get("site", "")).strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(
                "The address needs fixing.",
                {"site": "Enter the page's full address, like https://example.com/account."},
            )
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        allowed = origin in who.business.allowed_origins
        return settings_context(who, request, origin_check=(origin, allowed))

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return settings_context(who, request, errors=field_errors(invalid))

    return await action(request, SETTINGS_PAGE, act, rebuild, section="settings")


# --- theme ---------------------------------------------------------------------------------------

THEME_PAGE = "fragments/dashboard/theme.html"
# The settings the editor offers by name; the rest of a pack's values stay as the pack sets them.
EDITABLE = ("accent", "accent-text", "bg", "surface", "text", "font", "radius")
FONTS = {
    "System": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    "Serif": 'Georgia, "Times New Roman", serif',
    "Rounded": '"Nunito", "Varela Round", system-ui, sans-serif',
    "Monospace": 'ui-monospace, "SFMono-Regular", Menlo, monospace',
}
MAX_LOGO_BYTES = 200_000
LOGO_TYPES = {"image/png", "image/jpeg", "image/webp"}


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
        business = who.business
        business.theme, business.theme_overrides = shown.theme, shown.theme_overrides
        business.custom_css = shown.custom_css
        logo = form.get("logo")
        if isinstance(logo, UploadFile) and logo.filename:
            business.logo_url = _logo_data_url(logo.content_type or "", logo.file.read())
        who.audit("settings.theme_published", "business", business.id, theme=business.theme)
        return theme_context(who, request, notice="Published: the portal shows it now.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return theme_context(who, request, errors=field_errors(invalid))

    return await action(request, THEME_PAGE, act, rebuild, section="settings", owners_only=True)


def _logo_data_url(content_type: str, data: bytes) -> str:
    if content_type not in LOGO_TYPES:
        raise Invalid("The logo needs fixing.", {"logo": "Use a PNG, JPEG or WebP image."})
    if len(data) > MAX_LOGO_BYTES:
        raise Invalid("The logo needs fixing.", {"logo": "Use an image under 200 KB."})
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


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
        shell = visits.fragment(
            request,
            shown,
            customer,
            "fragments/portal/shell.html",
            {
                "view_template": "fragments/portal/home.html",
                **portal_routes.home_context(who.session, shown, customer),
            },
        )
        return {"shell": bytes(shell.body).decode(), "css_query": urlencode(list(params.items()))}

    return await preview_page(request, build)


async def dashboard_theme_css(request: Request) -> Response:
    params = request.query_params

    def build(who: Staff) -> str:
        return themes.stylesheet(_previewed(who.business, params, request.url.hostname or ""))

    return await stylesheet(request, build)


# --- developers ----------------------------------------------------------------------------------


def developers_context(who: Staff, **extra: Any) -> dict[str, Any]:
    session = who.session
    endpoints = webhooks.endpoints(session)
    context: dict[str, Any] = {
        "title": "Developers",
        "section": "developers",
        "keys": businesses.api_keys(session),
        "endpoints": endpoints,
        "deliveries": {
            e.id: webhooks.deliveries(session, endpoint_id=e.id, limit=10) for e in endpoints
        },
        "event_types": webhooks.EVENT_TYPES,
        "emails": session.exec(
            select(OutboxItem)
            .where(col(OutboxItem.kind).in_(["email", "receipt"]))
            .order_by(col(OutboxItem.created_at).desc())
            .limit(20)
        ).all(),
        "new_key": "",
        "new_secret": "",
        "notice": "",
        "errors": {},
    }
    context.update(extra)
    return context


async def dashboard_developers(request: Request) -> Response:
    return await page(
        request, DEVELOPERS_PAGE, developers_context, title="Developers", section="developers"
    )


async def dashboard_developers_change(request: Request) -> Response:
    """Owners: create or revoke API keys, add or remove webhook endpoints, redeliver."""
    change = request.path_params["change"]
    settings = request.app.state.settings

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        target = str(form.get("id", ""))
        if change == "key":
            row, key = businesses.create_api_key(
                who.session, business=who.business, name=str(form.get("name", ""))[:200]
            )
            who.session.flush()
            who.audit("api_key.created", "api_key", row.id, prefix=row.prefix)
            return developers_context(
                who, new_key=key, notice="Copy the key now: it is shown once."
            )
        if change == "revoke":
            row = businesses.revoke_api_key(who.session, target)
            who.audit("api_key.revoked", "api_key", row.id, prefix=row.prefix)
            return developers_context(who, notice=f"Key {row.prefix}… is revoked.")
        if change == "endpoint":
            endpoint, secret = webhooks.create_endpoint(
                who.session,
                business=who.business,
                secret_keys=settings.secret_key,
                url=str(form.get("url", "")).strip(),
                events=[str(e) for e in form.getlist("events")],
                description=str(form.get("description", ""))[:200],
                allow_private=settings.webhooks_may_reach_private_hosts,
            )
            who.session.flush()
            who.audit("webhook_endpoint.created", "webhook_endpoint", endpoint.id, url=endpoint.url)
            return developers_context(
                who, new_secret=secret, notice="Copy the signing secret now: it is shown once."
            )
        if change == "delete-endpoint":
            endpoint = webhooks.delete_endpoint(who.session, target)
            who.audit("webhook_endpoint.deleted", "webhook_endpoint", endpoint.id)
            return developers_context(who, notice="Endpoint removed.")
        if change == "redeliver":
            delivery = webhooks.redeliver(who.session, business=who.business, delivery_id=target)
            who.audit("webhook.redelivered", "webhook_delivery", delivery.id)
            return developers_context(who, notice="Queued to be sent again.")
        raise Invalid("Unknown change.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return developers_context(who, errors=field_errors(invalid))

    return await action(
        request, DEVELOPERS_PAGE, act, rebuild, section="developers", owners_only=True
    )


# --- activity ------------------------------------------------------------------------------------


async def dashboard_activity(request: Request) -> Response:
    kind = request.query_params.get("action", "")[:80]
    actor = request.query_params.get("actor", "")
    actor = actor if actor in ("staff", "customer", "api", "system") else ""

    def build(who: Staff) -> dict[str, Any]:
        return {
            "events": audit.recent(who.session, action=kind, actor_type=actor, limit=200),
            "action": kind,
            "actor": actor,
        }

    return await page(
        request, "fragments/dashboard/activity.html", build, title="Activity", section="activity"
    )


routes = [
    Route("/theme", dashboard_theme, name="dashboard_theme"),
    Route("/theme", dashboard_theme_save, methods=["POST"], name="dashboard_theme_save"),
    Route("/theme/preview", dashboard_theme_preview, name="dashboard_theme_preview"),
    Route("/theme/preview.css", dashboard_theme_css, name="dashboard_theme_css"),
    Route("/settings", dashboard_settings, name="dashboard_settings"),
    Route(
        "/settings/portal",
        dashboard_settings_portal,
        methods=["POST"],
        name="dashboard_settings_portal",
    ),
    Route(
        "/settings/embed",
        dashboard_settings_embed,
        methods=["POST"],
        name="dashboard_settings_embed",
    ),
    Route("/staff", dashboard_staff_invite, methods=["POST"], name="dashboard_staff_invite"),
    Route(
        "/settings/check",
        dashboard_settings_check,
        methods=["POST"],
        name="dashboard_settings_check",
    ),
    Route("/developers", dashboard_developers, name="dashboard_developers"),
    Route(
        "/developers/{change}",
        dashboard_developers_change,
        methods=["POST"],
        name="dashboard_developers_change",
    ),
    Route("/activity", dashboard_activity, name="dashboard_activity"),
]
