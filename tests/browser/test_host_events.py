"""Events to the host page in a real Chromium: a host page on another origin records every event
<frontdesk-portal> dispatches, and each customer action is told once, in the published shape,
with nothing personal in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from playwright.sync_api import Locator, Page, expect

from frontdesk import tokens
from frontdesk.demo import SIGNED_IN_CUSTOMER_EMAIL
from frontdesk.models import Estimate
from tests.browser.conftest import Stage

pytestmark = pytest.mark.browser

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "embed-snippets" / "events.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
PLAIN_SNIPPET = Path(__file__).resolve().parents[2] / "embed-snippets" / "events" / "plain.html"
ALIASES = {"frontdesk:ready", "frontdesk:session-expired", "frontdesk:signed-out"}
# Every event dispatched on the element, whatever its name, and each frontdesk one as a listener
# on the document hears it (so it bubbled out of wherever it was sent, as documented).
RECORDER = """<script>
window.dispatched = [];
window.heard = [];
var dispatch = EventTarget.prototype.dispatchEvent;
EventTarget.prototype.dispatchEvent = function (event) {
  if (this.localName === 'frontdesk-portal') window.dispatched.push(event.type);
  return dispatch.call(this, event);
};
%s.forEach(function (name) {
  document.addEventListener(name, function (e) {
    window.heard.push({name: e.type, detail: JSON.parse(JSON.stringify(e.detail)),
      bubbles: e.bubbles, composed: e.composed, cancelable: e.cancelable,
      target: e.target.localName});
  });
});
</script>"""
# What the seeded customer's details hold that must never reach the host page.
PERSONAL = ["Jordan", "Rivera", SIGNED_IN_CUSTOMER_EMAIL, "555 0142", "Maple", "4242 4242"]


def open_portal(
    page: Page, stage: Stage, token: str | None = None, link: str = "", after: str = ""
) -> Locator:
    """A host page on the third origin, recording, with the portal signed in by `token` and
    `after` it on the page."""
    names = [f"frontdesk-{t}" for t in SCHEMA["properties"]["type"]["enum"]] + sorted(ALIASES)
    key = stage.seeded.business.publishable_key
    element = f"<frontdesk-portal business='{key}' token='{token or stage.embed_token()}'>"
    body = element + "</frontdesk-portal>" + after
    url = stage.host_page(body, head=RECORDER % json.dumps(names))
    page.goto(url + link)
    return page.locator("frontdesk-portal")


def told(page: Page) -> list[dict[str, Any]]:
    """The new names' events the page heard, each checked: the documented dispatch, a detail
    valid under the published schema, and nothing personal."""
    heard: list[dict[str, Any]] = page.evaluate("window.heard")
    dispatched = page.evaluate("window.dispatched")
    assert {f"frontdesk-{e['detail']['type']}" for e in heard} >= set(dispatched) - ALIASES
    events = [e for e in heard if e["name"] not in ALIASES]
    for event in heard:
        assert (event["bubbles"], event["composed"], event["cancelable"]) == (True, True, False)
        assert event["target"] == "frontdesk-portal"
        assert event["name"] in ALIASES or event["name"] == f"frontdesk-{event['detail']['type']}"
        VALIDATOR.validate(event["detail"])
        text = json.dumps(event["detail"])
        for personal in PERSONAL:
            assert personal not in text, f"{personal!r} reached the host page in {event['name']}"
    return [e["detail"] for e in events]


def of_type(page: Page, type: str, count: int = 1) -> list[dict[str, Any]]:
    """Waits for `count` events of `type`, lets a moment pass for any repeat, and returns them."""
    page.wait_for_function(
        f"window.heard.filter(e => e.name === 'frontdesk-{type}').length >= {count}"
    )
    page.wait_for_timeout(300)
    return [e for e in told(page) if e["type"] == type]


def test_loading_and_moving_around_are_told_once_each(page: Page, stage: Stage) -> None:
    portal = open_portal(page, stage)
    expect(portal.locator("#fd-home")).to_be_visible()
    [ready] = of_type(page, "ready")
    [signed_in] = of_type(page, "signed-in")
    customer = stage.seeded.signed_in_customer.id
    assert ready["object"] == {
        "kind": "portal",
        "id": stage.seeded.business.publishable_key,
        "status": "signed-in",
    }
    assert ready["customer"] == signed_in["customer"] == signed_in["object"]["id"] == customer
    # The colon names still come, for one release, with the same detail.
    aliases = [e for e in page.evaluate("window.heard") if e["name"] == "frontdesk:ready"]
    assert [a["detail"] for a in aliases] == [ready]

    portal.locator(".fd-nav a", has_text="Invoices").click()
    expect(portal.locator("#fd-invoices")).to_be_visible()
    portal.locator("#fd-invoices a", has_text="INV-1002").click()
    expect(portal.locator("#fd-invoice")).to_be_visible()
    page.go_back()  # the back button: the hash changes, and the portal follows it
    expect(portal.locator("#fd-invoices")).to_be_visible()
    portal.locator(".fd-nav a", has_text="Invoices").click()  # the same view: not a change
    views = [e["object"]["id"] for e in of_type(page, "view-changed", 3)]
    assert views == ["invoices", "invoice/INV-1002", "invoices"]

    page.evaluate("location.hash = '#invoice/INV-9999'")  # answered 404
    expect(portal.locator("#fd-notice")).to_be_visible()
    [error] = of_type(page, "error")
    assert error["object"]["status"] == "404" and len(error["object"]["id"]) == 16
    assert len(of_type(page, "view-changed")) == 3


def test_a_declined_card_then_a_good_one_then_one_click(page: Page, stage: Stage) -> None:
    portal = open_portal(page, stage, link="#pay/INV-1002", after=PLAIN_SNIPPET.read_text())
    enter_card(page, portal, "4000 0000 0000 9995")
    expect(portal.locator("[data-fd-error]")).to_have_text("Your card has insufficient funds.")
    [failed] = of_type(page, "payment-failed")
    assert failed["object"]["status"] == "pending"  # the same step can take another card
    frame = page.frame_locator("frontdesk-portal [slot=payment] iframe")
    frame.locator("input[name=number]").fill("4242 4242 4242 4242")
    portal.locator("[data-fd-confirm]").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    [paid] = of_type(page, "payment-succeeded")
    assert paid["object"]["id"] == failed["object"]["id"]
    assert (paid["object"]["amount"], paid["object"]["currency"]) == (22191, "USD")
    assert paid["object"]["status"] == "succeeded"

    # The next invoice in one click, with the saved card.
    page.evaluate("location.hash = '#pay/INV-1003'")
    portal.locator("#fd-pay button", has_text="Pay with Visa •••• 4242").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Confirm your payment")
    portal.locator("#fd-pay button[type=submit]").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    first, second = of_type(page, "payment-succeeded", 2)
    assert first == paid and second["object"]["id"] != paid["object"]["id"]
    assert len(of_type(page, "payment-failed")) == 1
    # The plain JavaScript example, pasted as it is, told the page's analytics of each payment.
    purchases = page.evaluate("window.dataLayer")
    assert [p["transaction_id"] for p in purchases] == [e["object"]["id"] for e in (first, second)]
    assert purchases[0]["value"] == 221.91


def enter_card(page: Page, portal: Locator, number: str) -> None:
    portal.locator("#fd-pay button[type=submit]").click()
    expect(portal.locator("[data-fd-confirm]")).to_be_enabled()
    frame = page.frame_locator("frontdesk-portal [slot=payment] iframe")
    frame.locator("input[name=number]").fill(number)
    frame.locator("input[name=expiry]").fill("12 / 34")
    frame.locator("input[name=cvc]").fill("123")
    portal.locator("[data-fd-confirm]").click()


def test_saving_a_card_making_it_the_default_and_removing_it(page: Page, stage: Stage) -> None:
    portal = open_portal(page, stage)
    portal.locator(".fd-nav a", has_text="Payments").click()
    portal.get_by_role("button", name="Add another card").click()
    portal.locator("input[name=consent]").check()
    portal.get_by_role("button", name="Continue").click()
    expect(portal.locator("[data-fd-confirm]")).to_be_enabled()
    frame = page.frame_locator("frontdesk-portal [slot=payment] iframe")
    frame.locator("input[name=number]").fill("4000 0025 0000 3155")
    frame.locator("input[name=expiry]").fill("12 / 34")
    frame.locator("input[name=cvc]").fill("123")
    portal.locator("[data-fd-confirm]").click()
    page.frame_locator('[data-stripe-sandbox="3ds"] iframe').locator("#pass").click()
    expect(portal.locator("#fd-payments .fd-saved")).to_have_text("Your card is saved.")
    [saved] = of_type(page, "payment-method-saved")
    card = saved["object"]["id"]
    row = portal.locator("#fd-methods li", has_text="•••• 3155")
    row.get_by_role("button", name="Make default").click()
    [default] = of_type(page, "payment-method-default-changed")
    row.get_by_role("button", name="Remove").click()
    expect(portal.locator("#fd-methods")).not_to_contain_text("3155")
    [removed] = of_type(page, "payment-method-removed")
    assert card.startswith("pm_") and default["object"]["id"] == removed["object"]["id"] == card
    assert "3155" not in json.dumps(told(page))


def test_accepting_an_estimate_and_updating_the_profile(page: Page, stage: Stage) -> None:
    portal = open_portal(page, stage)
    portal.locator(".fd-nav a", has_text="Estimates").click()
    portal.locator("#fd-estimates a").first.click()
    estimate = portal.locator("#fd-estimate")
    estimate.locator("input[name=signer_name]").fill("Jordan Rivera")
    estimate.locator("input[name=accept_terms]").check()
    estimate.get_by_role("button", name="Approve and sign").click()
    expect(estimate.locator(".fd-decided")).to_contain_text("Approved by Jordan Rivera")
    [accepted] = of_type(page, "estimate-accepted")
    with stage.db.session(stage.seeded.business.id) as session:
        decided = session.get(Estimate, accepted["object"]["id"])
        assert decided is not None
    assert (accepted["object"]["number"], accepted["object"]["amount"]) == (
        decided.number,
        decided.total,
    )
    assert accepted["object"]["status"] == "accepted"

    portal.locator(".fd-nav a", has_text="Profile").click()
    portal.locator("input[name=city]").fill("Shelbyville")
    portal.get_by_role("button", name="Save details").click()
    expect(portal.locator("#fd-profile")).to_contain_text("Saved.")
    [updated] = of_type(page, "customer-updated")
    assert updated["object"] == {"kind": "customer", "id": stage.seeded.signed_in_customer.id}
    assert "Shelbyville" not in json.dumps(told(page))


def test_signing_out_and_an_expired_session(page: Page, stage: Stage) -> None:
    portal = open_portal(page, stage)
    expect(portal.locator("#fd-home")).to_be_visible()
    page.wait_for_timeout((stage.settings.portal_session_seconds + 1) * 1000)
    portal.locator(".fd-nav a", has_text="Invoices").click()
    [expired] = of_type(page, "session-expired")
    # With a token on the element the portal starts over by itself, and says so.
    ready, again = of_type(page, "ready", 2)
    assert expired["object"]["id"] == stage.seeded.signed_in_customer.id
    assert again["id"] != ready["id"]
    expect(portal.locator("#fd-invoices")).to_be_visible()  # where the customer was going

    portal.get_by_role("button", name="Not you? Sign out").click()
    expect(portal.locator("#fd-sign-in [role=status]")).to_contain_text("You have signed out")
    [signed_out] = of_type(page, "signed-out")
    assert signed_out["customer"] == signed_out["object"]["id"]
    names = [e["name"] for e in page.evaluate("window.heard")]
    assert names.count("frontdesk:signed-out") == names.count("frontdesk:session-expired") == 1


def test_the_businesss_read_only_look_tells_the_page_nothing(page: Page, stage: Stage) -> None:
    customer = stage.seeded.signed_in_customer
    token = tokens.mint(
        stage.settings.secret_key,
        tokens.Purpose.EMBED,
        business_id=stage.seeded.business.id,
        customer_id=customer.id,
        link_version=customer.link_version,
        ro=1,
    )
    portal = open_portal(page, stage, token)
    expect(portal.locator(".fd-saved")).to_contain_text("Nothing can be paid or changed here")
    portal.locator(".fd-nav a", has_text="Invoices").click()
    expect(portal.locator("#fd-invoices")).to_be_visible()
    page.wait_for_timeout(300)
    assert page.evaluate("window.dispatched") == []
    assert page.evaluate("window.heard") == []
