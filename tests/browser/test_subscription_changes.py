"""A plan's editor in a real browser: the preview follows the form as it is typed (htmx), and the
save lands on the plan's page with the change in words."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from frontdesk.models import Initiator, utcnow
from frontdesk.services import audit, businesses, subscriptions
from frontdesk.services.lines import LineInput
from tests.browser.conftest import Stage
from tests.browser.test_dashboard import sign_in

pytestmark = pytest.mark.browser


def test_the_preview_follows_the_typing_and_the_save_shows_the_change(
    page: Page, stage: Stage
) -> None:
    business, jordan = stage.seeded.business, stage.seeded.signed_in_customer
    with stage.db.session(business.id) as session:
        plan = subscriptions.create(
            session,
            business=business,
            customer=jordan,
            wanted=subscriptions.Wanted(
                name="Lawn care", lines=[LineInput("Weekly mowing", 18000, tax_rate_bp=825)]
            ),
            actor=audit.Actor(Initiator.SYSTEM, "test"),
            today=businesses.today(business),
            now=utcnow(),
        )
    sign_in(page, stage)
    page.goto(f"{stage.portal.url}/dashboard/subscriptions/{plan.id}")
    page.get_by_role("link", name="Change the plan").click()
    preview = page.locator("#plan-change-preview")
    expect(preview).to_contain_text("Nothing is changed yet: each period is $194.85.")
    page.get_by_label("Unit price of line 1").fill("200")
    # No submit: the preview is asked for as the price changes. $200.00 and 8.25 % tax.
    expect(preview).to_contain_text("Each period becomes $216.50 instead of $194.85")
    expect(preview).to_contain_text("nothing to prorate")  # not billed yet
    page.get_by_role("button", name="Save the change").click()
    expect(page.locator("#changes-title")).to_be_visible()
    expect(page.locator("#subscription")).to_contain_text(
        "Each period is now $216.50 instead of $194.85. It applies from the next invoice."
    )
