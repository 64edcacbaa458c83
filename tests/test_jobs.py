"""The outbox runner: mail reaches a real SMTP server, survives its outage, and runs once."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.jobs import JobContext, OutboxRunner, backoff
from frontdesk.models import OutboxItem, OutboxStatus, utcnow
from frontdesk.services import outbox
from frontdesk.settings import Settings
from tests.factories import make_business


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return free_port()


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp_settings(settings: Settings, smtp_port: int) -> Settings:
    return settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp_port}"})


@pytest.fixture
def running_smtp(smtp_port: int) -> Iterator[Inbox]:
    controller, inbox = start_smtp(smtp_port)
    yield inbox
    controller.stop()


def queue_mail(db: Database, business_id: str, subject: str = "Your invoice INV-1001") -> str:
    with db.session(business_id) as session:
        from frontdesk.services import businesses

        business = businesses.get(session, business_id)
        item = outbox.email(
            session,
            business=business,
            to="casey@example.com",
            subject=subject,
            text="Plain words.",
            html="<p>Rich words.</p>",
            reply_to="billing@greenleaf.example",
        )
    return item.id


def item(db: Database, business_id: str, item_id: str) -> OutboxItem:
    with db.session(business_id) as session:
        row = session.get(OutboxItem, item_id)
        assert row is not None
        return row


def test_mail_is_delivered_over_smtp(
    db: Database, smtp_settings: Settings, running_smtp: Inbox
) -> None:
    business = make_business(db).business
    item_id = queue_mail(db, business.id)
    assert OutboxRunner(db, smtp_settings).run_once() == 1
    [message] = running_smtp.messages
    assert message["To"] == "casey@example.com"
    assert message["Subject"] == "Your invoice INV-1001"
    assert message["Reply-To"] == "billing@greenleaf.example"
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    done = item(db, business.id, item_id)
    assert (done.status, done.attempts, done.last_error) == (OutboxStatus.DONE, 1, "")


def test_an_smtp_outage_delays_mail_and_loses_none(
    db: Database, smtp_settings: Settings, smtp_port: int
) -> None:
    business = make_business(db).business
    item_id = queue_mail(db, business.id)
    runner = OutboxRunner(db, smtp_settings)
    before = utcnow()
    assert runner.run_once() == 1  # nothing listens on the port yet
    waiting = item(db, business.id, item_id)
    assert waiting.status == OutboxStatus.PENDING
    assert "Connection refused" in waiting.last_error or "Errno" in waiting.last_error
    assert waiting.next_attempt_at >= before + backoff(1)
    assert runner.run_once() == 0  # not due again yet
    controller, inbox = start_smtp(smtp_port)
    try:
        assert runner.run_once(now=waiting.next_attempt_at + timedelta(seconds=1)) == 1
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["Your invoice INV-1001"]
    assert item(db, business.id, item_id).status == OutboxStatus.DONE


def test_an_item_out_of_attempts_is_kept_as_dead(db: Database, settings: Settings) -> None:
    business = make_business(db).business
    with db.session(business.id) as session:
        row = outbox.enqueue(session, business=business, kind="no-such-kind", payload={})
        row.max_attempts = 2
    runner = OutboxRunner(db, settings)
    runner.run_once()
    runner.run_once(now=utcnow() + timedelta(days=1))
    dead = item(db, business.id, row.id)
    assert (dead.status, dead.attempts) == (OutboxStatus.DEAD, 2)
    assert "no handler" in dead.last_error


def test_a_claim_is_a_lease_that_a_dead_runner_gives_back(db: Database, settings: Settings) -> None:
    business = make_business(db).business
    item_id = queue_mail(db, business.id)
    runner = OutboxRunner(db, settings)
    assert [i.id for i in runner.claim()] == [item_id]  # ...and the runner dies here
    assert runner.claim() == []
    assert [
        i.id
        for i in runner.claim(now=utcnow() + timedelta(seconds=settings.outbox_lease_seconds + 1))
    ] == [item_id]


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(40) == timedelta(hours=6)


def test_concurrent_runners_perform_each_item_once(db: Database, settings: Settings) -> None:
    business = make_business(db).business
    with db.session(business.id) as session:
        ids = {
            outbox.enqueue(session, business=business, kind="count", payload={"n": n}).id
            for n in range(60)
        }
    performed: list[str] = []
    lock = threading.Lock()

    def count(row: OutboxItem, _context: JobContext) -> None:
        with lock:
            performed.append(row.id)

    runners = [OutboxRunner(db, settings, {"count": count}, batch_size=5) for _ in range(4)]

    def drain(runner: OutboxRunner) -> None:
        while runner.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(performed) == sorted(ids)
    with db.session(business.id) as session:
        statuses = session.exec(select(OutboxItem.status)).all()
    assert set(statuses) == {OutboxStatus.DONE}


def test_events_for_the_business_system_complete(db: Database, settings: Settings) -> None:
    from frontdesk.services import businesses, events

    business = make_business(db).business
    with db.session(business.id) as session:
        events.emit(
            session,
            business=businesses.get(session, business.id),
            type="customer.updated",
            data={"x": 1},
        )
    assert OutboxRunner(db, settings).run_once() == 1
    with db.session(business.id) as session:
        [row] = session.exec(select(OutboxItem)).all()
    assert (row.status, row.payload["type"]) == (OutboxStatus.DONE, "customer.updated")
