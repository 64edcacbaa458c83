"""The customer's payment history in the portal, each payment's receipt, and saved cards:
adding one without paying (a SetupIntent), making one the default, removing one."""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import Business, Customer
from frontdesk.routes.portal import attempts, frame, tags
from frontdesk.services import autopay, card_setup, host_events, payments, pdfs
from frontdesk.services.errors import Invalid, NotFound


def history_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    return {
        "payments": payments.history(session, business=business, customer=customer),
        "methods": payments.saved_methods(session, business=business, customer=customer),
        "autopay": autopay.panel(session, business=business, customer=customer, choosing=None),
        "current": "payments",
        "notice": "",
    }


def add_card_context(
    session: Session, business: Business, customer: Customer, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "consent": payments.consent_for(business),
        # Names this form: submitting it twice (a double click) starts one setup, not two.
        "attempt": secrets.token_hex(16),
        "errors": errors or {},
        "setup_id": "",
    }


async def portal_card_form(request: Request) -> Response:
    return await frame.view(
        request, "fragments/payments/add_card.html", add_card_context, section="pay"
    )


async def portal_card_start(request: Request) -> Response:
    """Consent given: a SetupIntent, and the card fields to confirm it (the loader mounts them)."""
    settings = request.app.state.settings

    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        attempts.count_payment_attempt(request, customer, per_customer=True)
        setup = card_setup.start(
            session,
            business=business,
            customer=customer,
            consent_given=form.get("consent") == "yes",
            attempt=str(form.get("attempt", "")),
            processor=request.app.state.processor,
        )
        stripe = {"publishable_key": settings.stripe_publishable_key}
        stripe["stripe_js"] = settings.stripe_js_url
        return {"setup_id": setup.id, "client_secret": setup.client_secret, **stripe}

    def rebuild(
        session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        return add_card_context(
            session, business, customer, invalid.fields or {"": invalid.message}
        )

    template = "fragments/payments/add_card.html"
    return await frame.action(request, template, act, rebuild, section="pay")


async def portal_card_added(request: Request) -> Response:
    """Stripe.js says the card is confirmed: check with the processor, then show the cards."""
    setup_id = request.path_params["setup"]

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        status = card_setup.finish(
            session,
            business=business,
            customer=customer,
            setup_id=setup_id,
            processor=request.app.state.processor,
        )
        if status == "succeeded":
            frame.tell(request, host_events.card_saved(session, business, customer))
        context = history_context(session, business, customer)
        context["notice"] = (
            gettext("Your card is saved.")
            if status == "succeeded"
            else gettext("The card was not saved.")
        )
        return context

    template = "fragments/payments/history.html"
    return await frame.view(request, template, tags.Live(build), section="pay")


async def portal_payment_method_change(request: Request) -> Response:
    """Make a saved card the default, or remove it (at the processor too)."""
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
                processor=request.app.state.processor,
            )
        else:
            raise NotFound("no such change")
        frame.tell(request, host_events.card_changed(business, customer, method_id, change))
        return history_context(session, business, customer)

    def rebuild(
        session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        return history_context(session, business, customer)

    return await frame.action(request, "fragments/payments/history.html", act, rebuild)


def pdf(
    session: Session, business: Business, customer: Customer, payment_id: str
) -> tuple[bytes, str]:
    view = payments.get_for_customer(
        session, business=business, customer=customer, payment_id=payment_id
    )
    return pdfs.receipt_pdf(business, customer, view), f"receipt-{payment_id}"


async def portal_payments(request: Request) -> Response:
    return await frame.view(request, "fragments/payments/history.html", history_context)


routes = [
    Route("/payments", portal_payments, name="portal_payments"),
    Route("/payment-methods/new", portal_card_form, name="portal_card_form"),
    Route(
        "/payment-methods/new",
        portal_card_start,
        methods=["POST"],
        name="portal_card_start",
    ),
    Route("/payment-methods/added/{setup}", portal_card_added, name="portal_card_added"),
    Route(
        "/payment-methods/{method}/{change}",
        portal_payment_method_change,
        methods=["POST"],
        name="portal_payment_method_change",
    ),
]
