"""Crashes: `frontdesk serve` is killed with SIGKILL three times while customers pay, while the
processor's webhooks come in, and while the outbox sends receipts, and is started again each time.
Customers click again when the page does not answer. Afterwards every charge the processor made is
recorded exactly once, no invoice is paid twice, and every outbox item is delivered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk.db import Database
from frontdesk.models import OutboxStatus
from tests.robustness.harness import (
    Books,
    Customers,
    Server,
    Shop,
    Tally,
    assert_books_balance,
    books_check,
    run_apart,
    running,
    settle,
    succeeded_intents,
)

CUSTOMERS = 40


async def when(
    condition: Callable[[], bool], timeout: float = 60, *, seen: Callable[[], str] = str
) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the moment to kill never came: {seen()}")


def last_words(server: Server, tally: Tally, charges: int) -> str:
    """What the crowd and the server had come to when a moment never came."""
    log = server.log.read_text(errors="replace").splitlines()[-30:] if server.log.exists() else []
    return f"{charges} charged, {tally.figures()}; the server's log ends:\n" + "\n".join(log)


async def kill_and_restart(server: Server) -> None:
    await asyncio.to_thread(server.kill)
    await asyncio.sleep(0.5)  # down long enough for requests and webhooks to fail
    await asyncio.to_thread(server.start)


@pytest.mark.slow
def test_the_server_killed_mid_payment_loses_and_doubles_nothing(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    shop = Shop.seed(db, CUSTOMERS)
    tally = Tally()
    with running(database_url, tmp_path) as (server, sandbox_url, store, inbox):

        def charged() -> int:
            return len(succeeded_intents(store))

        def receipts_pending() -> bool:
            books = Books.read(db, shop.business.id)
            return books.outbox[OutboxStatus.PENDING] > 0 and books.outbox[OutboxStatus.DONE] > 0

        async def crash_three_times() -> None:
            # While customers are still starting payments and webhooks arrive for others...
            await when(lambda: charged() >= CUSTOMERS // 4)
            await kill_and_restart(server)
            # ...again later in the crowd...
            await when(lambda: charged() >= CUSTOMERS // 2)
            await kill_and_restart(server)

        async def everyone() -> list[str]:
            customers = Customers(server, sandbox_url, shop, tally)
            try:
                paying = [
                    customers.pay(customer, number, f"10.2.0.{n + 1}")
                    for n, (customer, number) in enumerate(shop.customers)
                ]
                *outcomes, _ = await asyncio.gather(*paying, crash_three_times())
                # ...and while the outbox sends receipts.
                await when(receipts_pending)
                await kill_and_restart(server)
                return outcomes
            finally:
                await customers.close()

        outcomes = run_apart(everyone)
        books = settle(db, shop.business.id, store)
        processor = succeeded_intents(store)
        report = books_check(db, shop.business.id, sandbox_url)
        kills = server.kills
    print(f"\nkills: {kills} survived; customers {tally.figures()}")

    assert kills == 3
    assert outcomes == ["confirmed"] * CUSTOMERS
    assert tally.server_errors == 0, tally.figures()
    assert_books_balance(books, processor, invoices=CUSTOMERS, report=report)
    assert books.unpaid == []
    # Delivery is at least once: a receipt sent just before a kill may go out again.
    assert len(inbox.messages) >= CUSTOMERS
