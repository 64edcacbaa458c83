"""Paying invoices with PayPal, exactly once, against the PayPal stand-in over real HTTP: the
checkout, the capture (completed, declined, pending), PayPal's webhooks through our route in any
order and any number of times, lost answers, reconciliation, refunds, and what is refused.
Every test that moves money ends with the books check, compared with PayPal."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event
from sqlmodel import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    Invoice,
    InvoiceEffect,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    PayPalCheckout,
    PayPalCheckoutStatus,
    Refund,
    RefundCause,
    utcnow,
)
from frontdesk.processors.paypal import DECLINED_MESSAGE, PayPalProcessor
from frontdesk.services import audit, businesses, customers, payments
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.payments import ledger
from frontdesk.services.payments import paypal as checkout_service
from frontdesk.services.payments.apply import Mismatch
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.interleave import CUSTOMER_LOCK, together
from tests.paypal_bed import CLIENT, SECRET, WEBHOOK_ID, Bed, Delivery, Listener, listening
from tests.paypal_bed import standin as standin_bed


class Dropper:
    """Between us and the stand-in: passes everything on, but while `dropping` it loses the
    answers to captures (PayPal took the money; we never heard)."""

    def __init__(self, target: str, on_capture: Callable[[], None] | None = None) -> None:
        self.target, self.dropping, self.on_capture = target, False, on_capture
        self.server = LiveServer(
            Starlette(routes=[Route("/{path:path}", self.relay, methods=["GET", "POST"])])
        )

    async def relay(self, request: Request) -> Response:
        async with httpx.AsyncClient(base_url=self.target) as client:
            answer = await client.request(
                request.method,
                request.url.path,
                params=request.query_params,
                content=await request.body(),
                headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            )
        if request.url.path.endswith("/capture"):
            if self.on_capture is not None:
                await run_in_threadpool(self.on_capture)
            if self.dropping:
                return Response("lost on the way", status_code=502)
        return Response(answer.content, answer.status_code, media_type="application/json")


@dataclass
class Pay:
    db: Database
    settings: Settings
    bed: Bed
    listener: Listener
    app: LiveServer
    paypal: PayPalProcessor
    business: Business
    customer: Customer
    invoices: list[Invoice]

    def start(self, numbers: list[str] | None = None, tip: int = 0) -> PayPalCheckout:
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            customer = customers.get(session, business=business, customer_id=self.customer.id)
            chosen = payments.choose(session, business=business, customer=customer, numbers=numbers)
            return checkout_service.start(
                session,
                business=business,
                customer=customer,
                selection=chosen,
                tip=tip,
                processor=self.paypal,
                now=utcnow(),
            )

    def capture(
        self,
        order_id: str,
        processor: PayPalProcessor | None = None,
        customer: Customer | None = None,
    ) -> checkout_service.Captured:
        who = customer or self.customer
        with self.db.session(who.business_id) as session:
            business = businesses.get(session, who.business_id)
            found = customers.get(session, business=business, customer_id=who.id)
            return checkout_service.capture(
                session,
                business=business,
                customer=found,
                order_id=order_id,
                processor=processor or self.paypal,
                now=utcnow(),
            )

    def paid(self, choice: str = "approve") -> tuple[PayPalCheckout, checkout_service.Captured]:
        checkout = self.start()
        assert self.bed.approve(str(checkout.order_id), choice).status_code == 200
        return checkout, self.capture(str(checkout.order_id))

    def delivery(self, event_type: str, capture_id: str, timeout: float = 30) -> Delivery:
        """What the stand-in sent our webhook about this capture."""
        with self.listener.arrived:
            assert self.listener.arrived.wait_for(
                lambda: self._find(event_type, capture_id), timeout
            ), f"no {event_type} for {capture_id}"
            found = self._find(event_type, capture_id)
            assert found is not None
            return found

    def _find(self, event_type: str, capture_id: str) -> Delivery | None:
        for delivery in self.listener.deliveries:
            body = json.loads(delivery.body)
            if body["event_type"] == event_type and body["resource"]["id"] == capture_id:
                return delivery
        return None

    def post(self, delivery: Delivery, **headers: str) -> httpx.Response:
        sent = {k: v for k, v in delivery.headers.items() if k.lower().startswith("paypal-")}
        sent.update(headers)
        return httpx.post(
            f"{self.app.url}/webhooks/paypal",
            content=delivery.body,
            headers={**sent, "Content-Type": "application/json"},
            timeout=60,
        )

    def wait(self, check: Callable[[], object], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
            time.sleep(0.05)

    def capture_id(self) -> str:
        (captured,) = self.bed.store.captures
        return str(captured)

    def payment(self, payment_id: str) -> Payment:
        with self.db.session(self.business.id) as session:
            found = session.get(Payment, payment_id)
            assert found is not None
            return found

    def checkout(self, checkout_id: str) -> PayPalCheckout:
        with self.db.session(self.business.id) as session:
            found = session.get(PayPalCheckout, checkout_id)
            assert found is not None
            return found

    def invoice(self, invoice_id: str) -> Invoice:
        with self.db.session(self.business.id) as session:
            found = session.get(Invoice, invoice_id)
            assert found is not None
            return found

    def receipts(self, payment_id: str) -> int:
        with self.db.session(self.business.id) as session:
            items = session.exec(select(OutboxItem).where(OutboxItem.kind == "receipt")).all()
            return sum(item.payload["payment"] == payment_id for item in items)

    def books(self, now: datetime | None = None) -> ledger.Report:
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            return ledger.check(
                session, business=business, processor=None, now=now or utcnow(), paypal=self.paypal
            )


def assert_books(pay: Pay) -> None:
    report = pay.books()
    assert report.problems == [], "\n".join(report.problems)
    assert report.in_flight == [], f"captures never recorded: {report.in_flight}"


@pytest.fixture
def pay(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Pay]:
    with listening() as listener, standin_bed(tmp_path, listener.url) as bed:
        configured = settings.model_copy(
            update={
                "paypal_base_url": bed.url,
                "paypal_client_id": CLIENT,
                "paypal_secret": SECRET,
                "paypal_webhook_id": WEBHOOK_ID,
            }
        )
        business = make_business(db, paypal_enabled=True, paypal_merchant_id="STANDIN1").business
        with db.session(business.id) as session:
            customer = make_customer(session, business)
            older = make_invoice(
                session,
                business,
                customer,
                amounts=(4000,),
                number="INV-A",
                issue_date=date.today() - timedelta(days=20),
                due_date=date.today() - timedelta(days=5),
            )
            newer = make_invoice(session, business, customer, amounts=(6000,), number="INV-B")
        app = LiveServer(create_app(configured, db)).start()
        with PayPalProcessor(bed.url, CLIENT, SECRET) as paypal:
            yield Pay(
                db, configured, bed, listener, app, paypal, business, customer, [older, newer]
            )
        app.stop()


def test_paying_with_paypal_settles_the_invoices_once(pay: Pay) -> None:
    checkout, captured = pay.paid()
    assert captured.message == ""
    payment = pay.payment(checkout.payment_id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.method == PaymentMethodKind.PAYPAL
    assert payment.processor_reference == pay.capture_id()
    assert payment.amount == 10000 and payment.application_fee == 0
    assert pay.checkout(checkout.id).status == PayPalCheckoutStatus.CAPTURED
    assert all(pay.invoice(i.id).status == InvoiceStatus.PAID for i in pay.invoices)
    # The order carries our checkout and a fresh invoice id, the amount from our records.
    order = pay.paypal.retrieve_order(str(checkout.order_id))
    assert order.custom_id == checkout.id and order.amount == 10000
    assert order.invoice_id.endswith(checkout.id)
    # PayPal's webhook after the capture's answer, and again: nothing more.
    completed = pay.delivery("PAYMENT.CAPTURE.COMPLETED", pay.capture_id())
    first, again = pay.post(completed), pay.post(completed)
    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert pay.receipts(payment.id) == 1
    assert_books(pay)


def test_asking_twice_for_the_same_invoices_gives_the_same_order(pay: Pay) -> None:
    first, second = pay.start(), pay.start()
    assert (first.id, first.order_id) == (second.id, second.order_id)
    other = pay.start(numbers=["INV-A"])
    assert other.order_id != first.order_id
    assert pay.checkout(first.id).status == PayPalCheckoutStatus.EXPIRED
    assert pay.payment(first.payment_id).status == PaymentStatus.CANCELED
    assert_books(pay)


def test_a_double_clicked_approve_captures_once(pay: Pay) -> None:
    checkout = pay.start()
    pay.bed.approve(str(checkout.order_id))
    order_id = str(checkout.order_id)
    results = together(pay.db.engine, lambda: pay.capture(order_id), lambda: pay.capture(order_id))
    assert [r.payment.status for r in results] == [PaymentStatus.SUCCEEDED] * 2
    assert len(pay.bed.store.captures) == 1
    assert pay.receipts(checkout.payment_id) == 1
    assert_books(pay)


def test_a_lost_capture_answer_is_brought_in_by_the_webhook(pay: Pay) -> None:
    dropper = Dropper(pay.bed.url)
    dropper.server.start()
    dropper.dropping = True
    try:
        with PayPalProcessor(dropper.server.url, CLIENT, SECRET) as lossy:
            checkout = pay.start()
            pay.bed.approve(str(checkout.order_id))
            captured = pay.capture(str(checkout.order_id), processor=lossy)
    finally:
        dropper.server.stop()
    assert captured.message == checkout_service.WAITING
    assert captured.payment.status == PaymentStatus.PENDING
    assert pay.checkout(checkout.id).status == PayPalCheckoutStatus.APPROVED
    # PayPal took it: the books say so, as in flight, until we hear.
    assert pay.books().in_flight == [pay.capture_id()]
    with pytest.raises(Invalid):
        pay.start()  # a second checkout now could take the money twice
    answer = pay.post(pay.delivery("PAYMENT.CAPTURE.COMPLETED", pay.capture_id()))
    assert answer.status_code == 200, answer.text
    assert pay.payment(checkout.payment_id).status == PaymentStatus.SUCCEEDED
    # The payer clicks again after the webhook: the same payment, no second capture.
    again = pay.capture(str(checkout.order_id))
    assert again.payment.status == PaymentStatus.SUCCEEDED and again.message == ""
    assert len(pay.bed.store.captures) == 1
    assert pay.receipts(checkout.payment_id) == 1
    assert_books(pay)


def test_a_lost_capture_answer_and_webhook_are_brought_in_by_reconciliation(pay: Pay) -> None:
    dropper = Dropper(pay.bed.url)
    dropper.server.start()
    dropper.dropping = True
    try:
        with PayPalProcessor(dropper.server.url, CLIENT, SECRET) as lossy:
            checkout = pay.start()
            pay.bed.approve(str(checkout.order_id))
            pay.capture(str(checkout.order_id), processor=lossy)
    finally:
        dropper.server.stop()
    # The outbox runner's reconciliation round asks PayPal, once the checkout is old enough.
    runner = OutboxRunner(pay.db, pay.settings)
    try:
        assert runner.reconcile(utcnow() + timedelta(minutes=5)) == 0
        assert pay.payment(checkout.payment_id).status == PaymentStatus.PENDING
        later = utcnow() + checkout_service.RECONCILE_AFTER + timedelta(minutes=1)
        assert runner.reconcile(later) == 1
    finally:
        runner.stop()
    assert pay.payment(checkout.payment_id).status == PaymentStatus.SUCCEEDED
    assert checkout_service.reconcile(pay.db, pay.paypal, later) == 0
    assert len(pay.bed.store.captures) == 1
    assert_books(pay)


def test_an_approved_order_never_captured_is_captured_by_reconciliation(pay: Pay) -> None:
    checkout = pay.start()
    pay.bed.approve(str(checkout.order_id))
    with pay.db.session(pay.business.id) as session:
        # The payer approved and we asked; the process died before PayPal was reached.
        found = session.get(PayPalCheckout, checkout.id)
        assert found is not None
        found.status, found.approved_at = PayPalCheckoutStatus.APPROVED, utcnow()
    later = utcnow() + checkout_service.RECONCILE_AFTER + timedelta(minutes=1)
    assert checkout_service.reconcile(pay.db, pay.paypal, later) == 1
    assert pay.payment(checkout.payment_id).status == PaymentStatus.SUCCEEDED
    assert_books(pay)


def test_a_checkout_never_approved_expires(pay: Pay) -> None:
    checkout = pay.start()
    assert checkout_service.reconcile(pay.db, pay.paypal, utcnow() + timedelta(hours=1)) == 0
    expired = utcnow() + checkout_service.LIFETIME + timedelta(minutes=1)
    assert checkout_service.reconcile(pay.db, pay.paypal, expired) == 1
    assert pay.checkout(checkout.id).status == PayPalCheckoutStatus.EXPIRED
    assert pay.payment(checkout.payment_id).status == PaymentStatus.CANCELED
    assert pay.invoice(pay.invoices[0].id).status == InvoiceStatus.OPEN
    assert_books(pay)


def test_the_webhook_before_the_capture_answer_applies_once(pay: Pay) -> None:
    """PayPal's webhook can reach us before its answer to our capture does: it waits for the
    customer's lock, then finds the payment applied."""
    checkout = pay.start()
    pay.bed.approve(str(checkout.order_id))
    results: list[httpx.Response] = []
    webhook_waits = threading.Event()
    capturing = threading.get_ident()

    def at_the_lock(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if CUSTOMER_LOCK in statement and threading.get_ident() != capturing:
            webhook_waits.set()

    def webhook_first() -> None:
        # PayPal took the money; its answer to us is held until the webhook is at our lock.
        delivery = pay.delivery("PAYMENT.CAPTURE.COMPLETED", pay.capture_id())
        threading.Thread(target=lambda: results.append(pay.post(delivery))).start()
        assert webhook_waits.wait(30), "the webhook never reached the customer's lock"

    dropper = Dropper(pay.bed.url, on_capture=webhook_first)
    dropper.server.start()
    event.listen(pay.db.engine, "before_cursor_execute", at_the_lock)
    try:
        with PayPalProcessor(dropper.server.url, CLIENT, SECRET) as held:
            captured = pay.capture(str(checkout.order_id), processor=held)
        pay.wait(lambda: results, "the webhook's answer")
    finally:
        event.remove(pay.db.engine, "before_cursor_execute", at_the_lock)
        dropper.server.stop()
    assert captured.payment.status == PaymentStatus.SUCCEEDED
    assert [r.status_code for r in results] == [200], results[0].text
    assert pay.receipts(checkout.payment_id) == 1
    assert len(pay.bed.store.captures) == 1
    assert_books(pay)


def test_forged_and_foreign_webhooks_change_nothing(pay: Pay) -> None:
    dropper = Dropper(pay.bed.url)
    dropper.server.start()
    dropper.dropping = True
    try:
        with PayPalProcessor(dropper.server.url, CLIENT, SECRET) as lossy:
            checkout = pay.start()
            pay.bed.approve(str(checkout.order_id))
            pay.capture(str(checkout.order_id), processor=lossy)
    finally:
        dropper.server.stop()
    completed = pay.delivery("PAYMENT.CAPTURE.COMPLETED", pay.capture_id())
    forged = pay.post(completed, **{"PAYPAL-TRANSMISSION-SIG": "Zm9yZ2Vk"})
    foreign = pay.post(
        completed, **{"PAYPAL-CERT-URL": "https://evil.example.com/v1/notifications/certs/CERT-1"}
    )
    changed = httpx.post(
        f"{pay.app.url}/webhooks/paypal",
        content=completed.body.replace(b"COMPLETED", b"COMPLETED "),
        headers={k: v for k, v in completed.headers.items() if k.lower().startswith("paypal-")},
    )
    assert [forged.status_code, foreign.status_code, changed.status_code] == [400, 400, 400]
    assert pay.payment(checkout.payment_id).status == PaymentStatus.PENDING
    assert pay.books().in_flight == [pay.capture_id()]
    assert pay.post(completed).status_code == 200
    assert pay.payment(checkout.payment_id).status == PaymentStatus.SUCCEEDED
    assert_books(pay)


def test_an_order_that_does_not_match_our_checkout_is_not_captured(pay: Pay) -> None:
    checkout = pay.start()
    # An order for less, naming our checkout (a bug, or an order swapped on the way).
    cheaper = pay.paypal.create_order(
        amount=100,
        currency="USD",
        custom_id=checkout.id,
        invoice_id=f"other-{checkout.id}",
        description="not ours",
        key="cheaper",
    )
    with pay.db.session(pay.business.id) as session:
        found = session.get(PayPalCheckout, checkout.id)
        assert found is not None
        found.order_id = cheaper.id
    pay.bed.approve(cheaper.id)
    with pytest.raises(Mismatch):
        pay.capture(cheaper.id)
    assert pay.bed.store.captures == {}
    assert pay.payment(checkout.payment_id).status == PaymentStatus.PENDING
    assert pay.checkout(checkout.id).status == PayPalCheckoutStatus.CREATED
    assert_books(pay)


def test_a_capture_for_another_business_order_is_refused(pay: Pay, db: Database) -> None:
    other = make_business(db, paypal_enabled=True, paypal_merchant_id="STANDIN1").business
    with db.session(other.id) as session:
        stranger = make_customer(session, other)
        make_invoice(session, other, stranger, amounts=(2500,), number="INV-Z")
    theirs = replace(pay, business=other, customer=stranger, invoices=[]).start()
    pay.bed.approve(str(theirs.order_id))
    with pytest.raises(NotFound):
        pay.capture(str(theirs.order_id))  # our customer, their order
    with pytest.raises(NotFound):
        pay.capture(str(theirs.order_id), customer=pay.customer)
    assert pay.bed.store.captures == {}
    with db.session(other.id) as session:
        found = session.get(PayPalCheckout, theirs.id)
        assert found is not None and found.status == PayPalCheckoutStatus.CREATED
    assert_books(pay)


def test_a_declined_payer_may_approve_again(pay: Pay) -> None:
    checkout, declined = pay.paid("decline")
    assert declined.message == DECLINED_MESSAGE
    assert declined.payment.status == PaymentStatus.PENDING
    assert pay.checkout(checkout.id).status == PayPalCheckoutStatus.CREATED
    assert pay.bed.approve(str(checkout.order_id), "approve").status_code == 200
    captured = pay.capture(str(checkout.order_id))
    assert captured.payment.status == PaymentStatus.SUCCEEDED and captured.message == ""
    assert_books(pay)


def test_a_pending_capture_is_processing_until_the_webhook_completes_it(pay: Pay) -> None:
    checkout, captured = pay.paid("pending")
    assert captured.payment.status == PaymentStatus.PROCESSING
    assert pay.checkout(checkout.id).status == PayPalCheckoutStatus.PENDING
    assert pay.invoice(pay.invoices[0].id).status == InvoiceStatus.OPEN
    assert_books(pay)
    capture_id = pay.capture_id()
    assert pay.post(pay.delivery("PAYMENT.CAPTURE.PENDING", capture_id)).status_code == 200
    assert pay.payment(checkout.payment_id).status == PaymentStatus.PROCESSING
    assert pay.bed.settle(capture_id, "COMPLETED").status_code == 200
    assert pay.post(pay.delivery("PAYMENT.CAPTURE.COMPLETED", capture_id)).status_code == 200
    assert pay.payment(checkout.payment_id).status == PaymentStatus.SUCCEEDED
    assert pay.invoice(pay.invoices[0].id).status == InvoiceStatus.PAID
    # A late copy of the pending event moves nothing back.
    assert pay.post(pay.delivery("PAYMENT.CAPTURE.PENDING", capture_id)).status_code == 200
    assert pay.payment(checkout.payment_id).status == PaymentStatus.SUCCEEDED
    assert_books(pay)


def test_a_pending_capture_denied_fails_the_payment(pay: Pay) -> None:
    checkout, _ = pay.paid("pending")
    capture_id = pay.capture_id()
    assert pay.bed.settle(capture_id, "DECLINED").status_code == 200
    assert pay.post(pay.delivery("PAYMENT.CAPTURE.DENIED", capture_id)).status_code == 200
    assert pay.payment(checkout.payment_id).status == PaymentStatus.FAILED
    assert pay.checkout(checkout.id).status == PayPalCheckoutStatus.FAILED
    assert pay.invoice(pay.invoices[0].id).status == InvoiceStatus.OPEN
    assert_books(pay)


@pytest.mark.parametrize(("settled", "ends"), [("COMPLETED", "succeeded"), ("DECLINED", "failed")])
def test_a_pending_capture_whose_webhook_is_lost_is_finished_by_reconciliation(
    pay: Pay, settled: str, ends: str
) -> None:
    checkout, _ = pay.paid("pending")
    capture_id = pay.capture_id()
    later = utcnow() + checkout_service.RECONCILE_AFTER + timedelta(minutes=1)
    # Still held at PayPal: asked, and left processing.
    assert checkout_service.reconcile(pay.db, pay.paypal, later) == 0
    assert pay.payment(checkout.payment_id).status == PaymentStatus.PROCESSING
    assert pay.bed.settle(capture_id, settled).status_code == 200  # its webhook never comes
    assert checkout_service.reconcile(pay.db, pay.paypal, later) == 1
    assert pay.payment(checkout.payment_id).status == ends
    assert checkout_service.reconcile(pay.db, pay.paypal, later) == 0
    assert len(pay.bed.store.captures) == 1
    assert_books(pay)


def test_paid_meanwhile_by_another_payment_the_excess_goes_back_through_paypal(pay: Pay) -> None:
    checkout = pay.start(numbers=["INV-A"])
    pay.bed.approve(str(checkout.order_id))
    with pay.db.session(pay.business.id) as session:
        business = businesses.get(session, pay.business.id)
        customer = customers.get(session, business=business, customer_id=pay.customer.id)
        invoice = session.get(Invoice, pay.invoices[0].id)
        assert invoice is not None
        cash = payments.record_offline(
            session,
            business=business,
            customer=customer,
            invoice=invoice,
            amount=4000,
            method=PaymentMethodKind.CASH,
            reference="",
            actor=audit.Actor(Initiator.STAFF, "owner"),
        )
    captured = pay.capture(str(checkout.order_id))
    assert captured.payment.status == PaymentStatus.SUCCEEDED
    with pay.db.session(pay.business.id) as session:
        (refund,) = session.exec(select(Refund)).all()
    assert (refund.cause, refund.amount, refund.collided_with) == (
        RefundCause.DUPLICATE,
        4000,
        cash.id,
    )
    assert refund.status == PaymentStatus.SUCCEEDED
    assert pay.paypal.retrieve_capture(pay.capture_id()).status == "REFUNDED"
    assert_books(pay)


def test_a_paypal_payment_is_refunded_through_paypal(pay: Pay) -> None:
    checkout, _ = pay.paid()
    with pay.db.session(pay.business.id) as session:
        business = businesses.get(session, pay.business.id)
        payment = session.get(Payment, checkout.payment_id)
        assert payment is not None
        made = payments.refund(
            session,
            business=business,
            payment=payment,
            amount=4000,
            reason="changed their mind",
            effect=InvoiceEffect.REOPEN,
            cause=RefundCause.STAFF,
            actor="staff-test",
            processor=checkout_service.PayPalRefunder(pay.paypal, payment.currency),
        )
    assert made.status == PaymentStatus.SUCCEEDED
    assert pay.paypal.retrieve_capture(pay.capture_id()).status == "PARTIALLY_REFUNDED"
    # Reopened by the refund, as the business chose: one invoice is owed again.
    assert {pay.invoice(i.id).status for i in pay.invoices} == {"open", "paid"}
    # PayPal tells us of the refund we made: booked already, nothing more to do.
    refunded = pay.delivery("PAYMENT.CAPTURE.REFUNDED", str(made.processor_reference))
    assert pay.post(refunded).status_code == 200
    assert pay.payment(checkout.payment_id).status == PaymentStatus.SUCCEEDED
    assert_books(pay)
