"""The customer's payment history in the portal, and each payment's receipt."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Business, Customer
from frontdesk.payments import stripe_api
from frontdesk.routes import visits
from frontdesk.services import documents, payments
from frontdesk.services.errors import Invalid, NotFound


def history_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    return {
        "payments": payments.history(session, business=business, customer=customer),
        "methods": payments.saved_methods(session, business=business, customer=customer),
        "current": "payments",
    }


async def portal_payment_method_change(request: Request) -> Response:
    """Make a saved card the default, or remove it (at the processor too)."""
    settings = request.app.state.settings
    method_id, change = request.path_params["method"], request.path_params["change"]

    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        if change == "default":
            payments.make_default(
                session, business=business, customer=customer, method_id=method_id
            )
        elif change == "remove":
            payments.remove_method(
                session,
                business=business,
                customer=customer,
                method_id=method_id,
                client=stripe_api.client(settings),
            )
        else:
            raise NotFound("no such change")
        return history_context(session, business, customer)

    def rebuild(
        session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        return history_context(session, business, customer)

    return await visits.action(request, "fragments/payments/history.html", act, rebuild)


def pdf(
    session: Session, business: Business, customer: Customer, payment_id: str
) -> tuple[bytes, str]:
    view = payments.get_for_customer(
        session, business=business, customer=customer, payment_id=payment_id
    )
    return documents.receipt_pdf(business, customer, view), f"receipt-{payment_id}.pdf"


async def portal_payments(request: Request) -> Response:
    return await visits.view(request, "fragments/payments/history.html", history_context)


routes = [
    Route("/portal/{key}/payments", portal_payments, name="portal_payments"),
    Route(
        "/portal/{key}/payment-methods/{method}/{change}",
        portal_payment_method_change,
        methods=["POST"],
        name="portal_payment_method_change",
    ),
]
