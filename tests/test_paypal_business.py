"""PayPal on the business's side, against the PayPal stand-in over real HTTP: the settings card,
refunds of PayPal payments from the dashboard and the API (once, whatever is submitted twice),
PayPal named as the method and the processor, and the books check comparing PayPal's captures,
from the command line and the scheduler's runner."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from frontdesk import demo_paypal
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import (
    AuditEvent,
    Business,
    Payment,
    PaymentMethodKind,
    Refund,
    StaffRole,
    StaffUser,
)
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.processors.paypal_standin.store import MERCHANT_ID
from frontdesk.services import businesses, customers, events, payments, pdfs
from frontdesk.services.payments import ledger
from frontdesk.services.payments.apply import processor_of
from tests.conftest import TEST_KEYS
from tests.factories import make_business
from tests.interleave import together
from tests.paypal_bed import CLIENT, SECRET, WEBHOOK_ID
from tests.test_cli import run
from tests.test_dashboard import Desk, add_manager
from tests.test_paypal_payments import Pay, assert_books
from tests.test_pdfs import drawn, text

# `pay`: a business taking PayPal, the stand-in and our app on loopback; `demo`: `frontdesk demo`.
pytest_plugins = ["tests.test_paypal_payments", "tests.test_cli"]


def owner_of(db: Database, business_id: str) -> str:
    with db.session(business_id) as session:
        owner = session.exec(select(StaffUser).where(StaffUser.role == StaffRole.OWNER)).first()
        assert owner is not None
        return owner.email


def business_row(db: Database, business_id: str) -> Business:
    with db.session(business_id) as session:
        return businesses.get(session, business_id)


def refunds_of(pay: Pay, payment_id: str) -> list[Refund]:
    with pay.db.session(pay.business.id) as session:
        return list(session.exec(select(Refund).where(Refund.payment_id == payment_id)).all())


def test_the_owner_sets_paypal_up_and_bad_ids_and_managers_change_nothing(
    pay: Pay, db: Database
) -> None:
    made = make_business(db)
    desk = Desk(pay.app.url, made.owner.email)
    try:
        page = desk.get("/settings").text
        # Outside production, with the stand-in configured, its merchant is offered.
        assert 'id="paypal"' in page and MERCHANT_ID in page
        for bad in ("ABC123", "standin00000!", "STANDIN0000012"):
            refused = desk.post(
                "/settings/paypal", {"paypal_merchant_id": bad, "paypal_enabled": "yes"}
            )
            assert refused.status_code == 422, bad
            assert "13 letters and digits" in refused.text
        without = desk.post("/settings/paypal", {"paypal_merchant_id": "", "paypal_enabled": "yes"})
        assert without.status_code == 422 and "Enter your PayPal merchant id" in without.text
        assert business_row(db, made.business.id).paypal_merchant_id is None
        saved = desk.post(
            "/settings/paypal", {"paypal_merchant_id": " standin000001 ", "paypal_enabled": "yes"}
        )
        assert saved.status_code == 200 and "customers may pay with PayPal" in saved.text
        again = desk.post(
            "/settings/paypal", {"paypal_merchant_id": MERCHANT_ID, "paypal_enabled": "yes"}
        )
        assert "Nothing changed." in again.text
    finally:
        desk.close()
    row = business_row(db, made.business.id)
    assert (row.paypal_enabled, row.paypal_merchant_id) == (True, MERCHANT_ID)
    with db.session(made.business.id) as session:
        [record] = session.exec(
            select(AuditEvent).where(AuditEvent.action == "settings.paypal_changed")
        ).all()
    assert record.actor_id == made.owner.id
    assert record.detail == {"paypal_enabled": True, "paypal_merchant_id": MERCHANT_ID}
    manager = Desk(pay.app.url, add_manager(db, made))
    try:
        assert "Only owners can change settings" in manager.get("/settings").text
        off = manager.post("/settings/paypal", {"paypal_merchant_id": MERCHANT_ID})
        assert off.status_code == 403
    finally:
        manager.close()
    assert business_row(db, made.business.id).paypal_enabled is True


def test_a_paypal_payment_refunded_twice_from_the_dashboard_is_refunded_once(pay: Pay) -> None:
    checkout, _ = pay.paid()
    desk = Desk(pay.app.url, owner_of(pay.db, pay.business.id))
    form = {"amount": "", "effect": "credit", "reason": "", "confirmed": "yes"}
    path = f"/payments/{checkout.payment_id}/refunds"
    try:
        # A double click: both reach the customer's lock; the second finds nothing left.
        first, second = together(
            pay.db.engine, lambda: desk.post(path, form), lambda: desk.post(path, form)
        )
    finally:
        desk.close()
    answers = sorted([first, second], key=lambda r: r.status_code)
    assert answers[0].status_code == 200 and "Refunded $100.00." in answers[0].text
    # Refused: nothing is left to refund, and the page shows the one refund made.
    assert answers[1].status_code == 422 and "Refunded by the business" in answers[1].text
    [refund] = refunds_of(pay, checkout.payment_id)
    assert refund.amount == 10000 and refund.idempotency_key == f"{checkout.payment_id}:refund:1"
    capture = pay.paypal.retrieve_capture(pay.capture_id())
    assert (capture.status, len(pay.bed.store.refunds)) == ("REFUNDED", 1)
    assert_books(pay)


def api_key(pay: Pay) -> str:
    with pay.db.session(pay.business.id) as session:
        business = businesses.get(session, pay.business.id)
        _, key = businesses.create_api_key(session, business=business, name="tests")
    return key


def test_a_paypal_payment_refunded_through_the_api_with_a_retry_is_refunded_once(
    pay: Pay,
) -> None:
    checkout, _ = pay.paid()
    key = api_key(pay)
    url = f"{pay.app.url}/api/v1/payments/{checkout.payment_id}/refunds"
    body = {"amount": 4000, "invoice_effect": "reopen", "reason": "one visit cancelled"}
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "refund-visit-1"}
    made, retried = (httpx.post(url, json=body, headers=headers, timeout=60) for _ in range(2))
    assert made.status_code == 201, made.text
    assert retried.json() == made.json()
    [refund] = refunds_of(pay, checkout.payment_id)
    assert refund.id == made.json()["id"] and refund.amount == 4000
    assert pay.paypal.retrieve_capture(pay.capture_id()).status == "PARTIALLY_REFUNDED"
    shown = httpx.get(
        f"{pay.app.url}/api/v1/payments/{checkout.payment_id}",
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    assert (shown["method"], shown["amount_refunded"]) == ("paypal", 4000)
    assert_books(pay)


def test_paypal_is_named_as_the_method_and_the_processor(pay: Pay) -> None:
    checkout, _ = pay.paid()
    desk = Desk(pay.app.url, owner_of(pay.db, pay.business.id))
    try:
        listed = desk.get("/payments").text
        one = desk.get(f"/payments/{checkout.payment_id}").text
        customer_page = desk.get(f"/customers/{pay.customer.id}").text
        invoice_page = desk.get(f"/invoices/{pay.invoices[0].id}").text
    finally:
        desk.close()
    for page in (listed, one, customer_page):
        assert "PayPal ·" in page and "Paypal" not in page
    assert "Payment (PayPal)" in invoice_page
    with pay.db.session(pay.business.id) as session:
        business = businesses.get(session, pay.business.id)
        customer = customers.get(session, business=business, customer_id=pay.customer.id)
        view = payments.get_for_customer(
            session, business=business, customer=customer, payment_id=checkout.payment_id
        )
        succeeded = events.latest(session, type="payment.succeeded", payment=checkout.payment_id)
    receipt = [text(run) for run in drawn(pdfs.receipt_pdf(business, customer, view))]
    assert any("PayPal" in line for line in receipt), receipt
    assert succeeded is not None
    assert succeeded["data"]["method"] == "paypal"
    assert succeeded["data"]["processor"] == "paypal"
    # The others: a card went through Stripe; cash through no processor.
    assert processor_of(Payment(method=PaymentMethodKind.CARD)) == "stripe"  # type: ignore[call-arg]
    assert processor_of(Payment(method=PaymentMethodKind.CASH)) is None  # type: ignore[call-arg]


def books_check(pay: Pay) -> tuple[int, str]:
    checked = run(
        "books",
        "check",
        "--business",
        pay.business.id,
        environment="test",
        secret_key=TEST_KEYS[0],
        database_url=pay.db.url,
        paypal_base_url=pay.bed.url,
        paypal_client_id=CLIENT,
        paypal_secret=SECRET,
        paypal_webhook_id=WEBHOOK_ID,
    )
    assert "Traceback" not in checked.stderr, checked.stderr
    return checked.returncode, checked.stdout


def test_the_books_check_command_compares_paypal_captures(pay: Pay) -> None:
    pay.paid()
    code, said = books_check(pay)
    assert code == 0, said
    assert "the books balance" in said and "1 paypal captures" in said
    # Money went back at PayPal that our books never heard of.
    pay.paypal.refund(pay.capture_id(), amount=1000, currency="USD", key="outside-refund")
    code, said = books_check(pay)
    assert code == 1
    assert f"PayPal capture {pay.capture_id()}: is PARTIALLY_REFUNDED" in said


@pytest.mark.parametrize("grace", ["in flight", "overdue"])
def test_a_capture_at_paypal_that_our_books_lack_is_named(pay: Pay, grace: str) -> None:
    checkout = pay.start(numbers=["INV-A"])
    pay.bed.approve(str(checkout.order_id))
    if grace == "overdue":
        # The stand-in's clock an hour back: the capture it makes is long past the grace.
        pay.bed.store.clock = lambda: time.time() - 3600
    # Captured at PayPal by someone else's hand; neither answer nor webhook reaches us.
    taken = pay.paypal.capture_order(str(checkout.order_id), key="behind-our-back")
    code, said = books_check(pay)
    if grace == "in flight":
        assert code == 0 and f"charges still arriving: {taken.id}" in said
    else:
        assert code == 1 and f"PayPal capture {taken.id}: of {checkout.id} is in no payment" in said


def test_the_runner_compares_paypal_in_its_books_round(pay: Pay) -> None:
    pay.paid()
    pay.paypal.refund(pay.capture_id(), amount=1000, currency="USD", key="outside-refund")
    runner = OutboxRunner(pay.db, pay.settings)
    try:
        runner.reconcile()
    finally:
        runner.stop()
    with pay.db.session(pay.business.id) as session:
        found = ledger.last(session)
    assert found is not None
    assert any(pay.capture_id() in problem for problem in found.problems), found.problems


def test_the_demo_runs_the_paypal_standin_and_its_business_takes_paypal(
    demo: tuple[subprocess.Popen[str], int], tmp_path: Path
) -> None:
    _, port = demo
    data_dir = tmp_path / "demo"
    printed = (tmp_path / "demo.log").read_text()
    assert f"local PayPal stand-in at http://127.0.0.1:{port + 4}" in printed
    # The stand-in answers with the credentials the demo derives from its own key.
    keys = ((data_dir / "secret_key").read_text().strip(),)
    client_id, secret, _ = demo_paypal.credentials(keys)
    with PayPalProcessor(f"http://127.0.0.1:{port + 4}", client_id, secret) as paypal:
        order = paypal.create_order(
            amount=1000,
            currency="USD",
            custom_id="demo-check",
            invoice_id="demo-check",
            description="a look at the demo",
            key="demo-check",
        )
    assert order.status == "CREATED"
    # Its state is kept in the demo's data directory, like the Stripe sandbox's.
    assert order.id in (data_dir / "paypal-standin.json").read_text()
    desk = Desk(f"http://127.0.0.1:{port}", "owner@greenleaf.example", "greenleaf-demo")
    try:
        settings_page = desk.get("/settings").text
    finally:
        desk.close()
    assert f"Customers may pay with PayPal, into merchant account <code>{MERCHANT_ID}" in (
        settings_page
    )
