"""Paying with PayPal in Chromium, through the PayPal stand-in: inside the portal on the sample
website (PayPal's buttons in the light-DOM slot), on the secure pay page, and a decline that says
why and starts the buttons again. Each ends with the books check, compared with PayPal."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from frontdesk.models import Business, Invoice, InvoiceStatus, Payment, PaymentStatus, utcnow
from frontdesk.processors.paypal import DECLINED_MESSAGE, PayPalProcessor
from frontdesk.services import businesses
from frontdesk.services.payments import ledger
from tests.browser.conftest import Stage

pytestmark = pytest.mark.browser


def take_paypal(stage: Stage, *, secure_pay_page: bool = False) -> None:
    with stage.db.unscoped("the demo business connects PayPal") as session:
        business = session.get(Business, stage.seeded.business.id)
        assert business is not None
        business.paypal_enabled, business.paypal_merchant_id = True, "STAGE1"
        business.secure_pay_page = secure_pay_page


def approve(page: Page, button: Locator, choice: str) -> None:
    """The payer clicks PayPal's button and answers in PayPal's window."""
    with page.context.expect_page() as opened:
        button.click()
    window = opened.value
    window.wait_for_url("**/checkoutnow?**")
    # Listening before the click: the window closes itself 50 ms after its answer, which on a
    # busy machine can come before a listener added after the click returned.
    with window.expect_event("close"):
        window.get_by_role("button", name=choice).click()


def assert_paid_once_with_paypal(stage: Stage) -> None:
    business_id = stage.seeded.business.id
    with (
        PayPalProcessor(
            stage.paypal.url, stage.settings.paypal_client_id, stage.settings.paypal_secret
        ) as paypal,
        stage.db.session(business_id) as session,
    ):
        business = businesses.get(session, business_id)
        paid = session.exec(
            select(Payment).where(Payment.method == "paypal", Payment.status == "succeeded")
        ).all()
        assert len(paid) == 1
        for number in ("INV-1002", "INV-1003"):
            status = session.exec(select(Invoice.status).where(Invoice.number == number)).one()
            assert status == InvoiceStatus.PAID
        report = ledger.check(
            session, business=business, processor=None, now=utcnow(), paypal=paypal
        )
    assert report.problems == [], "\n".join(report.problems)


def test_paying_with_paypal_inside_the_sample_website(page: Page, stage: Stage) -> None:
    take_paypal(stage)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{stage.site.url}/account")
    portal = page.locator("frontdesk-portal")
    expect(portal.locator("#fd-home")).to_be_visible()
    # PayPal's script is fetched at the pay step only.
    assert not [url for url in requested if "/sdk/js" in url]
    page.goto(f"{stage.site.url}/account#pay")
    # The buttons live in the light DOM, a child of the element, shown through the slot.
    button = page.locator("frontdesk-portal > [slot=paypal] [data-paypal-standin=button]")
    expect(button).to_be_visible()
    assert [url for url in requested if url.startswith(f"{stage.paypal.url}/sdk/js?")]
    approve(page, button, "Approve and pay")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    assert_paid_once_with_paypal(stage)


def test_a_decline_says_why_and_the_buttons_start_again(page: Page, stage: Stage) -> None:
    take_paypal(stage)
    page.goto(f"{stage.site.url}/account#pay")
    portal = page.locator("frontdesk-portal")
    button = page.locator("frontdesk-portal > [slot=paypal] [data-paypal-standin=button]")
    expect(button).to_be_visible()
    approve(page, button, "Pay with a card that declines")
    expect(portal.locator("#fd-pay [role=alert]").first).to_contain_text(DECLINED_MESSAGE)
    expect(button).to_be_visible()
    with stage.db.session(stage.seeded.business.id) as session:
        waiting = session.exec(select(Payment).where(Payment.method == "paypal")).one()
        assert waiting.status == PaymentStatus.PENDING
    approve(page, button, "Approve and pay")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    assert_paid_once_with_paypal(stage)


def test_a_payment_held_for_review_shows_processing_until_paypal_completes_it(
    page: Page, stage: Stage
) -> None:
    take_paypal(stage)
    page.goto(f"{stage.site.url}/account#pay")
    portal = page.locator("frontdesk-portal")
    button = page.locator("frontdesk-portal > [slot=paypal] [data-paypal-standin=button]")
    expect(button).to_be_visible()
    approve(page, button, "Pay, held for review (pending)")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment processing")
    expect(portal.locator("#fd-pay")).to_contain_text("PayPal is reviewing this payment")
    with stage.db.session(stage.seeded.business.id) as session:
        held = session.exec(select(Payment).where(Payment.method == "paypal")).one()
    assert held.status == PaymentStatus.PROCESSING and held.processor_reference
    # PayPal's review clears it.
    settled = httpx.post(
        f"{stage.paypal.url}/standin/captures/{held.processor_reference}/settle",
        data={"outcome": "COMPLETED"},
    )
    assert settled.status_code == 200, settled.text
    # Its webhook reaches our server on its own, a moment later.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with stage.db.session(stage.seeded.business.id) as session:
            if session.get(Payment, held.id).status == PaymentStatus.SUCCEEDED:  # type: ignore[union-attr]
                break
        time.sleep(0.1)
    page.goto("about:blank")
    page.goto(f"{stage.site.url}/account#invoice/INV-1003")
    expect(portal.locator("#fd-invoice .fd-badge-paid")).to_be_visible()
    assert_paid_once_with_paypal(stage)


def test_paying_with_paypal_on_the_secure_pay_page(page: Page, stage: Stage) -> None:
    take_paypal(stage, secure_pay_page=True)
    page.goto(f"{stage.site.url}/account#pay")
    portal = page.locator("frontdesk-portal")
    portal.get_by_role("button", name="Pay with PayPal").click()
    with page.expect_popup() as opened:
        portal.get_by_role("button", name="Open the secure payment page").click()
    pay_page = opened.value
    button = pay_page.locator("#paypal-buttons [data-paypal-standin=button]")
    expect(button).to_be_visible()
    # Declined there too: PayPal's reason, and the buttons again.
    approve(pay_page, button, "Pay with a card that declines")
    expect(pay_page.locator("#problem")).to_contain_text(DECLINED_MESSAGE)
    approve(pay_page, button, "Approve and pay")
    # The portal follows along from our server and shows the result.
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received", timeout=15000)
    assert_paid_once_with_paypal(stage)
