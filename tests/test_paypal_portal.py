"""Paying with PayPal from the portal's pay step and the secure pay page, over real HTTP against
the PayPal stand-in: the order from our records, the capture by our server, a decline that starts
the buttons again, a pending capture completed by PayPal's webhook, a double-clicked approve,
another business's order, and PayPal switched off. Every money test ends with the books check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import (
    InvoiceStatus,
    PaymentMethodKind,
    PaymentStatus,
    PayPalCheckout,
)
from frontdesk.processors.paypal import DECLINED_MESSAGE, PayPalProcessor
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.paypal_bed import CLIENT, SECRET, WEBHOOK_ID, listening
from tests.paypal_bed import standin as standin_bed
from tests.test_host_events import told
from tests.test_paypal_payments import Pay, assert_books
from tests.test_portal_views import Portal

EVERYTHING = {"chosen": "1", "invoice": ["INV-A", "INV-B"], "tip": "0", "amount": ""}


@dataclass
class Shop:
    pay: Pay
    portal: Portal

    def order(self, **form: object) -> httpx.Response:
        return self.portal.client.post("/pay/paypal/order", data={**EVERYTHING, **form})

    def order_id(self) -> str:
        answer = self.order()
        assert answer.status_code == 200, answer.text
        return str(answer.json()["id"])

    def capture(self, order_id: str) -> httpx.Response:
        return self.portal.client.post(
            "/pay/paypal/capture", data={**EVERYTHING, "order": order_id}
        )

    def checkout(self, order_id: str) -> PayPalCheckout:
        with self.pay.db.session(self.pay.business.id) as session:
            found = session.exec(
                select(PayPalCheckout).where(PayPalCheckout.order_id == order_id)
            ).one()
            return found


def _shop(db: Database, settings: Settings, tmp_path: Path, **business: object) -> Iterator[Shop]:
    with listening() as listener, standin_bed(tmp_path, listener.url) as bed:
        configured = settings.model_copy(
            update={
                "paypal_base_url": bed.url,
                "paypal_client_id": CLIENT,
                "paypal_secret": SECRET,
                "paypal_webhook_id": WEBHOOK_ID,
            }
        )
        fields = {"paypal_enabled": True, "paypal_merchant_id": "STANDIN1", **business}
        made = make_business(db, processor_account="acct_paypal_shop", **fields).business
        with db.session(made.id) as session:
            customer = make_customer(session, made)
            older = make_invoice(
                session,
                made,
                customer,
                amounts=(4000,),
                number="INV-A",
                issue_date=date.today() - timedelta(days=20),
                due_date=date.today() - timedelta(days=5),
            )
            newer = make_invoice(session, made, customer, amounts=(6000,), number="INV-B")
        app = LiveServer(create_app(configured, db)).start()
        with (
            PayPalProcessor(bed.url, CLIENT, SECRET) as paypal,
            Portal(app, configured, made, customer) as portal,
        ):
            pay = Pay(db, configured, bed, listener, app, paypal, made, customer, [older, newer])
            yield Shop(pay, portal)
        app.stop()


@pytest.fixture
def shop(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Shop]:
    yield from _shop(db, settings, tmp_path)


def test_the_pay_step_offers_paypal_and_pays_the_invoices_with_it(shop: Shop) -> None:
    step = shop.portal.get("/pay")
    assert step.status_code == 200
    # PayPal's script (the stand-in's here) and its client id come from the server.
    assert f'data-sdk="{shop.pay.bed.url}/sdk/js?client-id={CLIENT}&amp;' in step.text
    assert 'name="paypal"' in step.text  # the light-DOM slot the buttons render in
    order_id = shop.order_id()
    assert shop.pay.bed.approve(order_id).status_code == 200
    paid = shop.capture(order_id)
    assert paid.status_code == 200, paid.text
    assert "Payment received" in paid.text
    assert [event["type"] for event in told(paid)] == ["payment-succeeded"]
    payment = shop.pay.payment(shop.checkout(order_id).payment_id)
    assert (payment.status, payment.method) == (PaymentStatus.SUCCEEDED, PaymentMethodKind.PAYPAL)
    assert payment.charged == 10000
    assert all(shop.pay.invoice(i.id).status == InvoiceStatus.PAID for i in shop.pay.invoices)
    assert shop.pay.receipts(payment.id) == 1
    assert_books(shop.pay)


def test_the_amount_is_never_the_browsers(shop: Shop) -> None:
    answer = shop.order(amount="0.01", total="1", charged="1", value="0.01")
    assert answer.status_code == 200, answer.text
    order = shop.pay.paypal.retrieve_order(answer.json()["id"])
    assert (order.amount, order.currency) == (10000, "USD")
    # Naming one invoice pays what our records say it owes.
    one = shop.order(invoice="INV-A", amount="99")
    assert shop.pay.paypal.retrieve_order(one.json()["id"]).amount == 4000
    # An invoice that is not the customer's is refused, and no order is made.
    before = len(shop.pay.bed.store.orders)
    refused = shop.order(invoice="INV-NOPE")
    assert refused.status_code == 422 and refused.json()["error"]
    assert len(shop.pay.bed.store.orders) == before
    assert_books(shop.pay)


def test_a_decline_says_why_and_starts_the_buttons_again(shop: Shop) -> None:
    order_id = shop.order_id()
    shop.pay.bed.approve(order_id, "decline")
    declined = shop.capture(order_id)
    assert declined.status_code == 200, declined.text
    assert DECLINED_MESSAGE in declined.text and "data-fd-paypal" in declined.text
    payment_id = shop.checkout(order_id).payment_id
    assert shop.pay.payment(payment_id).status == PaymentStatus.PENDING
    assert all(shop.pay.invoice(i.id).status == InvoiceStatus.OPEN for i in shop.pay.invoices)
    # The buttons again: the same order, approved with another funding source this time.
    assert shop.order_id() == order_id
    shop.pay.bed.approve(order_id)
    paid = shop.capture(order_id)
    assert "Payment received" in paid.text
    assert shop.pay.payment(payment_id).status == PaymentStatus.SUCCEEDED
    assert_books(shop.pay)


def test_a_pending_capture_is_processing_until_the_webhook_completes_it(shop: Shop) -> None:
    order_id = shop.order_id()
    shop.pay.bed.approve(order_id, "pending")
    held = shop.capture(order_id)
    assert "Payment processing" in held.text and "PayPal is reviewing" in held.text
    payment_id = shop.checkout(order_id).payment_id
    assert shop.pay.payment(payment_id).status == PaymentStatus.PROCESSING
    assert_books(shop.pay)
    capture_id = shop.pay.capture_id()
    assert shop.pay.bed.settle(capture_id, "COMPLETED").status_code == 200
    completed = shop.pay.delivery("PAYMENT.CAPTURE.COMPLETED", capture_id)
    assert shop.pay.post(completed).status_code == 200
    # The portal asks our server, which has it from the webhook (PayPal is not asked).
    result = shop.portal.get(f"/pay/{payment_id}/result")
    assert "Payment received" in result.text
    assert shop.pay.payment(payment_id).status == PaymentStatus.SUCCEEDED
    assert shop.pay.receipts(payment_id) == 1
    assert_books(shop.pay)


def test_a_double_clicked_approve_captures_once(shop: Shop) -> None:
    order_id = shop.order_id()
    shop.pay.bed.approve(order_id)
    with ThreadPoolExecutor(2) as both:
        answers = list(both.map(shop.capture, [order_id, order_id]))
    assert [a.status_code for a in answers] == [200, 200]
    assert all("Payment received" in a.text for a in answers)
    assert len(shop.pay.bed.store.captures) == 1
    payment_id = shop.checkout(order_id).payment_id
    assert shop.pay.receipts(payment_id) == 1
    # And once more, later: the same payment, nothing captured again.
    assert "Payment received" in shop.capture(order_id).text
    assert len(shop.pay.bed.store.captures) == 1
    assert_books(shop.pay)


def test_another_business_order_is_refused_and_nothing_changes(
    shop: Shop, db: Database, settings: Settings
) -> None:
    order_id = shop.order_id()
    shop.pay.bed.approve(order_id)
    other = make_business(
        db, processor_account="acct_other", paypal_enabled=True, paypal_merchant_id="OTHER1"
    ).business
    with db.session(other.id) as session:
        stranger = make_customer(session, other)
    with Portal(shop.pay.app, shop.pay.settings, other, stranger) as theirs:
        refused = theirs.client.post("/pay/paypal/capture", data={"order": order_id})
    assert refused.status_code == 404
    # Another customer of the same business is refused too.
    with db.session(shop.pay.business.id) as session:
        neighbour = make_customer(session, shop.pay.business)
    with Portal(shop.pay.app, shop.pay.settings, shop.pay.business, neighbour) as theirs:
        assert (
            theirs.client.post("/pay/paypal/capture", data={"order": order_id}).status_code == 404
        )
    assert shop.pay.bed.store.captures == {}
    assert shop.pay.payment(shop.checkout(order_id).payment_id).status == PaymentStatus.PENDING
    assert_books(shop.pay)


@pytest.fixture
def plain(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Shop]:
    yield from _shop(db, settings, tmp_path, paypal_enabled=False)


def test_without_paypal_no_button_and_the_routes_are_not_there(plain: Shop) -> None:
    step = plain.portal.get("/pay")
    assert step.status_code == 200 and "Continue to payment" in step.text
    assert "data-fd-paypal" not in step.text and "paypal" not in step.text.lower()
    assert plain.order().status_code == 404
    assert plain.capture("ORDER1").status_code == 404
    assert plain.portal.client.post("/pay/paypal", data=EVERYTHING).status_code == 404
    assert plain.pay.bed.store.orders == {}


def test_a_server_without_paypal_shows_no_button(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    made = make_business(
        db, processor_account="acct_x", paypal_enabled=True, paypal_merchant_id="M1"
    ).business
    with db.session(made.id) as session:
        customer = make_customer(session, made)
        make_invoice(session, made, customer, amounts=(4000,))
    app = LiveServer(create_app(settings, db)).start()
    try:
        with Portal(app, settings, made, customer) as portal:
            assert "data-fd-paypal" not in portal.get("/pay").text
            answer = portal.client.post("/pay/paypal/order", data={"chosen": "1", "tip": "0"})
            assert answer.status_code == 404
    finally:
        app.stop()


@pytest.fixture
def secure(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Shop]:
    yield from _shop(db, settings, tmp_path, secure_pay_page=True)


def test_the_secure_pay_page_takes_paypal(secure: Shop) -> None:
    step = secure.portal.get("/pay")
    assert "Pay with PayPal" in step.text and "data-fd-paypal" not in step.text
    opened = secure.portal.client.post("/pay/paypal", data=EVERYTHING)
    assert opened.status_code == 200, opened.text
    link = re.search(r'data-fd-popup="([^"]+)"', opened.text)
    assert link is not None
    page_url = link.group(1).replace("&amp;", "&")
    page = httpx.get(page_url)
    assert page.status_code == 200
    assert f"{secure.pay.bed.url}/sdk/js?" in page.text
    assert secure.pay.bed.url in page.headers["Content-Security-Policy"]
    # PayPal's approval window must be able to answer the page that opened it.
    assert page.headers["Cross-Origin-Opener-Policy"] == "same-origin-allow-popups"
    found = re.search(r'data-order="([^"]+)"', page.text)
    assert found is not None
    order_id = found.group(1)
    payment_id = secure.checkout(order_id).payment_id
    capture_url = f"{secure.pay.app.url}/pay/{payment_id}/paypal?{page_url.split('?', 1)[1]}"
    # Declined: PayPal's reason, and the buttons again on the same order.
    secure.pay.bed.approve(order_id, "decline")
    declined = httpx.post(capture_url)
    assert declined.json() == {"status": "pending", "message": DECLINED_MESSAGE}
    assert f'data-order="{order_id}"' in httpx.get(page_url).text
    secure.pay.bed.approve(order_id)
    assert httpx.post(capture_url).json()["status"] == "succeeded"
    # The portal follows along and shows the result.
    result = secure.portal.get(f"/pay/{payment_id}/result")
    assert "Payment received" in result.text
    # A link with another payment's token captures nothing.
    other = httpx.post(f"{secure.pay.app.url}/pay/{payment_id}/paypal?t=nonsense")
    assert other.status_code == 404
    assert len(secure.pay.bed.store.captures) == 1
    assert_books(secure.pay)
