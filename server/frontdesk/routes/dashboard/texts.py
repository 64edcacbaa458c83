"""Texts: every text sent to customers (and their replies) with its status, and the Texts card
on a customer's page, whose button texts the customer their pay link. Every answer of the card's
is the card."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Customer
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page
from frontdesk.services import customers, texts
from frontdesk.services.errors import Invalid

CARD = "fragments/texts/customer.html"


async def dashboard_texts(request: Request) -> Response:
    def build(who: Staff) -> dict[str, Any]:
        shown = texts.recent(who.session, limit=100)
        return {"texts": shown, "names": texts.names(who.session, shown)}

    return await page(
        request, "fragments/texts/dashboard.html", build, title="Texts", section="texts"
    )


def card_context(request: Request, who: Staff, customer: Customer, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "customer": customer,
        "texts": texts.recent(who.session, customer_id=customer.id, limit=10),
        "texts_ready": request.app.state.settings.sms_ready,
        "text_refusal": texts.refusal(customer),
        "text_notice": "",
        "text_errors": {},
    }
    return {**context, **extra}


async def dashboard_customer_texts(request: Request) -> Response:
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        customer = customers.get(who.session, business=who.business, customer_id=customer_id)
        return card_context(request, who, customer, title=customer.name)

    return await page(request, CARD, build, title="Texts", section="customers")


async def dashboard_customer_text_link(request: Request) -> Response:
    """Text the customer their pay link; refused with the reason (no consent, no number, texts
    not set up) and nothing sent."""
    customer_id = request.path_params["customer"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer = customers.get(who.session, business=who.business, customer_id=customer_id)
        text = texts.text_pay_link(
            who.session,
            business=who.business,
            customer=customer,
            links=request.app.state.links,
            actor=who.actor,
            ready=request.app.state.settings.sms_ready,
        )
        notice = f"Pay link texted to {text.to_number}."
        return card_context(request, who, customer, text_notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        customer = customers.get(who.session, business=who.business, customer_id=customer_id)
        return card_context(request, who, customer, text_errors=field_errors(invalid))

    return await action(request, CARD, act, rebuild, section="customers")


routes = [
    Route("/texts", dashboard_texts, name="dashboard_texts"),
    Route("/customers/{customer}/texts", dashboard_customer_texts, name="dashboard_customer_texts"),
    Route(
        "/customers/{customer}/texts",
        dashboard_customer_text_link,
        methods=["POST"],
        name="dashboard_customer_text_link",
    ),
]
