"""Refunds: the business says what becomes of the invoice (credit or reopen), both keep the books
balanced, and the refund shows wherever the payment does: portal, dashboard, API and email."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from frontdesk.models import (
    CreditNote,
    Initiator,
    InvoiceEffect,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentStatus,
    RefundCause,
)
from frontdesk.services import audit, businesses, customers, invoices, payments
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links
from tests.flow import Flow, assert_books_balance


def paid(flow: Flow) -> Payment:
    payment, _ = flow.start(numbers=["INV-A"], tip=400)
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    return flow.payment(payment.id)


def refund(flow: Flow, payment: Payment, amount: int | None, effect: str) -> None:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        row = session.get(Payment, payment.id)
        assert row is not None
        payments.refund(
            session,
            business=business,
            payment=row,
            amount=amount,
            reason="Gate left open",
            effect=effect,
            cause=RefundCause.STAFF,
            actor="staff_1",
            processor=flow.processor,
        )


def balance(flow: Flow) -> int:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        return customers.balance(session, business=business, customer=customer).amount


def test_a_refund_the_customer_no_longer_owes_keeps_the_invoice_settled(flow: Flow) -> None:
    payment = paid(flow)
    before = balance(flow)
    refund(flow, payment, 1500, InvoiceEffect.CREDIT)
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    assert balance(flow) == before
    with flow.db.session(flow.business.id) as session:
        [note] = session.exec(select(CreditNote)).all()
    assert (note.invoice_id, note.amount) == (flow.invoices[0].id, 1500)
    assert_books_balance(flow)


def test_a_refund_the_customer_still_owes_reopens_the_invoice_by_that_much(flow: Flow) -> None:
    payment = paid(flow)
    before = balance(flow)
    refund(flow, payment, 1500, InvoiceEffect.REOPEN)
    invoice = flow.invoice(flow.invoices[0].id)
    assert (invoice.status, invoice.paid_at) == (InvoiceStatus.OPEN, None)
    assert balance(flow) == before + 1500
    # The reopened part can be paid again, and the invoice settles once more.
    again, _ = flow.start(numbers=["INV-A"])
    assert again.amount == 1500
    flow.confirm(again)
    flow.wait(lambda: flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID)
    assert_books_balance(flow)


def test_the_tip_comes_back_last_and_nothing_beyond_what_was_paid(flow: Flow) -> None:
    payment = paid(flow)  # 4000 on INV-A and a 400 tip
    refund(flow, payment, 4200, InvoiceEffect.REOPEN)  # all of INV-A, and 200 of the tip
    assert balance(flow) == 6000 + 4000
    with pytest.raises(Invalid) as caught:
        refund(flow, payment, 201, InvoiceEffect.REOPEN)
    assert caught.value.fields["amount"] == "Refund between $0.01 and $2.00."
    with pytest.raises(Invalid, match="what happens to the invoice"):
        refund(flow, payment, 100, "whatever")
    refund(flow, payment, None, InvoiceEffect.CREDIT)  # the rest of the tip
    assert_books_balance(flow)


def test_a_refund_shows_in_the_portal_the_dashboard_the_api_and_an_email(flow: Flow) -> None:
    payment = paid(flow)
    refund(flow, payment, 1500, InvoiceEffect.CREDIT)
    session_token = Links(flow.settings.secret_key).session(flow.customer, "ses_test")
    history = httpx.get(
        f"{flow.app.url}/portal/{flow.business.publishable_key}/payments",
        headers={"Authorization": f"Bearer {session_token}"},
    ).text
    assert "Partially refunded" in history and "kept $29.00" in history
    assert "Refunded $15.00 on" in history
    with flow.db.session(flow.business.id) as session:
        mails = [i.payload for i in session.exec(select(OutboxItem)) if i.kind == "email"]
        shown = payments.get_for_customer(
            session, business=flow.business, customer=flow.customer, payment_id=payment.id
        )
    [mail] = [m for m in mails if "refunded" in m["subject"]]
    assert mail["to"] == flow.customer.email
    assert "refunded $15.00 of your payment of $44.00 for INV-A" in mail["text"]
    assert "Their note: Gate left open" in mail["text"]
    assert (shown.state, shown.refunded, shown.kept) == ("partially_refunded", 1500, 2900)
    refund(flow, payment, None, InvoiceEffect.CREDIT)
    history = httpx.get(
        f"{flow.app.url}/portal/{flow.business.publishable_key}/payments",
        headers={"Authorization": f"Bearer {session_token}"},
    ).text
    assert ">Refunded<" in history and "kept $0.00" in history
    assert_books_balance(flow)


def test_a_duplicate_is_refunded_only_for_what_was_already_settled(quiet_flow: Flow) -> None:
    flow = quiet_flow
    both, _ = flow.start()  # INV-A (4000) and INV-B (6000) together
    flow.confirm(both)
    # Meanwhile the business takes cash for INV-A; then the card payment's webhook arrives.
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        cash = payments.record_offline(
            session,
            business=business,
            customer=customer,
            invoice=invoices.get(session, business=business, invoice_id=flow.invoices[0].id),
            amount=4000,
            method="cash",
            reference="counter",
            actor=audit.Actor(Initiator.STAFF, "staff_1"),
        )
    flow.post_event(flow.event("payment_intent.succeeded", str(both.processor_reference)))
    with flow.db.session(flow.business.id) as session:
        view = payments.get_for_customer(
            session, business=flow.business, customer=flow.customer, payment_id=both.id
        )
    [returned] = view.refunds
    assert (returned.cause, returned.collided_with, returned.amount) == (
        RefundCause.DUPLICATE,
        cash.id,
        4000,
    )
    assert "INV-A already settled by" in returned.reason
    # INV-B stays paid by the card: only the doubled part went back.
    assert [flow.invoice(i.id).status for i in flow.invoices] == [InvoiceStatus.PAID] * 2
    assert view.state == "partially_refunded"
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
