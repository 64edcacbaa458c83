"""The widget in Chromium keeps a view it holds: going back to a view whose data has not moved,
the browser revalidates it with its entity tag, the portal answers 304 without drawing it, and
htmx shows the copy the browser kept; once something in it moves, the view is drawn again."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, Response, expect

from frontdesk.models import Business, Customer
from tests.browser.conftest import Stage
from tests.factories import make_invoice

pytestmark = pytest.mark.browser


def test_a_view_the_widget_holds_is_answered_304_and_shown_again(
    page: Page, stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    # The tag holds the minute: a fixed clock keeps the test off a minute's edge.
    now = datetime.now(UTC)
    assert stage.portal.app is not None
    stage.portal.app.state.clock = lambda: now
    caplog.set_level(logging.INFO, logger="frontdesk.requests")
    answers: list[str] = []  # the request ids of the invoice list's answers, in order

    def said(count: int) -> list[int]:
        """What the portal answered the first `count`, by its own request log: Chromium shows a
        304's kept copy as a 200 to the page and to Playwright alike. Playwright may tell of an
        answer after the page shows it, and the log line is written just after the answer is
        sent, so wait for both."""
        deadline = time.monotonic() + 10
        while True:
            logged = {
                r.__dict__["request_id"]: r.__dict__["status"]
                for r in caplog.records
                if r.name == "frontdesk.requests"
            }
            heard_all = len(answers) >= count and all(one in logged for one in answers)
            if heard_all or time.monotonic() > deadline:
                return [logged.get(request_id, 0) for request_id in answers]
            page.wait_for_timeout(20)

    def heard(response: Response) -> None:
        if response.request.method == "GET" and urlparse(response.url).path.endswith("/invoices"):
            answers.append(response.all_headers()["x-request-id"])

    page.on("response", heard)
    page.goto(f"{stage.site.url}/account")
    portal = page.locator("frontdesk-portal")
    nav = portal.locator("#fd-nav")
    invoices = portal.locator("#fd-invoices")
    nav.get_by_role("link", name="Invoices").click()
    expect(invoices).to_be_visible()
    drawn = invoices.inner_text()

    nav.get_by_role("link", name="Home").click()
    expect(portal.locator("#fd-home")).to_be_visible()
    nav.get_by_role("link", name="Invoices").click()
    expect(invoices).to_be_visible()
    assert invoices.inner_text() == drawn
    assert said(2) == [200, 304]

    with stage.db.session(stage.seeded.business.id) as session:
        business = session.get(Business, stage.seeded.business.id)
        customer = session.get(Customer, stage.seeded.signed_in_customer.id)
        assert business is not None and customer is not None
        make_invoice(session, business, customer, amounts=(4321,), number="INV-ETAG-1")
    nav.get_by_role("link", name="Home").click()
    expect(portal.locator("#fd-home")).to_be_visible()
    nav.get_by_role("link", name="Invoices").click()
    expect(invoices).to_contain_text("INV-ETAG-1")
    assert said(3) == [200, 304, 200]
