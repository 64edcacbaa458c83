"""What happens between us and the processor over time: the sandbox keeps its state across
restarts (as Stripe would), a processor that lost a customer we know is repaired instead of
failing like an outage, a saved card it lost is said in words, and the same card saved twice is
kept once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import col, select

from frontdesk.models import Customer, Payment, PaymentMethod, PaymentStatus, utcnow
from frontdesk.processors.sandbox import create_app as create_sandbox
from frontdesk.processors.sandbox.store import Store
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.services import businesses, customers, payments
from frontdesk.services.payments import methods
from tests.conftest import LiveServer
from tests.flow import PUBLISHABLE, SECRET, Flow, assert_books_balance


def one_click(flow: Flow, method: PaymentMethod, numbers: list[str]) -> Payment:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        saved = session.get(PaymentMethod, method.id)
        assert saved is not None
        chosen = payments.choose(session, business=business, customer=customer, numbers=numbers)
        payment, _ = payments.start(
            session,
            business=business,
            customer=customer,
            selection=chosen,
            tip=0,
            processor=flow.processor,
            saved=saved,
        )
        return payment


def save_card(flow: Flow, processor_id: str) -> PaymentMethod:
    """The customer pays INV-A and saves the card, as the portal does."""
    payment, _ = flow.start(numbers=["INV-A"], save=True)
    flow.confirm(payment, processor_id)
    flow.wait(lambda: bool(saved_cards(flow)))
    [method] = saved_cards(flow)
    return method


def saved_cards(flow: Flow) -> list[PaymentMethod]:
    with flow.db.session(flow.business.id) as session:
        return list(
            session.exec(select(PaymentMethod).where(col(PaymentMethod.removed_at).is_(None))).all()
        )


def test_the_sandbox_keeps_customers_cards_and_events_across_a_restart(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "stripe-sandbox.json"
    server = LiveServer().start(
        create_sandbox(secret_key=SECRET, publishable_key=PUBLISHABLE, store=Store.open(path))
    )
    processor = StripeProcessor(SECRET, "", server.url)
    request.addfinalizer(processor.close)
    customer = processor.create_customer(
        "acct_kept", email="a@example.com", name="A", reference="cus_1", key="k1"
    )
    made = processor.create_intent(
        "acct_kept",
        amount=1000,
        currency="USD",
        customer=customer,
        metadata={},
        key="k2",
        method="pm_card_visa",
        save=True,
    )
    server.stop()
    saved = json.loads(path.read_text())
    assert len(saved["events"]) >= 2
    server.start(
        create_sandbox(secret_key=SECRET, publishable_key=PUBLISHABLE, store=Store.open(path))
    )
    try:
        again = processor.retrieve_intent("acct_kept", made.id)
        assert (again.status, again.amount_received) == ("succeeded", 1000)
        # An idempotent request repeated after the restart still gets the first answer.
        replayed = processor.create_customer(
            "acct_kept", email="a@example.com", name="A", reference="cus_1", key="k1"
        )
        assert replayed == customer
        assert [i.id for i in processor.intents("acct_kept")] == [made.id]
    finally:
        server.stop()


def test_a_customer_the_processor_lost_is_made_again(flow: Flow) -> None:
    card = save_card(flow, "pm_card_visa")
    with flow.db.session(flow.business.id) as session:
        before = session.get(Customer, flow.customer.id)
        assert before is not None and before.processor_customer_id
        lost = before.processor_customer_id
    with flow.store.lock:  # the processor forgets the customer (its test data was reset)
        del flow.store.objects[(str(flow.business.processor_account), lost)]
    payment, _ = flow.start(numbers=["INV-B"])  # a new card payment still starts...
    with flow.db.session(flow.business.id) as session:
        after = session.get(Customer, flow.customer.id)
        assert after is not None and after.processor_customer_id not in (None, lost)
    flow.confirm(payment)  # ...and goes through
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    assert card.processor_id == "pm_card_visa"
    assert_books_balance(flow)


def test_a_saved_card_the_processor_lost_is_said_in_words(flow: Flow) -> None:
    card = save_card(flow, "pm_card_visa")
    # A card made from typed numbers, saved by paying INV-A... and then lost by the processor.
    with flow.db.session(flow.business.id) as session:
        row = session.get(PaymentMethod, card.id)
        assert row is not None
        row.processor_id = "pm_made_then_lost"
    failed = one_click(flow, card, ["INV-B"])
    assert failed.status == PaymentStatus.FAILED
    assert failed.failure_message.startswith("The saved card is no longer on file")
    assert saved_cards(flow) == []  # forgotten here too, so it is not offered again
    charged = flow.business_charges("pm_lost_as_well", numbers=("INV-B",))
    assert "no longer on file" in flow.payment(charged.payment.id).failure_message
    assert_books_balance(flow)


def test_the_same_card_saved_again_replaces_the_older_entry(flow: Flow) -> None:
    first = save_card(flow, "pm_card_visa")
    assert first.fingerprint and (first.brand, first.last4, first.exp_month) == ("visa", "4242", 12)
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        again = methods.save_method(
            session,
            business=business,
            customer_id=flow.customer.id,
            # The same number entered again: a new method at the processor, the same card.
            method_id=flow.processor.client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2031},
                },
                options={"stripe_account": str(flow.business.processor_account)},
            ).id,
            consent_text="I authorise it",
            consented_at=utcnow(),
            processor=flow.processor,
        )
    assert again is not None
    [kept] = saved_cards(flow)
    assert (kept.id, kept.exp_year, kept.is_default) == (again.id, 2031, True)
    assert kept.fingerprint == first.fingerprint
    assert_books_balance(flow)
