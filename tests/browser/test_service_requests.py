"""A service request end to end: the customer asks on the business's website, the business
replies from its dashboard in another browser, and the customer sees the reply."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from frontdesk.models import ServiceRequest
from frontdesk.services import businesses
from tests.browser.conftest import Stage
from tests.browser.test_dashboard import sign_in
from tests.browser.test_views import open_account

pytestmark = pytest.mark.browser


def test_a_customer_asks_for_work_and_sees_the_business_reply(
    page: Page, browser: Browser, stage: Stage
) -> None:
    with stage.db.session(stage.seeded.business.id) as session:
        business = businesses.get(session, stage.seeded.business.id)
        tomorrow = (businesses.today(business) + timedelta(days=1)).isoformat()
    portal = open_account(page, stage)
    # The host page hears of the request (the loader dispatches from the element).
    page.evaluate(
        """() => { window.heard = [];
        document.querySelector('frontdesk-portal').addEventListener(
          'frontdesk-service-request-created', (e) => window.heard.push(e.detail)); }"""
    )
    portal.locator(".fd-nav a", has_text="Requests").click()
    portal.get_by_role("button", name="Request service").click()
    form = portal.locator("#fd-service-request-form")
    form.get_by_label("What do you need done?").fill("The back gate sticks when it rains.")
    form.get_by_role("radio", name="Another address").check()
    form.get_by_label("Street address").fill("12 Orchard Lane")
    form.get_by_label("City").fill("Springfield")
    form.locator("input[name=window_date]").first.fill(tomorrow)
    form.locator("select[name=window_part]").first.select_option("morning")
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(photo, "PNG")
    form.locator("input[name=photos]").set_input_files(
        files=[{"name": "gate.png", "mimeType": "image/png", "buffer": photo.getvalue()}]
    )
    form.get_by_role("button", name="Send request").click()

    detail = portal.locator("#fd-service-request")
    expect(detail.locator("h2")).to_contain_text("REQ-")
    expect(detail).to_contain_text("The back gate sticks when it rains.")
    expect(detail).to_contain_text(f"{tomorrow} (morning)")
    # The photo went up with the form (multipart from inside the shadow root) and loads back.
    thumbnail = detail.get_by_role("img", name="gate.png")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.decode().then(() => img.naturalWidth)") == 64
    number = detail.locator("h2").inner_text().split()[1]
    assert page.evaluate("window.heard.map(e => e.object.number)") == [number]
    with stage.db.session(stage.seeded.business.id) as session:
        stored = session.exec(select(ServiceRequest).where(ServiceRequest.number == number)).one()
    assert stored.address_line1 == "12 Orchard Lane"

    office = browser.new_context()
    try:
        desk = office.new_page()
        sign_in(desk, stage)
        desk.get_by_role("link", name="Requests").click()
        desk.get_by_role("link", name=number).click()
        expect(desk.get_by_role("heading", name=f"Request {number}")).to_be_visible()
        expect(desk.get_by_role("img", name="gate.png")).to_be_visible()
        desk.get_by_label("Reply to").fill("We can fix it on Thursday morning.")
        desk.get_by_role("button", name="Send reply").click()
        expect(desk.locator(".notice")).to_contain_text("Replied")
    finally:
        office.close()

    portal.locator(".fd-nav a", has_text="Requests").click()
    portal.locator("#fd-service-requests a", has_text=number).click()
    expect(portal.locator("#fd-service-request")).to_contain_text(
        "We can fix it on Thursday morning."
    )
