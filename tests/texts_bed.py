"""The texts test bed: our server and the texts stand-in on loopback, each knowing the other, one
business, and the outbox runner performing texts only (tests run it when they choose)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlmodel import col, select

from frontdesk import jobs
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import Customer, OutboxItem, OutboxStatus, Text
from frontdesk.services import texts
from frontdesk.services.businesses import NewBusiness
from frontdesk.settings import Settings
from frontdesk.texts import sandbox
from frontdesk.texts.provider import TextProvider
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer

SID, TOKEN, FROM = "AC" + "5" * 32, "t" * 32, "+15550100"
PHONE, E164 = "+1 555 010 0142", "+15550100142"


@dataclass
class Bed:
    db: Database
    settings: Settings
    app: LiveServer
    standin: LiveServer
    state: sandbox.State
    made: NewBusiness
    runner: OutboxRunner

    @property
    def provider(self) -> TextProvider:
        found = TextProvider.from_settings(self.settings)
        assert found is not None
        return found

    def customer(self, made: NewBusiness | None = None, **fields: object) -> Customer:
        fields = {"phone": PHONE, "sms_consent": True, "sms_consent_text": "Texts: yes", **fields}
        business = (made or self.made).business
        with self.db.session(business.id) as session:
            return make_customer(session, business, **fields)

    def send(self) -> int:
        """What the outbox runner does with every text waiting; how many it performed."""
        waiting = select(OutboxItem.id).where(
            OutboxItem.kind == texts.KIND, OutboxItem.status == OutboxStatus.PENDING
        )
        with self.db.unscoped("the test counts the texts waiting") as session:
            before = set(session.exec(waiting).all())
        while self.runner.run_once():
            pass
        with self.db.unscoped("the test counts the texts waiting") as session:
            return len(before - set(session.exec(waiting).all()))

    def texts(self, customer: Customer) -> list[Text]:
        with self.db.session(customer.business_id) as session:
            return list(
                session.exec(
                    select(Text)
                    .where(Text.customer_id == customer.id)
                    .order_by(col(Text.created_at), col(Text.id))
                ).all()
            )

    def fresh(self, customer: Customer) -> Customer:
        with self.db.session(customer.business_id) as session:
            found = session.get(Customer, customer.id)
            assert found is not None
            return found

    def sent_by_standin(self) -> list[dict[str, object]]:
        with self.state.lock:
            return [m for m in self.state.messages if m["direction"] == "outbound-api"]

    def reply(self, body: str, sender: str = E164) -> httpx.Response:
        """The customer's phone replies: through the stand-in, to our webhook, signed."""
        return httpx.post(f"{self.standin.url}/inbound", data={"From": sender, "Body": body})

    def wait(self, check: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
            time.sleep(0.02)


@contextmanager
def texts_bed(db: Database, settings: Settings, state_path: Path) -> Iterator[Bed]:
    app_server, standin_server = LiveServer(), LiveServer()
    state = sandbox.State.open(state_path)
    standin_server.start(
        sandbox.create_app(
            account_sid=SID,
            auth_token=TOKEN,
            number=FROM,
            inbound_url=f"{app_server.url}/webhooks/texts",
            state=state,
        )
    )
    configured = settings.model_copy(
        update={
            "sms_base_url": standin_server.url,
            "sms_account_sid": SID,
            "sms_auth_token": TOKEN,
            "sms_from": FROM,
            # The stand-in posts replies and reports to our own address.
            "base_url": app_server.url,
        }
    )
    app_server.start(create_app(configured, db))
    runner = OutboxRunner(db, configured, {texts.KIND: jobs.send_text})
    try:
        yield Bed(db, configured, app_server, standin_server, state, make_business(db), runner)
    finally:
        runner.stop()
        app_server.stop()
        standin_server.stop()
