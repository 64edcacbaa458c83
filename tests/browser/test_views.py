"""Each portal view on the sample website, in Chromium, against the database's own figures."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from frontdesk.models import Customer, Estimate, EstimateStatus
from frontdesk.services import businesses, customers, estimates, invoices, payments
from tests.browser.conftest import Stage
from tests.factories import make_invoice

pytestmark = pytest.mark.browser


def amounts(locator: Locator) -> list[int]:
    return [int(a) for a in locator.evaluate_all("els => els.map(e => e.dataset.amount)")]


def jordan(stage: Stage) -> Customer:
    return stage.seeded.signed_in_customer


def open_account(page: Page, stage: Stage, hash: str = "") -> Locator:
    page.goto(f"{stage.site.url}/account{hash}")
    portal = page.locator("frontdesk-portal")
    expect(portal.locator(".fd-shell")).to_be_visible()
    return portal


def test_home_shows_the_server_balance_and_open_invoices(page: Page, stage: Stage) -> None:
    portal = open_account(page, stage)
    with stage.db.session(stage.seeded.business.id) as session:
        business = businesses.get(session, stage.seeded.business.id)
        balance = customers.balance(session, business=business, customer=jordan(stage))
        charges = invoices.recent_charges(session, business=business, customer=jordan(stage))
    assert amounts(portal.locator(".fd-balance")) == [balance.amount]
    due = [view.amount_due for view in balance.open_invoices]
    open_invoices = portal.locator("#fd-home .fd-card", has_text="Open invoices")
    assert amounts(open_invoices.locator(".fd-amount")) == due
    # Collapsed, it says how many there are.
    expect(portal.locator(".fd-charges summary")).to_have_text(f"Recent charges ({len(charges)})")
    portal.locator(".fd-charges summary").click()
    assert amounts(portal.locator(".fd-charges .fd-amount")) == [c.amount for c in charges]


def test_every_view_matches_the_database(page: Page, stage: Stage) -> None:
    portal = open_account(page, stage)
    business_id = stage.seeded.business.id
    with stage.db.session(business_id) as session:
        business = businesses.get(session, business_id)
        today = businesses.today(business)
        listed, _ = invoices.list_page(
            session, business=business, customer=jordan(stage), status=None, page=1, today=today
        )
        detail = invoices.get_for_customer(
            session, business=business, customer=jordan(stage), number="INV-1003"
        )
        quotes = estimates.list_for_customer(session, business=business, customer=jordan(stage))
        paid = payments.history(session, business=business, customer=jordan(stage))

    portal.locator(".fd-nav a", has_text="Invoices").click()
    expect(portal.locator("#fd-invoices")).to_be_visible()
    assert amounts(portal.locator("#fd-invoices td[data-amount]")) == [
        v.invoice.total for v in listed
    ]
    due = portal.locator("#fd-invoices td[data-due]")
    assert due.evaluate_all("els => els.map(e => +e.dataset.due)") == [v.amount_due for v in listed]
    expect(portal.locator(".fd-nav a[aria-current=page]")).to_have_text("Invoices")

    portal.locator("#fd-invoices a", has_text="INV-1003").click()
    expect(portal.locator("#fd-invoice")).to_be_visible()
    assert amounts(portal.locator("#fd-invoice .fd-due")) == [detail.amount_due]

    portal.locator(".fd-nav a", has_text="Estimates").click()
    expect(portal.locator("#fd-estimates")).to_be_visible()
    assert amounts(portal.locator("#fd-estimates td[data-amount]")) == [e.total for e in quotes]

    portal.locator(".fd-nav a", has_text="Payments").click()
    expect(portal.locator("#fd-payments")).to_be_visible()
    assert amounts(portal.locator("#fd-payments .fd-amount")) == [
        p.payment.amount + p.payment.tip for p in paid
    ]

    portal.locator(".fd-nav a", has_text="Profile").click()
    expect(portal.locator("#fd-profile input[name=email]")).to_have_value(jordan(stage).email)


def test_filtering_invoices_keeps_the_portal_in_place(page: Page, stage: Stage) -> None:
    portal = open_account(page, stage, "#invoices")
    expect(portal.locator("#fd-invoices")).to_be_visible()
    portal.locator("select[name=status]").select_option("overdue")
    expect(portal.locator("#fd-invoices tbody tr")).to_have_count(1)
    expect(portal.locator("#fd-invoices tbody")).to_contain_text("INV-1002")
    assert page.url.endswith("/account#invoices")


def test_deep_links_open_the_right_view(page: Page, stage: Stage) -> None:
    portal = open_account(page, stage, "#invoice/INV-1002")
    expect(portal.locator("#fd-invoice h2")).to_contain_text("INV-1002")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.evaluate("location.hash = '#estimates'")
    expect(portal.locator("#fd-estimates")).to_be_visible()
    expect(portal.locator(".fd-nav a[aria-current=page]")).to_have_text("Estimates")
    # The host page's own anchor is not a view (the server's table, sent with the shell, says
    # so): the portal stays where it is and asks for nothing.
    page.evaluate("location.hash = '#contact'")
    page.evaluate("location.hash = '#payments'")
    expect(portal.locator("#fd-payments")).to_be_visible()
    views = [url.rsplit("/go/", 1)[1] for url in asked if "/go/" in url]
    assert views == ["estimates", "payments"], views


def test_signing_out_leaves_the_email_sign_in_for_whoever_comes_next(
    page: Page, stage: Stage
) -> None:
    portal = open_account(page, stage)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    portal.get_by_role("button", name="Not you? Sign out").click()
    expect(portal.locator("#fd-sign-in")).to_contain_text("You have signed out.")
    expect(portal.locator("#fd-sign-in input[name=email]")).to_be_visible()
    # The page's token is not traded again: a view link leaves the portal signed out.
    page.evaluate("location.hash = '#invoices'")
    expect(portal.locator("#fd-sign-in")).to_be_visible()
    assert not [url for url in asked if url.endswith("/session") or "/go/" in url], asked


def test_the_pay_step_highlights_no_tab(page: Page, stage: Stage) -> None:
    portal = open_account(page, stage)
    expect(portal.locator(".fd-nav a[aria-current=page]")).to_have_text("Home")
    portal.locator("#fd-home a", has_text="Pay").first.click()
    expect(portal.locator("#fd-pay")).to_be_visible()
    expect(portal.locator(".fd-nav a[aria-current=page]")).to_have_count(0)


def test_a_number_holding_a_slash_opens_from_the_list_and_a_deep_link(
    page: Page, stage: Stage
) -> None:
    business_id = stage.seeded.business.id
    with stage.db.session(business_id) as session:
        business = businesses.get(session, business_id)
        make_invoice(session, business, jordan(stage), amounts=(4200,), number="INV/2026/7")
    portal = open_account(page, stage, "#invoices")
    portal.locator("#fd-invoices a", has_text="INV/2026/7").click()
    expect(portal.locator("#fd-invoice h2")).to_contain_text("INV/2026/7")
    assert page.url.endswith("#invoice/INV%2F2026%2F7"), page.url
    # The same link shared or reloaded opens a new session at the invoice.
    page.reload()
    expect(portal.locator("#fd-invoice h2")).to_contain_text("INV/2026/7")


def test_approving_an_estimate_in_the_portal(page: Page, stage: Stage) -> None:
    portal = open_account(page, stage, "#estimate/EST-101")
    form = portal.locator("#fd-estimate form").first
    form.locator("button").click()
    expect(portal.locator("#fd-err-signer")).to_have_text("Type your full name to sign.")
    form.locator("input[name=signer_name]").fill("Jordan Rivera")
    form.locator("input[name=accept_terms]").check()
    form.locator("button").click()
    expect(portal.locator(".fd-decided")).to_contain_text("Approved by Jordan Rivera")
    with stage.db.session(stage.seeded.business.id) as session:
        estimate = session.exec(select(Estimate).where(Estimate.number == "EST-101")).one()
    assert (estimate.status, estimate.signer_name) == (EstimateStatus.ACCEPTED, "Jordan Rivera")


def test_profile_mistakes_show_beside_their_fields(page: Page, stage: Stage) -> None:
    portal = open_account(page, stage, "#profile")
    portal.locator("input[name=email]").fill("jordan@")
    portal.locator("input[name=postal_code]").fill("")
    portal.locator("#fd-profile").get_by_role("button", name="Save details").click()
    expect(portal.locator("#fd-err-email")).to_contain_text("Enter an email address")
    expect(portal.locator("#fd-err-postal_code")).to_have_text("Enter your postal code.")
    expect(portal.locator("input[name=email]")).to_have_attribute("aria-invalid", "true")
    with stage.db.session(stage.seeded.business.id) as session:
        stored = session.get(Customer, jordan(stage).id)
    assert stored is not None and stored.email == jordan(stage).email


def test_one_customer_never_sees_anothers_documents(page: Page, stage: Stage) -> None:
    with stage.db.session(stage.seeded.business.id) as session:
        sam = session.exec(select(Customer).where(Customer.name == "Sam Chen")).one()
    key = stage.seeded.business.publishable_key
    page.goto(
        stage.host_page(
            f"<frontdesk-portal business='{key}' token='{stage.embed_token(sam.id)}'>"
            "</frontdesk-portal>"
        )
        + "#invoice/INV-1002"
    )
    portal = page.locator("frontdesk-portal")
    expect(
        portal.locator("#fd-home")
    ).to_be_visible()  # Jordan's invoice is not Sam's: home instead
    portal.locator(".fd-nav a", has_text="Invoices").click()
    expect(portal.locator("#fd-invoices")).to_be_visible()
    text = portal.locator("#fd-invoices").inner_text()
    assert "INV-1002" not in text and "INV-1003" not in text and "INV-1004" in text


def test_a_tab_fetches_its_view_once_and_keeps_the_link_shareable(page: Page, stage: Stage) -> None:
    portal = open_account(page, stage)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/portal/" in r.url else None)
    portal.locator(".fd-nav a", has_text="Estimates").click()
    expect(portal.locator("#fd-estimates")).to_be_visible()
    page.wait_for_timeout(300)
    assert [url.rsplit("/", 1)[-1] for url in fetched] == ["estimates"]
    assert page.url.endswith("#estimates")
    page.go_back()
    expect(portal.locator("#fd-home")).to_be_visible()
