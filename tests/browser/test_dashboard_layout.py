"""The dashboard keeps its layout: every action lands on a whole page (or swaps inside one), and
no page is wider than the screen at 375 or 1280 px, even with a 200-character name."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from frontdesk.models import Invoice, Payment
from tests.browser.conftest import Stage
from tests.browser.test_dashboard import sign_in

pytestmark = pytest.mark.browser
LONG_NAME = "Maximiliana " + "Featherstonehaugh-" * 10 + "Cholmondeley"
SHOTS = Path("/tmp/frontdesk-shots")


def assert_whole_page(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("nav.mainnav")).to_be_visible()
    assert page.title().endswith("· Frontdesk"), page.title()


def test_every_create_lands_on_a_whole_page(page: Page, stage: Stage) -> None:
    sign_in(page, stage)
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill("Sam Okafor")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_role("button", name="Create customer").click()
    assert_whole_page(page, "Sam Okafor")

    due = (date.today() + timedelta(days=14)).isoformat()
    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Description of line 1").fill("Lawn aeration")
    page.get_by_label("Unit price of line 1").fill("85")
    page.get_by_label("Due date").fill(due)
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator("[data-due]")).to_have_text("$0.00")
    expect(page.locator("nav.mainnav")).to_be_visible()

    page.get_by_role("link", name="Sam Okafor").click()
    page.get_by_role("link", name="New estimate").click()
    page.get_by_label("Description of line 1").fill("Patio")
    page.get_by_label("Unit price of line 1").fill("2500")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", name="Estimate")).to_be_visible()
    expect(page.locator("nav.mainnav")).to_be_visible()

    page.get_by_role("link", name="Developers").click()
    page.get_by_placeholder("Accounting sync").fill("Bookkeeping sync")
    page.get_by_role("button", name="Create a key").click()
    expect(page.get_by_label("New secret key")).to_be_visible()
    expect(page.locator("nav.mainnav")).to_be_visible()


def dashboard_pages(stage: Stage) -> dict[str, str]:
    """One of every page, with the long-named customer in it where a customer shows."""
    with stage.db.session(stage.seeded.business.id) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "INV-1002")).one()
        payment = session.exec(select(Payment)).first()
        assert payment is not None
    customer = invoice.customer_id
    return {
        "customers": "/dashboard/customers",
        "customer": f"/dashboard/customers/{customer}",
        "customer-new": "/dashboard/customers/new",
        "invoices": "/dashboard/invoices",
        "invoice": f"/dashboard/invoices/{invoice.id}",
        "invoice-new": f"/dashboard/invoices/new?customer={customer}",
        "estimate-new": f"/dashboard/estimates/new?customer={customer}",
        "payments": "/dashboard/payments",
        "payment": f"/dashboard/payments/{payment.id}",
        "activity": "/dashboard/activity",
        "settings": "/dashboard/settings",
        "theme": "/dashboard/theme",
        "gallery": "/dashboard/theme/gallery",
        "developers": "/dashboard/developers",
    }


@pytest.mark.parametrize("width", [375, 1280])
def test_no_dashboard_page_is_wider_than_the_screen(page: Page, stage: Stage, width: int) -> None:
    from frontdesk.models import Customer

    with stage.db.session(stage.seeded.business.id) as session:
        jordan = session.get(Customer, stage.seeded.signed_in_customer.id)
        assert jordan is not None
        jordan.name = LONG_NAME
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, stage)
    SHOTS.mkdir(exist_ok=True)
    wide = {}
    for name, path in dashboard_pages(stage).items():
        page.goto(stage.portal.url + path)
        expect(page.locator("nav.mainnav")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide[path] = overflow
        page.screenshot(path=str(SHOTS / f"dashboard-{width}-{name}.png"), full_page=True)
    assert wide == {}, wide
