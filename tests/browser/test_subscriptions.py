"""A plan paused by the customer in Chromium on the sample website: the confirmation says what the
pause skips, nothing is told before it is confirmed, and once it is, the plan says how long it is
paused and the host page hears of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from frontdesk.models import Initiator, StaffUser, Subscription
from frontdesk.rendering import format_day
from frontdesk.services import audit, businesses, subscriptions
from frontdesk.services.lines import LineInput
from tests.browser.conftest import Stage
from tests.browser.test_views import jordan, open_account

pytestmark = pytest.mark.browser


def test_the_customer_pauses_a_plan_until_next_month(page: Page, stage: Stage) -> None:
    business_id = stage.seeded.business.id
    with stage.db.session(business_id) as session:
        business = businesses.get(session, business_id)
        today = businesses.today(business)
        owner = session.exec(select(StaffUser)).first()
        assert owner is not None
        plan = subscriptions.create(
            session,
            business=business,
            customer=jordan(stage),
            wanted=subscriptions.Wanted(
                name="Hedge trimming", lines=[LineInput("Trim and tidy hedges", 6000)]
            ),
            actor=audit.Actor(Initiator.STAFF, owner.id),
            today=today,
            now=datetime.now(UTC),
        )
    until = (today.replace(day=1) + timedelta(days=32)).replace(day=15)

    portal = open_account(page, stage)
    page.evaluate(
        """() => { window.heard = [];
        document.querySelector('frontdesk-portal').addEventListener(
          'frontdesk-subscription-paused', (e) => window.heard.push(e.detail)); }"""
    )
    portal.locator(".fd-nav a", has_text="Plans").click()
    portal.get_by_role("link", name="Hedge trimming").click()
    detail = portal.locator("#fd-subscription")
    expect(detail).to_contain_text("Trim and tidy hedges")
    detail.get_by_label("Pause until").fill(until.isoformat())
    detail.get_by_role("button", name="Pause plan…").click()
    expect(detail.get_by_role("heading", name="Pause this plan?")).to_be_visible()
    expect(detail.locator(".fd-disclosure")).to_contain_text("You won't be billed on")
    expect(detail.locator(".fd-disclosure")).to_contain_text("Billing resumes on")
    assert page.evaluate("window.heard.length") == 0  # shown to confirm: nothing happened yet

    detail.get_by_role("button", name="Confirm pause").click()
    expect(detail.locator(".fd-saved")).to_contain_text("Your plan is paused.")
    expect(detail).to_contain_text(f"Paused until {format_day(until)}")
    heard = page.evaluate("window.heard")
    assert [event["type"] for event in heard] == ["subscription-paused"]
    assert heard[0]["object"]["id"] == plan.id and heard[0]["object"]["status"] == "paused"
    portal.locator(".fd-nav a", has_text="Plans").click()
    row = portal.locator("#fd-subscriptions tr", has_text="Hedge trimming")
    expect(row).to_contain_text(f"Paused until {format_day(until)}")
    with stage.db.session(business_id) as session:
        found = session.get(Subscription, plan.id)
        assert found is not None and found.status == "paused" and found.paused_until == until
