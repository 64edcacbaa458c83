"""The embed in a real Chromium: the portal on host pages of another origin, as customers see it."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Page, expect
from sqlmodel import select

from frontdesk import money
from frontdesk.models import Customer
from frontdesk.services import businesses, customers
from tests.browser.conftest import Stage
from tests.factories import make_business, make_customer

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "widget" / "node_modules" / "axe-core" / "axe.min.js"


def looks_the_same(first: bytes, second: bytes, corner: int = 12, tolerance: int = 3) -> bool:
    """Same pixels, within anti-aliasing jitter, except where each page's own background shows:
    the rounded corners and the fractional last pixel of each edge."""
    a, b = (Image.open(io.BytesIO(png)).convert("RGB") for png in (first, second))
    if a.size != b.size:
        return False
    difference = (
        ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > tolerance else 0)
    )
    w, h = a.size
    for box in [(0, 0), (w - corner, 0), (0, h - corner), (w - corner, h - corner)]:
        difference.paste(0, (*box, box[0] + corner, box[1] + corner))
    return difference.crop((1, 1, w - 1, h - 1)).getbbox() is None


def balance_on_server(stage: Stage, customer_id: str) -> str:
    with stage.db.session(stage.seeded.business.id) as session:
        business = businesses.get(session, stage.seeded.business.id)
        customer = customers.get(session, business=business, customer_id=customer_id)
        balance = customers.balance(session, business=business, customer=customer)
    return money.format_amount(balance.amount, balance.currency, business.locale)


def test_the_portal_loads_with_a_token_on_the_sample_website(page: Page, stage: Stage) -> None:
    page.goto(f"{stage.site.url}/account")
    balance = page.locator("frontdesk-portal .fd-balance")
    expect(balance).to_have_text(balance_on_server(stage, stage.seeded.signed_in_customer.id))
    expect(page.locator("frontdesk-portal .fd-who")).to_contain_text("Jordan Rivera")
    assert page.evaluate("typeof window.htmx.version") == "string"
    assert page.evaluate("window.htmx.version") == "2.0.11"  # the host's own htmx, untouched


def test_the_hosts_own_htmx_fires_once_per_click(page: Page, stage: Stage) -> None:
    page.goto(f"{stage.site.url}/account")
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    page.click("#show-specials")
    expect(page.locator("#specials")).to_contain_text("Shown 1 times")
    page.click("#show-specials")
    expect(page.locator("#specials")).to_contain_text("Shown 2 times")


def test_without_a_token_the_portal_says_how_to_sign_in(page: Page, stage: Stage) -> None:
    key = stage.seeded.business.publishable_key
    page.goto(stage.host_page(f"<frontdesk-portal business='{key}'></frontdesk-portal>"))
    expect(page.locator("frontdesk-portal #fd-sign-in")).to_contain_text("Greenleaf Garden Care")


def test_a_token_in_the_url_fragment_signs_in_and_leaves_the_address_bar(
    page: Page, stage: Stage
) -> None:
    key = stage.seeded.business.publishable_key
    url = stage.host_page(f"<frontdesk-portal business='{key}'></frontdesk-portal>")
    page.goto(f"{url}#frontdesk={stage.embed_token()}")
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    assert "frontdesk=" not in page.evaluate("location.href")


def test_two_portals_on_one_page_show_their_own_customers(page: Page, stage: Stage) -> None:
    with stage.db.session(stage.seeded.business.id) as session:
        sam = session.exec(select(Customer).where(Customer.name == "Sam Chen")).one()
    key = stage.seeded.business.publishable_key
    page.goto(
        stage.host_page(
            f"<frontdesk-portal business='{key}' token='{stage.embed_token()}'>"
            "</frontdesk-portal>"
            f"<frontdesk-portal business='{key}' token='{stage.embed_token(sam.id)}'>"
            "</frontdesk-portal>"
        )
    )
    first, second = page.locator("frontdesk-portal").nth(0), page.locator("frontdesk-portal").nth(1)
    expect(first.locator(".fd-who")).to_contain_text("Jordan Rivera")
    expect(second.locator(".fd-who")).to_contain_text("Sam Chen")
    expect(second.locator(".fd-balance")).to_have_text(
        f"Account credit: {balance_on_server(stage, sam.id).lstrip('-')}"
    )


def test_an_element_added_after_the_script_ran_works(page: Page, stage: Stage) -> None:
    key = stage.seeded.business.publishable_key
    page.goto(stage.host_page("<div id='later'></div>"))
    page.wait_for_function("!!customElements.get('frontdesk-portal')")
    page.evaluate(
        """([key, token]) => {
            const el = document.createElement('frontdesk-portal');
            el.setAttribute('business', key);
            el.setAttribute('token', token);
            document.getElementById('later').append(el);
        }""",
        [key, stage.embed_token()],
    )
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()


def test_the_command_queue_boots_before_the_script_arrives(page: Page, stage: Stage) -> None:
    key = stage.seeded.business.publishable_key
    stub = (
        "<script>window.Frontdesk=window.Frontdesk||function(){(Frontdesk.q=Frontdesk.q||[]).push(arguments)};"
        f"Frontdesk('boot',{{token:{json.dumps(stage.embed_token())}}});</script>"
    )
    page.goto(stage.host_page(f"<frontdesk-portal business='{key}'></frontdesk-portal>", head=stub))
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()


def test_a_disallowed_origin_gets_a_refusal_and_no_data(page: Page, stage: Stage) -> None:
    other = make_business(stage.db, allowed_origins=["https://elsewhere.example"]).business
    with stage.db.session(other.id) as session:
        customer = make_customer(session, other, name="Hidden Person")
    token = stage.embed_token(customer.id, other.id)
    page.goto(
        stage.host_page(
            f"<frontdesk-portal business='{other.publishable_key}' token='{token}'>"
            "</frontdesk-portal>"
        )
    )
    expect(page.locator("frontdesk-portal .fd-status")).to_have_text(
        "This account portal is not available on this website."
    )
    assert "Hidden Person" not in page.locator("frontdesk-portal").evaluate(
        "e => e.shadowRoot.innerHTML"
    )


def test_an_expired_session_is_renewed_from_the_token_url(page: Page, stage: Stage) -> None:
    page.goto(f"{stage.site.url}/account")
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    page.wait_for_timeout((stage.settings.portal_session_seconds + 1) * 1000)
    with (
        page.expect_response(lambda r: r.url.endswith("/home")) as refused,
        page.expect_response(lambda r: r.url.endswith("/session")) as renewed,
    ):
        page.locator("frontdesk-portal .fd-nav a").first.click()
    assert refused.value.status == 401
    assert renewed.value.status == 200
    expect(page.locator("frontdesk-portal .fd-balance")).to_be_visible()


def test_the_portal_waits_out_a_server_outage(page: Page, stage: Stage) -> None:
    page.goto(f"{stage.site.url}/account")
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    stage.portal.stop()
    page.locator("frontdesk-portal .fd-nav a").first.click()
    expect(page.locator("frontdesk-portal .fd-status")).to_contain_text(
        "We can\u2019t reach your account"
    )
    stage.portal.start()
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible(timeout=15_000)


def test_the_portal_looks_the_same_on_an_aggressive_host_page(page: Page, stage: Stage) -> None:
    page.set_viewport_size({"width": 900, "height": 900})
    key = stage.seeded.business.publishable_key
    page.goto(f"{stage.site.url}/account")
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    box = page.locator("frontdesk-portal").evaluate(
        "e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width]; }"
    )
    on_sample_site = page.locator("frontdesk-portal").screenshot(animations="disabled")
    # Same width and the same sub-pixel offset, so anti-aliasing cannot differ.
    x, y, width = box[0] % 1, box[1] % 1, box[2]
    page.goto(
        stage.host_page(
            f"<div id='box'><frontdesk-portal business='{key}' token='{stage.embed_token()}'>"
            "</frontdesk-portal></div>",
            head=f"<style>body{{margin:{y}px 0 0 {x}px}} #box{{width:{width}px}}</style>",
        )
    )
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    on_blank_page = page.locator("frontdesk-portal").screenshot(animations="disabled")
    assert looks_the_same(on_sample_site, on_blank_page)


def test_the_portal_keeps_its_styles_under_a_strict_host_csp(page: Page, stage: Stage) -> None:
    key = stage.seeded.business.publishable_key
    csp = (
        f"default-src 'self'; script-src 'self' {stage.portal.url}; style-src 'self'; "
        f"connect-src 'self' {stage.portal.url}; img-src 'self' {stage.portal.url}"
    )
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(
        stage.host_page(
            f"<frontdesk-portal business='{key}' token='{stage.embed_token()}'></frontdesk-portal>",
            headers={"Content-Security-Policy": csp},
        )
    )
    card = page.locator("frontdesk-portal .fd-card").first
    expect(card).to_be_visible()
    assert card.evaluate("e => getComputedStyle(e).borderTopLeftRadius") == "10px"
    assert violations == []


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        ("", "#fd-home"),
        ("#invoices", "#fd-invoices"),
        ("#invoice/INV-1003", "#fd-invoice"),
        ("#estimates", "#fd-estimates"),
        ("#estimate/EST-101", "#fd-estimate"),
        ("#payments", "#fd-payments"),
        ("#profile", "#fd-profile"),
    ],
)
def test_axe_finds_no_accessibility_violations(
    page: Page, stage: Stage, link: str, shown: str
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is installed by `npm ci` in widget/ (scripts/test does it)")
    page.goto(f"{stage.site.url}/account{link}")
    expect(page.locator(f"frontdesk-portal {shown}")).to_be_visible()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run({include: [['frontdesk-portal']]})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.help))"
    )
    assert result == []


def test_the_sample_website_itself_passes_axe(page: Page, stage: Stage) -> None:
    # It is ours, and businesses copy it: its own page holds to the portal's standard.
    if not AXE.exists():
        pytest.skip("axe-core is installed by `npm ci` in widget/ (scripts/test does it)")
    page.goto(f"{stage.site.url}/account")
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run({exclude: [['frontdesk-portal']]})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' ')))"
    )
    assert result == []


def test_the_portal_is_usable_with_the_keyboard(page: Page, stage: Stage) -> None:
    page.goto(
        stage.host_page(
            "<button id='before'>Host button</button>"
            f"<frontdesk-portal business='{stage.seeded.business.publishable_key}'"
            f" token='{stage.embed_token()}'></frontdesk-portal>"
        )
    )
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    page.focus("#before")
    focused = []
    for _ in range(2):  # the header's sign-out, then the first tab
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.shadowRoot.activeElement.textContent"))
    assert focused == ["Not you? Sign out", "Home"]
    page.keyboard.press("Enter")
    expect(page.locator("frontdesk-portal #fd-home")).to_be_visible()
    assert re.search(
        r"frontdesk-portal", page.evaluate("document.activeElement.tagName.toLowerCase()")
    )


def test_the_plain_html_snippet_works_as_pasted(page: Page, stage: Stage) -> None:
    snippet = (
        Path(__file__).resolve().parents[2] / "embed-snippets" / "plain-html.html"
    ).read_text()
    html = snippet.replace("https://PORTAL_HOST", stage.portal.url).replace(
        "pk_...", stage.seeded.business.publishable_key
    )
    page.goto(stage.host.url + stage.pages.add(f"<!doctype html><html><body>{html}</body></html>"))
    expect(page.locator("frontdesk-portal #fd-sign-in")).to_be_visible()


def test_designers_theme_from_the_host_page(page: Page, stage: Stage) -> None:
    style = (
        "<style>frontdesk-portal{--frontdesk-accent:rgb(1, 2, 3)}"
        "frontdesk-portal::part(card){border-top-width:5px}</style>"
    )
    key = stage.seeded.business.publishable_key
    page.goto(
        stage.host_page(
            f"<frontdesk-portal business='{key}' token='{stage.embed_token()}'></frontdesk-portal>",
            head=style,
        )
    )
    current_tab = page.locator("frontdesk-portal .fd-nav a[aria-current=page]")
    expect(current_tab).to_be_visible()
    assert current_tab.evaluate("e => getComputedStyle(e).borderBottomColor") == "rgb(1, 2, 3)"
    card = page.locator("frontdesk-portal .fd-card").first
    assert card.evaluate("e => getComputedStyle(e).borderTopWidth") == "5px"


def test_a_customer_signs_in_with_an_emailed_link_once(page: Page, stage: Stage) -> None:
    from frontdesk.models import Customer, OutboxItem

    with stage.db.session(stage.seeded.business.id) as session:
        other = session.exec(
            select(Customer).where(Customer.id != stage.seeded.signed_in_customer.id)
        ).first()
        assert other is not None
    key = stage.seeded.business.publishable_key
    page.goto(stage.host_page(f'<frontdesk-portal business="{key}"></frontdesk-portal>'))
    portal = page.locator("frontdesk-portal")
    portal.get_by_label("Your email address").fill(other.email.upper())
    portal.get_by_role("button", name="Email me a sign-in link").click()
    expect(portal.locator("#fd-sign-in [role=status]")).to_contain_text("we have emailed it")
    with stage.db.session(stage.seeded.business.id) as session:
        emails = [i.payload for i in session.exec(select(OutboxItem)) if i.kind == "email"]
    # The demo's own emails (Jordan's booked visit) go to others.
    [mail] = [email for email in emails if email["to"] == other.email]
    link = re.search(r"(http\S+#frontdesk=\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    page.goto(link)
    expect(portal.locator(".fd-who")).to_contain_text(other.name)
    assert "frontdesk=" not in page.url
    page.goto("about:blank")
    page.goto(link)
    expect(portal.locator("#fd-sign-in .fd-error")).to_have_text("This link was already used.")
    expect(portal.get_by_role("button", name="Send a new link")).to_be_visible()
