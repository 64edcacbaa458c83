"""Automatic payments in the portal: the panel under the saved cards, the form that turns them on
(a saved card, the words agreed to, a box to tick) and turning them off."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Initiator
from frontdesk.routes.portal import frame
from frontdesk.services import audit, autopay, host_events
from frontdesk.services.errors import Invalid

PANEL = "fragments/autopay/panel.html"


def panel_context(
    session: Session,
    business: Business,
    customer: Customer,
    *,
    choosing: str | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """The panel as it stands; `choosing` (a card's id, or "" for the default) shows the form
    with the words for that card."""
    return {
        "autopay": autopay.panel(session, business=business, customer=customer, choosing=choosing),
        "errors": errors or {},
        "notice": notice,
    }


async def portal_autopay(request: Request) -> Response:
    wanted = request.query_params
    choosing = wanted.get("method", "") if "change" in wanted else None

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        return panel_context(session, business, customer, choosing=choosing)

    return await frame.view(request, PANEL, build)


async def portal_autopay_enroll(request: Request) -> Response:
    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        enrollment = autopay.enroll(
            session,
            business=business,
            customer=customer,
            method_id=str(form.get("method", "")),
            agreed=form.get("consent") == "yes",
            shown=str(form.get("shown", "")),
            ip=frame.client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            now=request.app.state.clock(),
        )
        frame.tell(request, host_events.autopay_changed(session, business, customer, enrollment))
        return panel_context(
            session, business, customer, notice=gettext("Automatic payments are on.")
        )

    def rebuild(
        session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        chosen, errors = str(form.get("method", "")), invalid.fields or {"": invalid.message}
        return panel_context(session, business, customer, choosing=chosen, errors=errors)

    return await frame.action(request, PANEL, act, rebuild)


async def portal_autopay_off(request: Request) -> Response:
    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        enrollment = autopay.revoke(
            session,
            business=business,
            customer=customer,
            actor=audit.Actor(Initiator.CUSTOMER, customer.id, frame.client_ip(request)),
            reason="turned off by the customer",
            now=request.app.state.clock(),
        )
        frame.tell(request, host_events.autopay_changed(session, business, customer, enrollment))
        return panel_context(
            session, business, customer, notice=gettext("Automatic payments are off.")
        )

    def rebuild(
        session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        return panel_context(session, business, customer)

    return await frame.action(request, PANEL, act, rebuild)


routes = [
    Route("/autopay", portal_autopay, name="portal_autopay"),
    Route("/autopay", portal_autopay_enroll, methods=["POST"], name="portal_autopay_enroll"),
    Route("/autopay/off", portal_autopay_off, methods=["POST"], name="portal_autopay_off"),
]
