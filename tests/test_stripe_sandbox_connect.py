"""Connect in the local Stripe sandbox, driven by the official stripe library over real HTTP:
accounts, onboarding links, the owner's controls, OAuth for existing accounts and application
fees. The pages are fetched with httpx, as a browser would, without following redirects."""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe
from starlette.applications import Starlette
from starlette.routing import Mount

from frontdesk.processors.sandbox import create_app
from frontdesk.processors.sandbox.store import Store
from tests.conftest import LiveServer
from tests.test_stripe_sandbox import PUBLISHABLE, SECRET, WEBHOOK_SECRET, Receiver

# Its `receiver` fixture: the webhook endpoint on loopback.
pytest_plugins = ["tests.test_stripe_sandbox"]

RETURN, REFRESH = "https://platform.example/connect/done", "https://platform.example/connect/again"
NAME = "Ana's <Yoga> & Co"


@dataclass
class Clock:
    """The sandbox's time, moved by the test instead of slept through."""

    now: float

    def __call__(self) -> float:
        return self.now


@dataclass
class Sandbox:
    client: stripe.StripeClient
    store: Store
    url: str
    clock: Clock


@pytest.fixture
def sandbox(receiver: Receiver, tmp_path: Path) -> Iterator[Sandbox]:
    store = Store.open(tmp_path / "sandbox.json")
    store.clock = clock = Clock(time.time())
    app = create_app(
        secret_key=SECRET,
        publishable_key=PUBLISHABLE,
        webhook_url=receiver.url,  # type: ignore[attr-defined]
        webhook_secret=WEBHOOK_SECRET,
        store=store,
    )
    server = LiveServer(app).start()
    client = stripe.StripeClient(
        SECRET,
        base_addresses={"api": server.url, "connect": server.url},
        client_id="ca_sandbox",
        max_network_retries=0,
    )
    yield Sandbox(client, store, server.url, clock)
    server.stop()


def wait_for(receiver: Receiver, kind: str, account: str, timeout: float = 5) -> stripe.Event:
    deadline = time.monotonic() + timeout
    with receiver.arrived:
        while True:
            for event in receiver.events:
                if event.type == kind and event.to_dict().get("account") == account:
                    return event
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {kind} event arrived for {account}"
            receiver.arrived.wait(remaining)


def new_account(sandbox: Sandbox, kind: str = "express") -> stripe.Account:
    params: Any = {
        "type": kind,
        "email": "ana@example.com",
        "business_profile": {"name": NAME},
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "metadata": {"frontdesk_business": "b_1"},
    }
    return sandbox.client.v1.accounts.create(params=params)


def flags(account: stripe.Account) -> tuple[bool | None, ...]:
    return (account.details_submitted, account.charges_enabled, account.payouts_enabled)


def link_for(sandbox: Sandbox, account: str) -> str:
    link = sandbox.client.v1.account_links.create(
        params={
            "account": account,
            "refresh_url": REFRESH,
            "return_url": RETURN,
            "type": "account_onboarding",
        }
    )
    assert link.object == "account_link" and link.expires_at == link.created + 300
    return str(link.url)


def choose(url: str, choice: str) -> httpx.Response:
    return httpx.post(url, data={"choice": choice}, follow_redirects=False)


def pay(sandbox: Sandbox, account: str | None, **extra: Any) -> stripe.PaymentIntent:
    params: Any = {"amount": 2500, "currency": "usd", "payment_method": "pm_card_visa", **extra}
    options: Any = {"stripe_account": account} if account else {}
    return sandbox.client.v1.payment_intents.create(
        params=params | {"confirm": True}, options=options
    )


def test_accounts_are_created_in_stripes_shape(sandbox: Sandbox) -> None:
    made = new_account(sandbox)
    assert made.id.startswith("acct_") and made.object == "account"
    assert (made.type, made.country, made.email) == ("express", "US", "ana@example.com")
    assert made.business_profile is not None and made.business_profile.name == NAME
    assert flags(made) == (False, False, False)
    assert made.requirements is not None
    assert "individual.first_name" in (made.requirements.currently_due or [])
    assert made.requirements.disabled_reason == "requirements.past_due"
    assert made.to_dict()["capabilities"] == {"card_payments": "inactive", "transfers": "inactive"}
    assert made.to_dict()["metadata"] == {"frontdesk_business": "b_1"}
    assert sandbox.client.v1.accounts.retrieve(made.id).to_dict() == made.to_dict()
    assert new_account(sandbox, "standard").type == "standard"


