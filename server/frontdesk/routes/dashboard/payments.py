"""Payments in the dashboard: the list, a payment's page and refunds."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import money
from frontdesk.models import (
    Customer,
    Payment,
    RefundCause,
)
from frontdesk.processors import Processor
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, page_number
from frontdesk.services import (
    customers,
    inputs,
    payments,
)
from frontdesk.services.errors import Invalid, NotFound

PAYMENT_PAGE = "fragments/dashboard/payment.html"


async def dashboard_payments(request: Request) -> Response:
    number = page_number(request)

    def build(who: Staff) -> dict[str, Any]:
        rows = who.session.exec(
            select(Payment, Customer)
            .join(Customer, col(Customer.id) == Payment.customer_id)
            .order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
            .limit(26)
            .offset((number - 1) * 25)
        ).all()
        shown = rows[:25]
        seen = payments.views(who.session, [payment for payment, _ in shown])
        return {
            "rows": [(view, customer) for view, (_, customer) in zip(seen, shown, strict=True)],
            "more": len(rows) > 25,
            "page_number": number,
        }

    return await page(
        request, "fragments/dashboard/payments.html", build, title="Payments", section="payments"
    )


def _payment(who: Staff, payment_id: str) -> Payment:
    found = who.session.get(Payment, payment_id)
    if found is None or found.business_id != who.business.id:
        raise NotFound("no such payment")
    return found


def payment_context(who: Staff, payment: Payment, **extra: Any) -> dict[str, Any]:
    customer = customers.get(who.session, business=who.business, customer_id=payment.customer_id)
    [view] = payments.history(
        who.session,
        business=who.business,
        customer=customer,
        payment_id=payment.id,
        attempts=True,
    )
    context: dict[str, Any] = {
        "view": view,
        "payment": payment,
        "customer": customer,
        "refundable": view.kept
        if payment.status == "succeeded" and payment.processor_reference
        else 0,
        "effects": payments.EFFECTS,
        "confirming": None,
        "typed": "",
        "reason": "",
        "effect": "",
        "title": "Payment",
        "section": "payments",
        "notice": "",
        "errors": {},
    }
    context.update(extra)
    return context


async def dashboard_payment(request: Request) -> Response:
    payment_id = request.path_params["payment"]

    def build(who: Staff) -> dict[str, Any]:
        return payment_context(who, _payment(who, payment_id))

    return await page(request, PAYMENT_PAGE, build, title="Payment", section="payments")


def _refund_step(
    who: Staff,
    form: FormData,
    payment_id: str,
    processor: Processor,
    paypal: PayPalProcessor | None,
) -> dict[str, Any]:
    """Without `confirmed`, only what would happen; with it, the refund."""
    payment = _payment(who, payment_id)
    typed = str(form.get("amount", "")).strip()
    amount = inputs.amount(typed, payment.currency)
    effect, reason = str(form.get("effect", "")), str(form.get("reason", ""))[:1000]
    if form.get("confirmed") != "yes":
        planned = payments.plan(
            who.session, business=who.business, payment=payment, amount=amount, effect=effect
        )
        return payment_context(who, payment, confirming=planned, typed=typed, reason=reason)
    refund = payments.refund(
        who.session,
        business=who.business,
        payment=payment,
        amount=amount,
        reason=reason,
        effect=effect,
        cause=RefundCause.STAFF,
        actor=who.user.id,
        processor=processor,
        paypal=paypal,
    )
    shown = money.format_amount(refund.amount, refund.currency, who.business.locale)
    return payment_context(who, payment, notice=f"Refunded {shown}.")


async def dashboard_payment_refund(request: Request) -> Response:
    """Refund, in two steps: the business says how much and what becomes of the invoices, sees
    exactly that, and confirms it. Nothing moves before the confirmation."""
    payment_id, processor = request.path_params["payment"], request.app.state.processor
    paypal = request.app.state.paypal

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        typed, reason, effect = (str(form.get(k, "")) for k in ("amount", "reason", "effect"))
        payment = _payment(who, payment_id)
        errors = field_errors(invalid)
        return payment_context(
            who, payment, errors=errors, typed=typed, reason=reason, effect=effect
        )

    return await action(
        request,
        PAYMENT_PAGE,
        lambda who, form: _refund_step(who, form, payment_id, processor, paypal),
        rebuild,
        section="payments",
    )


routes = [
    Route("/payments", dashboard_payments, name="dashboard_payments"),
    Route("/payments/{payment}", dashboard_payment, name="dashboard_payment"),
    Route(
        "/payments/{payment}/refunds",
        dashboard_payment_refund,
        methods=["POST"],
        name="dashboard_payment_refund",
    ),
]
