"""The books check (services/payments/ledger.py): it passes on honest books, and it names each
kind of broken record, from the command line and on the owner's dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from frontdesk.models import (
    Invoice,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Refund,
    StaffUser,
    utcnow,
)
from tests.conftest import TEST_KEYS
from tests.flow import Flow, assert_books_balance
from tests.test_cli import run
from tests.test_dashboard import Desk


def paid_invoice_a(flow: Flow) -> Payment:
    payment, _ = flow.start(numbers=["INV-A"], tip=400)
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    assert_books_balance(flow)
    return flow.payment(payment.id)


def break_it(flow: Flow, change: Callable[[Session, Payment], None]) -> tuple[Payment, list[str]]:
    payment = paid_invoice_a(flow)
    with flow.db.session(flow.business.id) as session:
        change(session, payment)
    return payment, flow.books().problems


def test_a_receipt_never_queued_is_named(flow: Flow) -> None:
    def lose_receipt(session: Session, payment: Payment) -> None:
        for item in session.exec(select(OutboxItem).where(OutboxItem.kind == "receipt")):
            session.delete(item)

    payment, [problem] = break_it(flow, lose_receipt)
    assert problem.startswith(f"payment {payment.id}: succeeded with 0 receipts")


def test_a_tip_counted_against_an_invoice_is_named(flow: Flow) -> None:
    def count_tip(session: Session, payment: Payment) -> None:
        allocation = session.exec(select(PaymentAllocation)).one()
        allocation.amount += payment.tip

    _, problems = break_it(flow, count_tip)
    assert any("applies 4400 to invoices but its amount is 4000" in p for p in problems)


def test_an_invoice_whose_status_disagrees_with_its_payments_is_named(flow: Flow) -> None:
    def reopen(session: Session, payment: Payment) -> None:
        invoice = session.get(Invoice, flow.invoices[0].id)
        assert invoice is not None
        invoice.status = InvoiceStatus.OPEN

    _, problems = break_it(flow, reopen)
    assert f"invoice INV-A ({flow.invoices[0].id}): is open but 4000 of 4000 is applied" in problems


def test_a_refund_without_a_cause_and_one_the_processor_never_made_are_named(flow: Flow) -> None:
    def invent_refund(session: Session, payment: Payment) -> None:
        session.add(
            Refund(
                business_id=payment.business_id,
                payment_id=payment.id,
                amount=100,
                currency=payment.currency,
                status=PaymentStatus.SUCCEEDED,
                idempotency_key="invented",
            )
        )

    _, problems = break_it(flow, invent_refund)
    assert any("asked for by staff but nobody is recorded" in p for p in problems)
    assert any("100 refunded in our books, 0 at the processor" in p for p in problems)


def test_a_charge_the_processor_made_that_we_never_recorded_is_named(flow: Flow) -> None:
    def forget(session: Session, payment: Payment) -> None:
        # As if our write of the success had been lost: the processor still has the charge.
        session.execute(
            text("UPDATE payment SET status = 'pending' WHERE id = :id"), {"id": payment.id}
        )
        for item in session.exec(select(OutboxItem).where(OutboxItem.kind == "receipt")):
            session.delete(item)
        invoice = session.get(Invoice, flow.invoices[0].id)
        assert invoice is not None
        invoice.status = InvoiceStatus.OPEN

    payment = paid_invoice_a(flow)
    with flow.db.session(flow.business.id) as session:
        forget(session, payment)
    fresh = flow.books()
    assert fresh.problems == [] and fresh.in_flight == [payment.processor_reference]
    later = flow.books(now=utcnow() + timedelta(minutes=20))  # the webhook never came
    assert f"charge {payment.processor_reference}: took 4400 but no payment of ours has it" in (
        later.problems
    )


@pytest.mark.parametrize("honest", [True, False], ids=["honest", "broken"])
def test_the_command_checks_the_books_and_the_owner_is_warned(flow: Flow, honest: bool) -> None:
    payment = paid_invoice_a(flow)
    if not honest:
        with flow.db.session(flow.business.id) as session:
            invoice = session.get(Invoice, flow.invoices[0].id)
            assert invoice is not None
            invoice.status = InvoiceStatus.OPEN
    checked = run(
        "books",
        "check",
        environment="test",
        secret_key=TEST_KEYS[0],
        database_url=flow.db.url,
        stripe_secret_key=flow.settings.stripe_secret_key,
        stripe_api_base=flow.settings.stripe_api_base,
    )
    assert "Traceback" not in checked.stderr
    if honest:
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "the books balance" in checked.stdout and "1 charges" in checked.stdout
    else:
        assert checked.returncode == 1
        assert f"invoice INV-A ({flow.invoices[0].id}): is open" in checked.stdout
    with flow.db.session(flow.business.id) as session:
        owner = session.exec(select(StaffUser)).first()
    assert owner is not None
    desk = Desk(flow.app.url, owner.email)
    page = desk.client.get("/customers").text
    desk.close()
    assert ("Your books need a look" in page) is not honest
    assert payment.status == PaymentStatus.SUCCEEDED
