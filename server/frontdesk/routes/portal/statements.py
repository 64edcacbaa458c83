"""The customer's monthly statements, from the payments view: each past month with its closing
balance and its PDF behind a short-lived download link (assets.DOCUMENTS names the kind)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Business, Customer
from frontdesk.routes.portal import frame
from frontdesk.services import businesses, pdfs, statements

LIST = "fragments/statements/list.html"


def list_shown(business: Business, shown: list[statements.Statement]) -> dict[str, Any]:
    """What the list is drawn with (the theme gallery draws samples with it too)."""
    return {
        "statements": shown,
        "month_label": lambda month: statements.month_label(month, business.locale),
        "current": "payments",
    }


def list_context(now: datetime) -> frame.Build:
    """The months that have ended by `now`, on the business's calendar."""

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        today = businesses.today(business, now)
        return list_shown(
            business,
            statements.history(session, business=business, customer=customer, today=today),
        )

    return build


def pdf(
    session: Session, business: Business, customer: Customer, month: str, *, now: datetime
) -> tuple[bytes, str]:
    """A download token's "statement:2026-11": the customer's own month, if it has ended."""
    statement = statements.for_month(
        session,
        business=business,
        customer=customer,
        month=month,
        today=businesses.today(business, now),
    )
    return pdfs.statement_pdf(business, customer, statement), f"statement-{statement.key}"


async def portal_statements(request: Request) -> Response:
    return await frame.view(request, LIST, list_context(request.app.state.clock()))


routes = [Route("/statements", portal_statements, name="portal_statements")]
