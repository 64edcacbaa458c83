"""Two businesses side by side share nothing: every query helper stays inside its business."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import bindparam, delete, exists, func, update
from sqlalchemy.sql.util import find_tables
from sqlmodel import col, select

from frontdesk import demo
from frontdesk.db import (
    BUSINESS,
    Database,
    TenantScopeError,
    _prebuilt,
    in_business,
    prebuilt,
    read,
)
from frontdesk.models import (
    CreditNote,
    Customer,
    EndedSession,
    Estimate,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Refund,
    StaffUser,
)
from frontdesk.services import businesses, customers, estimates, invoices
from frontdesk.services.errors import NotFound
from frontdesk.services.lines import LineInput
from tests.factories import (
    make_business,
    make_customer,
    make_document_to_sign,
    make_invoice,
    make_payment,
)


@pytest.fixture
def two(db: Database) -> dict[str, dict[str, str]]:
    """Business A and B, each with one customer, an open invoice with a payment, a credit."""
    ids: dict[str, dict[str, str]] = {}
    for label in ("a", "b"):
        business = make_business(db).business
        with db.session(business.id) as session:
            customer = make_customer(session, business, external_id="same-external-id")
            invoice = make_invoice(session, business, customer, number="INV-1")
            make_payment(session, business, customer, invoice, 2500)
        ids[label] = {"business": business.id, "customer": customer.id, "invoice": invoice.id}
    return ids


def test_queries_return_only_the_scoped_business(
    db: Database, two: dict[str, dict[str, str]]
) -> None:
    a, b = two["a"], two["b"]
    with db.session(a["business"]) as session:
        assert [c.id for c in session.exec(select(Customer)).all()] == [a["customer"]]
        assert [i.id for i in session.exec(select(Invoice)).all()] == [a["invoice"]]
        assert len(session.exec(select(Payment)).all()) == 1
        # Joins are scoped on every side, not only the selected entity.
        joined = session.exec(
            select(Invoice.id).join(Customer, Customer.id == Invoice.customer_id)
        ).all()
        assert joined == [a["invoice"]]
        assert session.get(Customer, b["customer"]) is None
        # Tables named only in a subquery, an EXISTS or a column are scoped too.
        inner = select(Payment.id).subquery()
        assert session.exec(select(func.count()).select_from(inner)).one() == 1
        theirs = exists().where(Payment.customer_id == b["customer"])
        assert session.exec(select(func.count(col(Customer.id))).where(theirs)).one() == 0
        assert session.exec(select(func.count(col(Payment.id)))).one() == 1


def test_every_service_lookup_refuses_the_other_business_ids(
    db: Database, two: dict[str, dict[str, str]]
) -> None:
    a, b = two["a"], two["b"]
    with db.session(a["business"]) as session:
        business = businesses.get(session, a["business"])
        with pytest.raises(NotFound):
            customers.get(session, business=business, customer_id=b["customer"])
        with pytest.raises(NotFound):
            invoices.get(session, business=business, invoice_id=b["invoice"])
        assert customers.list_page(session, business=business) == [
            customers.get(session, business=business, customer_id=a["customer"])
        ]
        assert invoices.paid_amounts(session, [b["invoice"]]) == {b["invoice"]: 0}
        assert (
            invoices.open_for_customers(session, business=business, customer_ids=[b["customer"]])
            == []
        )


def test_bulk_updates_cannot_reach_the_other_business(
    db: Database, two: dict[str, dict[str, str]]
) -> None:
    with db.session(two["a"]["business"]) as session:
        session.execute(update(Customer).values(name="Renamed"))
    with db.session(two["b"]["business"]) as session:
        assert session.exec(select(Customer.name)).one() == "Casey Customer"


def test_a_query_without_a_scope_raises(db: Database, two: dict[str, dict[str, str]]) -> None:
    from sqlmodel import Session

    with Session(db.engine) as session, pytest.raises(TenantScopeError):
        session.exec(select(Customer)).all()


def test_unscoped_sessions_are_explicit(db: Database, two: dict[str, dict[str, str]]) -> None:
    with db.unscoped("this test counts every business's staff") as session:
        assert len(session.exec(select(StaffUser)).all()) == 2


def test_writing_another_business_row_raises(db: Database, two: dict[str, dict[str, str]]) -> None:
    with (
        pytest.raises(TenantScopeError, match="another business"),
        db.session(two["a"]["business"]) as session,
    ):
        session.add(Customer(business_id=two["b"]["business"], name="Intruder", email="i@x.io"))
    with db.session(two["b"]["business"]) as session:
        assert len(session.exec(select(Customer)).all()) == 1


def test_numbers_and_external_ids_are_unique_per_business_only(
    db: Database, two: dict[str, dict[str, str]]
) -> None:
    # Both businesses hold "INV-1" and "same-external-id" (made by the fixture) without conflict.
    for label in ("a", "b"):
        with db.session(two[label]["business"]) as session:
            invoice = session.exec(select(Invoice)).one()
            assert invoice.number == "INV-1"


def test_estimate_and_invoice_numbering_count_only_their_business(
    db: Database, two: dict[str, dict[str, str]]
) -> None:
    with db.session(two["a"]["business"]) as session:
        business = businesses.get(session, two["a"]["business"])
        customer = customers.get(session, business=business, customer_id=two["a"]["customer"])
        assert invoices.next_number(session, business=business) == "INV-1002"
        estimate = estimates.create(
            session,
            business=business,
            customer=customer,
            lines=[LineInput("Work", 1000, Decimal(1))],
            issue_date=date.today(),
            expires_on=date.today() + timedelta(days=30),
        )
        assert estimate.number == "EST-101"


@pytest.fixture
def full(db: Database) -> dict[str, Any]:
    """Business B as the demo seeds it (visits, messages, to-dos, estimates, invoices and
    payments), with an unapplied credit, a document waiting for its customer's signature and a
    session they signed out of, so that every statement built once finds something of B's; and
    business A beside it."""
    seeded = demo.ensure(db, sample_site_origin="http://127.0.0.1:9")
    business, customer = seeded.business, seeded.signed_in_customer
    with db.session(business.id) as session:
        session.add(
            CreditNote(business_id=business.id, customer_id=customer.id, amount=500, currency="USD")
        )
        make_document_to_sign(session, business, customer, title="Agreement")
        session.add(
            EndedSession(
                business_id=business.id,
                id="ses_ended",
                customer_id=customer.id,
                expires_at=datetime(2100, 1, 1, tzinfo=UTC),
            )
        )
        theirs = session.exec(select(Invoice).where(Invoice.customer_id == customer.id)).all()
        invoices = [invoice.id for invoice in theirs]
        paid = next((i.id, i.number) for i in theirs if i.status == InvoiceStatus.PAID)
        # Applied to it as well as a payment: the invoice page reads each kind in one read.
        session.add(
            CreditNote(
                business_id=business.id,
                customer_id=customer.id,
                invoice_id=paid[0],
                amount=100,
                currency="USD",
            )
        )
        payments = [
            p.id for p in session.exec(select(Payment).where(Payment.customer_id == customer.id))
        ]
        estimate = next(
            (e.id, e.number)
            for e in session.exec(select(Estimate).where(Estimate.customer_id == customer.id))
        )
        # Part of one given back: a customer's payments show their refunds.
        refund = Refund(
            business_id=business.id,
            payment_id=payments[0],
            amount=100,
            currency="USD",
            status=PaymentStatus.SUCCEEDED,
            idempotency_key="refund-full",
        )
        session.add(refund)
    return {
        "a": make_business(db).business.id,
        "b": business.id,
        "customer": customer.id,
        "invoices": invoices,
        "paid": paid,
        "payments": payments,
        "estimate": estimate,
    }


def _reads(statement: Any, table: str) -> bool:
    return any(found.name == table for found in find_tables(statement, include_joins=True))


def _values(statement: Any, full: dict[str, Any]) -> dict[str, Any]:
    """Every parameter of a statement built once (db.prebuilt), bound to business B's rows."""
    known: dict[str, Any] = {
        "customer": full["customer"],
        "customers": [full["customer"]],
        "session": "ses_ended",
        "limit": 100,
        "offset": 0,
        "ids": full["invoices"],
        # The customer's paid invoice: its page shows its lines and what was applied to it.
        "invoice": full["paid"][0],
        # An invoice's number and an estimate's: each statement reads only its own table by it.
        "number": full["paid"][1] if _reads(statement, "invoice") else full["estimate"][1],
        "payments": full["payments"],
        "payment": full["payments"][0],
        "statuses": list(PaymentStatus),
        "estimate": full["estimate"][0],
        "start": datetime(2000, 1, 1, tzinfo=UTC),
        "today": date(2000, 1, 1),
    }
    # The business is the session's to bind (db.in_business).
    names = {
        name
        for name, value in statement.compile().params.items()
        if value is None and name != BUSINESS
    }
    assert names <= known.keys(), f"bind {names - known.keys()} to business B's rows here"
    return {name: known[name] for name in names}