def test_account_creation_refuses_other_types_and_replays_idempotently(sandbox: Sandbox) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        new_account(sandbox, "custom")
    assert caught.value.param == "type"
    options: Any = {"idempotency_key": "business-1:connect"}
    params: Any = {"type": "express", "email": "ana@example.com"}
    first = sandbox.client.v1.accounts.create(params=params, options=options)
    again = sandbox.client.v1.accounts.create(params=params, options=options)
    assert first.id == again.id
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sandbox.client.v1.accounts.retrieve("acct_nobody")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_submitting_details_enables_the_account_and_tells_the_platform(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    account = new_account(sandbox)
    url = link_for(sandbox, account.id)
    page = httpx.get(url, follow_redirects=False)
    assert page.status_code == 200
    assert f"<title>Sandbox Stripe — set up payments for {html.escape(NAME)}</title>" in page.text
    assert NAME not in page.text  # escaped everywhere
    assert account.id in page.text and 'name="viewport"' in page.text
    # Its own policy, so the demo server's (no inline styles) does not apply to it.
    assert "style-src 'sha256-" in page.headers["content-security-policy"]

    answer = choose(url, "submit")
    assert (answer.status_code, answer.headers["location"]) == (303, RETURN)
    done = sandbox.client.v1.accounts.retrieve(account.id)
    assert flags(done) == (True, True, True)
    assert done.requirements is not None
    assert (done.requirements.currently_due, done.requirements.disabled_reason) == ([], None)
    event = wait_for(receiver, "account.updated", account.id)
    assert event.data.object["id"] == account.id
    assert event.data.object["charges_enabled"] is True


def test_submitting_can_leave_requirements_due(sandbox: Sandbox, receiver: Receiver) -> None:
    account = new_account(sandbox)
    answer = choose(link_for(sandbox, account.id), "incomplete")
    assert (answer.status_code, answer.headers["location"]) == (303, RETURN)
    found = sandbox.client.v1.accounts.retrieve(account.id)
    assert flags(found) == (True, False, False)
    assert found.requirements is not None
    assert found.requirements.currently_due == ["individual.verification.document"]
    assert found.requirements.past_due == ["individual.verification.document"]
    assert found.requirements.disabled_reason == "requirements.past_due"
    assert wait_for(receiver, "account.updated", account.id).data.object["details_submitted"]


def test_returning_without_finishing_changes_nothing(sandbox: Sandbox) -> None:
    account = new_account(sandbox)
    answer = choose(link_for(sandbox, account.id), "leave")
    assert (answer.status_code, answer.headers["location"]) == (303, RETURN)
    assert sandbox.client.v1.accounts.retrieve(account.id).to_dict() == account.to_dict()
    assert not [e for e in sandbox.store.events if e["type"] == "account.updated"]


def test_used_and_expired_links_send_to_the_refresh_url(sandbox: Sandbox) -> None:
    account = new_account(sandbox)
    used = link_for(sandbox, account.id)
    choose(used, "leave")
    assert httpx.get(used).headers["location"] == REFRESH
    assert choose(used, "submit").headers["location"] == REFRESH

    expiring = link_for(sandbox, account.id)
    sandbox.clock.now += 301
    for answer in (httpx.get(expiring), choose(expiring, "submit")):
        assert (answer.status_code, answer.headers["location"]) == (303, REFRESH)
    assert not sandbox.client.v1.accounts.retrieve(account.id).details_submitted
    assert httpx.get(f"{sandbox.url}/connect/onboarding/{'0' * 32}").status_code == 404


def test_account_links_need_an_account_and_absolute_urls(sandbox: Sandbox) -> None:
    account = new_account(sandbox)
    good = {
        "account": account.id,
        "refresh_url": REFRESH,
        "return_url": RETURN,
        "type": "account_onboarding",
    }
    for param, wrong in [
        ("account", "acct_nobody"),
        ("return_url", "/connect/done"),
        ("refresh_url", "javascript:alert(1)"),
        ("type", "account_management"),
    ]:
        params: Any = {**good, param: wrong}
        with pytest.raises(stripe.InvalidRequestError) as caught:
            sandbox.client.v1.account_links.create(params=params)
        assert caught.value.param == param


def test_links_point_inside_the_mount_when_the_sandbox_is_mounted() -> None:
    sandbox_app = create_app(secret_key=SECRET, publishable_key=PUBLISHABLE)
    server = LiveServer(Starlette(routes=[Mount("/_stripe", app=sandbox_app)])).start()
    try:
        client = stripe.StripeClient(
            SECRET, base_addresses={"api": f"{server.url}/_stripe"}, max_network_retries=0
        )
        account = client.v1.accounts.create(params={"type": "express"})
        url = str(
            client.v1.account_links.create(
                params={
                    "account": account.id,
                    "refresh_url": REFRESH,
                    "return_url": RETURN,
                    "type": "account_onboarding",
                }
            ).url
        )
        assert url.startswith(f"{server.url}/_stripe/connect/onboarding/")
        assert httpx.get(url).status_code == 200
        assert choose(url, "submit").headers["location"] == RETURN
    finally:
        server.stop()


def test_the_owner_can_pause_restore_and_revoke(sandbox: Sandbox, receiver: Receiver) -> None:
    account = new_account(sandbox)
    choose(link_for(sandbox, account.id), "submit")
    page = f"{sandbox.url}/connect/accounts/{account.id}"
    assert httpx.get(page).status_code == 200

    assert choose(page, "pause").headers["location"] == page
    paused = sandbox.client.v1.accounts.retrieve(account.id)
    assert (paused.charges_enabled, paused.payouts_enabled) == (False, False)
    assert paused.requirements is not None
    assert paused.requirements.currently_due == ["individual.verification.document"]
    assert paused.requirements.disabled_reason == "requirements.past_due"
    choose(page, "provide")
    assert sandbox.client.v1.accounts.retrieve(account.id).charges_enabled

    assert choose(page, "revoke").status_code == 303
    event = wait_for(receiver, "account.application.deauthorized", account.id)
    assert event.data.object["id"] == "ca_sandbox"
    assert event.data.object["object"] == "application"
    with pytest.raises(stripe.PermissionError) as caught:
        sandbox.client.v1.accounts.retrieve(account.id)
    assert caught.value.http_status == 403
    assert caught.value.error is not None and caught.value.error.code == "account_invalid"
    assert "Application access may have been revoked" in str(caught.value.user_message)
    with pytest.raises(stripe.PermissionError):
        pay(sandbox, account.id)
    # Accounts the sandbox never made are served as before.
    assert pay(sandbox, "acct_flowtest").status == "succeeded"
    assert "revoked" in httpx.get(page).text


def test_the_owners_actions_are_store_methods_too(sandbox: Sandbox) -> None:
    account = new_account(sandbox)
    store = sandbox.store
    with store.lock:
        assert not store.require_information(account.id)["charges_enabled"]
        assert store.provide_information(account.id)["charges_enabled"]
        store.revoke(account.id)
    assert store.revoked(account.id)
    kinds = [e["type"] for e in store.events if e.get("account") == account.id]
    assert kinds == ["account.updated", "account.updated", "account.application.deauthorized"]


def authorize(sandbox: Sandbox, choice: str) -> dict[str, list[str]]:
    """The owner's trip through the consent page, and the query the platform gets back."""
    url = sandbox.client.oauth.authorize_url(
        params={
            "scope": "read_write",
            "redirect_uri": "https://platform.example/oauth/back",
            "state": "csrf-1",
        }
    )
    page = httpx.get(url)
    assert page.status_code == 200
    assert "Connect your existing Stripe account to Frontdesk" in page.text
    answer = httpx.post(url, data={"choice": choice}, follow_redirects=False)
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert (
        f"{target.scheme}://{target.netloc}{target.path}" == "https://platform.example/oauth/back"
    )
    return parse_qs(target.query)


def token_for(sandbox: Sandbox, code: str) -> Any:
    return sandbox.client.oauth.token(params={"grant_type": "authorization_code", "code": code})


def test_oauth_links_an_existing_standard_account(sandbox: Sandbox) -> None:
    back = authorize(sandbox, "create")
    assert (back["state"], back["scope"]) == (["csrf-1"], ["read_write"])
    token = token_for(sandbox, back["code"][0])
    assert token["access_token"].startswith("sk_test_")
    assert token["refresh_token"].startswith("rt_")
    assert token["stripe_publishable_key"].startswith("pk_test_")
    assert (token["token_type"], token["scope"], token["livemode"]) == (
        "bearer",
        "read_write",
        False,
    )
    account = sandbox.client.v1.accounts.retrieve(token["stripe_user_id"])
    assert (account.type, account.charges_enabled, account.details_submitted) == (
        "standard",
        True,
        True,
    )
    # Now set up, the account is offered by name the next time.
    again = authorize(sandbox, account.id)
    assert token_for(sandbox, again["code"][0])["stripe_user_id"] == account.id


def test_oauth_codes_are_single_use_and_expire(sandbox: Sandbox) -> None:
    code = authorize(sandbox, "create")["code"][0]
    token_for(sandbox, code)
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        token_for(sandbox, code)
    with pytest.raises(stripe.oauth_error.InvalidGrantError) as unknown:
        token_for(sandbox, "ac_nope")
    assert unknown.value.user_message == "Authorization code does not exist: ac_nope"
    late = authorize(sandbox, "create")["code"][0]
    sandbox.clock.now += 301
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        token_for(sandbox, late)


def test_deauthorizing_revokes_the_account(sandbox: Sandbox, receiver: Receiver) -> None:
    account = token_for(sandbox, authorize(sandbox, "create")["code"][0])["stripe_user_id"]
    gone = sandbox.client.oauth.deauthorize(params={"stripe_user_id": account})
    assert gone["stripe_user_id"] == account
    event = wait_for(receiver, "account.application.deauthorized", account)
    assert event.data.object["name"] == "Frontdesk"
    with pytest.raises(stripe.PermissionError):
        sandbox.client.v1.accounts.retrieve(account)
    with pytest.raises(stripe.oauth_error.InvalidClientError):
        sandbox.client.oauth.deauthorize(params={"stripe_user_id": account})
    with pytest.raises(stripe.oauth_error.InvalidClientError):
        sandbox.client.oauth.deauthorize(params={"stripe_user_id": "acct_nobody"})


def test_oauth_denial_and_bad_requests(sandbox: Sandbox) -> None:
    back = authorize(sandbox, "deny")
    assert (back["error"], back["state"]) == (["access_denied"], ["csrf-1"])
    assert "code" not in back
    bad = sandbox.client.oauth.authorize_url(params={"redirect_uri": "/relative"})
    assert httpx.get(bad).status_code == 400


def test_application_fees_on_direct_charges(sandbox: Sandbox) -> None:
    assert pay(sandbox, "acct_a").application_fee_amount is None
    intent = pay(sandbox, "acct_a", application_fee_amount=333)
    assert (intent.status, intent.application_fee_amount) == ("succeeded", 333)
    fees = sandbox.client.v1.application_fees.list().data
    assert [(f.account, f.amount, f.amount_refunded, f.refunded) for f in fees] == [
        ("acct_a", 333, 0, False)
    ]
    assert fees[0].charge == intent.latest_charge and fees[0].currency == "usd"


def test_fees_need_a_connected_account_and_fit_in_the_amount(sandbox: Sandbox) -> None:
    for fee in (2501, -1):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            pay(sandbox, "acct_a", application_fee_amount=fee)
        assert caught.value.param == "application_fee_amount"
    with pytest.raises(stripe.InvalidRequestError) as platform:
        pay(sandbox, None, application_fee_amount=100)
    assert platform.value.param == "application_fee_amount"
    assert "Stripe-Account header" in str(platform.value.user_message)


def test_fee_refunds_are_proportional_and_add_up_to_the_whole_fee(sandbox: Sandbox) -> None:
    intent = pay(sandbox, "acct_a", application_fee_amount=333)
    options: Any = {"stripe_account": "acct_a"}
    returned = []
    for amount in (1000, 700, None):
        params: Any = {"payment_intent": intent.id, "refund_application_fee": True}
        if amount:
            params["amount"] = amount
        refund = sandbox.client.v1.refunds.create(params=params, options=options)
        assert "_application_fee_refunded" not in refund.to_dict()
        returned.append(sandbox.store.objects[("acct_a", refund.id)]["_application_fee_refunded"])
    assert returned == [133, 226 - 133, 333 - 226]
    assert sandbox.store.objects[("acct_a", intent.id)]["_application_fee_refunded"] == 333
    (fee,) = sandbox.client.v1.application_fees.list().data
    assert (fee.amount_refunded, fee.refunded) == (333, True)


def test_a_refund_without_the_fee_keeps_it(sandbox: Sandbox) -> None:
    intent = pay(sandbox, "acct_a", application_fee_amount=300)
    refund = sandbox.client.v1.refunds.create(
        params={"payment_intent": intent.id}, options={"stripe_account": "acct_a"}
    )
    assert sandbox.store.objects[("acct_a", refund.id)]["_application_fee_refunded"] is None
    assert sandbox.client.v1.application_fees.list().data[0].amount_refunded == 0


def test_connect_state_survives_a_restart(sandbox: Sandbox, tmp_path: Path) -> None:
    kept = new_account(sandbox)
    url = link_for(sandbox, kept.id)
    gone = new_account(sandbox)
    choose(f"{sandbox.url}/connect/accounts/{gone.id}", "revoke")
    code = authorize(sandbox, "create")["code"][0]
    pay(sandbox, "acct_a", application_fee_amount=100)

    reopened = Store.open(tmp_path / "sandbox.json")
    assert reopened.account(kept.id)["email"] == "ana@example.com"
    assert reopened.revoked(gone.id) and not reopened.revoked(kept.id)
    assert reopened.link_usable(reopened.onboarding_link(url.rsplit("/", 1)[1]))
    token = reopened.exchange_code({"grant_type": "authorization_code", "code": code})
    assert reopened.account(token["stripe_user_id"])["charges_enabled"]
    fees = [obj for obj in reopened.objects.values() if obj["object"] == "application_fee"]
    assert [(fee["account"], fee["amount"]) for fee in fees] == [("acct_a", 100)]


def test_a_state_file_from_before_connect_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"objects": [], "idempotency": [], "events": [], "delivered": 0}))
    store = Store.open(path)
    assert not store.revoked("acct_a") and store.ready_accounts() == []
