"""Paying in the portal: choosing what to pay and a tip, the card step, and the result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData, ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Payment
from frontdesk.processors import Processor
from frontdesk.routes.portal import attempts, frame, tags
from frontdesk.services import host_events, inputs, payments, portal
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.invoices import InvoiceView
from frontdesk.services.payments import Selection, paypal_portal
from frontdesk.settings import Settings


@dataclass(frozen=True)
class Wanted:
    """What the customer asked to pay, as sent; every figure is worked out again on the server."""

    numbers: list[str] | None
    tip_bp: int
    amount: str  # a typed partial amount, where the business allows one


def _wanted(params: ImmutableMultiDict[str, Any] | FormData) -> Wanted:
    # The pay step's boxes send "chosen": then no box ticked is a choice, not "everything".
    numbers: list[str] | None = [str(n) for n in params.getlist("invoice")]
    if not numbers and not params.get("chosen"):
        numbers = None
    try:
        tip = int(str(params.get("tip", "0")))
    except ValueError:
        tip = -1
    return Wanted(numbers, tip, str(params.get("amount", "")).strip())


def _chosen(
    session: Session, business: Business, customer: Customer, wanted: Wanted
) -> tuple[list[InvoiceView], Selection]:
    """The invoices the customer can pay, and what of them the request asks to pay now."""
    partial = None
    if business.allow_partial_payments:
        partial = inputs.amount(wanted.amount, business.currency, locale=business.locale)
    payable = payments.payable(session, business=business, customer=customer)
    chosen = payments.choose(
        session,
        business=business,
        customer=customer,
        numbers=wanted.numbers,
        partial=partial,
        among=payable,
    )
    return payable, chosen


def _choice(
    session: Session, business: Business, customer: Customer, wanted: Wanted
) -> dict[str, Any]:
    payable, selection = _chosen(session, business, customer, wanted)
    tip = payments.tip_for(business, selection.amount, wanted.tip_bp)
    saved = payments.saved_methods(session, business=business, customer=customer)
    numbers = [v.invoice.number for v in payable]
    return {
        "payable": payable,
        "ticked": numbers
        if wanted.numbers is None
        else [n for n in numbers if n in wanted.numbers],
        "errors": {},
        "default_method": next((m for m in saved if m.is_default), None),
        "save_consent": payments.consent_for(business),
        "selection": selection,
        "tip_bp": wanted.tip_bp,
        "tip": tip,
        "total": selection.amount + tip,
        "tips": business.tip_basis_points if business.tips_enabled else [],
        "amount_text": wanted.amount,
        "problem": "",
        "partial_allowed": business.allow_partial_payments,
        # Called by the template with the app's settings: PayPal's script, "" without PayPal.
        "paypal_sdk": paypal_portal.sdk_url if paypal_portal.offers(business) else None,
        "current": "pay",
    }


def choose_context(
    session: Session, business: Business, customer: Customer, numbers: list[str] | None = None
) -> dict[str, Any]:
    """The first pay step; the #pay deep link opens it on the whole balance."""
    try:
        return {**_choice(session, business, customer, Wanted(numbers, 0, "")), "problem": ""}
    except Invalid as invalid:
        return {"problem": invalid.message, "selection": None, "current": "pay"}


async def portal_pay(request: Request) -> Response:
    numbers = _wanted(request.query_params).numbers

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        if not portal.payments_on(business):
            return {"current": "pay"}  # it says how to pay otherwise, instead of a missing page
        return choose_context(session, business, customer, numbers)

    return await frame.view(request, "fragments/pay/choose.html", build, section="pay")


async def portal_pay_summary(request: Request) -> Response:
    wanted = _wanted(request.query_params)

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        try:
            return _choice(session, business, customer, wanted)
        except Invalid as invalid:
            # The total cannot be worked out yet: say why beside the amount field.
            return {"problem": invalid.fields.get("amount", invalid.message), "selection": None}

    return await frame.view(request, "fragments/pay/summary.html", build, section="pay")


def _started(
    request: Request,
    session: Session,
    business: Business,
    customer: Customer,
    form: FormData,
    one_click: bool,
) -> dict[str, Any]:
    """Start paying what the form names: with new card details, or (one-click) with the saved
    default card, charged at once."""
    choice = _choice(session, business, customer, _wanted(form))
    attempts.count_payment_attempt(request, customer, per_customer=False)
    saved = choice["default_method"] if one_click else None
    if one_click and saved is None:
        raise Invalid(gettext("There is no saved card to pay with."))
    payment, client_secret = payments.start(
        session,
        business=business,
        customer=customer,
        selection=choice["selection"],
        tip=choice["tip"],
        processor=request.app.state.processor,
        save_method=not one_click and form.get("save_method") == "yes",
        saved=saved,
        now=request.app.state.clock(),
    )
    if one_click:  # charged at once: paid or declined now, unless the bank wants a check first
        frame.tell(request, host_events.payment_outcome(session, business, customer, payment))
    card_step = _card_step(request.app.state.settings, payment, client_secret)
    return {**choice, **card_step, "popup": _pay_page(request, business, customer, payment)}


