"""Saved cards: saved with consent, paid with in one click, and only ever their customer's."""

from __future__ import annotations

import pytest
from sqlmodel import select

from frontdesk.models import (
    Initiator,
    InvoiceStatus,
    OutboxItem,
    PaymentMethod,
    PaymentStatus,
)
from frontdesk.services import businesses, card_setup, customers, payments
from frontdesk.services.errors import NotFound
from frontdesk.services.links import Links
from tests.factories import make_business, make_customer, make_invoice
from tests.flow import Flow, assert_books_balance


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
