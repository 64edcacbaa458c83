"""The PayPal adapter against the PayPal stand-in over real HTTP: orders, approval, capture
(completed, declined, pending), refunds, idempotency by PayPal-Request-Id, tokens, restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk.processors import Declined, Missing, Refused, Unavailable
from frontdesk.processors.paypal import CaptureStatus, PayPalProcessor, amount_of, value_of
from frontdesk.settings import SettingsError, load
from tests.conftest import LiveServer
from tests.paypal_bed import CLIENT, SECRET, Bed, standin


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def bed(tmp_path: Path) -> Iterator[Bed]:
    with standin(tmp_path) as bed:
        yield bed


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def paypal(bed: Bed, clock: Clock) -> Iterator[PayPalProcessor]:
    with PayPalProcessor(bed.url, CLIENT, SECRET, clock=clock) as processor:
        yield processor


def order_for(paypal: PayPalProcessor, key: str = "checkout-1", amount: int = 2550) -> str:
    made = paypal.create_order(
        amount=amount,
        currency="USD",
        custom_id="checkout-1",
        invoice_id=f"biz-INV-1-{key}",
        description="Greenleaf: INV-1",
        key=key,
    )
    return made.id


@pytest.mark.parametrize(
    ("amount", "currency", "value"),
    [(2550, "USD", "25.50"), (5, "EUR", "0.05"), (1500, "JPY", "1500"), (150000, "HUF", "1500")],
)
def test_amounts_are_paypal_decimals_exactly(amount: int, currency: str, value: str) -> None:
    assert value_of(amount, currency) == value
    assert amount_of(value, currency) == amount


def test_an_amount_paypal_cannot_hold_is_refused_not_rounded() -> None:
    with pytest.raises(Refused) as refused:
        value_of(150050, "HUF")  # 1500.50 HUF: PayPal takes forints in whole units
    assert refused.value.code == "DECIMAL_PRECISION"


def test_an_order_is_created_once_per_request_id(paypal: PayPalProcessor, bed: Bed) -> None:
    def create(key: str) -> str:
        made = paypal.create_order(
            amount=2550,
            currency="usd",
            custom_id="checkout-1",
            invoice_id="biz-INV-1",
            description="INV-1",
            key=key,
        )
        assert (made.status, made.amount, made.currency) == ("CREATED", 2550, "USD")
        assert (made.custom_id, made.invoice_id) == ("checkout-1", "biz-INV-1")
        assert made.approve_url == f"{bed.url}/checkoutnow?token={made.id}"
        return made.id

    first = create("checkout-1")
    assert create("checkout-1") == first
    assert create("checkout-2") != first
    assert len(bed.store.orders) == 2


def test_a_request_id_used_for_another_order_is_refused(paypal: PayPalProcessor) -> None:
    order_for(paypal, key="checkout-1", amount=2550)
    with pytest.raises(Refused) as refused:
        order_for(paypal, key="checkout-1", amount=9999)
    assert refused.value.code == "PAYPAL_REQUEST_ID_PREVIOUSLY_USED"


def test_an_unapproved_order_is_not_captured(paypal: PayPalProcessor) -> None:
    order_id = order_for(paypal)
    with pytest.raises(Refused) as refused:
        paypal.capture_order(order_id, key="checkout-1:capture")
    assert refused.value.code == "ORDER_NOT_APPROVED"
    assert paypal.retrieve_order(order_id).status == "CREATED"


def test_an_approved_order_is_captured_once(paypal: PayPalProcessor, bed: Bed) -> None:
    order_id = order_for(paypal)
    assert bed.approve(order_id).status_code == 200
    assert paypal.retrieve_order(order_id).status == "APPROVED"
    capture = paypal.capture_order(order_id, key="checkout-1:capture")
    assert (capture.status, capture.amount, capture.currency) == ("COMPLETED", 2550, "USD")
    assert (capture.order_id, capture.custom_id) == (order_id, "checkout-1")
    # The answer was lost and we ask again: the same capture, not a second one.
    assert paypal.capture_order(order_id, key="checkout-1:capture") == capture
    with pytest.raises(Refused) as refused:
        paypal.capture_order(order_id, key="another-key")
    assert refused.value.code == "ORDER_ALREADY_CAPTURED"
    assert len(bed.store.captures) == 1
    assert paypal.retrieve_capture(capture.id) == capture
    assert paypal.retrieve_order(order_id).capture == capture


def test_a_declining_payer_is_declined_and_may_approve_again(
    paypal: PayPalProcessor, bed: Bed
) -> None:
    order_id = order_for(paypal)
    bed.approve(order_id, email="decline@example.com")
    with pytest.raises(Declined) as declined:
        paypal.capture_order(order_id, key="checkout-1:capture")
    assert declined.value.code == "INSTRUMENT_DECLINED"
    assert "choose another" in declined.value.message
    assert bed.store.captures == {}
    # actions.restart(): the payer picks another funding source for the same order.
    bed.approve(order_id)
    capture = paypal.capture_order(order_id, key="checkout-1:capture")
    assert capture.status == CaptureStatus.COMPLETED


def test_the_decline_button_declines_too(paypal: PayPalProcessor, bed: Bed) -> None:
    order_id = order_for(paypal)
    bed.approve(order_id, choice="decline")
    with pytest.raises(Declined):
        paypal.capture_order(order_id, key="checkout-1:capture")


def test_a_pending_capture_completes_later(paypal: PayPalProcessor, bed: Bed) -> None:
    order_id = order_for(paypal)
    bed.approve(order_id, email="pending@example.com")
    capture = paypal.capture_order(order_id, key="checkout-1:capture")
    assert (capture.status, capture.reason) == ("PENDING", "PENDING_REVIEW")
    with pytest.raises(Refused) as refused:
        paypal.refund(capture.id, amount=100, currency="USD", key="refund-1")
    assert refused.value.code == "PENDING_CAPTURE"
    assert bed.settle(capture.id, "COMPLETED").status_code == 200
    settled = paypal.retrieve_capture(capture.id)
    assert (settled.status, settled.reason) == ("COMPLETED", "")


def test_the_home_page_lists_orders_and_settles_pending_captures(
    paypal: PayPalProcessor, bed: Bed
) -> None:
    order_id = order_for(paypal)
    bed.approve(order_id, choice="pending")
    capture = paypal.capture_order(order_id, key="checkout-1:capture")
    home = httpx.get(f"{bed.url}/")
    assert order_id in home.text and f"{capture.id} PENDING" in home.text
    settled = httpx.post(
        f"{bed.url}/standin/captures/{capture.id}/settle",
        data={"outcome": "COMPLETED"},
        headers={"Accept": "text/html"},
    )
    assert settled.status_code == 303
    assert f"{capture.id} COMPLETED" in httpx.get(f"{bed.url}/").text
    assert bed.settle(capture.id, "DECLINED").status_code == 422  # settled once only


def test_a_pending_capture_can_be_denied(paypal: PayPalProcessor, bed: Bed) -> None:
    order_id = order_for(paypal)
    bed.approve(order_id, choice="pending")
    capture = paypal.capture_order(order_id, key="checkout-1:capture")
    bed.settle(capture.id, "DECLINED")
    assert paypal.retrieve_capture(capture.id).status == CaptureStatus.DECLINED


def test_refunds_in_part_and_in_full_each_once(paypal: PayPalProcessor, bed: Bed) -> None:
    order_id = order_for(paypal)
    bed.approve(order_id)
    capture = paypal.capture_order(order_id, key="checkout-1:capture")
    part = paypal.refund(capture.id, amount=1000, currency="USD", key="refund-1", note="Sorry")
    assert (part.intent_id, part.amount, part.status) == (capture.id, 1000, "succeeded")
    again = paypal.refund(capture.id, amount=1000, currency="USD", key="refund-1", note="Sorry")
    assert again == part
    assert paypal.retrieve_capture(capture.id).status == CaptureStatus.PARTIALLY_REFUNDED
    with pytest.raises(Refused) as refused:
        paypal.refund(capture.id, amount=1551, currency="USD", key="refund-2")
    assert refused.value.code == "REFUND_AMOUNT_EXCEEDED"
    rest = paypal.refund(capture.id, amount=1550, currency="USD", key="refund-3")
    assert rest.amount == 1550 and rest.id != part.id
    assert paypal.retrieve_capture(capture.id).status == CaptureStatus.REFUNDED
    with pytest.raises(Refused) as refused:
        paypal.refund(capture.id, amount=1, currency="USD", key="refund-4")
    assert refused.value.code == "CAPTURE_FULLY_REFUNDED"


def test_an_invoice_id_paid_once_is_not_paid_again(paypal: PayPalProcessor, bed: Bed) -> None:
    first = paypal.create_order(
        amount=100, currency="USD", custom_id="a", invoice_id="INV-1", description="", key="a"
    )
    second = paypal.create_order(
        amount=100, currency="USD", custom_id="b", invoice_id="INV-1", description="", key="b"
    )
    for order_id in (first.id, second.id):
        bed.approve(order_id)
    paypal.capture_order(first.id, key="a:capture")
    with pytest.raises(Refused) as refused:
        paypal.capture_order(second.id, key="b:capture")
    assert refused.value.code == "DUPLICATE_INVOICE_ID"


def test_an_unknown_order_or_capture_is_missing(paypal: PayPalProcessor) -> None:
    with pytest.raises(Missing) as missing:
        paypal.retrieve_order("5O190127TN364715T")
    assert missing.value.kind == "order"
    with pytest.raises(Missing) as missing:
        paypal.retrieve_capture("3C679366HH908993F")
    assert missing.value.kind == "capture"


def test_the_token_is_asked_for_once_until_it_expires(
    paypal: PayPalProcessor, bed: Bed, clock: Clock
) -> None:
    order_id = order_for(paypal)
    paypal.retrieve_order(order_id)
    assert len(bed.store.tokens) == 1
    clock.now += 32400 - 60 - 1  # PayPal's nine hours, less our margin, less a second
    paypal.retrieve_order(order_id)
    assert len(bed.store.tokens) == 1
    clock.now += 1
    paypal.retrieve_order(order_id)
    assert len(bed.store.tokens) == 2


def test_a_token_paypal_forgot_is_replaced_once(paypal: PayPalProcessor, bed: Bed) -> None:
    order_id = order_for(paypal)
    bed.store.tokens.clear()  # revoked, or PayPal restarted without it
    assert paypal.retrieve_order(order_id).id == order_id
    assert len(bed.store.tokens) == 1


def test_wrong_credentials_leave_paypal_unavailable(bed: Bed) -> None:
    with PayPalProcessor(bed.url, CLIENT, "wrong") as paypal, pytest.raises(Unavailable) as error:
        paypal.retrieve_order("5O190127TN364715T")
    assert "invalid_client" in str(error.value)


def test_paypal_away_is_unavailable() -> None:
    server = LiveServer()  # bound, never started: nothing answers
    server.socket.close()
    with PayPalProcessor(server.url, CLIENT, SECRET) as paypal, pytest.raises(Unavailable):
        paypal.retrieve_order("5O190127TN364715T")


def test_the_standin_restarted_keeps_everything(paypal: PayPalProcessor, bed: Bed) -> None:
    order_id = order_for(paypal)
    bed.approve(order_id, email="pending@example.com")
    capture = paypal.capture_order(order_id, key="checkout-1:capture")
    bed.restart()
    # The same token still works, and the same request ids answer with the same objects.
    assert paypal.retrieve_capture(capture.id) == capture
    assert order_for(paypal) == order_id
    assert paypal.capture_order(order_id, key="checkout-1:capture") == capture
    assert bed.settle(capture.id, "COMPLETED").status_code == 200
    bed.restart()
    assert paypal.retrieve_capture(capture.id).status == CaptureStatus.COMPLETED


def test_the_approval_page_names_the_order_and_refuses_unknown_ones(bed: Bed) -> None:
    with PayPalProcessor(bed.url, CLIENT, SECRET) as paypal:
        order_id = order_for(paypal)
    page = httpx.get(f"{bed.url}/checkoutnow", params={"token": order_id})
    assert page.status_code == 200 and "25.50 USD" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{bed.url}/checkoutnow", params={"token": "NOPE"}).status_code == 404
    answer = httpx.post(
        f"{bed.url}/checkoutnow",
        data={"token": order_id, "choice": "approve", "origin": "javascript:alert(1)"},
    )
    assert 'data-origin=""' in answer.text  # reported to an http(s) origin only
    assert httpx.get(f"{bed.url}/sdk/js", params={"client-id": CLIENT}).status_code == 200


def test_production_takes_only_paypals_own_api() -> None:
    key = "k" * 40
    with pytest.raises(SettingsError, match="FRONTDESK_PAYPAL_BASE_URL"):
        load(environment="production", secret_key=key, paypal_base_url="http://127.0.0.1:8004")
    live = load(
        environment="production", secret_key=key, paypal_base_url="https://api-m.paypal.com"
    )
    assert live.paypal_base_url == "https://api-m.paypal.com"