async def _start(request: Request, template: str, *, one_click: bool) -> Response:
    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        return _started(request, session, business, customer, form, one_click)

    return await frame.action(
        request, template, act, _retry, section="pay", retry="fragments/pay/choose.html"
    )


def _retry(
    session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
) -> dict[str, Any]:
    """The pay step again as the customer filled it in, with what to fix beside its field; the
    totals are those of what can still be worked out (all invoices, no tip, the whole amount)."""
    wanted = _wanted(form)
    fields = invalid.fields
    usable = Wanted(
        None if "invoices" in fields else wanted.numbers,
        0 if "tip" in fields else wanted.tip_bp,
        "" if "amount" in fields else wanted.amount,
    )
    try:
        context = _choice(session, business, customer, usable)
    except Invalid as still:
        return {"problem": still.message, "selection": None, "current": "pay"}
    ticked = context["ticked"] if wanted.numbers is None else wanted.numbers
    return {
        **context,
        "ticked": ticked,
        "amount_text": wanted.amount,
        "errors": fields or {"form": invalid.message},
    }


async def portal_pay_start(request: Request) -> Response:
    return await _start(request, "fragments/pay/card.html", one_click=False)


def _card_step(settings: Settings, payment: Payment, client_secret: str) -> dict[str, Any]:
    """What the browser needs to take a card (or a bank's check) for this payment."""
    return {
        "payment": payment,
        "client_secret": client_secret,
        "publishable_key": settings.stripe_publishable_key,
        "stripe_js": settings.stripe_js_url,
    }


def _pay_page(request: Request, business: Business, customer: Customer, payment: Payment) -> str:
    """Our own pay page for this payment, when the business keeps card entry off its website."""
    if not business.secure_pay_page:
        return ""
    token = request.app.state.links.pay_page(customer, payment.id)
    return f"{request.url_for('pay_page', payment=payment.id)}?t={token}"


async def portal_pay_confirm(request: Request) -> Response:
    """One-click pay, step one: the amount and the card, to confirm."""
    wanted = _wanted(request.query_params)

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        choice = _choice(session, business, customer, wanted)
        if choice["default_method"] is None:
            raise NotFound("no saved card")
        return choice

    return await frame.view(request, "fragments/pay/confirm.html", build, section="pay")


async def portal_pay_one_click(request: Request) -> Response:
    """One-click pay, step two: charge the default card now, with the customer present."""
    return await _start(request, "fragments/pay/charged.html", one_click=True)


def complete_context(payment_id: str, processor: Processor, settings: Settings) -> frame.Build:
    """Back from the emailed link: the waiting payment, ready for the bank's check."""

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        payment, client_secret = payments.complete_on_session(
            session,
            business=business,
            customer=customer,
            payment_id=payment_id,
            processor=processor,
        )
        return {**_card_step(settings, payment, client_secret), "problem": "", "current": "pay"}

    return tags.Live(build)


async def portal_pay_result(request: Request) -> Response:
    """After Stripe.js says how it went: ask the processor ourselves, never the browser."""
    payment_id = request.path_params["payment"]

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        payment = paypal_portal.refresh(
            session,
            business=business,
            customer=customer,
            payment_id=payment_id,
            processor=request.app.state.processor,
        )
        frame.tell(request, host_events.payment_outcome(session, business, customer, payment))
        return {
            "payment": payment,
            "popup": _pay_page(request, business, customer, payment),
            "current": "pay",
        }

    return await frame.view(request, "fragments/pay/result.html", tags.Live(build), section="pay")


routes = [
    Route("/pay", portal_pay, name="portal_pay"),
    Route("/pay/summary", portal_pay_summary, name="portal_pay_summary"),
    Route("/pay", portal_pay_start, methods=["POST"], name="portal_pay_start"),
    Route("/pay/confirm", portal_pay_confirm, name="portal_pay_confirm"),
    Route(
        "/pay/one-click",
        portal_pay_one_click,
        methods=["POST"],
        name="portal_pay_one_click",
    ),
    Route("/pay/{payment}/result", portal_pay_result, name="portal_pay_result"),
]
