"""The whole payment lifecycle as a state machine over the real sandbox and database:
customers start payments, confirm, abandon 3-D Secure and pay again, cards decline; webhooks
arrive duplicated, late and out of order, or race the customer's poll; the business charges
saved cards and refunds; processes restart. Customers also pay with PayPal (its stand-in): they
approve, decline or leave a capture pending, PayPal's webhooks come late or twice, reconciliation
captures what was approved. After every step the books balance, against both processors."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import col, select

from frontdesk.db import Database
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    InvoiceEffect,
    Payment,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    PayPalCheckout,
    RefundCause,
    utcnow,
)
from frontdesk.processors import Declined, Event, ProcessorError
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.processors.paypal_standin.store import MERCHANT_ID
from frontdesk.processors.sandbox import create_app as create_sandbox
from frontdesk.processors.sandbox.store import Store
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.services import businesses, customers, payments, processor_events
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from frontdesk.services.payments import paypal as paypal_payments
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.interleave import together
from tests.paypal_bed import CLIENT, Bed, standin
from tests.paypal_bed import SECRET as PAYPAL_SECRET

SECRET, PUBLISHABLE = "sk_test_machine", "pk_test_machine"
CARDS = {
    "pays": "pm_card_visa",
    "asks the bank": "pm_card_authenticationRequired",
    "no funds": "pm_card_visa_chargeDeclinedInsufficientFunds",
    "declined": "pm_card_chargeDeclined",
}
APPLIED = processor_events.INTENT_EVENTS | processor_events.SETUP_EVENTS


@dataclass
class Bench:
    """What every example shares: the database and a sandbox whose state lives in a file."""

    db: Database
    url: str
    path: Path
    server: LiveServer
    store: Store
    paypal: Bed

    def restart_sandbox(self) -> None:
        self.server.stop()
        self.store = Store.open(self.path)
        self.server.start(
            create_sandbox(secret_key=SECRET, publishable_key=PUBLISHABLE, store=self.store)
        )


@pytest.fixture
def bench(database_url: str, db: Database, tmp_path: Path) -> Iterator[Bench]:
    path = tmp_path / "sandbox.json"
    store = Store.open(path)
    server = LiveServer().start(
        create_sandbox(secret_key=SECRET, publishable_key=PUBLISHABLE, store=store)
    )
    with standin(tmp_path) as paypal:
        yield Bench(db, database_url, path, server, store, paypal)
    server.stop()


class Payments(RuleBasedStateMachine):
    bench: Bench

    def __init__(self) -> None:
        super().__init__()
        self.db = self.bench.db
        self.processor = StripeProcessor(SECRET, "", self.bench.server.url)
        self.account = f"acct_{secrets.token_hex(6)}"
        self.paypal = PayPalProcessor(self.bench.paypal.url, CLIENT, PAYPAL_SECRET)
        self.business = make_business(
            self.db,
            processor_account=self.account,
            paypal_enabled=True,
            paypal_merchant_id=MERCHANT_ID,
        ).business
        self.delivered: set[str] = set()
        self.steps = 0
        with self.db.session(self.business.id) as session:
            self.customers = [make_customer(session, self.business) for _ in range(2)]
            # Cards the first customer saved with consent, for the business to charge.
            self.saved = [
                PaymentMethod(
                    business_id=self.business.id,
                    customer_id=self.customers[0].id,
                    processor_id=card,
                    brand="visa",
                    last4=card[-4:],
                    consent_text="I authorise it",
                )
                for card in ("pm_card_visa", "pm_card_authenticationRequired")
            ]
            session.add_all(self.saved)
            for customer in self.customers:
                self._bill(session, customer, 2500)

    # -- what the machine reads ------------------------------------------------------------

    def _bill(self, session: Any, customer: Customer, amount: int) -> None:
        make_invoice(
            session,
            self.business,
            customer,
            amounts=(amount,),
            number=f"INV-{secrets.token_hex(4)}",
            due_date=date.today() + timedelta(days=7),
        )

    def _payments(self, *statuses: PaymentStatus, paypal: bool = False) -> list[Payment]:
        """Payments at a processor: Stripe's only, unless PayPal's are wanted too."""
        with self.db.session(self.business.id) as session:
            query = select(Payment).where(col(Payment.processor_reference).is_not(None))
            if not paypal:
                query = query.where(col(Payment.method) != PaymentMethodKind.PAYPAL)
            if statuses:
                query = query.where(col(Payment.status).in_(statuses))
            return list(session.exec(query.order_by(col(Payment.created_at))).all())

    def _events(self) -> list[dict[str, Any]]:
        with self.bench.store.lock:
            return [
                e
                for e in self.bench.store.events
                if e.get("account") == self.account and e["type"] in APPLIED
            ]

    def _apply(self, raw: dict[str, Any]) -> None:
        obj = raw["data"]["object"]
        event = Event(raw["id"], raw["type"], self.account, obj["id"], obj["object"])
        processor_events.record_and_apply(self.db, event, self.processor)
        self.delivered.add(raw["id"])

    def _checkouts(self) -> set[str]:
        with self.db.session(self.business.id) as session:
            return set(session.exec(select(PayPalCheckout.id)).all())

    def _paypal_events(self) -> list[dict[str, Any]]:
        """This example's: the stand-in outlives it, as the sandbox does."""
        ours = self._checkouts()
        with self.bench.paypal.store.lock:
            return [
                e for e in self.bench.paypal.store.events if e["resource"].get("custom_id") in ours
            ]

    def _apply_paypal(self, raw: dict[str, Any]) -> None:
        event = Event(
            raw["id"], raw["event_type"], None, raw["resource"]["id"], raw["resource_type"]
        )
        paypal_payments.on_event(self.db, event, self.paypal)
        self.delivered.add(raw["id"])

    # -- the rules ---------------------------------------------------------------------------

    @rule(who=st.integers(0, 1), amount=st.integers(100, 20_000))
    def bill(self, who: int, amount: int) -> None:
        with self.db.session(self.business.id) as session:
            self._bill(session, self.customers[who], amount)

    @rule(who=st.integers(0, 1), oldest_only=st.booleans(), save=st.booleans())
    def start(self, who: int, oldest_only: bool, save: bool) -> None:
        try:
            with self.db.session(self.business.id) as session:
                business = businesses.get(session, self.business.id)
                customer = customers.get(
                    session, business=business, customer_id=self.customers[who].id
                )
                chosen = payments.choose(session, business=business, customer=customer)
                if oldest_only:
                    chosen = payments.Selection(chosen.allocations[:1])
                payments.start(
                    session,
                    business=business,
                    customer=customer,
                    selection=chosen,
                    tip=0,
                    processor=self.processor,
                    save_method=save,
                )
        except Invalid:
            pass  # nothing to pay, or a payment for it is already going through

    @rule(
        who=st.integers(0, 1),
        oldest_only=st.booleans(),
        choice=st.sampled_from(["abandon", "approve", "decline", "pending"]),
        captured=st.booleans(),
    )
    def pay_with_paypal(self, who: int, oldest_only: bool, choice: str, captured: bool) -> None:
        """A checkout (the same order when asked again), the payer's answer in PayPal's window
        or none, and our capture, or its answer lost (the webhook or reconciliation brings it)."""
        try:
            with self.db.session(self.business.id) as session:
                business = businesses.get(session, self.business.id)
                customer = customers.get(
                    session, business=business, customer_id=self.customers[who].id
                )
                chosen = payments.choose(session, business=business, customer=customer)
                if oldest_only:
                    chosen = payments.Selection(chosen.allocations[:1])
                order_id = paypal_payments.start(
                    session,
                    business=business,
                    customer=customer,
                    selection=chosen,
                    tip=0,
                    processor=self.paypal,
                    now=utcnow(),
                ).order_id
        except Invalid:
            return  # nothing to pay, or a payment for it is already going through
        if choice == "abandon":
            return
        self.bench.paypal.approve(str(order_id), choice)
        if not captured:
            return
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            customer = customers.get(session, business=business, customer_id=self.customers[who].id)
            paypal_payments.capture(
                session,
                business=business,
                customer=customer,
                order_id=str(order_id),
                processor=self.paypal,
                now=utcnow(),
            )

    @rule(data=st.data(), outcome=st.sampled_from(["COMPLETED", "DECLINED"]))
    def paypal_settles(self, data: st.DataObject, outcome: str) -> None:
        ours = self._checkouts()
        with self.bench.paypal.store.lock:
            pending = sorted(
                c
                for c, found in self.bench.paypal.store.captures.items()
                if found["status"] == "PENDING" and found.get("custom_id") in ours
            )
        if pending:
            self.bench.paypal.settle(data.draw(st.sampled_from(pending)), outcome)

    @rule(data=st.data(), twice=st.booleans())
    def paypal_webhook(self, data: st.DataObject, twice: bool) -> None:
        waiting = [e for e in self._paypal_events() if e["id"] not in self.delivered]
        if not waiting:
            return
        raw = data.draw(st.sampled_from(waiting))
        for _ in range(2 if twice else 1):
            self._apply_paypal(raw)

    @rule()
    def paypal_reconcile(self) -> None:
        """A reconciliation round long enough after for approved checkouts to be due."""
        paypal_payments.reconcile(self.db, self.paypal, utcnow() + paypal_payments.RECONCILE_AFTER)

    @rule(data=st.data(), card=st.sampled_from(sorted(CARDS)))
    def confirm(self, data: st.DataObject, card: str) -> None:
        """What the customer's browser does: confirm an attempt with a card."""
        waiting = self._payments(PaymentStatus.PENDING, PaymentStatus.FAILED)
        if not waiting:
            return
        payment = data.draw(st.sampled_from(waiting))
        # Declined, or no longer payable (cancelled, paid): as Stripe.js would say.
        with contextlib.suppress(stripe.CardError, stripe.InvalidRequestError):
            self.processor.client.v1.payment_intents.confirm(
                str(payment.processor_reference),
                params={"payment_method": CARDS[card]},
                options={"stripe_account": self.account},
            )

    @rule(data=st.data(), passed=st.booleans())
    def bank_answers(self, data: st.DataObject, passed: bool) -> None:
        """The 3-D Secure window: passed or failed. Never answering is abandoning it."""
        with self.bench.store.lock:
            asking = [
                obj["id"]
                for (account, _), obj in self.bench.store.objects.items()
                if account == self.account
                and obj["object"] == "payment_intent"
                and obj["status"] == "requires_action"
            ]
        if not asking:
            return
        intent = data.draw(st.sampled_from(sorted(asking)))
        httpx.post(
            f"{self.bench.server.url}/v1/payment_intents/{intent}/sandbox_authenticate",
            data={"result": "pass" if passed else "fail"},
            headers={"Authorization": f"Bearer {SECRET}", "Stripe-Account": self.account},
        )

    @rule(data=st.data(), twice=st.booleans())
    def webhook(self, data: st.DataObject, twice: bool) -> None:
        """Any event, in any order: a new one, or one delivered already (late, duplicated)."""
        events = self._events()
        if not events:
            return
        raw = data.draw(st.sampled_from(events))
        self._apply(raw)
        if twice:
            self._apply(raw)

    @rule(data=st.data())
    def poll(self, data: st.DataObject) -> None:
        """The customer's page asks how it went."""
        mine = self._payments()
        if not mine:
            return
        payment = data.draw(st.sampled_from(mine))
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            customer = customers.get(session, business=business, customer_id=payment.customer_id)
            payments.refresh(
                session,
                business=business,
                customer=customer,
                payment_id=payment.id,
                processor=self.processor,
            )

    @rule(data=st.data())
    def pays_while_webhook_and_poll_race(self, data: st.DataObject) -> None:
        """The customer pays; the webhook and their page's poll bring that success at once."""
        waiting = self._payments(PaymentStatus.PENDING)
        if not waiting:
            return
        payment = data.draw(st.sampled_from(waiting))
        with contextlib.suppress(stripe.CardError, stripe.InvalidRequestError):
            self.processor.client.v1.payment_intents.confirm(
                str(payment.processor_reference),
                params={"payment_method": CARDS["pays"]},
                options={"stripe_account": self.account},
            )
        succeeded = [
            e
            for e in self._events()
            if e["type"] == "payment_intent.succeeded"
            and e["data"]["object"]["id"] == payment.processor_reference
        ]
        if not succeeded or payment.id in {p.id for p in self._payments(PaymentStatus.SUCCEEDED)}:
            return
        together(
            self.db.engine,
            lambda: self._apply(succeeded[-1]),
            lambda: self.poll_one(payment),
        )
        RACES.append(payment.id)

    def poll_one(self, payment: Payment) -> None:
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            customer = customers.get(session, business=business, customer_id=payment.customer_id)
            payments.refresh(
                session,
                business=business,
                customer=customer,
                payment_id=payment.id,
                processor=self.processor,
            )

    @rule()
    def reconcile(self) -> None:
        with self.db.unscoped("the test reads its business back") as session:
            business = session.get(Business, self.business.id)
        assert business is not None
        processor_events.reconcile(self.db, business, self.processor)

    @rule(card=st.integers(0, 1))
    def business_charges(self, card: int) -> None:
        try:
            with self.db.session(self.business.id) as session:
                business = businesses.get(session, self.business.id)
                customer = customers.get(
                    session, business=business, customer_id=self.customers[0].id
                )
                method = session.get(PaymentMethod, self.saved[card].id)
                assert method is not None
                chosen = payments.choose(
                    session, business=business, customer=customer, by_business=True
                )
                payments.charge_saved(
                    session,
                    business=business,
                    customer=customer,
                    method=method,
                    selection=payments.Selection(chosen.allocations[:1]),
                    initiated_by=Initiator.STAFF,
                    processor=self.processor,
                    links=Links(("k" * 48,), "https://shop.example"),
                )
        except Invalid:
            pass  # nothing to charge

    @rule(data=st.data())
    def customer_comes_back(self, data: st.DataObject) -> None:
        """From the emailed link to a charge the bank wanted them to confirm."""
        waiting = [
            p for p in self._payments(PaymentStatus.PENDING) if p.initiated_by == Initiator.STAFF
        ]
        if not waiting:
            return
        payment = data.draw(st.sampled_from(waiting))
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            customer = customers.get(session, business=business, customer_id=payment.customer_id)
            payments.complete_on_session(
                session,
                business=business,
                customer=customer,
                payment_id=payment.id,
                processor=self.processor,
            )

    @rule(
        data=st.data(),
        part=st.sampled_from([None, 1, 2, 3]),
        effect=st.sampled_from([InvoiceEffect.CREDIT, InvoiceEffect.REOPEN]),
    )
    def refund(self, data: st.DataObject, part: int | None, effect: InvoiceEffect) -> None:
        paid = self._payments(PaymentStatus.SUCCEEDED, paypal=True)
        if not paid:
            return
        payment = data.draw(st.sampled_from(paid))
        try:
            with self.db.session(self.business.id) as session:
                business = businesses.get(session, self.business.id)
                row = session.get(Payment, payment.id)
                assert row is not None
                payments.refund(
                    session,
                    business=business,
                    payment=row,
                    amount=None if part is None else max(row.charged * part // 4, 1),
                    reason="the machine asked",
                    effect=effect,
                    cause=RefundCause.STAFF,
                    actor="machine",
                    processor=self.processor,
                    paypal=self.paypal,
                )
        except Invalid:
            pass  # nothing (or not that much) left to refund
        except Declined:
            raise AssertionError("a refund is never a decline") from None

    @rule()
    def restart(self) -> None:
        """Our process and the processor's stand-in stop and start again."""
        self.db.dispose()
        self.db = self.bench.db = Database(self.bench.url)
        self.bench.restart_sandbox()
        self.processor.close()
        self.processor = StripeProcessor(SECRET, "", self.bench.server.url)
        self.bench.paypal.restart()
        self.paypal.close()
        self.paypal = PayPalProcessor(self.bench.paypal.url, CLIENT, PAYPAL_SECRET)

    # -- the invariant -----------------------------------------------------------------------

    @invariant()
    def books_balance(self) -> None:
        self.steps += 1
        report = self._check()
        assert report.problems == [], "\n".join(report.problems)

    def _check(self) -> ledger.Report:
        with self.db.session(self.business.id) as session:
            business = businesses.get(session, self.business.id)
            return ledger.check(
                session,
                business=business,
                processor=self.processor,
                now=utcnow(),
                paypal=self.paypal,
            )

    def teardown(self) -> None:
        # Every webhook arrives in the end; then nothing may be left in flight.
        try:
            for raw in self._events():
                if raw["id"] not in self.delivered:
                    self._apply(raw)
            # Approved and never captured: reconciliation captures it, and PayPal says so.
            self.paypal_reconcile()
            for raw in self._paypal_events():
                if raw["id"] not in self.delivered:
                    self._apply_paypal(raw)
            report = self._check()
            assert report.problems == [], "\n".join(report.problems)
            assert report.in_flight == [], f"charges never recorded: {report.in_flight}"
            PAYPAL.append(report.counts["paypal captures"])
        except ProcessorError as error:  # pragma: no cover - says which, if it ever happens
            raise AssertionError(f"the processor failed at teardown: {error}") from None
        finally:
            self.processor.close()
            self.paypal.close()
        STEPS.append(self.steps)


STEPS: list[int] = []
RACES: list[str] = []
# PayPal captures each example ended with, compared with PayPal by the books check.
PAYPAL: list[int] = []


@pytest.mark.slow
def test_every_interleaving_the_machine_finds_keeps_the_books(bench: Bench) -> None:
    Payments.bench = bench
    STEPS.clear()
    RACES.clear()
    PAYPAL.clear()
    run_state_machine_as_test(
        Payments,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print(
        f"stateful payments: {len(STEPS)} runs, {sum(STEPS)} steps, each checked; "
        f"{len(RACES)} webhook and poll races, {sum(PAYPAL)} PayPal captures"
    )
    assert sum(STEPS) > 100 and RACES and sum(PAYPAL)
