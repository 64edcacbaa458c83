"""Automatic payments in the dashboard: the card on a customer's page (on or off, the words they
agreed to and where, each try; staff may turn it off, never on), the Payments page's schedule of
upcoming charges and queue of failed ones, and the terms in settings."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Customer
from frontdesk.routes.dashboard.frame import Staff, action, page
from frontdesk.routes.dashboard.settings import saved, settings_change
from frontdesk.services import autopay, customers
from frontdesk.services.errors import Invalid

CARD = "fragments/dashboard/autopay/customer.html"
QUEUE = "fragments/dashboard/autopay/queue.html"


def card_context(who: Staff, customer: Customer, **extra: Any) -> dict[str, Any]:
    shown = autopay.panel(who.session, business=who.business, customer=customer, choosing=None)
    context: dict[str, Any] = {
        "customer": customer,
        "autopay": shown,
        "tries": autopay.history(who.session, customer_id=customer.id),
        "autopay_notice": "",
    }
    return {**context, **extra}


async def dashboard_customer_autopay(request: Request) -> Response:
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        customer = customers.get(who.session, business=who.business, customer_id=customer_id)
        return card_context(who, customer, title=customer.name)

    return await page(request, CARD, build, title="Automatic payments", section="customers")


async def dashboard_customer_autopay_off(request: Request) -> Response:
    """Staff turn a customer's automatic payments off (asked by phone, say); the customer is
    emailed. Turning them on is the customer's alone."""
    customer_id = request.path_params["customer"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer = customers.get(who.session, business=who.business, customer_id=customer_id)
        autopay.revoke(
            who.session,
            business=who.business,
            customer=customer,
            actor=who.actor,
            reason=str(form.get("reason", "")).strip()[:300] or "turned off by the business",
            now=request.app.state.clock(),
        )
        return card_context(who, customer, autopay_notice="Automatic payments are off.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        customer = customers.get(who.session, business=who.business, customer_id=customer_id)
        return card_context(who, customer)

    return await action(request, CARD, act, rebuild, section="customers")


async def dashboard_autopay_queue(request: Request) -> Response:
    def build(who: Staff) -> dict[str, Any]:
        return {
            "upcoming": autopay.upcoming(who.session, business=who.business, limit=50),
            "failed": autopay.failed(who.session, limit=50),
        }

    return await page(request, QUEUE, build, title="Automatic payments", section="payments")


def _terms(form: FormData) -> autopay.AutopayTerms:
    return autopay.AutopayTerms(
        enabled=form.get("autopay_enabled") == "yes",
        charge_on=str(form.get("autopay_charge_on", "")),
        notice_days=str(form.get("autopay_notice_days", "")),
        retry_days=str(form.get("autopay_retry_days", "")),
    )


async def dashboard_settings_autopay(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        changed = autopay.update(who.session, who.business, _terms(form), who.actor)
        return saved(changed, "Saved: new terms for automatic payments.")

    return await settings_change(request, change)


routes = [
    Route(
        "/customers/{customer}/autopay",
        dashboard_customer_autopay,
        name="dashboard_customer_autopay",
    ),
    Route(
        "/customers/{customer}/autopay/off",
        dashboard_customer_autopay_off,
        methods=["POST"],
        name="dashboard_customer_autopay_off",
    ),
    Route("/payments/automatic", dashboard_autopay_queue, name="dashboard_autopay_queue"),
    Route(
        "/settings/autopay",
        dashboard_settings_autopay,
        methods=["POST"],
        name="dashboard_settings_autopay",
    ),
]
