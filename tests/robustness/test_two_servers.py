"""Two `frontdesk serve --workers 2` processes on one PostgreSQL database, as two machines behind a
balancer would run: a rate limit is one allowance across all four workers, each outbox item is
performed once, and a portal session one process minted is accepted by the other."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import OutboxItem, OutboxStatus
from frontdesk.services import businesses, outbox
from frontdesk.services.links import Links
from frontdesk.tokens import Purpose
from tests.conftest import TEST_KEYS
from tests.factories import make_business, make_customer
from tests.robustness.harness import Server
from tests.test_jobs import Inbox, free_port

BURST = 10
MAILS = 40


@pytest.mark.slow
def test_two_processes_share_limits_the_outbox_and_sessions(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several machines share a database server; SQLite is one machine's file")
    made = make_business(db)
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        customer = make_customer(session, business)
    smtp_port = free_port()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    servers = [
        Server(
            database_url,
            "http://127.0.0.1:9",  # no processor is needed here
            smtp_port,
            tmp_path / f"serve-{n}.log",
            workers=2,
            api_rate_burst=str(BURST),
            api_rate_per_second="0.001",
            reconcile_seconds="0",
        )
        for n in range(2)
    ]
    try:
        for server in servers:
            server.start()
        started = time.monotonic()

        # One allowance for the key, however the balancer spreads its requests.
        api = {"Authorization": f"Bearer {made.secret_api_key}"}
        statuses = Counter(
            httpx.get(f"{servers[n % 2].url}/api/v1/customers", headers=api).status_code
            for n in range(3 * BURST)
        )
        assert statuses == {200: BURST, 429: 2 * BURST}, statuses

        # A session opened on one machine is good on the other.
        embed = Links(TEST_KEYS).token(Purpose.EMBED, customer)
        opened = httpx.post(
            f"{servers[0].url}/portal/{business.publishable_key}/session",
            data={"token": embed},
            headers={"HX-Request": "true"},
        )
        assert opened.status_code == 200
        home = httpx.get(
            f"{servers[1].url}/portal/{business.publishable_key}/home",
            headers={
                "Authorization": f"Bearer {opened.headers['Frontdesk-Session']}",
                "HX-Request": "true",
            },
        )
        assert home.status_code == 200 and "Open invoices" in home.text

        # Forty emails queued at once: four runners claim them, each is sent once.
        with db.session(business.id) as session:
            for n in range(MAILS):
                outbox.email(
                    session,
                    business=business,
                    to=f"c{n}@example.com",
                    subject=f"Mail {n}",
                    text=".",
                )

        def done() -> int:
            with db.session(business.id) as session:
                return sum(
                    item.status == OutboxStatus.DONE
                    for item in session.exec(select(OutboxItem).where(OutboxItem.kind == "email"))
                )

        deadline = time.monotonic() + 120
        while done() < MAILS or len(inbox.messages) < MAILS:
            assert time.monotonic() < deadline, (
                f"{done()} of {MAILS} mails done, {len(inbox.messages)} arrived"
            )
            time.sleep(0.2)
        # Every item is done, and it was performed exactly once: no mail arrived twice.
        subjects = Counter(str(m["Subject"]) for m in inbox.messages)
        assert len(subjects) == MAILS and set(subjects.values()) == {1}, subjects
        print(
            f"\ntwo servers, four workers: limit {dict(statuses)}, {MAILS} mails sent once each, "
            f"session shared; {time.monotonic() - started:.1f} s"
        )
    finally:
        for server in servers:
            server.stop()
        smtp.stop()
