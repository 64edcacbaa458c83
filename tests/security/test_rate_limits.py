"""Each limit (sign-in emails, dashboard sign-in, payment attempts, API keys) answers 429 with
Retry-After past its allowance, changes nothing while it does, and lets the same caller through
again once it has refilled. The real limits refill over minutes, so each is swapped for one of
the same kind that refills in two seconds."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from sqlmodel import func, select

from frontdesk.models import OutboxItem, Payment, StaffUser
from frontdesk.routes.dashboard import SignInLimits
from frontdesk.routes.portal import SignInLinkLimits
from frontdesk.routes.visits import PaymentAttemptLimits
from frontdesk.services import businesses, portal
from frontdesk.services.rate_limits import TokenBucket
from tests.conftest import csrf_field
from tests.factories import PASSWORD
from tests.flow import Flow


def quick() -> TokenBucket:
    """Two at once, then one more every two seconds (a slow sign-in takes a fraction of that)."""
    return TokenBucket(burst=2, per_second=0.5)


def generous() -> TokenBucket:
    return TokenBucket(burst=1000, per_second=1000)


def limited_then_recovers(call: Callable[[], httpx.Response], ok: int) -> httpx.Response:
    """Two calls pass, the third gets 429; after the refill the same call passes again."""
    assert [call().status_code for _ in range(2)] == [ok, ok]
    refused = call()
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    time.sleep(2.1)
    assert call().status_code == ok
    return refused


def count(flow: Flow, model: type) -> int:
    with flow.db.session(flow.business.id) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_sign_in_emails_are_limited_per_address(flow: Flow) -> None:
    flow.app.app.state.sign_in_link_limits = SignInLinkLimits(quick(), generous())  # type: ignore[union-attr]
    url = f"{flow.app.url}/portal/{flow.business.publishable_key}/sign-in"
    before = count(flow, OutboxItem)
    refused = limited_then_recovers(
        lambda: httpx.post(url, data={"email": flow.customer.email}), ok=200
    )
    assert "Too many requests" in refused.text
    # Three emails: two before the limit, one after it refilled; none for the refused ask.
    assert count(flow, OutboxItem) - before == 3


def test_dashboard_sign_in_is_limited_per_address(flow: Flow) -> None:
    flow.app.app.state.sign_in_limits = SignInLimits(quick(), generous())  # type: ignore[union-attr]
    with flow.db.session(flow.business.id) as session:
        email = session.exec(select(StaffUser.email)).one()
    desk = httpx.Client(base_url=flow.app.url)
    form = desk.get("/dashboard/sign-in").text
    csrf = csrf_field(form)

    def sign_in(password: str) -> httpx.Response:
        return desk.post(
            "/dashboard/sign-in", data={"email": email, "password": password, "csrf_token": csrf}
        )

    refused = limited_then_recovers(lambda: sign_in("wrong guess"), ok=401)
    assert "Too many attempts" in refused.text
    # Even the right password waits while the limit holds, and works after.
    assert sign_in(PASSWORD).status_code == 429
    time.sleep(2.1)
    assert sign_in(PASSWORD).status_code == 303
    desk.close()


def test_payment_attempts_are_limited_per_customer(flow: Flow) -> None:
    flow.app.app.state.payment_attempt_limits = PaymentAttemptLimits(quick(), generous())  # type: ignore[union-attr]
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = session.get(type(flow.customer), flow.customer.id)
        assert customer is not None
        token = portal.session_token(flow.settings.secret_key, customer)
    url = f"{flow.app.url}/portal/{business.publishable_key}/pay"
    headers = {"Authorization": f"Bearer {token}", "HX-Request": "true"}

    def attempt() -> httpx.Response:
        return httpx.post(url, headers=headers, data={"invoice": "INV-A"})

    payments = count(flow, Payment)
    assert [attempt().status_code for _ in range(2)] == [200, 200]
    after_two = count(flow, Payment)
    refused = attempt()
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Nothing was charged" in refused.text
    assert count(flow, Payment) == after_two >= payments + 1
    time.sleep(2.1)
    assert attempt().status_code == 200


def test_api_keys_are_limited(flow: Flow) -> None:
    flow.app.app.state.api_rate_limiter = quick()  # type: ignore[union-attr]
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        _, key = businesses.create_api_key(session, business=business)
    headers = {"Authorization": f"Bearer {key}"}
    refused = limited_then_recovers(
        lambda: httpx.get(f"{flow.app.url}/api/v1/customers", headers=headers), ok=200
    )
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
