"""PayPal where the customer pays: whether it is offered, where PayPal's script comes from, and
the secure pay page's side of a PayPal payment. The money rules are services/payments/paypal.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlmodel import Session, select

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    Customer,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    PayPalCheckout,
)
from frontdesk.processors import Processor
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.services import businesses, customers
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.payments import intents
from frontdesk.services.payments import paypal as checkouts
from frontdesk.settings import PAYPAL_API_BASES, Settings

# PayPal's JavaScript SDK, for its live and sandbox APIs alike (the client id tells them apart).
PAYPAL_SDK = "https://www.paypal.com/sdk/js"


def offers(business: Business) -> bool:
    """Whether the business takes PayPal: enabled, with its PayPal account connected."""
    return bool(business.paypal_enabled and business.paypal_merchant_id)


def processor_for(business: Business, processor: PayPalProcessor | None) -> PayPalProcessor:
    """PayPal, for a business that offers it on a server where it is set up; NotFound otherwise,
    as if the PayPal routes were not there."""
    if processor is None or not offers(business):
        raise NotFound("PayPal is not offered here")
    return processor


def sdk_url(settings: Settings, business: Business) -> str:
    """PayPal's script for this business's buttons: PayPal's own with PayPal's API, the stand-in's
    beside the stand-in (processors/paypal_standin/); "" when this server has no PayPal."""
    if not settings.paypal_ready or not offers(business):
        return ""
    base = settings.paypal_base_url.rstrip("/")
    script = PAYPAL_SDK if not base or base in PAYPAL_API_BASES else f"{base}/sdk/js"
    # No merchant-id: our orders name no payee (processors/paypal.py), and PayPal's script
    # refuses an order whose payee is not the merchant it was given.
    query = {
        "client-id": settings.paypal_client_id,
        "currency": business.currency.upper(),
        "intent": "capture",
    }
    return f"{script}?{urlencode(query)}"


def refresh(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    payment_id: str,
    processor: Processor,
) -> Payment:
    """How did it go? A PayPal payment is as our capture, PayPal's webhooks and reconciliation
    left it (PayPal is never asked from here); a card payment is asked of its processor."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.customer_id != customer.id:
        raise NotFound("no such payment")
    if payment.method == PaymentMethodKind.PAYPAL:
        return payment
    return intents.refresh(
        session, business=business, customer=customer, payment_id=payment_id, processor=processor
    )


@dataclass(frozen=True)
class PayPalPage:
    """A PayPal payment on the secure pay page: the order the buttons approve, while it can be."""

    business: Business
    customer: Customer
    payment: Payment
    order_id: str


def for_pay_page(
    db: Database, *, secret_keys: tuple[str, ...], token: str, payment_id: str
) -> PayPalPage | None:
    """The PayPal payment the pay page's link names, or None when it names a card payment (the
    card's page then, services/payments/intents.py). NotFound for a link that is not good."""
    with db.session(_claims(secret_keys, token, payment_id).business_id) as session:
        business, customer, payment = _linked(session, secret_keys, token, payment_id)
        if payment.method != PaymentMethodKind.PAYPAL:
            return None
        checkout = _checkout(session, payment)
        open_ = checkout.status in checkouts.OPEN and payment.status == PaymentStatus.PENDING
        return PayPalPage(business, customer, payment, str(checkout.order_id) if open_ else "")


def capture_on_pay_page(
    db: Database,
    *,
    secret_keys: tuple[str, ...],
    token: str,
    payment_id: str,
    processor: PayPalProcessor | None,
    now: datetime,
) -> checkouts.Captured:
    """The payer approved on the secure pay page: capture the order of the payment its link
    names, once however often this is asked (services/payments/paypal.py)."""
    with db.session(_claims(secret_keys, token, payment_id).business_id) as session:
        business, customer, payment = _linked(session, secret_keys, token, payment_id)
        if payment.method != PaymentMethodKind.PAYPAL:
            raise Invalid(gettext("This payment is made by card: pay it with the card form."))
        paypal = processor_for(business, processor)
        return checkouts.capture(
            session,
            business=business,
            customer=customer,
            order_id=str(_checkout(session, payment).order_id),
            processor=paypal,
            now=now,
        )


def _claims(secret_keys: tuple[str, ...], token: str, payment_id: str) -> tokens.Claims:
    try:
        claims = tokens.read(secret_keys, tokens.Purpose.PAY_PAGE, token)
    except tokens.InvalidToken:
        raise NotFound("this payment link has expired") from None
    if claims.extra.get("p") != payment_id:
        raise NotFound("no such payment")
    return claims


def _linked(
    session: Session, secret_keys: tuple[str, ...], token: str, payment_id: str
) -> tuple[Business, Customer, Payment]:
    """The business, customer and payment of a pay page link, checked as the card's page does."""
    claims = _claims(secret_keys, token, payment_id)
    business = businesses.get(session, claims.business_id)
    try:
        customer = customers.for_token(session, business=business, claims=claims)
    except tokens.InvalidToken:
        raise NotFound("no such payment") from None
    payment = session.get(Payment, payment_id)
    if payment is None or payment.customer_id != customer.id:
        raise NotFound("no such payment")
    return business, customer, payment


def _checkout(session: Session, payment: Payment) -> PayPalCheckout:
    checkout = session.exec(
        select(PayPalCheckout).where(PayPalCheckout.payment_id == payment.id)
    ).first()
    if checkout is None or checkout.order_id is None:
        raise NotFound("no such PayPal payment")
    return checkout
