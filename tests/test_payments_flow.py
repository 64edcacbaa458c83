"""Payments end to end on loopback: our server, the Stripe sandbox, signed webhooks, once."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
import stripe
from sqlmodel import select

from frontdesk import tokens
from frontdesk.models import (
    Initiator,
    Invoice,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProcessorEvent,
    Refund,
    RefundCause,
)
from frontdesk.processors.sandbox.app import sign
from frontdesk.services import businesses, card_setup, customers, payments
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.links import Links
from tests.factories import make_business, make_customer, make_invoice
from tests.flow import WEBHOOK_SECRET, Flow, assert_books_balance


def test_choosing_pays_oldest_first_and_checks_partial_amounts(flow: Flow) -> None:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        everything = payments.choose(session, business=business, customer=customer)
        assert [(i.number, a) for i, a in everything.allocations] == [
            ("INV-A", 4000),
            ("INV-B", 6000),
        ]
        with pytest.raises(Invalid, match="Partial payments are not accepted"):
            payments.choose(session, business=business, customer=customer, partial=5000)
        business.allow_partial_payments, business.partial_payment_minimum = True, 1000
        part = payments.choose(session, business=business, customer=customer, partial=5000)
        assert [(i.number, a) for i, a in part.allocations] == [("INV-A", 4000), ("INV-B", 1000)]
        with pytest.raises(Invalid) as caught:
            payments.choose(session, business=business, customer=customer, partial=999)
        assert caught.value.fields["amount"] == "Pay between $10.00 and $100.00."
        with pytest.raises(Invalid):
            payments.choose(
                session, business=business, customer=customer, numbers=["INV-A", "INV-ZZZ"]
            )
        session.rollback()


def test_tips_are_offered_amounts_only_and_kept_apart(flow: Flow) -> None:
    assert payments.tip_for(flow.business, 10000, 1800) == 1800
    assert payments.tip_for(flow.business, 333, 2000) == 67
    assert payments.tip_for(flow.business, 10000, 0) == 0
    with pytest.raises(Invalid):
        payments.tip_for(flow.business, 10000, 1500)


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


def test_double_submits_get_one_payment_intent(flow: Flow) -> None:
    results: list[tuple[Payment, str]] = []
    lock = threading.Lock()

    def submit() -> None:
        started = flow.start(numbers=["INV-A"])
        with lock:
            results.append(started)

    threads = [threading.Thread(target=submit) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({payment.id for payment, _ in results}) == 1
    assert len({secret for _, secret in results}) == 1
    intents = [o for o in flow.store.objects.values() if o["object"] == "payment_intent"]
    assert len(intents) == 1
    assert_books_balance(flow)


def test_a_changed_choice_cancels_the_older_intent_and_one_charge_lands(flow: Flow) -> None:
    first, _ = flow.start(numbers=["INV-A"])
    second, _ = flow.start(numbers=["INV-A"], tip=500)
    assert first.processor_reference != second.processor_reference
    with pytest.raises(stripe.InvalidRequestError):
        flow.confirm(first)
    flow.confirm(second)
    flow.wait(lambda: flow.payment(second.id).status == PaymentStatus.SUCCEEDED)
    assert flow.payment(first.id).status == PaymentStatus.CANCELED
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    assert_books_balance(flow)


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


def saved_card(flow: Flow, processor_id: str) -> PaymentMethod:
    with flow.db.session(flow.business.id) as session:
        method = PaymentMethod(
            business_id=flow.business.id,
            customer_id=flow.customer.id,
            processor_id=processor_id,
            brand="visa",
            last4="9995",
            is_default=True,
        )
        session.add(method)
    return method


def test_saving_a_card_records_the_consent_and_the_card(flow: Flow) -> None:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        chosen = payments.choose(session, business=business, customer=customer, numbers=["INV-A"])
        payment, _ = payments.start(
            session,
            business=business,
            customer=customer,
            selection=chosen,
            tip=0,
            processor=flow.processor,
            save_method=True,
        )
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    with flow.db.session(flow.business.id) as session:
        [method] = session.exec(select(PaymentMethod)).all()
        queued = [i.payload.get("type") for i in session.exec(select(OutboxItem)).all()]
    assert (method.brand, method.last4, method.is_default) == ("visa", "4242", True)
    assert method.consent_text.startswith("I authorise") and method.consented_at is not None
    assert "payment_method.saved" in queued
    assert_books_balance(flow)


def test_one_click_with_a_declining_saved_card_changes_nothing(flow: Flow) -> None:
    method = saved_card(flow, "pm_card_visa_chargeDeclinedInsufficientFunds")
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        chosen = payments.choose(session, business=business, customer=customer, numbers=["INV-A"])
        payment, _ = payments.start(
            session,
            business=business,
            customer=customer,
            selection=chosen,
            tip=0,
            processor=flow.processor,
            saved=method,
        )
    assert flow.payment(payment.id).status == PaymentStatus.FAILED
    assert flow.payment(payment.id).failure_message == "Your card has insufficient funds."
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.OPEN
    assert_books_balance(flow)


def test_one_click_pays_at_once_with_the_default_card(flow: Flow) -> None:
    method = saved_card(flow, "pm_card_visa")
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        chosen = payments.choose(session, business=business, customer=customer, numbers=["INV-B"])
        payment, _ = payments.start(
            session,
            business=business,
            customer=customer,
            selection=chosen,
            tip=0,
            processor=flow.processor,
            saved=method,
        )
    assert flow.payment(payment.id).status == PaymentStatus.SUCCEEDED
    assert flow.invoice(flow.invoices[1].id).status == InvoiceStatus.PAID
    assert_books_balance(flow)


def test_saved_cards_are_only_their_customers(flow: Flow) -> None:
    method = saved_card(flow, "pm_card_visa")
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        other = make_customer(session, business)
        with pytest.raises(NotFound):
            payments.make_default(session, business=business, customer=other, method_id=method.id)
        with pytest.raises(NotFound):
            payments.remove_method(
                session,
                business=business,
                customer=other,
                method_id=method.id,
                processor=flow.processor,
            )
        owner = customers.get(session, business=business, customer_id=flow.customer.id)
        payments.remove_method(
            session,
            business=business,
            customer=owner,
            method_id=method.id,
            processor=flow.processor,
        )
        assert payments.saved_methods(session, business=business, customer=owner) == []


def test_a_business_charges_a_saved_card(flow: Flow) -> None:
    charged = flow.business_charges("pm_card_visa")
    assert not charged.needs_customer
    stored = flow.payment(charged.payment.id)
    assert (stored.status, stored.initiated_by) == (PaymentStatus.SUCCEEDED, Initiator.STAFF)
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    assert_books_balance(flow)


def test_a_card_saved_without_consent_is_not_charged(flow: Flow) -> None:
    with pytest.raises(Invalid, match="not saved for charges"):
        flow.business_charges("pm_card_visa", consent="")


def test_a_declined_off_session_charge_fails_cleanly(flow: Flow) -> None:
    charged = flow.business_charges("pm_card_visa_chargeDeclinedInsufficientFunds")
    assert flow.payment(charged.payment.id).status == PaymentStatus.FAILED
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.OPEN
    assert_books_balance(flow)


def test_when_the_bank_wants_the_customer_the_same_intent_waits(flow: Flow) -> None:
    charged = flow.business_charges("pm_card_authenticationRequired")
    assert charged.needs_customer
    with flow.db.session(flow.business.id) as session:
        [mail] = [i for i in session.exec(select(OutboxItem)).all() if i.kind == "email"]
    assert mail.payload["to"] == flow.customer.email
    # The link opens the portal at this payment: its token names it.
    token = mail.payload["text"].split("#frontdesk=")[1].split()[0]
    claims = tokens.read(flow.settings.secret_key, tokens.Purpose.PAYMENT_ACTION, token)
    assert claims.extra["p"] == charged.payment.id
    waiting = flow.payment(charged.payment.id)
    assert waiting.status == PaymentStatus.PENDING and waiting.processor_reference
    intents_before = [k for k, o in flow.store.objects.items() if o["object"] == "payment_intent"]
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        _, secret = payments.complete_on_session(
            session,
            business=business,
            customer=customer,
            payment_id=waiting.id,
            processor=flow.processor,
        )
    assert secret.startswith(str(waiting.processor_reference))
    intent = flow.client.v1.payment_intents.retrieve(
        str(waiting.processor_reference), options={"stripe_account": "acct_flowtest"}
    )
    assert intent.status == "requires_action"
    assert [
        k for k, o in flow.store.objects.items() if o["object"] == "payment_intent"
    ] == intents_before
    assert_books_balance(flow)


def test_refunds_are_partial_or_full_and_never_exceed_the_payment(flow: Flow) -> None:
    charged = flow.business_charges("pm_card_visa")
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        payment = session.get(Payment, charged.payment.id)
        assert payment is not None
        first = payments.refund(
            session,
            business=business,
            payment=payment,
            amount=1500,
            reason="goodwill",
            effect="credit",
            cause=RefundCause.STAFF,
            actor="staff-test",
            processor=flow.processor,
        )
        with pytest.raises(Invalid) as caught:
            payments.refund(
                session,
                business=business,
                payment=payment,
                amount=2501,
                reason="",
                effect="credit",
                cause=RefundCause.STAFF,
                actor="staff-test",
                processor=flow.processor,
            )
        assert caught.value.fields["amount"] == "Refund between $0.01 and $25.00."
        rest = payments.refund(
            session,
            business=business,
            payment=payment,
            amount=None,
            reason="",
            effect="credit",
            cause=RefundCause.STAFF,
            actor="staff-test",
            processor=flow.processor,
        )
    assert (first.amount, rest.amount) == (1500, 2500)
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        payment = session.get(Payment, charged.payment.id)
        assert payment is not None
        with pytest.raises(Invalid):
            payments.refund(
                session,
                business=business,
                payment=payment,
                amount=None,
                reason="",
                effect="credit",
                cause=RefundCause.STAFF,
                actor="staff-test",
                processor=flow.processor,
            )
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


def test_a_business_charge_cancels_the_customers_unfinished_attempt(flow: Flow) -> None:
    customer_payment, _ = flow.start(numbers=["INV-A"])
    charged = flow.business_charges("pm_card_visa")  # the business charges INV-A meanwhile
    assert flow.payment(charged.payment.id).status == PaymentStatus.SUCCEEDED
    assert flow.payment(customer_payment.id).status == PaymentStatus.CANCELED
    with pytest.raises(stripe.InvalidRequestError):
        flow.confirm(customer_payment)  # too late: the customer's card is never charged
    with flow.db.session(flow.business.id) as session:
        assert session.exec(select(Refund)).all() == []
    assert_books_balance(flow)


def test_a_business_charge_after_the_customer_paid_is_refused(quiet_flow: Flow) -> None:
    customer_payment, _ = quiet_flow.start(numbers=["INV-A"])
    quiet_flow.confirm(customer_payment)  # paid at the processor; its webhook is on the way
    with pytest.raises(Invalid, match="already going through"):
        quiet_flow.business_charges("pm_card_visa")
    quiet_flow.post_event(
        quiet_flow.event("payment_intent.succeeded", str(customer_payment.processor_reference))
    )
    assert quiet_flow.payment(customer_payment.id).status == PaymentStatus.SUCCEEDED
    assert_books_balance(quiet_flow)


def test_one_business_can_neither_see_nor_charge_anothers_saved_cards(flow: Flow) -> None:
    theirs = saved_card(flow, "pm_card_visa")
    other = make_business(flow.db, processor_account="acct_other_flow").business
    with flow.db.session(other.id) as session:
        business = businesses.get(session, other.id)
        stranger = make_customer(session, business)
        assert session.get(PaymentMethod, theirs.id) is None
        assert payments.saved_methods(session, business=business, customer=stranger) == []
        invoice = make_invoice(session, business, stranger, amounts=(1000,))
        with pytest.raises(NotFound):
            payments.charge_saved(
                session,
                business=business,
                customer=stranger,
                method=theirs,
                selection=payments.Selection([(invoice, 1000)]),
                initiated_by=Initiator.API,
                processor=flow.processor,
                links=Links.from_settings(flow.settings),
            )


def test_a_card_saved_without_paying_is_kept_once_with_consent(flow: Flow) -> None:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        first = card_setup.start(
            session,
            business=business,
            customer=customer,
            consent_given=True,
            attempt="form1",
            processor=flow.processor,
        )
        # The same form sent twice (a double click) starts one setup.
        again = card_setup.start(
            session,
            business=business,
            customer=customer,
            consent_given=True,
            attempt="form1",
            processor=flow.processor,
        )
    assert first == again
    setup_id = first.id
    flow.client.v1.setup_intents.confirm(
        setup_id,
        params={"payment_method": "pm_card_visa"},
        options={"stripe_account": str(flow.business.processor_account)},
    )

    def saved() -> list[PaymentMethod]:
        with flow.db.session(flow.business.id) as session:
            return list(session.exec(select(PaymentMethod)).all())

    flow.wait(lambda: len(saved()) == 1)  # the setup_intent.succeeded webhook kept it
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        status = card_setup.finish(
            session,
            business=business,
            customer=customer,
            setup_id=setup_id,
            processor=flow.processor,
        )
        other = make_customer(session, business)
        with pytest.raises(NotFound):
            card_setup.finish(
                session,
                business=business,
                customer=other,
                setup_id=setup_id,
                processor=flow.processor,
            )
    [method] = saved()
    assert status == "succeeded"
    assert (method.consent_text, method.is_default, method.last4) == (
        payments.consent_for(flow.business),
        True,
        "4242",
    )
    event = flow.event("setup_intent.succeeded", setup_id)
    assert flow.post_event({**event, "id": "evt_replayed"}).status_code == 200
    assert len(saved()) == 1
    assert_books_balance(flow)
