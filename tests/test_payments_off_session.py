"""The business charges a card the customer saved: consent, declines, the bank asking for the
customer, and the customer's own attempt on the same invoices."""

from __future__ import annotations

import pytest
import stripe
from sqlmodel import select

from frontdesk import tokens
from frontdesk.models import (
    Initiator,
    InvoiceStatus,
    OutboxItem,
    PaymentStatus,
    Refund,
)
from frontdesk.services import businesses, customers, payments
from frontdesk.services.errors import Invalid
from tests.flow import Flow, assert_books_balance


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
