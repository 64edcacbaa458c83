"""Invoice totals, derived statuses and customer balances, computed from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from frontdesk import demo
from frontdesk.db import Database
from frontdesk.models import (
    CreditNote,
    Customer,
    InvoiceLine,
    InvoiceStatus,
    PaymentStatus,
    Refund,
    RefundAllocation,
)
from frontdesk.services import customers, documents, estimates, invoices, subscriptions
from frontdesk.services.customers import BalanceState
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.invoices import DisplayStatus
from frontdesk.services.lines import LineInput
from frontdesk.settings import Settings
from tests.factories import make_business, make_customer, make_invoice, make_payment

TODAY = date.today()


def test_tax_is_rounded_per_line_then_summed(db: Database) -> None:
    business = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
        invoice = invoices.create(
            session,
            business=business,
            customer=customer,
            lines=[
                LineInput("Hedges", 6000, Decimal("3.5"), tax_rate_bp=825),
                LineInput("Mulch", 4200, Decimal("2"), tax_rate_bp=825),
                LineInput("Permit", 1999, tax_amount=0),
            ],
            issue_date=TODAY,
            due_date=TODAY,
        )
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (31399, 2426, 33825)
    with db.session(business.id) as session:
        taxes = session.exec(select(InvoiceLine.tax_amount).order_by(InvoiceLine.position)).all()
    assert taxes == [1733, 693, 0]


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([LineInput(" ", 100)], "lines[0].description"),
        ([LineInput("x", -1)], "lines[0].unit_amount"),
        ([LineInput("x", 100, Decimal(0))], "lines[0].quantity"),
        ([LineInput("x", 100, tax_rate_bp=10_001)], "lines[0].tax_rate"),
        ([LineInput("x", 100, tax_rate_bp=5, tax_amount=5)], "lines[0].tax_amount"),
    ],
)
def test_bad_lines_are_refused_with_field_messages(
    db: Database, lines: list[LineInput], field: str
) -> None:
    business = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
        with pytest.raises(Invalid) as caught:
            invoices.create(
                session,
                business=business,
                customer=customer,
                lines=lines,
                issue_date=TODAY,
                due_date=TODAY,
            )
    assert field in caught.value.fields


def test_displayed_status_comes_from_due_date_and_payments(db: Database) -> None:
    business = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
        unpaid = make_invoice(session, business, customer)
        overdue = make_invoice(
            session,
            business,
            customer,
            due_date=TODAY - timedelta(days=1),
            issue_date=TODAY - timedelta(days=30),
        )
        partly = make_invoice(session, business, customer)
        make_payment(session, business, customer, partly, 4000)
        failed = make_invoice(session, business, customer)
        make_payment(session, business, customer, failed, 10000, status=PaymentStatus.FAILED)
        draft = make_invoice(session, business, customer, send=False)
        paid = make_invoice(session, business, customer)
        paid.status = InvoiceStatus.PAID
        views = {
            view.invoice.id: view
            for view in invoices.views(session, [unpaid, overdue, partly, failed, draft, paid])
        }
    assert views[unpaid.id].status(TODAY) == DisplayStatus.UNPAID
    assert views[overdue.id].status(TODAY) == DisplayStatus.OVERDUE
    assert views[partly.id].status(TODAY) == DisplayStatus.PARTIALLY_PAID
    assert views[partly.id].amount_due == 6000
    assert views[failed.id].status(TODAY) == DisplayStatus.UNPAID  # a failed payment pays nothing
    assert views[draft.id].status(TODAY) == DisplayStatus.DRAFT
    assert views[paid.id].status(TODAY) == DisplayStatus.PAID
    assert views[paid.id].amount_due == 0


def test_balance_states(db: Database) -> None:
    business = make_business(db).business
    with db.session(business.id) as session:
        owing, credit, settled = (make_customer(session, business) for _ in range(3))
        make_invoice(session, business, owing, amounts=(5000,), due_date=TODAY + timedelta(days=9))
        make_invoice(session, business, owing, amounts=(2500,), due_date=TODAY + timedelta(days=3))
        session.add(
            CreditNote(business_id=business.id, customer_id=credit.id, amount=1250, currency="USD")
        )
        result = customers.balances(session, business=business, customers=[owing, credit, settled])
    assert (result[owing.id].state, result[owing.id].amount) == (BalanceState.OWING, 7500)
    assert result[owing.id].oldest_due_date == TODAY + timedelta(days=3)
    assert (result[credit.id].state, result[credit.id].amount) == (BalanceState.IN_CREDIT, -1250)
    assert (result[settled.id].state, result[settled.id].amount) == (BalanceState.SETTLED, 0)


def test_estimates_expire_by_date(db: Database) -> None:
    business = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
        estimate = estimates.create(
            session,
            business=business,
            customer=customer,
            lines=[LineInput("Work", 100)],
            issue_date=TODAY - timedelta(days=40),
            expires_on=TODAY - timedelta(days=10),
            send=True,
        )
    assert estimates.status(estimate, TODAY) == estimates.DisplayStatus.EXPIRED
    assert estimates.status(estimate, TODAY - timedelta(days=20)) == estimates.DisplayStatus.SENT


def test_demo_seeds_one_customer_in_each_balance_state(db: Database, settings: Settings) -> None:
    seeded = demo.ensure(db, sample_site_origin="http://127.0.0.1:9001", settings=settings)
    again = demo.ensure(db, sample_site_origin="http://127.0.0.1:9101", settings=settings)
    assert again.business.id == seeded.business.id
    assert again.business.allowed_origins == ["http://127.0.0.1:9101"]
    with db.session(seeded.business.id) as session:
        people = {c.name: c for c in session.exec(select(Customer)).all()}
        states = customers.balances(
            session, business=seeded.business, customers=list(people.values())
        )
    assert len(people) == 4
    assert states[people["Jordan Rivera"].id].state == BalanceState.OWING
    assert states[people["Jordan Rivera"].id].amount == 42017
    assert states[people["Sam Chen"].id].amount == -1250
    assert states[people["Alex Morgan"].id].state == BalanceState.SETTLED
    assert not people["Priya Patel"].portal_enabled
    # Jordan has an agreement to sign and a warranty to keep (shared once, on the first run).
    with db.session(seeded.business.id) as session:
        shared = documents.for_customer(session, customer=people["Jordan Rivera"])
        [plan] = subscriptions.for_customer(session, customer=people["Jordan Rivera"])
    assert sorted((d.kind, d.requires_signature) for d in shared) == [
        ("contract", True),
        ("warranty", False),
    ]
    assert plan.status == "active" and plan.next_period_start > date.today()


def test_a_bank_payment_on_its_way_shows_processing_and_is_not_offered_again(db: Database) -> None:
    from frontdesk.services import payments as payment_service

    business = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
        waiting = make_invoice(session, business, customer, amounts=(5000,), number="INV-W")
        make_invoice(session, business, customer, amounts=(2000,), number="INV-X")
        make_payment(session, business, customer, waiting, 5000, status=PaymentStatus.PROCESSING)
        [view] = invoices.views(session, [waiting])
        assert view.status(TODAY) == DisplayStatus.PROCESSING
        assert view.amount_due == 5000  # not money until it settles
        listed, _ = invoices.list_page(
            session,
            business=business,
            customer=customer,
            status=DisplayStatus.PROCESSING,
            page=1,
            today=TODAY,
        )
        assert [v.invoice.number for v in listed] == ["INV-W"]
        chosen = payment_service.choose(session, business=business, customer=customer)
        assert [invoice.number for invoice, _ in chosen.allocations] == ["INV-X"]


def test_an_invoice_shows_what_was_applied_to_it_oldest_first(db: Database) -> None:
    business = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
        invoice = make_invoice(session, business, customer, amounts=(10000,))
        other = make_invoice(session, business, customer, amounts=(5000,))
        start = datetime(2026, 11, 2, 9, tzinfo=UTC)
        card = make_payment(session, business, customer, invoice, 6000)
        card.succeeded_at = start
        # Neither a failed payment nor another invoice's counts here.
        make_payment(session, business, customer, invoice, 900, PaymentStatus.FAILED)
        make_payment(session, business, customer, other, 5000)
        credit = CreditNote(
            business_id=business.id,
            customer_id=customer.id,
            invoice_id=invoice.id,
            amount=1500,
            currency="USD",
            created_at=start + timedelta(days=1),
        )
        refund = Refund(
            business_id=business.id,
            payment_id=card.id,
            amount=2000,
            currency="USD",
            status=PaymentStatus.SUCCEEDED,
            idempotency_key="refund-1",
            created_at=start + timedelta(days=2),
        )
        session.add_all([credit, refund])
        session.add(
            RefundAllocation(
                business_id=business.id, refund_id=refund.id, invoice_id=invoice.id, amount=2000
            )
        )
        session.flush()
        applied = invoices.applied(session, invoice=invoice)
        page = invoices.get_for_customer(
            session, business=business, customer=customer, number=invoice.number
        )
        shown = invoices.lines(session, invoice=invoice)
    assert [(entry.when, entry.label, entry.amount) for entry in applied] == [
        (start, "Payment (Card)", 6000),
        (start + timedelta(days=1), "Account credit", 1500),
        (start + timedelta(days=2), "Refund", -2000),
    ]
    # 6,000 paid and 1,500 credited, less the 2,000 refunded.
    assert (page.invoice.id, page.paid, page.amount_due) == (invoice.id, 5500, 4500)
    assert [(line.description, line.amount) for line in shown] == [("Line 1", 10000)]


def test_another_customers_invoice_or_a_draft_is_not_found_by_number(db: Database) -> None:
    business = make_business(db).business
    with db.session(business.id) as session:
        customer, someone = make_customer(session, business), make_customer(session, business)
        theirs = make_invoice(session, business, someone)
        draft = make_invoice(session, business, customer, send=False)
        for number in (theirs.number, draft.number, "INV-404"):
            with pytest.raises(NotFound):
                invoices.get_for_customer(
                    session, business=business, customer=customer, number=number
                )
