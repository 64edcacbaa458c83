"""Every path that can move one payment, run in every order and together in threads that meet at
the customer's lock (barriers, never sleeps): the webhook, the customer's result poll and
reconciliation bringing one success; the customer and the business paying one invoice; one-click
and a business charge racing their own webhooks; a saved card reported by browser and webhook.
Each ends with the books check."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable

import httpx
import pytest
import stripe
from sqlmodel import select

from frontdesk.jobs import OutboxRunner
from frontdesk.models import (
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
)
from frontdesk.services import businesses, card_setup, customers, payments
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links
from tests.flow import Flow, assert_books_balance
from tests.interleave import together

Path = Callable[[], object]


def paths(flow: Flow, payment: Payment) -> dict[str, Path]:
    intent = str(payment.processor_reference)
    session = Links(flow.settings.secret_key).session(flow.customer, "ses_test")
    result = f"{flow.app.url}/portal/{flow.business.publishable_key}/pay/{payment.id}/result"

    def webhook() -> object:
        answer = flow.post_event(flow.event("payment_intent.succeeded", intent))
        assert answer.status_code == 200, answer.text
        return answer

    def poll() -> object:
        answer = httpx.get(result, headers={"Authorization": f"Bearer {session}"}, timeout=60)
        assert answer.status_code == 200 and "Payment received" in answer.text, answer.text
        return answer

    def reconcile() -> object:
        return OutboxRunner(flow.db, flow.settings, processor=flow.processor).reconcile()

    return {"webhook": webhook, "poll": poll, "reconcile": reconcile}


def assert_applied_once(flow: Flow, payment: Payment) -> None:
    with flow.db.session(flow.business.id) as session:
        stored = session.get(Payment, payment.id)
        assert stored is not None and stored.status == PaymentStatus.SUCCEEDED
        assert session.exec(select(Refund)).all() == []
        receipts = [
            item
            for item in session.exec(select(OutboxItem)).all()
            if item.kind == "receipt" and item.payload["payment"] == payment.id
        ]
        assert len(receipts) == 1
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    assert_books_balance(flow)  # the processor refunded nothing either


ORDERS = list(itertools.permutations(["webhook", "poll", "reconcile"]))


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_one_success_brought_in_any_order_is_applied_once(
    quiet_flow: Flow, order: tuple[str, ...]
) -> None:
    payment, _ = quiet_flow.start(numbers=["INV-A"])
    quiet_flow.confirm(payment)
    ways = paths(quiet_flow, payment)
    for name in order:
        ways[name]()
    assert_applied_once(quiet_flow, payment)


@pytest.mark.parametrize(
    "names",
    [("webhook", "poll"), ("webhook", "reconcile"), ("poll", "reconcile"), ("poll", "poll")],
    ids="+".join,
)
def test_one_success_brought_by_paths_at_once_is_applied_once(
    quiet_flow: Flow, names: tuple[str, ...]
) -> None:
    payment, _ = quiet_flow.start(numbers=["INV-A"])
    quiet_flow.confirm(payment)
    ways = paths(quiet_flow, payment)
    together(quiet_flow.db.engine, *(ways[name] for name in names))
    assert_applied_once(quiet_flow, payment)


# --- two payments for one invoice: the customer's and the business's charge ------------------

SAME_INVOICE = ["customer starts", "customer confirms", "webhook", "business charges"]
INVOICE_ORDERS = [
    order
    for order in itertools.permutations(SAME_INVOICE)
    # The customer's own steps keep their order; the business's charge falls anywhere.
    if [step for step in order if step != "business charges"] == SAME_INVOICE[:3]
]


def one_invoice_paid_once(flow: Flow) -> None:
    """Exactly one payment settled INV-A, nothing went back, and the books balance."""
    with flow.db.session(flow.business.id) as session:
        settled = session.exec(
            select(Payment).where(Payment.status == PaymentStatus.SUCCEEDED)
        ).all()
        assert len(settled) == 1, [p.id for p in settled]
        assert session.exec(select(Refund)).all() == []
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    assert_books_balance(flow)


@pytest.mark.parametrize("order", INVOICE_ORDERS, ids=["-".join(o) for o in INVOICE_ORDERS])
def test_a_customer_and_the_business_paying_one_invoice_in_any_order_pay_once(
    quiet_flow: Flow, order: tuple[str, ...]
) -> None:
    flow = quiet_flow
    started: list[Payment] = []

    def step(name: str) -> None:
        if name == "customer starts":
            with contextlib.suppress(Invalid):  # already paid by the business: nothing to pay
                started.append(flow.start(numbers=["INV-A"])[0])
        elif name == "customer confirms" and started:
            with contextlib.suppress(stripe.InvalidRequestError):  # cancelled by the charge
                flow.confirm(started[0])
        elif name == "webhook" and started:
            reference = str(started[0].processor_reference)
            if any(
                e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == reference
                for e in flow.store.events
            ):
                flow.post_event(flow.event("payment_intent.succeeded", reference))
        elif name == "business charges":
            # Refused when the customer's payment went through; otherwise it cancels theirs.
            with contextlib.suppress(Invalid):
                flow.business_charges("pm_card_visa")

    for name in order:
        step(name)
    one_invoice_paid_once(flow)


def test_a_customer_starting_as_the_business_charges_pays_once(quiet_flow: Flow) -> None:
    flow = quiet_flow

    def customer() -> Payment | None:
        try:
            return flow.start(numbers=["INV-A"])[0]
        except Invalid:
            return None

    def business() -> object:
        with contextlib.suppress(Invalid):
            return flow.business_charges("pm_card_visa")
        return None

    theirs, _ = together(flow.db.engine, customer, business)
    if isinstance(theirs, Payment):
        with contextlib.suppress(stripe.InvalidRequestError):
            flow.confirm(theirs)
        for event in list(flow.store.events):
            if event["type"] == "payment_intent.succeeded":
                flow.post_event(json.loads(json.dumps(event)))
    one_invoice_paid_once(flow)


# --- a payment made in the request, and its webhook ------------------------------------------


def test_one_click_and_its_webhook_apply_once(quiet_flow: Flow) -> None:
    flow = quiet_flow
    card = saved_card(flow)
    webhook = threading.Thread(target=deliver_when_charged, args=(flow,))
    webhook.start()
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        method = session.get(PaymentMethod, card.id)
        assert method is not None
        chosen = payments.choose(session, business=business, customer=customer, numbers=["INV-A"])
        payments.start(
            session,
            business=business,
            customer=customer,
            selection=chosen,
            tip=0,
            processor=flow.processor,
            saved=method,
        )
    webhook.join(timeout=60)
    deliver_every_success(flow)  # and once more, as the processor retries a refused delivery
    one_invoice_paid_once(flow)


def test_a_business_charge_and_its_webhook_apply_once(quiet_flow: Flow) -> None:
    flow = quiet_flow
    webhook = threading.Thread(target=deliver_when_charged, args=(flow,))
    webhook.start()
    charged = flow.business_charges("pm_card_visa")
    webhook.join(timeout=60)
    deliver_every_success(flow)
    assert flow.payment(charged.payment.id).status == PaymentStatus.SUCCEEDED
    one_invoice_paid_once(flow)


def saved_card(flow: Flow) -> PaymentMethod:
    with flow.db.session(flow.business.id) as session:
        method = PaymentMethod(
            business_id=flow.business.id,
            customer_id=flow.customer.id,
            processor_id="pm_card_visa",
            brand="visa",
            last4="4242",
            is_default=True,
            consent_text="I authorise it",
        )
        session.add(method)
    return method


def deliver_when_charged(flow: Flow) -> None:
    """The webhook, sent the moment the processor has charged (while our request that made the
    charge may still be applying it): refused then if our payment is not committed yet."""
    deadline = time.monotonic() + 30
    while not any(e["type"] == "payment_intent.succeeded" for e in flow.store.events):
        assert time.monotonic() < deadline, "the processor never charged"
        time.sleep(0.001)
    deliver_every_success(flow)


def deliver_every_success(flow: Flow) -> None:
    for event in list(flow.store.events):
        if event["type"] == "payment_intent.succeeded":
            answer = flow.post_event(json.loads(json.dumps(event)))
            assert answer.status_code in (200, 400), answer.text


# --- a card saved without paying: the browser and the webhook at once -------------------------


def test_a_saved_card_reported_by_browser_and_webhook_at_once_is_kept_once(
    quiet_flow: Flow,
) -> None:
    flow = quiet_flow
    setup_id = flow.save_card("form1")
    [event] = [e for e in flow.store.events if e["type"] == "setup_intent.succeeded"]

    def browser() -> str:
        with flow.db.session(flow.business.id) as session:
            business = businesses.get(session, flow.business.id)
            customer = customers.get(session, business=business, customer_id=flow.customer.id)
            return card_setup.finish(
                session,
                business=business,
                customer=customer,
                setup_id=setup_id,
                processor=flow.processor,
            )

    together(flow.db.engine, browser, lambda: flow.post_event(json.loads(json.dumps(event))))
    with flow.db.session(flow.business.id) as session:
        assert len(session.exec(select(PaymentMethod)).all()) == 1
