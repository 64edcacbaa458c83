"""Each limit (sign-in emails, dashboard sign-in, payment attempts, API keys) answers 429 with
Retry-After past its allowance, changes nothing while it does, and lets the same caller through
again once it has refilled. The real limits refill over minutes, so each is swapped for one of
the same kind that refills in two seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlmodel import func, select

from frontdesk.models import OutboxItem, Payment, PaymentStatus, StaffUser, utcnow
from frontdesk.routes.dashboard import SignInLimits
from frontdesk.routes.portal import SignInLinkLimits
from frontdesk.routes.visits import PaymentAttemptLimits
from frontdesk.services import businesses, customers, portal
from frontdesk.services.rate_limits import TokenBucket
from tests.conftest import csrf_field
from tests.factories import PASSWORD, make_invoice
from tests.flow import Flow, assert_books_balance


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


def test_unsuccessful_payment_attempts_are_limited_per_customer(flow: Flow) -> None:
    now = [utcnow()]
    flow.app.app.state.clock = lambda: now[0]  # type: ignore[union-attr]
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = session.get(type(flow.customer), flow.customer.id)
        assert customer is not None
        token = portal.session_token(flow.settings.secret_key, customer)
    url = f"{flow.app.url}/portal/{business.publishable_key}/pay"
    headers = {"Authorization": f"Bearer {token}", "HX-Request": "true"}

    def attempt(*numbers: str) -> httpx.Response:
        return httpx.post(url, headers=headers, data={"invoice": list(numbers)})

    # A double click is one attempt, however often it comes.
    assert {attempt("INV-A").status_code for _ in range(3)} == {200}
    # Each changed choice leaves the older attempt cancelled: ten of those in an hour is the limit.
    for n in range(10):
        assert attempt("INV-A", "INV-B" if n % 2 == 0 else "INV-A").status_code == 200
    payments = count(flow, Payment)
    refused = attempt("INV-B")
    assert refused.status_code == 429 and 3000 <= int(refused.headers["Retry-After"]) <= 3601
    assert "Nothing was charged" in refused.text
    assert count(flow, Payment) == payments
    now[0] += timedelta(hours=1, seconds=1)  # an hour later the oldest attempts have aged out
    assert attempt("INV-B").status_code == 200


def test_saving_cards_is_limited_per_customer(flow: Flow) -> None:
    flow.app.app.state.payment_attempt_limits = PaymentAttemptLimits(quick(), generous())  # type: ignore[union-attr]
    token = portal.session_token(flow.settings.secret_key, flow.customer)
    url = f"{flow.app.url}/portal/{flow.business.publishable_key}/payment-methods/new"
    headers = {"Authorization": f"Bearer {token}", "HX-Request": "true"}

    def save(n: int = 0) -> httpx.Response:
        return httpx.post(url, headers=headers, data={"consent": "yes", "attempt": f"form{n}"})

    limited_then_recovers(save, 200)


def test_a_customer_paying_many_invoices_in_a_row_is_never_limited(flow: Flow) -> None:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        for n in range(12):
            make_invoice(session, business, customer, amounts=(1000 + n,), number=f"INV-R{n}")
    for n in range(12):
        payment, _ = flow.start(numbers=[f"INV-R{n}"])
        flow.confirm(payment)
        flow.wait(lambda p=payment: flow.payment(p.id).status == PaymentStatus.SUCCEEDED)
    assert_books_balance(flow)


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
