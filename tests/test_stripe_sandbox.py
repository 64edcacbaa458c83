"""The local Stripe sandbox, driven by the official stripe library over real HTTP.

Set FRONTDESK_TEST_STRIPE_SECRET_KEY (a Stripe test-mode key) and FRONTDESK_TEST_STRIPE_ACCOUNT (a
connected test account) to run the same tests against real Stripe as well, so the sandbox's
shapes stay honest. Tests that need Stripe to reach a local webhook run on the sandbox only.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.processors.sandbox import create_app
from frontdesk.processors.sandbox.forms import decode
from tests.conftest import LiveServer

SECRET, PUBLISHABLE, WEBHOOK_SECRET = "sk_test_sandbox", "pk_test_sandbox", "whsec_sandbox"
LIVE_KEY = os.environ.get("FRONTDESK_TEST_STRIPE_SECRET_KEY", "")
LIVE_ACCOUNT = os.environ.get("FRONTDESK_TEST_STRIPE_ACCOUNT", "")
TIERS = [
    "sandbox",
    pytest.param(
        "stripe",
        marks=pytest.mark.skipif(
            not (LIVE_KEY and LIVE_ACCOUNT),
            reason="FRONTDESK_TEST_STRIPE_SECRET_KEY and FRONTDESK_TEST_STRIPE_ACCOUNT are not set",
        ),
    ),
]


@dataclass
class Receiver:
    """A webhook endpoint on loopback that keeps what it was sent."""

    events: list[stripe.Event] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            payload = await request.body()
            event = stripe.Webhook.construct_event(
                payload, request.headers["stripe-signature"], WEBHOOK_SECRET
            )
            with self.arrived:
                self.events.append(event)
                self.arrived.notify_all()
            return Response(status_code=200)

        return Starlette(routes=[Route("/hook", receive, methods=["POST"])])

    def wait_for(self, kind: str, timeout: float = 5) -> stripe.Event:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                found = [e for e in self.events if e.type == kind]
                if found:
                    return found[-1]
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no {kind} event arrived"
                self.arrived.wait(remaining)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = LiveServer(receiver.app()).start()
    receiver.url = f"{server.url}/hook"  # type: ignore[attr-defined]
    yield receiver
    server.stop()


@pytest.fixture(params=TIERS)
def tier(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def account(tier: str) -> str:
    return LIVE_ACCOUNT if tier == "stripe" else "acct_a"


@pytest.fixture
def client(tier: str, receiver: Receiver) -> Iterator[stripe.StripeClient]:
    if tier == "stripe":
        yield stripe.StripeClient(LIVE_KEY, max_network_retries=2)
        return
    app = create_app(
        secret_key=SECRET,
        publishable_key=PUBLISHABLE,
        webhook_url=receiver.url,  # type: ignore[attr-defined]
        webhook_secret=WEBHOOK_SECRET,
    )
    server = LiveServer(app).start()
    yield stripe.StripeClient(SECRET, base_addresses={"api": server.url}, max_network_retries=0)
    server.stop()


def pay(
    client: stripe.StripeClient, method: str, account: str = "acct_a", **extra: Any
) -> stripe.PaymentIntent:
    params: dict[str, Any] = {
        "amount": 2500,
        "currency": "usd",
        "payment_method": method,
        "confirm": True,
    }
    params.update(extra)
    return client.v1.payment_intents.create(params=params, options={"stripe_account": account})  # type: ignore[arg-type]


def test_the_form_decoder_reads_stripes_nesting() -> None:
    assert decode([("metadata[invoice]", "inv_1"), ("expand[0]", "a"), ("types[]", "card")]) == {
        "metadata": {"invoice": "inv_1"},
        "expand": ["a"],
        "types": ["card"],
    }


def test_4242_succeeds_and_sends_a_signed_event(
    client: stripe.StripeClient, receiver: Receiver
) -> None:
    intent = pay(client, "pm_card_visa", metadata={"invoice": "inv_1"})
    assert (intent.status, intent.amount_received) == ("succeeded", 2500)
    event = receiver.wait_for("payment_intent.succeeded")
    assert event.data.object["id"] == intent.id
    assert event.data.object["metadata"]["invoice"] == "inv_1"
    assert event.account == "acct_a"


def test_declines_raise_card_errors_with_the_reason(
    client: stripe.StripeClient, account: str
) -> None:
    with pytest.raises(stripe.CardError) as caught:
        pay(client, "pm_card_visa_chargeDeclinedInsufficientFunds", account)
    assert caught.value.code == "card_declined"
    assert (
        caught.value.error is not None and caught.value.error.decline_code == "insufficient_funds"
    )
    assert caught.value.user_message == "Your card has insufficient funds."


def test_3ds_cards_need_the_customer_on_session(client: stripe.StripeClient, account: str) -> None:
    intent = pay(client, "pm_card_authenticationRequired", account)
    assert intent.status == "requires_action"
    with pytest.raises(stripe.CardError) as caught:
        pay(client, "pm_card_authenticationRequired", account, off_session=True)
    assert caught.value.code == "authentication_required"
    assert caught.value.error is not None and caught.value.error.payment_intent is not None


def test_idempotent_requests_replay_and_refuse_other_parameters(
    client: stripe.StripeClient,
) -> None:
    options: Any = {"stripe_account": "acct_a", "idempotency_key": "invoice-1:attempt-1"}
    params: Any = {"amount": 1000, "currency": "usd"}
    first = client.v1.payment_intents.create(params=params, options=options)
    again = client.v1.payment_intents.create(params=params, options=options)
    assert first.id == again.id
    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create(
            params={"amount": 2000, "currency": "usd"}, options=options
        )


def test_connected_accounts_see_only_their_own_objects(
    client: stripe.StripeClient, tier: str
) -> None:
    if tier != "sandbox":
        pytest.skip("needs two connected accounts")
    intent = pay(client, "pm_card_visa", "acct_a")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.retrieve(intent.id, options={"stripe_account": "acct_b"})
    assert caught.value.code == "resource_missing"


def test_refunds_never_exceed_what_was_captured(client: stripe.StripeClient, account: str) -> None:
    intent = pay(client, "pm_card_visa", account)
    options: Any = {"stripe_account": account}
    refund = client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 1000}, options=options
    )
    assert (refund.amount, refund.status) == (1000, "succeeded")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create(
            params={"payment_intent": intent.id, "amount": 1501}, options=options
        )
    assert caught.value.code == "amount_too_large"


def test_saving_a_card_attaches_it_to_the_customer(
    client: stripe.StripeClient, account: str
) -> None:
    options: Any = {"stripe_account": account}
    customer = client.v1.customers.create(params={"email": "c@example.com"}, options=options)
    pay(client, "pm_card_visa", account, customer=customer.id, setup_future_usage="off_session")
    methods = client.v1.customers.payment_methods.list(customer.id, options=options)
    assert [(m.card.brand, m.card.last4) for m in methods.data if m.card] == [("visa", "4242")]


def test_a_wrong_key_is_refused(client: stripe.StripeClient) -> None:
    base = client._requestor.base_addresses  # type: ignore[attr-defined]
    wrong = stripe.StripeClient("sk_test_wrong", base_addresses=base)
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.customers.create(params={})
