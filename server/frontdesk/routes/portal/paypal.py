"""Paying in the portal with PayPal: the order for PayPal's buttons, the capture once the payer
approved, and PayPal on the secure pay page. Every figure is worked out again from our records."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Payment, PaymentStatus, PayPalCheckout
from frontdesk.routes.portal import attempts, frame
from frontdesk.routes.portal.pay import _choice, _pay_page, _retry, _wanted
from frontdesk.services import host_events
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.payments import paypal as checkouts
from frontdesk.services.payments import paypal_portal

# A payment PayPal has decided (or is deciding, PENDING): the result, not the buttons again.
DECIDED = (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING, PaymentStatus.FAILED)


def _start(
    request: Request, session: Session, business: Business, customer: Customer, form: FormData
) -> tuple[dict[str, Any], PayPalCheckout]:
    """The checkout (and PayPal's order) for what the form names; the same for a double click."""
    processor = paypal_portal.processor_for(business, request.app.state.paypal)
    choice = _choice(session, business, customer, _wanted(form))
    attempts.count_payment_attempt(request, customer, per_customer=False)
    checkout = checkouts.start(
        session,
        business=business,
        customer=customer,
        selection=choice["selection"],
        tip=choice["tip"],
        processor=processor,
        now=request.app.state.clock(),
    )
    return choice, checkout


async def portal_paypal_order(request: Request) -> Response:
    """PayPal's buttons ask for an order (their createOrder): its id, as JSON."""
    async with request.form() as form:

        def run() -> Response:
            business = frame.business_for(request, "pay")
            try:
                with request.app.state.db.session(business.id) as session:
                    customer = frame.signed_in(request, session, business)
                    frame.refuse_beyond_limits(request, business, "pay", changes=True)
                    _, checkout = _start(request, session, business, customer, form)
            except Invalid as invalid:
                return JSONResponse({"error": invalid.message}, status_code=422)
            headers = frame.session_header(request, customer)
            return JSONResponse({"id": checkout.order_id}, headers=headers)

        return await run_in_threadpool(frame.guarded, request, run)


def _captured(
    request: Request, session: Session, business: Business, customer: Customer, form: FormData
) -> tuple[str, dict[str, Any]]:
    """Capture the approved order; the fragment to show and its context."""
    captured = checkouts.capture(
        session,
        business=business,
        customer=customer,
        order_id=str(form.get("order", "")),
        processor=paypal_portal.processor_for(business, request.app.state.paypal),
        now=request.app.state.clock(),
    )
    payment = captured.payment
    frame.tell(request, host_events.payment_outcome(session, business, customer, payment))
    if payment.status in DECIDED:
        return "fragments/pay/result.html", {"payment": payment}
    # Declined (the payer may approve again with another account or card), or not answered.
    again = Invalid(captured.message or gettext(checkouts.WAITING))
    return "fragments/pay/choose.html", _retry(session, business, customer, form, again)


async def portal_paypal_capture(request: Request) -> Response:
    """The payer approved the order: our server captures it (the capture is what counts). Paid or
    processing shows the result; declined, the pay step again with PayPal's reason. Not an
    `action`: a decline is recorded (the next capture is a new request to PayPal), not undone."""
    async with request.form() as form:

        def run() -> Response:
            business = frame.business_for(request, "pay")
            with request.app.state.db.session(business.id) as session:
                customer = frame.signed_in(request, session, business)
                frame.refuse_beyond_limits(request, business, "pay", changes=True)
                shown, context = _captured(request, session, business, customer, form)
            return frame.fragment(request, business, customer, shown, context)

        return await run_in_threadpool(frame.guarded, request, run)


async def portal_paypal_start(request: Request) -> Response:
    """PayPal on the secure pay page, for a business that keeps payments off its website."""

    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        if not business.secure_pay_page:
            raise NotFound("PayPal is offered beside the card on this business's pay step")
        choice, checkout = _start(request, session, business, customer, form)
        payment = session.get(Payment, checkout.payment_id)
        assert payment is not None  # a foreign key
        return {
            **choice,
            "payment": payment,
            "popup": _pay_page(request, business, customer, payment),
        }

    return await frame.action(
        request,
        "fragments/pay/card.html",
        act,
        _retry,
        section="pay",
        retry="fragments/pay/choose.html",
    )


routes = [
    Route("/pay/paypal", portal_paypal_start, methods=["POST"], name="portal_paypal_start"),
    Route("/pay/paypal/order", portal_paypal_order, methods=["POST"], name="portal_paypal_order"),
    Route(
        "/pay/paypal/capture",
        portal_paypal_capture,
        methods=["POST"],
        name="portal_paypal_capture",
    ),
]
