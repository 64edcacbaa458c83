"""Choosing what to pay: oldest invoices first, partial amounts, tips kept apart."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from frontdesk.models import Business, Payment
from frontdesk.services import businesses, customers, payments
from frontdesk.services.errors import Invalid
from tests.flow import Flow, assert_books_balance
from tests.test_portal_views import Portal


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


def ticked(html: str) -> list[str]:
    return re.findall(r'name="invoice" value="([^"]+)" checked', html)


def offered(html: str) -> list[str]:
    return re.findall(r'type="checkbox" name="invoice" value="([^"]+)"', html)


def test_the_pay_step_ticks_open_invoices_oldest_first_and_totals_the_ticked(flow: Flow) -> None:
    with Portal(flow.app, flow.settings, flow.business, flow.customer) as portal:
        everything = portal.get("/pay").text
        assert offered(everything) == ticked(everything) == ["INV-A", "INV-B"]
        one = portal.get("/pay", params={"invoice": "INV-B"}).text
        assert offered(one) == ["INV-A", "INV-B"] and ticked(one) == ["INV-B"]
        total = portal.get("/pay/summary", params={"chosen": "1", "invoice": "INV-B"}).text
        assert 'class="fd-strong fd-pay-total" data-amount="6000"' in total
        none = portal.get("/pay/summary", params={"chosen": "1"}).text
        assert "Choose an invoice to pay." in none


def test_a_mistake_comes_back_in_the_form_with_the_input_kept(flow: Flow) -> None:
    with flow.db.unscoped("the business takes partial payments") as session:
        business = session.get(Business, flow.business.id)
        assert business is not None
        business.allow_partial_payments = True
    with Portal(flow.app, flow.settings, flow.business, flow.customer) as portal:
        form = {"chosen": "1", "invoice": ["INV-A", "INV-B"], "amount": "0.05", "tip": "1800"}
        refused = portal.client.post("/pay", data=form)
        assert refused.status_code == 422
        assert 'name="amount" inputmode="decimal" value="0.05"' in refused.text
        assert 'id="fd-err-amount" class="fd-error">Pay between $0.50 and $100.00.' in refused.text
        assert 'name="tip" value="1800" checked' in refused.text
        assert ticked(refused.text) == ["INV-A", "INV-B"]
        typo = portal.client.post("/pay", data={**form, "amount": "ten dollars"})
        assert typo.status_code == 422 and 'value="ten dollars"' in typo.text
        assert 'id="fd-err-amount"' in typo.text
        nothing = portal.client.post("/pay", data={"chosen": "1", "tip": "1800"})
        assert nothing.status_code == 422 and ticked(nothing.text) == []
        assert "Tick at least one invoice." in nothing.text
        with flow.db.session(flow.business.id) as session:
            assert session.exec(select(Payment)).all() == []
        started = portal.client.post("/pay", data={"chosen": "1", "invoice": "INV-B"})
        assert started.status_code == 200 and "Pay $60.00" in started.text
    assert_books_balance(flow)
