"""PayPal in settings: the business's merchant id and whether customers are offered PayPal."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff
from frontdesk.routes.dashboard.settings import saved, settings_change
from frontdesk.services.payments import paypal_account


async def dashboard_settings_paypal(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        enabled = form.get("paypal_enabled") == "yes"
        changed = paypal_account.configure(
            who.session,
            who.business,
            enabled=enabled,
            merchant_id=str(form.get("paypal_merchant_id", "")),
            actor=who.actor,
        )
        said = "customers may pay with PayPal." if enabled else "PayPal is not offered."
        return saved(changed, f"Saved: {said}")

    return await settings_change(request, change)


routes = [
    Route(
        "/settings/paypal",
        dashboard_settings_paypal,
        methods=["POST"],
        name="dashboard_settings_paypal",
    ),
]
