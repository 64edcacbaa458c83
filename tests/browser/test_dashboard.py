"""The dashboard end to end: an owner bills a new customer, who pays through the link on the
business's website in another browser, and the dashboard shows it without a reload."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Stage

pytestmark = pytest.mark.browser


def test_an_owner_bills_a_customer_who_pays_through_the_link(
    page: Page, browser: Browser, stage: Stage
) -> None:
    dashboard = stage.portal.url + "/dashboard"
    page.goto(f"{dashboard}/sign-in")
    page.get_by_label("Email").fill("owner@greenleaf.example")
    page.get_by_label("Password").fill("greenleaf-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()

    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill("Sam Okafor")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("heading", name="Sam Okafor")).to_be_visible()

    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Description of line 1").fill("Lawn aeration")
    page.get_by_label("Unit price of line 1").fill("85")
    page.get_by_label("Description of line 2").fill("Seed")
    page.get_by_label("Quantity of line 2").fill("3")
    page.get_by_label("Unit price of line 2").fill("12.50")
    page.get_by_label("Due date").fill((date.today() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator("[data-due]")).to_have_text("$0.00")  # a draft asks nothing yet
    page.get_by_role("button", name="Send to Sam Okafor").click()
    expect(page.locator(".notice")).to_contain_text("is sent")
    expect(page.locator("[data-due]")).to_have_text("$122.50")

    page.get_by_role("link", name="Sam Okafor").click()
    page.get_by_role("button", name="Show the links").click()
    link = page.locator("#payment-link").input_value()
    assert link.startswith(f"{stage.site.url}/account#frontdesk=")

    customer_browser = browser.new_context()
    try:
        payer = customer_browser.new_page()
        payer.goto(link)
        portal = payer.locator("frontdesk-portal")
        expect(portal.locator("#fd-pay")).to_be_visible()
        expect(portal.locator(".fd-pay-total")).to_have_attribute("data-amount", "12250")
        portal.locator("#fd-pay button[type=submit]").click()
        expect(portal.locator("[data-fd-confirm]")).to_be_enabled()
        frame = payer.frame_locator("frontdesk-portal [slot=payment] iframe")
        frame.locator("input[name=number]").fill("4242 4242 4242 4242")
        frame.locator("input[name=expiry]").fill("12 / 34")
        frame.locator("input[name=cvc]").fill("123")
        portal.locator("[data-fd-confirm]").click()
        expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
        assert "#frontdesk=" not in payer.url  # the token left the address bar
    finally:
        customer_browser.close()

    # No reload: the customer page polls its money section.
    money = page.locator("#customer-money")
    expect(money.locator(".badge-paid")).to_have_text("Paid", timeout=10_000)
    expect(money.locator("[data-payment]")).to_contain_text("$122.50")
    expect(money.locator(".balance")).to_contain_text("Settled")


def sign_in(page: Page, stage: Stage) -> None:
    page.goto(f"{stage.portal.url}/dashboard/sign-in")
    page.get_by_label("Email").fill("owner@greenleaf.example")
    page.get_by_label("Password").fill("greenleaf-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()


def test_the_theme_preview_renders_exactly_as_the_live_portal(page: Page, stage: Stage) -> None:
    sign_in(page, stage)
    page.goto(f"{stage.portal.url}/dashboard/theme")
    page.get_by_label("Theme pack").select_option("citrus")
    page.get_by_label("Accent", exact=True).fill("#0b6e4f")
    page.get_by_label("Corner radius").fill("4px")
    page.get_by_label("Custom CSS").fill(".fd-business { letter-spacing: .02em; }")
    preview = page.frame_locator("#theme-preview")
    # The frame follows the form before anything is published.
    expect(preview.locator("#preview")).to_be_attached()
    expect(page.locator("#theme-preview")).to_have_attribute("src", re.compile("0b6e4f"))
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".notice")).to_contain_text("Published")

    page.set_viewport_size({"width": 900, "height": 1400})
    customer = stage.seeded.signed_in_customer.id
    page.goto(
        f"{stage.portal.url}/dashboard/theme/preview?theme=citrus&accent=%230b6e4f&radius=4px"
        f"&custom_css=.fd-business+%7B+letter-spacing%3A+.02em%3B+%7D&customer={customer}"
    )
    shadow = page.locator("#preview")
    expect(shadow.locator("#fd-home")).to_be_visible()
    page.evaluate("document.fonts.ready")
    previewed = shadow.screenshot()

    live = page.context.new_page()
    live.set_viewport_size({"width": 900, "height": 1400})
    key, token = stage.seeded.business.publishable_key, stage.embed_token()
    live.goto(
        stage.host_page(f'<frontdesk-portal business="{key}" token="{token}"></frontdesk-portal>')
    )
    portal = live.locator("frontdesk-portal")
    expect(portal.locator("#fd-home")).to_be_visible()
    live.evaluate("document.fonts.ready")
    published = portal.screenshot()
    live.close()

    a, b = (
        Image.open(io.BytesIO(previewed)).convert("RGB"),
        Image.open(io.BytesIO(published)).convert("RGB"),
    )
    assert a.size == b.size, (a.size, b.size)
    strong = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 16 else 0)
    changed = strong.histogram()[255]
    assert changed / (a.size[0] * a.size[1]) < 0.001, f"{changed} pixels differ"


def test_the_business_views_a_customers_portal_but_cannot_pay_or_change_it(
    page: Page, stage: Stage
) -> None:
    sign_in(page, stage)
    customer = stage.seeded.signed_in_customer
    page.goto(f"{stage.portal.url}/dashboard/customers/{customer.id}")
    page.get_by_role("link", name="View their portal").click()
    portal = page.locator("frontdesk-portal")
    expect(portal.locator("#fd-home")).to_be_visible()
    expect(portal.locator(".fd-saved")).to_contain_text("Nothing can be paid or changed here")
    portal.locator("#fd-nav a[href='#profile']").click()
    portal.get_by_role("button", name="Save details").click()
    expect(portal.get_by_text("nothing can be paid or changed from here")).to_be_visible()
