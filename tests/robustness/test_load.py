"""Load, bounded and on loopback: 200 customers pay 200 invoices at once while 20 more sessions of
one customer race to pay the same invoice, against `frontdesk serve` and the Stripe sandbox.
Every charge the processor made is recorded exactly once, and no invoice is paid twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from frontdesk.db import Database
from tests.robustness.harness import (
    Customers,
    Shop,
    Tally,
    assert_books_balance,
    books_check,
    run_apart,
    running,
    settle,
    succeeded_intents,
)

CROWD, RACERS = 200, 20


@pytest.mark.slow
def test_200_customers_pay_at_once_and_20_race_for_one_invoice(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    shop = Shop.seed(db, CROWD + 1)
    racer, contested = shop.customers[CROWD]
    tally = Tally()
    with running(database_url, tmp_path) as (server, sandbox_url, store, inbox):

        async def everyone() -> list[str]:
            customers = Customers(server, sandbox_url, shop, tally)
            crowd = [
                customers.pay(customer, number, f"10.0.{n // 200}.{n % 200 + 1}")
                for n, (customer, number) in enumerate(shop.customers[:CROWD])
            ]
            race = [customers.pay(racer, contested, f"10.1.0.{n + 1}") for n in range(RACERS)]
            try:
                return await asyncio.gather(*crowd, *race)
            finally:
                await customers.close()

        outcomes = run_apart(everyone)
        books = settle(db, shop.business.id, store)
        charged = succeeded_intents(store)
        report = books_check(db, shop.business.id, sandbox_url)
    print(f"\nload: {CROWD + RACERS} concurrent customers, {tally.figures()}")

    assert tally.server_errors == 0 and tally.transport_errors == 0, tally.figures()
    assert outcomes[:CROWD] == ["confirmed"] * CROWD
    race = Counter(outcomes[CROWD:])
    # One session's card went through; the others found it paid, or were asked to wait (429).
    assert race["confirmed"] == 1, race
    assert set(race) <= {"confirmed", "confirm 400", "pay 422", "pay 429"}, race
    assert_books_balance(books, charged, invoices=CROWD + 1, report=report)
    assert len(inbox.messages) >= CROWD + 1
