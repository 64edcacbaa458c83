"""The Stripe sandbox's own pages as a customer's browser meets them, on a slow machine too."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Stage
from tests.browser.test_pay import card_step, enter_card

pytestmark = pytest.mark.browser


def test_the_banks_window_takes_a_click_made_as_soon_as_it_shows(page: Page, stage: Stage) -> None:
    """On a busy machine the bank's buttons can show before its script has wired them up: a
    click then did nothing, and the payment waited for ever."""

    def late(route: Route) -> None:
        time.sleep(1.5)
        route.continue_()

    page.route("**/v3/three-d-secure.js", late)
    portal, frame = card_step(page, stage)
    enter_card(portal, frame, "4000 0025 0000 3155")
    page.frame_locator('[data-stripe-sandbox="3ds"] iframe').locator("#pass").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
