"""A contract end to end: the business shares it from its dashboard, the customer signs it inside
the business's website, both download the signed copy, and the public page confirms it, and
refuses a copy changed by one byte."""

from __future__ import annotations

import pytest
from fpdf import FPDF
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Stage
from tests.browser.test_dashboard import sign_in
from tests.browser.test_views import open_account

pytestmark = pytest.mark.browser


def contract() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Snow clearing agreement: driveway and walks, December to March.")
    return bytes(pdf.output())


def test_a_contract_is_shared_signed_downloaded_and_verified(
    page: Page, browser: Browser, stage: Stage
) -> None:
    office = browser.new_context()
    try:
        desk = office.new_page()
        sign_in(desk, stage)
        desk.get_by_role("link", name="Jordan Rivera").first.click()
        card = desk.locator("#documents")
        card.get_by_label("Title").fill("Snow clearing agreement")
        card.get_by_label("Kind").select_option("contract")
        card.get_by_label("Needs signature").check()
        card.locator("input[name=file]").set_input_files(
            files=[{"name": "snow.pdf", "mimeType": "application/pdf", "buffer": contract()}]
        )
        card.get_by_role("button", name="Share with Jordan Rivera").click()
        expect(card.get_by_role("link", name="Snow clearing agreement")).to_be_visible()

        portal = open_account(page, stage)
        page.evaluate(
            """() => { window.heard = [];
            document.querySelector('frontdesk-portal').addEventListener(
              'frontdesk-document-signed', (e) => window.heard.push(e.detail)); }"""
        )
        portal.locator(".fd-nav a", has_text="Documents").click()
        portal.get_by_role("link", name="Snow clearing agreement").click()
        detail = portal.locator("#fd-document")
        expect(detail).to_contain_text("Needs your signature")
        # Signing without the consent is refused in place, with the name kept.
        detail.get_by_label("Type your full name to sign").fill("Jordan Rivera")
        detail.get_by_label("I have read").check()
        detail.get_by_role("button", name="Sign document").click()
        expect(detail.locator("#fd-err-consents")).to_be_visible()
        expect(detail.get_by_label("Type your full name to sign")).to_have_value("Jordan Rivera")
        detail.get_by_label("I agree to sign electronically.").check()
        detail.get_by_role("button", name="Sign document").click()
        expect(detail.locator(".fd-saved")).to_contain_text("Signed.")
        assert page.evaluate("window.heard.map(e => e.type)") == ["document-signed"]
        signed_link = detail.get_by_role("link", name="Download signed copy")
        customer_copy = page.request.get(signed_link.get_attribute("href") or "").body()
        assert customer_copy.startswith(b"%PDF-")

        desk.reload()
        desk.locator("#documents").get_by_role("link", name="Snow clearing agreement").click()
        expect(desk.locator("#document")).to_contain_text("The audit trail holds")
        office_link = desk.get_by_role("link", name="Download the signed copy")
        office_copy = desk.request.get(office_link.get_attribute("href") or "").body()
        assert office_copy == customer_copy

        desk.goto(f"{stage.portal.url}/documents/verify")
        desk.locator("input[name=file]").set_input_files(
            files=[{"name": "signed.pdf", "mimeType": "application/pdf", "buffer": office_copy}]
        )
        desk.get_by_role("button", name="Check").click()
        expect(desk.get_by_role("heading", name="This document is unaltered")).to_be_visible()
        expect(desk.locator("#verify")).to_contain_text("signed by Jordan Rivera")
        changed = bytearray(office_copy)
        changed[len(changed) // 2] ^= 0x01
        desk.locator("input[name=file]").set_input_files(
            files=[{"name": "signed.pdf", "mimeType": "application/pdf", "buffer": bytes(changed)}]
        )
        desk.get_by_role("button", name="Check").click()
        expect(desk.get_by_role("heading", name="No match")).to_be_visible()
    finally:
        office.close()
