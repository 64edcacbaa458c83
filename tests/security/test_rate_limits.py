"""Each limit (sign-in emails, dashboard sign-in, payment attempts, API keys) answers 429 with
Retry-After past its allowance, changes nothing while it does, and lets the same caller through
again once it has refilled. The real limits refill over minutes, so each is swapped for one of
the same kind that refills in two seconds, and the app's clock is moved past it: nothing here
waits on the wall clock, so a busy machine cannot refill a bucket behind the test's back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlmodel import func, select

from frontdesk.models import OutboxItem, Payment, PaymentStatus, StaffUser, utcnow
from frontdesk.routes.dashboard.sign_in import SignInLimits
from frontdesk.routes.portal.attempts import PaymentAttemptLimits
from frontdesk.routes.portal.sign_in import SignInLinkLimits
from frontdesk.services import businesses, customers
from frontdesk.services.links import Links
from frontdesk.services.rate_limits import Limit
from tests.conftest import csrf_field
from tests.factories import PASSWORD, make_invoice
from tests.flow import Flow, assert_books_balance

QUICK = dict(burst=2, per_second=0.5)  # two at once, then one more every two seconds
GENEROUS = dict(burst=1000, per_second=1000.0)


def quick(name: str) -> Limit:
    return Limit(name, **QUICK)  # type: ignore[arg-type]


def generous(name: str) -> Limit:
    return Limit(name, **GENEROUS)  # type: ignore[arg-type]


class Clock:
    """The app's clock, moved by the test: a refill is waited for without waiting."""

    def __init__(self, flow: Flow) -> None:
        self.now = utcnow()
        flow.app.app.state.clock = lambda: self.now  # type: ignore[union-attr]

    def move(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def limited_then_recovers(
    flow: Flow, call: Callable[[], httpx.Response], ok: int
) -> tuple[httpx.Response, Clock]:
    """Two calls pass, the third gets 429; once the clock has moved past the refill, the same
    call passes again. However slow the machine, the clock only moves when the test says."""
    clock = Clock(flow)
    assert [call().status_code for _ in range(2)] == [ok, ok]
    refused = call()
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 2
    clock.move(1.9)
    assert call().status_code == 429  # not yet
    clock.move(0.2)
    assert call().status_code == ok
    return refused, clock


def count(flow: Flow, model: type) -> int:
    with flow.db.session(flow.business.id) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_sign_in_emails_are_limited_per_address(flow: Flow) -> None:
    flow.app.app.state.sign_in_link_limits = SignInLinkLimits(quick("e"), generous("i"))  # type: ignore[union-attr]
    url = f"{flow.app.url}/portal/{flow.business.publishable_key}/sign-in"
    before = count(flow, OutboxItem)
    refused, _ = limited_then_recovers(
        flow, lambda: httpx.post(url, data={"email": flow.customer.email}), ok=200
    )
    assert "Too many requests" in refused.text
    # Three emails: two before the limit, one after it refilled; none for the refused ask.
    assert count(flow, OutboxItem) - before == 3


def test_dashboard_sign_in_is_limited_per_address(flow: Flow) -> None:
    flow.app.app.state.sign_in_limits = SignInLimits(quick("e"), generous("i"))  # type: ignore[union-attr]
    with flow.db.session(flow.business.id) as session:
        email = session.exec(select(StaffUser.email)).one()
    desk = httpx.Client(base_url=flow.app.url)
    form = desk.get("/dashboard/sign-in").text
    csrf = csrf_field(form)

    def sign_in(password: str) -> httpx.Response:
        return desk.post(
            "/dashboard/sign-in", data={"email": email, "password": password, "csrf_token": csrf}
        )

    refused, clock = limited_then_recovers(flow, lambda: sign_in("wrong guess"), ok=401)
    assert "Too many attempts" in refused.text
    # Even the right password waits while the limit holds, and works after.
    assert sign_in(PASSWORD).status_code == 429
    clock.move(2.1)
    assert sign_in(PASSWORD).status_code == 303
    desk.close()


def test_unsuccessful_payment_attempts_are_limited_per_customer(flow: Flow) -> None:
    clock = Clock(flow)
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = session.get(type(flow.customer), flow.customer.id)
        assert customer is not None
        token = Links(flow.settings.secret_key).session(customer, "ses_test")
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
    clock.move(3601)  # an hour later the oldest attempts have aged out
    assert attempt("INV-B").status_code == 200


def test_saving_cards_is_limited_per_customer(flow: Flow) -> None:
    flow.app.app.state.payment_attempt_limits = PaymentAttemptLimits(quick("c"), generous("i"))  # type: ignore[union-attr]
    token = Links(flow.settings.secret_key).session(flow.customer, "ses_test")
    url = f"{flow.app.url}/portal/{flow.business.publishable_key}/payment-methods/new"
    headers = {"Authorization": f"Bearer {token}", "HX-Request": "true"}

    def save(n: int = 0) -> httpx.Response:
        return httpx.post(url, headers=headers, data={"consent": "yes", "attempt": f"form{n}"})

    limited_then_recovers(flow, save, 200)


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
    flow.app.app.state.api_limit = quick("api")  # type: ignore[union-attr]
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        _, key = businesses.create_api_key(session, business=business)
    headers = {"Authorization": f"Bearer {key}"}
    refused, _ = limited_then_recovers(
        flow, lambda: httpx.get(f"{flow.app.url}/api/v1/customers", headers=headers), ok=200
    )
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