def _found(rows: list[Any]) -> list[Any]:
    # A count or a sum over nothing is one row of zeros or nulls: that is nothing found.
    return [row for row in rows if any(value not in (None, 0, False) for value in row)]


def test_a_statement_built_once_finds_nothing_of_another_business(
    db: Database, full: dict[str, Any]
) -> None:
    # Importing the services builds their statements (db.prebuilt).
    import frontdesk.app  # noqa: F401

    statements = [statement for statement, _ in _prebuilt.values()]
    assert len(statements) >= 10
    for statement in statements:
        params = _values(statement, full)
        # B's own first, so that a scoping kept from one business for the next shows here.
        with db.session(full["b"]) as session:
            assert _found(list(session.execute(statement, params))), f"B sees nothing: {statement}"
        with db.session(full["a"]) as session:
            assert _found(list(session.execute(statement, params))) == [], statement


def test_a_statement_built_once_must_filter_every_tenant_table_it_reads(
    db: Database, two: dict[str, dict[str, str]]
) -> None:
    # The payment is read only in a subquery: its filter is missing, the invoice's is not.
    paid = select(func.count()).where(Payment.customer_id == Invoice.customer_id).scalar_subquery()
    statement = prebuilt(select(Invoice.id, paid).where(in_business(Invoice)))
    try:
        with (
            db.session(two["a"]["business"]) as session,
            pytest.raises(TenantScopeError) as refused,
        ):
            session.execute(statement)
        assert "reads Payment without in_business(Payment)" in str(refused.value)
    finally:
        del _prebuilt[id(statement)]


