"""The shape production runs in, on loopback: `frontdesk serve` as its own process (so it can be
killed with SIGKILL and started again), the Stripe sandbox delivering webhooks to it, a real SMTP
server, and customers driven over HTTP as their browsers would, many at once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlmodel import col, func, select

from frontdesk.db import Database
from frontdesk.models import (
    Business,
    Customer,
    Invoice,
    OutboxItem,
    OutboxStatus,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    utcnow,
)
from frontdesk.processors.sandbox import create_app as create_sandbox
from frontdesk.processors.sandbox.store import Store
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from frontdesk.tokens import Purpose
from tests.conftest import TEST_KEYS, LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.test_jobs import Inbox, free_port

SECRET, WEBHOOK_SECRET, ACCOUNT = "sk_test_robust", "whsec_robust", "acct_robust"


class Server:
    """`frontdesk serve` in a process of its own, on a fixed port so it can come back there."""

    def __init__(
        self,
        database_url: str,
        sandbox_url: str,
        smtp_port: int,
        log: Path,
        *,
        workers: int = 1,
        **more: str,
    ) -> None:
        self.port = free_port()
        self.workers = workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        settings = {
            "environment": "test",
            "secret_key": TEST_KEYS[0],
            "database_url": database_url,
            "base_url": self.url,
            "stripe_secret_key": SECRET,
            "stripe_publishable_key": "pk_test_robust",
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_api_base": sandbox_url,
            "smtp_url": f"smtp://127.0.0.1:{smtp_port}",
            "reconcile_seconds": "2",
            # Items a killed process had claimed come back in seconds, not five minutes.
            "outbox_lease_seconds": "3",
            **more,
        }
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
        self.env.update({f"FRONTDESK_{k.upper()}": v for k, v in settings.items()})
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "frontdesk.cli",
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started_before = self.log.read_text().count("Application startup complete")
        deadline = time.monotonic() + 90  # generous: a busy machine starts workers slowly
        while True:
            started = self.log.read_text().count("Application startup complete") - started_before
            try:
                answered = httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                answered = False
            if answered and started >= self.workers:
                return
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, (
                f"the server did not come up: {started} of {self.workers} workers started"
            )
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing; whatever was in flight is cut off."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Shop:
    """One business with many customers, each owing one invoice."""

    business: Business
    customers: list[tuple[Customer, str]]  # and the number of their one open invoice

    @classmethod
    def seed(cls, db: Database, count: int) -> Shop:
        business = make_business(db, processor_account=ACCOUNT).business
        made = []
        with db.session(business.id) as session:
            for n in range(count):
                customer = make_customer(session, business, name=f"Customer {n}")
                invoice = make_invoice(
                    session,
                    business,
                    customer,
                    amounts=(1000 + n,),
                    number=f"INV-{n:04d}",
                    issue_date=date.today(),
                )
                made.append((customer, invoice.number))
        return cls(business, made)


@dataclass
class Tally:
    """What the customers saw: every answer's status, and every failure to get one."""

    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    requests: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def figures(self) -> str:
        seconds = time.monotonic() - self.started
        return (
            f"{self.requests} requests in {seconds:.1f} s, statuses {dict(self.statuses)}, "
            f"{self.transport_errors} cut off by kills"
        )


class Customers:
    """Customers paying through the portal as the widget and Stripe.js would, over HTTP."""

    def __init__(self, server: Server, sandbox_url: str, shop: Shop, tally: Tally) -> None:
        self.server, self.sandbox_url, self.shop, self.tally = server, sandbox_url, shop, tally
        self.key = shop.business.publishable_key
        self.http = httpx.AsyncClient(
            timeout=30, limits=httpx.Limits(max_connections=300, max_keepalive_connections=0)
        )

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, tried again while the server is down (the customer clicks again)."""
        deadline = time.monotonic() + 60
        while True:
            self.tally.requests += 1
            try:
                answer = await self.http.request(method, url, **kwargs)
            except httpx.TransportError:
                self.tally.transport_errors += 1
                assert time.monotonic() < deadline, f"{url} never answered"
                await asyncio.sleep(0.2)
                continue
            self.tally.statuses[answer.status_code] += 1
            return answer

    async def pay(self, customer: Customer, number: str, address: str) -> str:
        """Open the portal, choose the invoice, confirm with a card; the answer's last word."""
        portal_url = f"{self.server.url}/portal/{self.key}"
        # Each customer from their own address, as behind the proxy (uvicorn trusts loopback).
        headers = {"X-Forwarded-For": address, "HX-Request": "true"}
        embed = Links(TEST_KEYS).token(Purpose.EMBED, customer)
        opened = await self.request(
            "POST", f"{portal_url}/session", data={"token": embed}, headers=headers
        )
        if opened.status_code != 200:
            return f"session {opened.status_code}"
        headers["Authorization"] = f"Bearer {opened.headers['Frontdesk-Session']}"
        step = await self.request(
            "POST", f"{portal_url}/pay", data={"invoice": number}, headers=headers
        )
        found = re.search(r'data-secret="(pi_\w+?)_secret_', step.text)
        if step.status_code != 200 or not found:
            return f"pay {step.status_code}"
        confirmed = await self.request(
            "POST",
            f"{self.sandbox_url}/v1/payment_intents/{found.group(1)}/confirm",
            data={"payment_method": "pm_card_visa"},
            headers={"Authorization": f"Bearer {SECRET}", "Stripe-Account": ACCOUNT},
        )
        return "confirmed" if confirmed.status_code == 200 else f"confirm {confirmed.status_code}"

    async def close(self) -> None:
        await self.http.aclose()


