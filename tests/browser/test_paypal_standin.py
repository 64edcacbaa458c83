"""The stand-in paypal.js in Chromium, on a page of another origin: its button opens the approval
window, which answers the page that opened it (approved, cancelled), and actions.restart() lets
the payer approve the same order again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from frontdesk.processors.paypal import PayPalProcessor
from tests.conftest import LiveServer
from tests.paypal_bed import CLIENT, SECRET, Bed, standin

pytestmark = pytest.mark.browser

SHOP = """<!doctype html><meta charset="utf-8"><title>Shop</title>
<div id="buttons"></div><p id="out"></p>
<script src="{standin}/sdk/js?client-id={client}&currency=USD"></script>
<script>
  var query = new URLSearchParams(location.search);
  var out = document.getElementById('out');
  var restarts = Number(query.get('restarts') || 0);
  paypal.Buttons({{
    createOrder: function () {{ return query.get('order'); }},
    onApprove: function (data, actions) {{
      if (restarts-- > 0) {{ out.textContent = 'declined, try again'; return actions.restart(); }}
      out.textContent = 'approved ' + data.orderID + ' by ' + data.payerID;
    }},
    onCancel: function (data) {{ out.textContent = 'cancelled ' + data.orderID; }}
  }}).render('#buttons');
</script>"""


@pytest.fixture
def bed(tmp_path: Path) -> Iterator[Bed]:
    with standin(tmp_path) as bed:
        yield bed


@pytest.fixture
def shop(bed: Bed) -> Iterator[str]:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(SHOP.format(standin=bed.url, client=CLIENT))

    server = LiveServer(Starlette(routes=[Route("/", page)])).start()
    yield server.url
    server.stop()


@pytest.fixture
def order_id(bed: Bed) -> str:
    with PayPalProcessor(bed.url, CLIENT, SECRET) as paypal:
        return paypal.create_order(
            amount=2550,
            currency="USD",
            custom_id="c",
            invoice_id="INV-1",
            description="INV-1",
            key="k",
        ).id


def approve_in_window(page: Page, choice: str) -> None:
    with page.expect_popup() as opened:
        page.get_by_role("button", name="PayPal").click()
    window = opened.value
    window.wait_for_url("**/checkoutnow?**")
    # Listening before the click: the window closes itself 50 ms after its answer, which on a
    # busy machine can come before a listener added after the click returned.
    with window.expect_event("close"):
        window.get_by_role("button", name=choice).click()


def test_the_payer_approves_in_the_window(page: Page, shop: str, order_id: str, bed: Bed) -> None:
    page.goto(f"{shop}/?order={order_id}")
    approve_in_window(page, "Approve and pay")
    expect(page.locator("#out")).to_contain_text(f"approved {order_id} by ")
    assert bed.store.orders[order_id]["status"] == "APPROVED"


def test_cancelling_reaches_on_cancel(page: Page, shop: str, order_id: str, bed: Bed) -> None:
    page.goto(f"{shop}/?order={order_id}")
    approve_in_window(page, "Cancel and return")
    expect(page.locator("#out")).to_have_text(f"cancelled {order_id}")
    assert bed.store.orders[order_id]["status"] == "CREATED"


def test_a_restart_approves_the_same_order_again(page: Page, shop: str, order_id: str) -> None:
    page.goto(f"{shop}/?order={order_id}&restarts=1")
    approve_in_window(page, "Pay with a card that declines")
    expect(page.locator("#out")).to_have_text("declined, try again")
    approve_in_window(page, "Approve and pay")
    expect(page.locator("#out")).to_contain_text(f"approved {order_id} by ")
