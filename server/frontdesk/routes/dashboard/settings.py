"""Settings: what the portal offers and where it may be embedded (the staff list is on the
same page, managed by `staff`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import languages, money
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, typed
from frontdesk.services import (
    businesses,
    connect,
    domains,
    inputs,
    late_fees,
    staff,
)
from frontdesk.services.errors import Invalid
from frontdesk.services.payments import paypal_account

SETTINGS_PAGE = "fragments/dashboard/settings.html"


def settings_context(who: Staff, request: Request, **extra: Any) -> dict[str, Any]:
    business = who.business
    settings = request.app.state.settings
    base = settings.base_url
    context: dict[str, Any] = {
        "title": "Settings",
        "section": "settings",
        "snippet": (
            f'<script async src="{base}/widget/frontdesk.js"></script>\n'
            f'<frontdesk-portal business="{business.publishable_key}"></frontdesk-portal>'
        ),
        "tip_percents": ", ".join(f"{bp / 100:g}" for bp in business.tip_basis_points),
        "minimum": money.to_decimal(business.partial_payment_minimum, business.currency),
        "late_fee_amount": money.to_decimal(business.late_fee_fixed, business.currency),
        "late_fee_percent": f"{business.late_fee_basis_points / 100:g}",
        "origin_check": None,
        "languages": [(code, languages.name_of(code)) for code in languages.available()],
        "texts_ready": settings.sms_ready,
        "account": connect.status(business),
        "paypal_standin_merchant": paypal_account.standin_merchant(settings),
        "domain": (domain := domains.current(who.session)),
        "domain_records": domains.records(domain, target=settings.domain_target) if domain else [],
        "team": staff.team(who.session),
        "invitations": staff.pending_invitations(who.session),
        "me": who.user.id,
        "notice": "",
        "errors": {},
        # What was typed, shown again beside its error (the saved value otherwise).
        "form": {},
    }
    context.update(extra)
    return context


async def dashboard_settings(request: Request) -> Response:
    def build(who: Staff) -> dict[str, Any]:
        return settings_context(who, request)

    return await page(request, SETTINGS_PAGE, build, title="Settings", section="settings")


def _switch(form: FormData, name: str) -> bool:
    return form.get(name) == "yes"


def _portal_settings(form: FormData, currency: str) -> businesses.PortalSettings:
    minimum = inputs.amount(
        str(form.get("partial_payment_minimum", "")),
        currency,
        field="partial_payment_minimum",
        problem="The minimum needs fixing.",
    )
    switches = (
        "allow_payments",
        "allow_invoices",
        "allow_estimates",
        "allow_profile_updates",
        "allow_service_requests",
        "allow_todos",
        "allow_messages",
        "allow_documents",
        "allow_subscriptions",
        "allow_booking",
        "tips_enabled",
        "allow_partial_payments",
        "secure_pay_page",
    )
    return businesses.PortalSettings(
        **{name: _switch(form, name) for name in switches},
        tip_percents=str(form.get("tip_percents", "")),
        partial_payment_minimum=minimum or 0,
        contact_email=str(form.get("contact_email", "")),
        contact_phone=str(form.get("contact_phone", "")),
        language=str(form.get("language", "")),
    )


Change = Callable[[Staff, FormData], dict[str, Any]]


async def settings_change(
    request: Request, change: Change, *, owners_only: bool = True
) -> Response:
    """One card of the settings page posted: `change` applies it and gives what the page shows
    next (a notice); bad input brings the page back with its messages and what was typed."""

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        return settings_context(who, request, **change(who, form))

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return settings_context(who, request, errors=field_errors(invalid), form=typed(form))

    return await action(
        request, SETTINGS_PAGE, act, rebuild, section="settings", owners_only=owners_only
    )


def saved(changed: object, notice: str = "Saved.") -> dict[str, Any]:
    return {"notice": notice if changed else "Nothing changed."}


async def dashboard_settings_portal(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        wanted = _portal_settings(form, who.business.currency)
        changed = businesses.update_portal(who.session, who.business, wanted, who.actor)
        return saved(changed, "Saved: the portal uses these now.")

    return await settings_change(request, change)


async def dashboard_settings_late_fees(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        wanted = late_fees.LateFeeSettings(
            enabled=_switch(form, "late_fee_enabled"),
            kind=str(form.get("late_fee_kind", "")),
            amount=str(form.get("late_fee_amount", "")),
            percent=str(form.get("late_fee_percent", "")),
            days=str(form.get("late_fee_days", "")),
        )
        return saved(late_fees.configure(who.session, who.business, wanted, who.actor))

    return await settings_change(request, change)


async def dashboard_settings_embed(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        origins = str(form.get("allowed_origins", "")).replace(",", "\n").splitlines()
        changed = businesses.update_embed(
            who.session,
            who.business,
            origins=origins,
            portal_page_url=str(form.get("portal_page_url", "")),
            actor=who.actor,
        )
        return saved(changed)

    return await settings_change(request, change)


async def dashboard_settings_check(request: Request) -> Response:
    """Would the snippet load on this website? Fetches nothing: it compares the origin."""

    def change(who: Staff, form: FormData) -> dict[str, Any]:
        parts = urlsplit(str(form.get("site", "")).strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(
                "The address needs fixing.",
                {"site": "Enter the page's full address, like https://example.com/account."},
            )
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        return {"origin_check": (origin, origin in who.business.allowed_origins)}

    return await settings_change(request, change, owners_only=False)


routes = [
    Route("/settings", dashboard_settings, name="dashboard_settings"),
    Route(
        "/settings/portal",
        dashboard_settings_portal,
        methods=["POST"],
        name="dashboard_settings_portal",
    ),
    Route(
        "/settings/late-fees",
        dashboard_settings_late_fees,
        methods=["POST"],
        name="dashboard_settings_late_fees",
    ),
    Route(
        "/settings/embed",
        dashboard_settings_embed,
        methods=["POST"],
        name="dashboard_settings_embed",
    ),
    Route(
        "/settings/check",
        dashboard_settings_check,
        methods=["POST"],
        name="dashboard_settings_check",
    ),
]