def run_apart(crowd: Callable[[], Coroutine[Any, Any, list[str]]]) -> list[str]:
    """`asyncio.run(crowd())` in a thread of its own: a browser test earlier in this worker may
    have left an event loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(lambda: asyncio.run(crowd())).result()


@contextmanager
def running(database_url: str, tmp_path: Path) -> Iterator[tuple[Server, str, Store, Inbox]]:
    """The server process, the sandbox posting webhooks to it, and an SMTP server."""
    smtp_port = free_port()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    store = Store()
    sandbox = LiveServer()
    server = Server(database_url, sandbox.url, smtp_port, tmp_path / "serve.log")
    sandbox.start(
        create_sandbox(
            secret_key=SECRET,
            publishable_key="pk_test_robust",
            webhook_url=f"{server.url}/webhooks/stripe",
            webhook_secret=WEBHOOK_SECRET,
            store=store,
        )
    )
    try:
        server.start()
        yield server, sandbox.url, store, inbox
    finally:
        server.stop()
        sandbox.stop()
        smtp.stop()


def succeeded_intents(store: Store) -> dict[str, int]:
    """Every PaymentIntent the processor charged, and its amount."""
    with store.lock:
        return {
            obj["id"]: obj["amount_received"]
            for obj in store.objects.values()
            if obj["object"] == "payment_intent" and obj["status"] == "succeeded"
        }


@dataclass
class Books:
    """What our database says once everything settled."""

    succeeded: dict[str, str]  # processor reference -> payment id
    duplicates: int
    overpaid: list[str]
    unpaid: list[str]
    outbox: Counter[str]
    receipts: Counter[str]
    # Outbox items not done: kind, attempts and last error, to say why.
    stuck: list[str]

    @classmethod
    def read(cls, db: Database, business_id: str) -> Books:
        with db.session(business_id) as session:
            payments = session.exec(
                select(Payment).where(Payment.status == PaymentStatus.SUCCEEDED)
            ).all()
            references = Counter(str(p.processor_reference) for p in payments)
            paid = dict(
                session.exec(
                    select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount))
                    .join(Payment, col(Payment.id) == PaymentAllocation.payment_id)
                    .where(Payment.status == PaymentStatus.SUCCEEDED)
                    .group_by(col(PaymentAllocation.invoice_id))
                ).all()
            )
            invoices = session.exec(select(Invoice)).all()
            outbox = session.exec(select(OutboxItem)).all()
            return cls(
                succeeded={str(p.processor_reference): p.id for p in payments},
                duplicates=sum(n - 1 for n in references.values()),
                overpaid=[i.number for i in invoices if paid.get(i.id, 0) > i.total],
                unpaid=[i.number for i in invoices if paid.get(i.id, 0) < i.total],
                outbox=Counter(str(item.status) for item in outbox),
                receipts=Counter(
                    str(item.payload["payment"]) for item in outbox if item.kind == "receipt"
                ),
                stuck=[
                    f"{item.kind} attempts={item.attempts} {item.last_error[:200]}"
                    for item in outbox
                    if item.status != OutboxStatus.DONE
                ],
            )


def books_check(db: Database, business_id: str, sandbox_url: str) -> ledger.Report:
    """The whole ledger invariant (`frontdesk books check`), asked of the running sandbox."""
    with (
        StripeProcessor(SECRET, WEBHOOK_SECRET, sandbox_url) as processor,
        db.session(business_id) as session,
    ):
        business = session.get(Business, business_id)
        assert business is not None
        return ledger.check(session, business=business, processor=processor, now=utcnow())


def assert_books_balance(
    books: Books, charged: dict[str, int], invoices: int, report: ledger.Report
) -> None:
    """Each charge the processor made is one succeeded payment of ours; nothing paid twice;
    and the books check finds nothing wrong."""
    assert set(books.succeeded) == set(charged)
    assert books.duplicates == 0
    assert books.overpaid == []
    assert len(charged) == invoices - len(books.unpaid)
    assert books.stuck == []
    assert set(books.receipts) == set(books.succeeded.values())
    assert set(books.receipts.values()) == {1}
    assert report.problems == [], "\n".join(report.problems)
    assert report.in_flight == []
    assert report.counts["charges"] == len(charged)
    print(f"books check: {dict(report.counts)}, no problems")


def settle(db: Database, business_id: str, store: Store, quiet: float = 60) -> Books:
    """Wait until every charge the processor made is recorded and the outbox is empty. As long
    as either moves, keep waiting (a busy machine is slow, not stuck); after `quiet` seconds
    without progress, fail saying what is still waiting."""
    last: tuple[int, int] | None = None
    since = time.monotonic()
    while True:
        books = Books.read(db, business_id)
        unrecorded = set(succeeded_intents(store)) - set(books.succeeded)
        pending = books.outbox[OutboxStatus.PENDING]
        if not unrecorded and not pending:
            return books
        if (len(unrecorded), pending) != last:
            last, since = (len(unrecorded), pending), time.monotonic()
        assert time.monotonic() - since < quiet, (
            f"no progress for {quiet:.0f} s: {len(unrecorded)} charges unrecorded, "
            f"{pending} outbox items pending; stuck: {books.stuck[:5]}"
        )
        time.sleep(0.5)
