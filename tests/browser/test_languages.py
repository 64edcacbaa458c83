"""The portal in the customer's language, in Chromium on the sample website: its Spanish page's
snippet says lang="es" and every view follows, through htmx's own requests too; a language chosen
in the profile then outlasts the page's and the browser's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from frontdesk import languages
from frontdesk.languages import gettext
from frontdesk.services import customers
from tests.browser.conftest import Stage

pytestmark = pytest.mark.browser


def said(language: str, message: str) -> str:
    with languages.speaking(language):
        return gettext(message)


def test_the_snippets_language_then_the_customers_own_choice(page: Page, stage: Stage) -> None:
    page.goto(f"{stage.site.url}/es/cuenta")
    portal = page.locator("frontdesk-portal")
    shell = portal.locator(".fd-shell")
    expect(shell).to_have_attribute("lang", "es")
    expect(shell).to_have_attribute("dir", "ltr")
    nav = portal.locator("#fd-nav")
    expect(nav).to_contain_text(said("es", "Invoices"))
    # A later view is htmx's own request: the loader says the snippet's language in a header.
    nav.get_by_role("link", name=said("es", "Invoices")).click()
    expect(portal.locator("#fd-invoices-title")).to_have_text(said("es", "Invoices"))

    nav.get_by_role("link", name=said("es", "Profile")).click()
    profile = portal.locator("#fd-profile")
    profile.get_by_label(said("es", "Show my account in")).select_option("fr")
    profile.get_by_role("button", name=said("es", "Save language")).click()
    expect(shell).to_have_attribute("lang", "fr")
    expect(portal.locator("#fd-profile .fd-saved").first).to_contain_text(
        said("fr", "Saved. Your account, emails and PDFs are in this language now.")
    )
    with stage.db.session(stage.seeded.business.id) as session:
        customer = customers.get(
            session,
            business=stage.seeded.business,
            customer_id=stage.seeded.signed_in_customer.id,
        )
        assert customer.language == "fr"

    # The site's English page, an English browser: the customer's choice comes first.
    page.goto(f"{stage.site.url}/account")
    expect(portal.locator(".fd-shell")).to_have_attribute("lang", "fr")
    expect(portal.locator("#fd-nav")).to_contain_text(said("fr", "Invoices"))
