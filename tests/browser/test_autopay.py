"""Automatic payments turned on by the customer in Chromium on the sample website: a card saved
while paying, the words for that card agreed to under Payments, the host page told, then the next
invoice charged by the scheduler on its due date and shown as paid in the portal."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from frontdesk import scheduler
from frontdesk.models import AutopayEnrollment, Invoice, InvoiceStatus
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.services import businesses
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from tests.browser.conftest import Stage
from tests.browser.test_pay import card_step, enter_card, invoice_status

pytestmark = pytest.mark.browser


def test_the_customer_turns_on_automatic_payments_and_the_next_invoice_is_charged(
    page: Page, stage: Stage
) -> None:
    business_id = stage.seeded.business.id
    portal, frame = card_step(page, stage, "#pay/INV-1002")
    portal.locator("#fd-pay input[name=save_method]").check()
    enter_card(portal, frame, "4242 4242 4242 4242")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")

    page.goto("about:blank")
    page.goto(f"{stage.site.url}/account#payments")
    portal = page.locator("frontdesk-portal")
    page.evaluate(
        """() => { window.heard = [];
        document.querySelector('frontdesk-portal').addEventListener(
          'frontdesk-autopay-changed', (e) => window.heard.push(e.detail)); }"""
    )
    panel = portal.locator("#fd-autopay")
    panel.get_by_role("button", name="Set up automatic payments").click()
    expect(panel).to_contain_text("to charge my Visa ending 4242 automatically")
    panel.get_by_role("button", name="Turn on automatic payments").click()
    expect(panel.locator(".fd-error")).to_contain_text("Tick the box")
    assert page.evaluate("window.heard.length") == 0
    panel.locator("input[name=consent]").check()
    panel.get_by_role("button", name="Turn on automatic payments").click()
    expect(panel.locator(".fd-saved")).to_have_text("Automatic payments are on.")
    expect(panel).to_contain_text("Next: invoice INV-1003")
    heard = page.evaluate("window.heard")
    assert [(e["type"], e["object"]["status"]) for e in heard] == [("autopay-changed", "on")]

    with stage.db.session(business_id) as session:
        enrolled = session.exec(select(AutopayEnrollment)).one()
        assert "Visa ending 4242" in enrolled.consent_text and "HeadlessChrome" in (
            enrolled.consent_user_agent
        )
        business = businesses.get(session, business_id)
        due = session.exec(select(Invoice.due_date).where(Invoice.number == "INV-1003")).one()
        zone = ZoneInfo(business.time_zone)
    charge_at = datetime.combine(due, time(6), tzinfo=zone).astimezone(UTC)
    with StripeProcessor.from_settings(stage.settings) as processor:
        links = Links.from_settings(stage.settings)
        scheduler.run_due(stage.db, links, processor, charge_at + timedelta(minutes=1))
        assert invoice_status(stage, "INV-1003") == InvoiceStatus.PAID
        with stage.db.session(business_id) as session:
            business = businesses.get(session, business_id)
            report = ledger.check(session, business=business, processor=processor, now=charge_at)
            assert report.problems == []

    page.goto("about:blank")
    page.goto(f"{stage.site.url}/account#payments")
    history = page.locator("frontdesk-portal #fd-payments")
    expect(history).to_contain_text("INV-1003")
    expect(history.locator("#fd-autopay")).to_contain_text("Each invoice is charged to your Visa")
