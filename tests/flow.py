"""The payments test bed: our server and the Stripe sandbox on loopback, one business with two
open invoices, and a Stripe client pointed at the sandbox (a pytest plugin: see conftest.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
import stripe

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import Business, Customer, Initiator, Invoice, Payment, PaymentMethod, utcnow
from frontdesk.processors.sandbox import create_app as create_sandbox
from frontdesk.processors.sandbox.app import sign
from frontdesk.processors.sandbox.store import Store
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.services import businesses, card_setup, customers, payments
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice

SECRET, PUBLISHABLE, WEBHOOK_SECRET = "sk_test_flow", "pk_test_flow", "whsec_flow"


@dataclass
class Flow:
    db: Database
    settings: Settings
    app: LiveServer
    store: Store
    business: Business
    customer: Customer
    invoices: list[Invoice]
    processor: StripeProcessor

    @property
    def client(self) -> stripe.StripeClient:
        """The processor's own API, for what the customer's browser does through Stripe.js."""
        return self.processor.client

    def start(
        self, numbers: list[str] | None = None, tip: int = 0, save: bool = False
    ) -> tuple[Payment, str]:
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            customer = customers.get(session, business=business, customer_id=self.customer.id)
            chosen = payments.choose(session, business=business, customer=customer, numbers=numbers)
            return payments.start(
                session,
                business=business,
                customer=customer,
                selection=chosen,
                tip=tip,
                processor=self.processor,
                save_method=save,
            )

    def business_charges(
        self,
        processor_id: str,
        consent: str = "I authorise it",
        numbers: tuple[str, ...] = ("INV-A",),
    ) -> payments.OffSessionCharge:
        """The business charges a card the customer saved (`processor_id`) for `numbers`."""
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            customer = customers.get(session, business=business, customer_id=self.customer.id)
            method = PaymentMethod(
                business_id=business.id,
                customer_id=customer.id,
                processor_id=processor_id,
                brand="visa",
                last4="0000",
                consent_text=consent,
            )
            session.add(method)
            chosen = payments.choose(
                session, business=business, customer=customer, numbers=list(numbers)
            )
            return payments.charge_saved(
                session,
                business=business,
                customer=customer,
                method=method,
                selection=chosen,
                initiated_by=Initiator.STAFF,
                processor=self.processor,
                links=Links.from_settings(self.settings),
            )

    def save_card(self, attempt: str, method: str = "pm_card_visa") -> str:
        """The customer saves a card with consent: our setup, then what Stripe.js does with it.
        The setup intent's id; the card is ours once the browser or the webhook reports it."""
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            customer = customers.get(session, business=business, customer_id=self.customer.id)
            setup = card_setup.start(
                session,
                business=business,
                customer=customer,
                consent_given=True,
                attempt=attempt,
                processor=self.processor,
            )
        self.client.v1.setup_intents.confirm(
            setup.id,
            params={"payment_method": method},
            options={"stripe_account": str(self.business.processor_account)},
        )
        return setup.id

    def confirm(self, payment: Payment, method: str = "pm_card_visa") -> stripe.PaymentIntent:
        """What the customer's browser does through Stripe.js."""
        return self.client.v1.payment_intents.confirm(
            str(payment.processor_reference),
            params={"payment_method": method},
            options={"stripe_account": str(self.business.processor_account)},
        )

    def invoice(self, invoice_id: str) -> Invoice:
        with self.db.session(self.business.id) as session:
            found = session.get(Invoice, invoice_id)
            assert found is not None
            return found

    def payment(self, payment_id: str) -> Payment:
        with self.db.session(self.business.id) as session:
            found = session.get(Payment, payment_id)
            assert found is not None
            return found

    def books(self, now: datetime | None = None) -> ledger.Report:
        """The books check, as `frontdesk books check` runs it, against the sandbox."""
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            return ledger.check(
                session, business=business, processor=self.processor, now=now or utcnow()
            )

    def wait(self, check: Any, what: str = "the webhook to settle it", timeout: float = 60) -> None:
        """Wait for progress (usually a webhook on its way), with a generous ceiling for a busy
        machine; a wait that runs out says what it was waiting for."""
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
            time.sleep(0.05)

    def post_event(
        self, event: dict[str, Any], timestamp: int | None = None, secret: str = WEBHOOK_SECRET
    ) -> httpx.Response:
        payload = json.dumps(event).encode()
        return httpx.post(
            f"{self.app.url}/webhooks/stripe",
            content=payload,
            headers={
                "Stripe-Signature": sign(secret, payload, timestamp),
                "Content-Type": "application/json",
            },
        )

    def event(self, kind: str, intent_id: str) -> dict[str, Any]:
        found = [
            e
            for e in self.store.events
            if e["type"] == kind and e["data"]["object"]["id"] == intent_id
        ]
        assert found, f"the sandbox sent no {kind} for {intent_id}"
        return json.loads(json.dumps({k: v for k, v in found[-1].items()}, default=str))


def assert_books_balance(flow: Flow, timeout: float = 60) -> ledger.Report:
    """Every test that moves money ends here: the ledger invariant holds and nothing the
    processor charged is left unrecorded (webhooks still on their way are waited for)."""
    deadline = time.monotonic() + timeout
    report = flow.books()
    while report.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
        report = flow.books()
    assert report.problems == [], "\n".join(report.problems)
    assert report.in_flight == [], f"charges never recorded: {report.in_flight}"
    return report


@pytest.fixture
def flow(db: Database, settings: Settings) -> Iterator[Flow]:
    yield from _flow(db, settings, deliver=True)


@pytest.fixture
def quiet_flow(db: Database, settings: Settings) -> Iterator[Flow]:
    """The same, but the sandbox keeps its webhooks: the test delivers them when it chooses."""
    yield from _flow(db, settings, deliver=False)


def _flow(db: Database, settings: Settings, *, deliver: bool) -> Iterator[Flow]:
    app_server, sandbox_server = LiveServer(), LiveServer()
    store = Store()
    sandbox_server.start(
        create_sandbox(
            secret_key=SECRET,
            publishable_key=PUBLISHABLE,
            webhook_url=f"{app_server.url}/webhooks/stripe" if deliver else "",
            webhook_secret=WEBHOOK_SECRET,
            store=store,
        )
    )
    configured = settings.model_copy(
        update={
            "stripe_secret_key": SECRET,
            "stripe_api_base": sandbox_server.url,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_connect_client_id": "ca_flow",
            # Stripe sends owners back to our own address after onboarding.
            "base_url": app_server.url,
        }
    )
    business = make_business(db, processor_account="acct_flowtest", tips_enabled=True).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
        older = make_invoice(
            session,
            business,
            customer,
            amounts=(4000,),
            number="INV-A",
            issue_date=date.today() - timedelta(days=20),
            due_date=date.today() - timedelta(days=5),
        )
        newer = make_invoice(session, business, customer, amounts=(6000,), number="INV-B")
    app_server.start(create_app(configured, db))
    flow = Flow(
        db,
        configured,
        app_server,
        store,
        business,
        customer,
        [older, newer],
        StripeProcessor.from_settings(configured),
    )
    yield flow
    flow.processor.close()
    app_server.stop()
    sandbox_server.stop()
