"""The platform's fee: set per business by the operator, taken by Stripe as the application fee
on each charge, given back in proportion with refunds, and held to account by the books check."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from frontdesk.models import Initiator, InvoiceEffect, Payment, PaymentStatus, Refund, StaffUser
from frontdesk.services import audit, businesses, staff
from frontdesk.services.errors import Invalid
from frontdesk.services.payments import fees
from tests.flow import Flow, assert_books_balance
from tests.test_payments_refunds import refund

pytest_plugins = ["tests.flow"]


def charge_fee(flow: Flow, basis_points: int, fixed: int) -> None:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        fees.set_fee(
            session,
            business=business,
            basis_points=basis_points,
            fixed=fixed,
            actor=audit.Actor(Initiator.OPERATOR, "test"),
        )


def paid(flow: Flow) -> Payment:
    payment, _ = flow.start(numbers=["INV-A"], tip=400)
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    return flow.payment(payment.id)


def test_each_charge_pays_the_platform_its_fee_and_refunds_give_back_their_share(
    flow: Flow,
) -> None:
    charge_fee(flow, basis_points=290, fixed=30)

    payment = paid(flow)

    # 2.9 % of 44.00 is 1.276, rounded to 1.28, and 0.30 on top.
    assert (payment.charged, payment.application_fee) == (4400, 158)
    account = {"stripe_account": str(flow.business.processor_account)}
    intent = flow.client.v1.payment_intents.retrieve(
        str(payment.processor_reference), options=account
    )
    assert intent.application_fee_amount == 158
    assert_books_balance(flow)

    refund(flow, payment, 1500, InvoiceEffect.CREDIT)
    refund(flow, payment, None, InvoiceEffect.CREDIT)  # the rest

    with flow.db.session(flow.business.id) as session:
        given_back = [r.application_fee_refunded for r in session.exec(select(Refund))]
    assert sorted(given_back) == [53, 105]  # 158 * 1500 // 4400, then the rest of it
    [collected] = flow.client.v1.application_fees.list().data
    assert (collected.amount, collected.amount_refunded) == (158, 158)
    assert_books_balance(flow)


def test_the_business_sees_the_fee_and_what_it_receives(flow: Flow) -> None:
    charge_fee(flow, basis_points=100, fixed=0)
    payment = paid(flow)
    refund(flow, payment, 2200, InvoiceEffect.REOPEN)
    with flow.db.session(flow.business.id) as session:
        owner = session.exec(select(StaffUser)).first()
        assert owner is not None
        cookie = staff.session_token(flow.settings.secret_key, owner)

    page = httpx.get(
        f"{flow.app.url}/dashboard/payments/{payment.id}", cookies={"fd_staff": cookie}
    ).text

    # 1 % of 44.00 is 0.44; half of it came back with the half refunded: 22.00 less 0.22.
    assert "Platform fee</dt><dd>$0.22 ($0.22 given back with refunds) · you receive $21.78" in page
    assert_books_balance(flow)


def test_the_books_catch_a_fee_that_is_not_what_stripe_took(flow: Flow) -> None:
    charge_fee(flow, basis_points=500, fixed=0)
    payment = paid(flow)
    with flow.db.session(flow.business.id) as session:
        row = session.get(Payment, payment.id)
        assert row is not None
        row.application_fee -= 1

    problems = flow.books().problems

    assert any("paid the platform 220" in problem for problem in problems), problems


def test_a_fee_is_never_more_than_the_charge_and_the_operator_keeps_it_sane(flow: Flow) -> None:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        business.fee_basis_points, business.fee_fixed = 100, 9_000
        assert fees.fee_for(business, 5_000) == 5_000
        assert fees.fee_for(business, 0) == 0
    for basis_points, fixed in ((-1, 0), (5_001, 0), (0, -5), (0, 10_001)):
        with pytest.raises(Invalid, match="fee needs fixing"):
            charge_fee(flow, basis_points, fixed)
