"""A business made at the command line connects its own (sandbox) Stripe account from the
dashboard, in the browser; its customer, on its own sample website, is told how to pay while Stripe
still needs something, and pays by card once it has it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from frontdesk.models import Customer, utcnow
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.sample_site import create_app as create_sample_site
from frontdesk.services import businesses
from frontdesk.services.payments import ledger
from tests.browser.conftest import Stage
from tests.browser.test_pay import enter_card
from tests.conftest import LiveServer
from tests.factories import make_customer, make_invoice
from tests.test_cli import run

pytestmark = pytest.mark.browser
OWNER, PASSWORD = "owner@birch-lane.example", "birch lane pools 2026"


@pytest.fixture
def site() -> Iterator[LiveServer]:
    """The new business's own website (its origin is named when the business is created)."""
    server = LiveServer()
    yield server
    server.stop()


def _created(stage: Stage, site: LiveServer) -> dict[str, str]:
    made = run(
        "business",
        "create",
        "--name",
        "Birch Lane Pools",
        "--owner-email",
        OWNER,
        "--owner-password",
        PASSWORD,
        "--allowed-origin",
        site.url,
        database_url=stage.db.url,
        secret_key=",".join(stage.settings.secret_key),
        base_url=stage.settings.base_url,
    )
    assert made.returncode == 0, made.stderr
    created: dict[str, str] = json.loads(made.stdout)
    return created


def _owner_signs_in(page: Page, stage: Stage) -> None:
    page.goto(f"{stage.portal.url}/dashboard/sign-in")
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    page.goto(f"{stage.portal.url}/dashboard/settings")


def test_a_business_from_the_cli_connects_stripe_and_its_customer_pays(
    page: Page, stage: Stage, site: LiveServer
) -> None:
    created = _created(stage, site)
    business_id = created["business_id"]
    with stage.db.session(business_id) as session:
        business = businesses.get(session, business_id)
        customer: Customer = make_customer(session, business, name="Robin Reyes")
        make_invoice(session, business, customer, amounts=(18500,), number="BLP-1")
    site.start(create_sample_site(stage.settings, business, customer, created["secret_api_key"]))

    # The owner starts Stripe's onboarding from settings and leaves a requirement due.
    _owner_signs_in(page, stage)
    expect(page.locator("#connect")).to_contain_text("Not connected")
    page.get_by_role("button", name="Connect Stripe").click()
    expect(page.get_by_role("heading", name="Set up payments for Birch Lane Pools")).to_be_visible()
    page.get_by_role("button", name="Submit, but leave requirements due").click()
    expect(page.locator("#connect")).to_contain_text("Stripe needs more information")
    expect(page.locator("#connect")).to_contain_text("an identity document")

    # Meanwhile the customer, on the business's website, is told how to pay instead.
    customer_page = page.context.new_page()
    customer_page.goto(f"{site.url}/account")
    portal = customer_page.locator("frontdesk-portal")
    expect(portal.locator("#fd-home")).to_contain_text("Online payment is not available yet")
    expect(portal.locator("#fd-home .fd-contact")).to_contain_text(OWNER)
    expect(portal.get_by_role("link", name="Pay $185.00")).to_have_count(0)

    # The owner finishes with Stripe; the customer pays by card.
    page.get_by_role("button", name="Finish setup with Stripe").click()
    page.get_by_role("button", name="Submit details").click()
    expect(page.locator("#connect")).to_contain_text("Connected: customers can pay online.")

    customer_page.goto(f"{site.url}/account#pay")
    expect(portal.locator("#fd-pay")).to_be_visible()
    frame = customer_page.frame_locator("frontdesk-portal [slot=payment] iframe")
    enter_card(portal, frame, "4242 4242 4242 4242")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    customer_page.close()

    page.goto(f"{stage.portal.url}/dashboard/payments")
    expect(page.locator("main")).to_contain_text("Robin Reyes")
    with stage.db.session(business_id) as session:
        account = businesses.get(session, business_id).processor_account
    assert account and account.startswith("acct_")
    assert_books_balance_of(stage, business_id)


def assert_books_balance_of(stage: Stage, business_id: str) -> None:
    """The ledger invariant for this business, against the sandbox, once its webhooks are in."""
    deadline = time.monotonic() + 60
    with StripeProcessor.from_settings(stage.settings) as processor:
        while True:
            with stage.db.session(business_id) as session:
                business = businesses.get(session, business_id)
                report = ledger.check(session, business=business, processor=processor, now=utcnow())
            if not report.in_flight or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert report.problems == [] and report.in_flight == [], report.problems
    assert report.counts["charges"] == 1