def test_a_core_read_runs_only_statements_built_once_in_a_business_session(
    db: Database, two: dict[str, dict[str, str]]
) -> None:
    a, b = two["a"], two["b"]
    credit = prebuilt(
        select(func.sum(CreditNote.amount)).where(
            in_business(CreditNote), CreditNote.customer_id == bindparam("customer")
        )
    )
    try:
        with db.session(a["business"]) as session:
            # What this transaction added is read (flushed first), and B's customer has nothing.
            session.add(
                CreditNote(
                    business_id=a["business"], customer_id=a["customer"], amount=700, currency="USD"
                )
            )
            assert read(session, credit, {"customer": a["customer"]}).scalar_one() == 700
            assert read(session, credit, {"customer": b["customer"]}).scalar_one() is None
            with pytest.raises(TenantScopeError):
                read(session, select(func.count()).select_from(CreditNote))
        with db.unscoped("the refusal is the test") as session, pytest.raises(TenantScopeError):
            read(session, credit, {"customer": a["customer"]})
    finally:
        del _prebuilt[id(credit)]


def test_a_statement_built_once_only_reads(db: Database, two: dict[str, dict[str, str]]) -> None:
    # Its business would be bound by whoever runs it: B's customer, from A's session.
    removal = prebuilt(
        delete(Customer).where(in_business(Customer), Customer.id == bindparam("customer"))
    )
    try:
        with (
            db.session(two["a"]["business"]) as session,
            pytest.raises(TenantScopeError, match="only reads"),
        ):
            session.execute(
                removal, {"customer": two["b"]["customer"], BUSINESS: two["b"]["business"]}
            )
    finally:
        del _prebuilt[id(removal)]
    with db.session(two["b"]["business"]) as session:
        assert session.get(Customer, two["b"]["customer"]) is not None
