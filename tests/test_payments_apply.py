"""Applying what the processor reports, on loopback with the Stripe sandbox: signed webhooks
applied once and only as the processor reports them, late failures, declines, duplicates
refunded, reconciliation after downtime, and the receipt."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
import stripe
from sqlmodel import select

from frontdesk.models import (
    Initiator,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    ProcessorEvent,
    Refund,
)
from frontdesk.processors.sandbox.app import sign
from frontdesk.services import businesses, customers, payments
from tests.factories import make_business
from tests.flow import WEBHOOK_SECRET, Flow, assert_books_balance


def test_a_payment_settles_its_invoices_through_the_webhook(flow: Flow) -> None:
    payment, client_secret = flow.start(tip=1800)
    assert client_secret.startswith(str(payment.processor_reference))
    intent = flow.confirm(payment)
    assert intent.status == "succeeded" and intent.amount == 10000 + 1800
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    assert [flow.invoice(i.id).status for i in flow.invoices] == [
        InvoiceStatus.PAID,
        InvoiceStatus.PAID,
    ]
    stored = flow.payment(payment.id)
    assert (stored.amount, stored.tip) == (10000, 1800)
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        assert customers.balance(session, business=business, customer=customer).amount == 0
    assert_books_balance(flow)


def test_duplicate_and_concurrent_deliveries_apply_once(flow: Flow) -> None:
    payment, _ = flow.start(numbers=["INV-A"])
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    event = flow.event("payment_intent.succeeded", str(payment.processor_reference))
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(flow.post_event(event).status_code))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 6
    with flow.db.session(flow.business.id) as session:
        assert (
            len(session.exec(select(ProcessorEvent).where(ProcessorEvent.id == event["id"])).all())
            == 1
        )
        assert (
            len(
                session.exec(select(Payment).where(Payment.status == PaymentStatus.SUCCEEDED)).all()
            )
            == 1
        )
        assert session.exec(select(Refund)).all() == []
    assert_books_balance(flow)


@pytest.mark.parametrize("problem", ["tampered", "stale", "future", "wrong secret"])
def test_bad_signatures_are_refused_and_change_nothing(flow: Flow, problem: str) -> None:
    payment, _ = flow.start(numbers=["INV-A"])
    intent = dict(
        flow.client.v1.payment_intents.retrieve(
            str(payment.processor_reference), options={"stripe_account": "acct_flowtest"}
        ).to_dict()
    )
    intent["status"] = "succeeded"
    event = {
        "id": "evt_forged",
        "object": "event",
        "type": "payment_intent.succeeded",
        "account": "acct_flowtest",
        "data": {"object": intent},
    }
    now = int(time.time())
    if problem == "tampered":
        payload = json.dumps(event).encode()
        header = sign(WEBHOOK_SECRET, payload)
        response = httpx.post(
            f"{flow.app.url}/webhooks/stripe",
            content=payload.replace(b"evt_forged", b"evt_other"),
            headers={"Stripe-Signature": header},
        )
    else:
        response = flow.post_event(
            event,
            timestamp={"stale": now - 400, "future": now + 400}.get(problem, now),
            secret="whsec_wrong" if problem == "wrong secret" else WEBHOOK_SECRET,
        )
    assert response.status_code == 400
    assert flow.payment(payment.id).status == PaymentStatus.PENDING
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.OPEN


def test_a_success_for_an_invoice_already_paid_is_refunded(flow: Flow) -> None:
    payment, _ = flow.start(numbers=["INV-A"])
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        invoice = session.get(Invoice, flow.invoices[0].id)
        assert invoice is not None
        payments.record_succeeded(
            session,
            business=business,
            customer=customer,
            allocations=[(invoice, 4000)],
            method="cash",
            idempotency_key="cash-1",
            initiated_by=Initiator.STAFF,
        )
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    flow.wait(
        lambda: bool(flow.store.events and flow.event("refund.created", "") if False else True)
    )
    with flow.db.session(flow.business.id) as session:
        [refund] = session.exec(select(Refund)).all()
        assert (refund.payment_id, refund.amount) == (payment.id, 4000)
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        balance = customers.balance(session, business=business, customer=customer)
    assert balance.amount == 6000  # INV-B still open; INV-A paid once, by the cash payment
    sandbox_refunds = [e for e in flow.store.events if e["type"] == "refund.created"]
    assert len(sandbox_refunds) == 1
    assert_books_balance(flow)


def test_a_signed_event_is_applied_only_as_the_processor_reports_it(flow: Flow) -> None:
    payment, _ = flow.start(numbers=["INV-A"])  # not paid: the processor says so
    intent = str(payment.processor_reference)
    forged = {
        "id": "evt_forged",
        "type": "payment_intent.succeeded",
        "account": flow.business.processor_account,
        "data": {"object": {"id": intent, "object": "payment_intent", "status": "succeeded"}},
    }
    # Signed with the right secret (as anyone holding it could), yet it moves nothing: the
    # intent is fetched from the processor, which has not been paid.
    assert flow.post_event(forged).status_code == 200
    assert flow.payment(payment.id).status == PaymentStatus.PENDING
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.OPEN
    # An intent the processor does not know, or one that is none of this business's, is refused.
    unknown = json.loads(json.dumps(forged))
    unknown["id"], unknown["data"]["object"]["id"] = "evt_unknown", "pi_nobody"
    assert flow.post_event(unknown).status_code == 400
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    make_business(flow.db, processor_account="acct_someone_else")
    moved = json.loads(json.dumps(forged))
    moved["id"], moved["account"] = "evt_moved", "acct_someone_else"
    assert flow.post_event(moved).status_code == 400
    assert flow.payment(payment.id).status == PaymentStatus.SUCCEEDED
    assert_books_balance(flow)


def test_a_late_failure_never_unpays(flow: Flow) -> None:
    payment, _ = flow.start(numbers=["INV-A"])
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    event = flow.event("payment_intent.succeeded", str(payment.processor_reference))
    late = json.loads(json.dumps(event))
    late["id"], late["type"] = "evt_late", "payment_intent.payment_failed"
    late["data"]["object"].update(
        status="requires_payment_method", last_payment_error={"message": "Declined"}
    )
    assert flow.post_event(late).status_code == 200
    assert flow.payment(payment.id).status == PaymentStatus.SUCCEEDED
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    assert_books_balance(flow)


def test_a_declined_card_changes_nothing(flow: Flow) -> None:
    payment, _ = flow.start(numbers=["INV-A"])
    with pytest.raises(stripe.CardError):
        flow.confirm(payment, "pm_card_visa_chargeDeclinedInsufficientFunds")
    flow.wait(lambda: bool(flow.payment(payment.id).failure_message))
    assert flow.payment(payment.id).failure_message == "Your card has insufficient funds."
    assert flow.payment(payment.id).status == PaymentStatus.PENDING
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.OPEN
    assert_books_balance(flow)


def test_a_receipt_with_its_pdf_is_emailed_after_payment(flow: Flow) -> None:
    from frontdesk.jobs import OutboxRunner
    from tests.test_jobs import free_port, start_smtp

    payment, _ = flow.start(numbers=["INV-A"])
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    port = free_port()
    controller, inbox = start_smtp(port)
    try:
        settings = flow.settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        OutboxRunner(flow.db, settings).run_once()
    finally:
        controller.stop()
    [receipt] = [m for m in inbox.messages if m["Subject"].startswith("Receipt")]
    assert receipt["To"] == flow.customer.email
    assert receipt["Subject"] == "Receipt for your payment of $40.00 to " + flow.business.name
    [attachment] = [part for part in receipt.walk() if part.get_content_type() == "application/pdf"]
    assert attachment.get_filename() == f"receipt-{payment.id}.pdf"
    assert attachment.get_payload(decode=True).startswith(b"%PDF-")
    assert_books_balance(flow)


def test_payments_that_succeeded_while_we_were_down_are_reconciled(flow: Flow) -> None:
    from frontdesk.jobs import OutboxRunner

    payment, _ = flow.start(numbers=["INV-A"])
    flow.app.stop()  # the webhook cannot reach us now
    flow.confirm(payment)
    assert flow.payment(payment.id).status == PaymentStatus.PENDING
    runner = OutboxRunner(flow.db, flow.settings, processor=flow.processor)
    assert runner.reconcile() == 1
    assert flow.payment(payment.id).status == PaymentStatus.SUCCEEDED
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    assert runner.reconcile() == 0  # already recorded: nothing applies twice
    flow.app.start()
    assert_books_balance(flow)
