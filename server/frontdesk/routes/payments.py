"""The customer's payment history in the portal, and each payment's receipt."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Business, Customer
from frontdesk.routes import visits
from frontdesk.services import documents, payments


def history_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    return {
        "payments": payments.history(session, business=business, customer=customer),
        "current": "payments",
    }


def pdf(
    session: Session, business: Business, customer: Customer, payment_id: str
) -> tuple[bytes, str]:
    view = payments.get_for_customer(
        session, business=business, customer=customer, payment_id=payment_id
    )
    return documents.receipt_pdf(business, customer, view), f"receipt-{payment_id}.pdf"


async def portal_payments(request: Request) -> Response:
    return await visits.view(request, "fragments/payments/history.html", history_context)


routes = [Route("/portal/{key}/payments", portal_payments, name="portal_payments")]
