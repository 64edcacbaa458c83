"""Crashes during a run of automatic payments: `frontdesk serve` charges every enrolled customer's
invoice as it starts (the scheduler runs at once on start), and is killed with SIGKILL twice while
it does, then started again. Afterwards every invoice was charged once at the processor and once in
our books: no charge lost between the processor's answer and our commit, none made twice."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import AttemptStatus, AutopayAttempt, Invoice, PaymentMethod
from frontdesk.services import autopay, businesses, customers
from tests.robustness.harness import (
    ACCOUNT,
    SECRET,
    Shop,
    assert_books_balance,
    books_check,
    running,
    settle,
    succeeded_intents,
)

CUSTOMERS = 30


def enroll_everyone(db: Database, shop: Shop, sandbox_url: str) -> None:
    """Each customer saved a card at the processor and turned automatic payments on a week ago;
    each owes one invoice that fell due yesterday."""
    agreed = datetime.now(UTC) - timedelta(days=7)
    with (
        httpx.Client(
            base_url=sandbox_url,
            headers={"Authorization": f"Bearer {SECRET}", "Stripe-Account": ACCOUNT},
        ) as stripe,
        db.session(shop.business.id) as session,
    ):
        business = businesses.get(session, shop.business.id)
        for customer, _ in shop.customers:
            made = stripe.post(
                "/v1/payment_methods",
                data={"type": "card", "card[number]": "4242424242424242"},
            )
            assert made.status_code == 200, made.text
            method = PaymentMethod(
                business_id=business.id,
                customer_id=customer.id,
                processor_id=made.json()["id"],
                brand="visa",
                last4="4242",
                consent_text="I authorise it",
            )
            session.add(method)
            session.flush()
            found = customers.get(session, business=business, customer_id=customer.id)
            autopay.enroll(
                session,
                business=business,
                customer=found,
                method_id=method.id,
                agreed=True,
                shown=autopay.digest(autopay.consent_text(business, method)),
                ip="203.0.113.1",
                user_agent="test",
                now=agreed,
            )
        for invoice in session.exec(select(Invoice)).all():
            invoice.issue_date = date.today() - timedelta(days=5)
            invoice.due_date = date.today() - timedelta(days=1)


@pytest.mark.slow
@pytest.mark.strictest_backend  # the kill test proper covers both; this one costs 40 s each
def test_a_charge_run_killed_twice_charges_every_invoice_once(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    shop = Shop.seed(db, CUSTOMERS)
    with running(database_url, tmp_path) as (server, sandbox_url, store, _):
        server.stop()  # enrolled first, then the run starts with the server
        enroll_everyone(db, shop, sandbox_url)
        server.start()
        for share in (4, 2):  # a quarter of the way through, then half
            deadline = time.monotonic() + 90
            while len(succeeded_intents(store)) < CUSTOMERS // share:
                assert time.monotonic() < deadline, "the charge run never got that far"
                time.sleep(0.01)
            server.kill()
            time.sleep(0.3)
            server.start()
        deadline = time.monotonic() + 120
        while len(succeeded_intents(store)) < CUSTOMERS:
            assert time.monotonic() < deadline, f"{len(succeeded_intents(store))} charged"
            time.sleep(0.1)
        books = settle(db, shop.business.id, store)
        charged = succeeded_intents(store)
        report = books_check(db, shop.business.id, sandbox_url)
    with db.session(shop.business.id) as session:
        tries = session.exec(select(AutopayAttempt.attempt, AutopayAttempt.status)).all()
    assert server.kills == 2
    assert sorted(tries) == [(1, AttemptStatus.SUCCEEDED)] * CUSTOMERS
    assert_books_balance(books, charged, invoices=CUSTOMERS, report=report)
    assert books.unpaid == []
