"""Messages in real Chromium: the customer in the sample website's embed and the owner in the
dashboard (two browser contexts) write to each other; each sees the other's message within a
poll, and a poll that finds nothing new is answered 304 and swaps nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from frontdesk.demo import OWNER_EMAIL, OWNER_PASSWORD
from tests.browser.conftest import Stage

pytestmark = pytest.mark.browser

POLL_SECONDS = 1
# Changes to a thread's part of the page that a swap or a morph makes (htmx's own class for a
# request in flight aside), counted on the page.
WATCH = """(thread) => {
  window.threadChanges = [];
  const seen = (c) => {
    if (c.attributeName !== 'class') window.threadChanges.push(c.type + ' ' + c.attributeName);
  };
  new MutationObserver((changes) => changes.forEach(seen)).observe(thread.parentNode,
    {subtree: true, childList: true, attributes: true, characterData: true});
}"""


@pytest.fixture
def desk(browser: Browser, stage: Stage) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{stage.portal.url}/dashboard/sign-in")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    yield page
    context.close()


def polled(response: Response, status: int) -> bool:
    # The portal's /messages/thread, or the dashboard's /messages/<customer>/thread.
    return (
        "/messages/" in response.url
        and response.url.endswith("/thread")
        and (response.status == status)
    )


def test_customer_and_office_exchange_messages_within_a_poll(
    page: Page, desk: Page, stage: Stage
) -> None:
    # The setting the threads are drawn with: ask every second instead of every ten.
    settings = stage.portal.app.state.settings  # type: ignore[union-attr]
    fast = settings.model_copy(update={"message_poll_seconds": POLL_SECONDS})
    stage.portal.app.state.settings = fast  # type: ignore[union-attr]
    customer = stage.seeded.signed_in_customer

    page.goto(f"{stage.site.url}/account")
    portal = page.locator("frontdesk-portal")
    portal.get_by_role("link", name=re.compile("^Messages")).click()
    thread = portal.locator("#fd-thread")
    expect(thread).to_be_visible()
    desk.goto(f"{stage.portal.url}/dashboard/messages/{customer.id}")
    office = desk.locator("#staff-thread")
    expect(desk.get_by_role("heading", name=f"Messages with {customer.name}")).to_be_visible()

    # The customer writes; the office's open conversation shows it at its next poll.
    composer = portal.get_by_label(re.compile("^Message to"))
    composer.fill("Could you trim the hedge too?")
    portal.get_by_role("button", name="Send").click()
    expect(thread).to_contain_text("Could you trim the hedge too?")
    expect(composer).to_have_value("")  # sent: a second click has nothing to send again
    expect(office).to_contain_text("Could you trim the hedge too?", timeout=POLL_SECONDS * 5000)

    # The office answers; the customer's open thread shows it at its next poll, with the
    # business's name, and then "Seen" comes back to the office.
    desk.get_by_label(re.compile("^Reply to")).fill("Yes, on Thursday.\nBring nothing.")
    desk.get_by_role("button", name="Send reply").click()
    expect(office).to_contain_text("Yes, on Thursday.")
    expect(thread).to_contain_text("Yes, on Thursday.", timeout=POLL_SECONDS * 5000)
    expect(thread).to_contain_text(stage.seeded.business.name)
    reply = office.locator("article", has_text="Yes, on Thursday.")
    expect(reply).to_contain_text("Seen", timeout=POLL_SECONDS * 5000)

    # Nothing new: polls are answered 304 and neither thread swaps.
    thread.evaluate(WATCH)
    office.evaluate(WATCH)
    answered: list[int] = []
    for side in (page, desk):
        side.on("response", lambda r: answered.append(r.status) if polled(r, r.status) else None)
    for side in (page, desk):
        for _ in range(2):
            with side.expect_response(lambda r: polled(r, 304), timeout=POLL_SECONDS * 5000):
                pass
    assert set(answered) == {304}
    assert page.evaluate("window.threadChanges") == []
    assert desk.evaluate("window.threadChanges") == []
