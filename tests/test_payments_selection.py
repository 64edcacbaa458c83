"""Choosing what to pay: oldest invoices first, partial amounts, tips kept apart."""

from __future__ import annotations

import pytest

from frontdesk.services import businesses, customers, payments
from frontdesk.services.errors import Invalid
from tests.flow import Flow


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
