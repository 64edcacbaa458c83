"""Paying inside the portal on the sample website, through the Stripe.js stand-in and sandbox."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import FrameLocator, Locator, Page, expect
from sqlmodel import col, select

from frontdesk.models import (
    Initiator,
    Invoice,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentMethod,
    PaymentStatus,
    utcnow,
)
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.services import businesses, customers, payments
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from tests.browser.conftest import Stage

pytestmark = pytest.mark.browser


def card_step(page: Page, stage: Stage, link: str = "#pay") -> tuple[Locator, FrameLocator]:
    page.goto(f"{stage.site.url}/account{link}")
    portal = page.locator("frontdesk-portal")
    expect(portal.locator("#fd-pay")).to_be_visible()
    return portal, page.frame_locator("frontdesk-portal [slot=payment] iframe")


def enter_card(portal: Locator, frame: FrameLocator, number: str) -> None:
    portal.locator("#fd-pay button[type=submit]").click()
    expect(portal.locator("[data-fd-confirm]")).to_be_enabled()
    frame.locator("input[name=number]").fill(number)
    frame.locator("input[name=expiry]").fill("12 / 34")
    frame.locator("input[name=cvc]").fill("123")
    portal.locator("[data-fd-confirm]").click()


def invoice_status(stage: Stage, number: str) -> str:
    with stage.db.session(stage.seeded.business.id) as session:
        return session.exec(select(Invoice.status).where(Invoice.number == number)).one()


def test_stripe_js_waits_for_the_card_step(page: Page, stage: Stage) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{stage.site.url}/account")
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    assert not [url for url in requested if url.endswith("/v3/stripe.js")]


def test_paying_the_balance_with_a_tip(page: Page, stage: Stage) -> None:
    portal, frame = card_step(page, stage)
    portal.locator("#fd-pay input[name=tip][value='2000']").check()
    expect(portal.locator(".fd-pay-total")).to_have_attribute("data-amount", str(42017 + 8403))
    enter_card(portal, frame, "4242 4242 4242 4242")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    assert invoice_status(stage, "INV-1002") == InvoiceStatus.PAID
    assert invoice_status(stage, "INV-1003") == InvoiceStatus.PAID
    with stage.db.session(stage.seeded.business.id) as session:
        paid = session.exec(select(Payment).where(Payment.tip > 0)).one()
    assert (paid.amount, paid.tip, paid.status) == (42017, 8403, PaymentStatus.SUCCEEDED)
    # The card number never reached our page: it lives in the processor's frame only.
    assert "4242 4242" not in page.content()


def test_3d_secure_is_completed_in_the_banks_window(page: Page, stage: Stage) -> None:
    portal, frame = card_step(page, stage)
    enter_card(portal, frame, "4000 0025 0000 3155")
    bank = page.frame_locator('[data-stripe-sandbox="3ds"] iframe')
    bank.locator("#pass").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")


def test_closing_the_banks_window_then_paying_with_another_card(page: Page, stage: Stage) -> None:
    portal, frame = card_step(page, stage)
    enter_card(portal, frame, "4000 0025 0000 3155")
    page.frame_locator('[data-stripe-sandbox="3ds"] iframe').locator("#close").click()
    error = portal.locator("[data-fd-error]")
    expect(error).to_contain_text("unable to authenticate your payment method")
    expect(portal.locator("[data-fd-confirm]")).to_be_enabled()
    frame.locator("input[name=number]").fill("4242 4242 4242 4242")
    portal.locator("[data-fd-confirm]").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    assert_paid_once(stage)


def test_leaving_during_3d_secure_and_paying_again_later(page: Page, stage: Stage) -> None:
    portal, frame = card_step(page, stage)
    enter_card(portal, frame, "4000 0025 0000 3155")
    expect(page.locator('[data-stripe-sandbox="3ds"]')).to_be_visible()
    page.reload()  # the customer closes the tab mid-check and comes back later
    for card in ("4000 0025 0000 3155", "4242 4242 4242 4242"):  # the same card, then another
        portal, frame = card_step(page, stage)
        enter_card(portal, frame, card)
        if card.startswith("4000"):
            expect(page.locator('[data-stripe-sandbox="3ds"]')).to_be_visible()
            page.reload()
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    assert "requires_action" not in page.content()
    assert_paid_once(stage)


def assert_paid_once(stage: Stage) -> None:
    """The balance was paid by one payment, through one intent, and the books balance."""
    with (
        StripeProcessor.from_settings(stage.settings) as processor,
        stage.db.session(stage.seeded.business.id) as session,
    ):
        business = businesses.get(session, stage.seeded.business.id)
        paid = session.exec(
            select(Payment).where(
                Payment.status == PaymentStatus.SUCCEEDED,
                col(Payment.processor_reference).is_not(None),
            )
        ).all()
        report = ledger.check(session, business=business, processor=processor, now=utcnow())
    assert len(paid) == 1
    assert invoice_status(stage, "INV-1002") == InvoiceStatus.PAID
    assert report.problems == [] and report.in_flight == [], report.problems


def test_a_declined_card_says_why_and_changes_nothing(page: Page, stage: Stage) -> None:
    portal, frame = card_step(page, stage)
    enter_card(portal, frame, "4000 0000 0000 9995")
    expect(portal.locator("[data-fd-error]")).to_have_text("Your card has insufficient funds.")
    expect(portal.locator("[data-fd-confirm]")).to_be_enabled()
    assert invoice_status(stage, "INV-1002") == InvoiceStatus.OPEN
    with stage.db.session(stage.seeded.business.id) as session:
        assert (
            session.exec(
                select(Payment).where(Payment.status == PaymentStatus.SUCCEEDED, Payment.tip > 0)
            ).all()
            == []
        )


def test_paying_one_invoice_from_its_page(page: Page, stage: Stage) -> None:
    page.goto(f"{stage.site.url}/account#invoice/INV-1002")
    portal = page.locator("frontdesk-portal")
    portal.locator("#fd-invoice a", has_text="Pay this invoice").click()
    expect(portal.locator("#fd-pay input[name=invoice]:checked")).to_have_count(1)
    frame = page.frame_locator("frontdesk-portal [slot=payment] iframe")
    enter_card(portal, frame, "4242 4242 4242 4242")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    assert invoice_status(stage, "INV-1002") == InvoiceStatus.PAID
    assert invoice_status(stage, "INV-1003") == InvoiceStatus.OPEN


def test_ticking_invoices_totals_them_as_the_customer_watches(page: Page, stage: Stage) -> None:
    portal, frame = card_step(page, stage)
    boxes = portal.locator("#fd-pay input[name=invoice]")
    numbers = boxes.evaluate_all("els => els.map(e => e.value)")
    assert numbers[0] == "INV-1002" and len(numbers) > 1
    expect(portal.locator("#fd-pay input[name=invoice]:checked")).to_have_count(len(numbers))
    due = [
        int(a)
        for a in portal.locator("#fd-pay .fd-invoices-to-pay .fd-amount").evaluate_all(
            "els => els.map(e => e.dataset.amount)"
        )
    ]
    total = portal.locator("#fd-pay .fd-pay-total")
    expect(total).to_have_attribute("data-amount", str(sum(due)))
    for box in boxes.all():
        box.uncheck()
    expect(portal.locator("#fd-pay-summary")).to_have_text("Choose an invoice to pay.")
    boxes.first.check()
    expect(total).to_have_attribute("data-amount", str(due[0]))
    enter_card(portal, frame, "4242 4242 4242 4242")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    assert_paid_once(stage)
    assert invoice_status(stage, numbers[1]) == InvoiceStatus.OPEN


def test_quick_changes_leave_the_total_of_the_last_choice(page: Page, stage: Stage) -> None:
    portal, _ = card_step(page, stage)
    boxes = portal.locator("#fd-pay input[name=invoice]")
    assert boxes.count() >= 2

    # Every box unticked in one go, faster than any answer can come back.
    boxes.evaluate_all(
        "els => els.forEach(e => { e.checked = false;"
        " e.dispatchEvent(new Event('change', {bubbles: true})); })"
    )

    expect(portal.locator("#fd-pay-summary")).to_have_text("Choose an invoice to pay.")


def test_save_the_card_then_pay_the_next_invoice_with_one_click(page: Page, stage: Stage) -> None:
    portal, frame = card_step(page, stage, "#pay/INV-1002")
    portal.locator("#fd-pay input[name=save_method]").check()
    enter_card(portal, frame, "4242 4242 4242 4242")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    with stage.db.session(stage.seeded.business.id) as session:
        saved = session.exec(
            select(PaymentMethod).where(PaymentMethod.processor_id != "pm_card_visa")
        ).one()
    assert saved.last4 == "4242" and "save this card" in saved.consent_text and saved.consented_at

    page.goto("about:blank")
    page.goto(f"{stage.site.url}/account#pay/INV-1003")
    portal = page.locator("frontdesk-portal")
    portal.locator("#fd-pay button", has_text="Pay with Visa •••• 4242").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Confirm your payment")
    expect(portal.locator("#fd-pay")).to_contain_text("Charged to your Visa ending 4242")
    portal.locator("#fd-pay button[type=submit]").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    assert invoice_status(stage, "INV-1003") == InvoiceStatus.PAID


def test_an_emailed_link_lets_the_customer_authenticate_a_business_charge(
    page: Page, stage: Stage
) -> None:
    with (
        StripeProcessor.from_settings(stage.settings) as processor,
        stage.db.session(stage.seeded.business.id) as session,
    ):
        business = businesses.get(session, stage.seeded.business.id)
        customer = customers.get(
            session, business=business, customer_id=stage.seeded.signed_in_customer.id
        )
        method = PaymentMethod(
            business_id=business.id,
            customer_id=customer.id,
            brand="visa",
            last4="3155",
            processor_id="pm_card_authenticationRequired",
            consent_text="I authorise it",
        )
        session.add(method)
        chosen = payments.choose(
            session, business=business, customer=customer, numbers=["INV-1002"]
        )
        charged = payments.charge_saved(
            session,
            business=business,
            customer=customer,
            method=method,
            selection=chosen,
            initiated_by=Initiator.STAFF,
            processor=processor,
            links=Links.from_settings(stage.settings),
        )
        assert charged.needs_customer
    # The link the customer gets by email, as the outbox will send it.
    with stage.db.session(stage.seeded.business.id) as session:
        mails = session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
    [mail] = [m for m in mails if m.payload["subject"].startswith("Please confirm your payment")]
    [link] = re.findall(r"https?://\S+", mail.payload["text"])
    assert link.startswith(f"{stage.site.url}/account#frontdesk=")
    page.goto(link)
    portal_element = page.locator("frontdesk-portal")
    expect(portal_element.locator("#fd-pay h2")).to_have_text(
        "Your bank wants to confirm this payment"
    )
    page.frame_locator('[data-stripe-sandbox="3ds"] iframe').locator("#pass").click()
    expect(portal_element.locator("#fd-pay h2")).to_have_text("Payment received")
    assert invoice_status(stage, "INV-1002") == InvoiceStatus.PAID
    assert "frontdesk=" not in page.url


def pay_by_bank(page: Page, stage: Stage, account: str) -> Locator:
    portal, frame = card_step(page, stage, "#pay/INV-1002")
    portal.locator("#fd-pay button[type=submit]").click()
    expect(portal.locator("[data-fd-confirm]")).to_be_enabled()
    frame.locator("input[value=us_bank_account]").check()
    frame.locator("input[name=routing]").fill("110000000")
    frame.locator("input[name=account]").fill(account)
    portal.locator("[data-fd-confirm]").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment processing")
    return portal


def test_a_bank_payment_is_processing_then_paid(page: Page, stage: Stage) -> None:
    portal = pay_by_bank(page, stage, "000123456789")
    portal.locator(".fd-nav a", has_text="Invoices").click()
    row = portal.locator("#fd-invoices tr", has_text="INV-1002")
    expect(row.locator(".fd-badge")).to_have_text("Processing")
    deadline = time.monotonic() + 15
    while invoice_status(stage, "INV-1002") != InvoiceStatus.PAID:
        assert time.monotonic() < deadline, "the bank payment never cleared"
        time.sleep(0.2)


def test_a_bounced_bank_payment_fails_and_leaves_the_invoice_open(page: Page, stage: Stage) -> None:
    pay_by_bank(page, stage, "000111111113")
    deadline = time.monotonic() + 15
    while True:
        with stage.db.session(stage.seeded.business.id) as session:
            failed = session.exec(
                select(Payment).where(Payment.status == PaymentStatus.FAILED)
            ).first()
        if failed:
            break
        assert time.monotonic() < deadline, "the bounce never arrived"
        time.sleep(0.2)
    assert failed.failure_message == "The bank account is closed."
    assert invoice_status(stage, "INV-1002") == InvoiceStatus.OPEN


def test_the_secure_pay_page_takes_the_card_in_its_own_window(page: Page, stage: Stage) -> None:
    with stage.db.unscoped("the test turns on the secure pay page") as session:
        from frontdesk.models import Business

        business = session.get(Business, stage.seeded.business.id)
        assert business is not None
        business.secure_pay_page = True
    host_requests: list[str] = []
    page.on("request", lambda r: host_requests.append(r.url))
    page.goto(f"{stage.site.url}/account#pay/INV-1002")
    portal = page.locator("frontdesk-portal")
    portal.locator("#fd-pay button[type=submit]").click()
    with page.expect_popup() as opened:
        portal.locator("#fd-pay button[data-fd-popup]").click()
    popup = opened.value
    popup.wait_for_load_state()
    csp = popup.evaluate("fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    assert "frame-ancestors 'none'" in csp and "script-src 'self' http://127.0.0.1:" in csp
    frame = popup.frame_locator("#payment-element iframe")
    frame.locator("input[name=number]").fill("4242 4242 4242 4242")
    frame.locator("input[name=expiry]").fill("12 / 34")
    frame.locator("input[name=cvc]").fill("123")
    popup.locator("#pay").click()
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received", timeout=15_000)
    assert invoice_status(stage, "INV-1002") == InvoiceStatus.PAID
    # The card step never ran on the business's website: no Stripe.js there.
    assert not [url for url in host_requests if url.endswith("/v3/stripe.js")]


def test_a_partial_payment_where_the_business_allows_it(page: Page, stage: Stage) -> None:
    with stage.db.unscoped("the test allows partial payments") as session:
        from frontdesk.models import Business

        business = session.get(Business, stage.seeded.business.id)
        assert business is not None
        business.allow_partial_payments, business.partial_payment_minimum = True, 2000
    portal, frame = card_step(page, stage, "#pay/INV-1002")
    amount = portal.locator("#fd-pay input[name=amount]")
    amount.fill("5")
    amount.dispatch_event("change")
    expect(portal.locator("#fd-pay-summary")).to_have_text("Pay between $20.00 and $221.91.")
    # Sent anyway: the form comes back as it was, with the reason beside the amount.
    portal.locator("#fd-pay button[type=submit]").click()
    expect(portal.locator("#fd-err-amount")).to_have_text("Pay between $20.00 and $221.91.")
    expect(amount).to_have_value("5")
    expect(portal.locator("#fd-pay input[name=invoice]:checked")).to_have_count(1)
    amount.fill("100.00")
    amount.dispatch_event("change")
    expect(portal.locator(".fd-pay-total")).to_have_attribute("data-amount", "10000")
    enter_card(portal, frame, "4242 4242 4242 4242")
    expect(portal.locator("#fd-pay h2")).to_have_text("Payment received")
    with stage.db.session(stage.seeded.business.id) as session:
        business = businesses.get(session, stage.seeded.business.id)
        customer = customers.get(
            session, business=business, customer_id=stage.seeded.signed_in_customer.id
        )
        views = {
            v.invoice.number: v
            for v in customers.balance(session, business=business, customer=customer).open_invoices
        }
    assert views["INV-1002"].amount_due == 22191 - 10000
    assert invoice_status(stage, "INV-1002") == InvoiceStatus.OPEN


def test_a_card_added_without_paying_is_saved_with_consent_and_charges_nothing(
    page: Page, stage: Stage
) -> None:
    page.goto(f"{stage.site.url}/account#payments")
    portal = page.locator("frontdesk-portal")
    # The seeded customer has a Visa ending 4242 already.
    portal.get_by_role("button", name="Add another card").click()
    portal.get_by_role("button", name="Continue").click()
    expect(portal.locator("#fd-err-consent")).to_have_text("Tick the box to save a card.")
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
    expect(portal.locator("#fd-methods")).to_contain_text("•••• 3155")
    with stage.db.session(stage.seeded.business.id) as session:
        method = session.exec(select(PaymentMethod).where(PaymentMethod.last4 == "3155")).one()
        pending = session.exec(select(Payment).where(Payment.status != PaymentStatus.SUCCEEDED))
    assert not method.is_default  # the card saved earlier stays the default
    assert method.consent_text.startswith("I authorise") and method.consented_at is not None
    assert pending.all() == []  # nothing was charged
