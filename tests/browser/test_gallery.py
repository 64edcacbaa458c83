"""The theme editor's colour pickers and the theme gallery in Chromium: pickers and hex fields
follow each other and the preview follows both; every state shows at phone and desktop width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page, expect

from frontdesk.routes.dashboard.gallery import BY_SLUG
from frontdesk.services import themes
from tests.browser.conftest import Stage
from tests.browser.test_dashboard import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/frontdesk-shots")
HOME = ("owing", "in-credit", "all-set", "not-paying-online", "long-name")
# The element that shows each state's view is in its frame.
ALONE = {
    "sign-in": "#fd-sign-in",
    "notice": "#fd-notice",
    "visitor-request": "#fd-public-booking",
    "visitor-sent": "#fd-public-booking",
}
ROOTS = {
    **ALONE,
    **{slug: "#fd-view > section" for slug in BY_SLUG if slug not in (*ALONE, *HOME)},
    **{slug: "#fd-home" for slug in HOME},
}


def state_frame(page: Page, slug: str) -> Frame:
    return next(frame for frame in page.frames if frame.url.endswith(f"state={slug}"))


def test_colour_pickers_and_hex_fields_follow_each_other_and_the_preview(
    page: Page, stage: Stage
) -> None:
    sign_in(page, stage)
    page.goto(f"{stage.portal.url}/dashboard/theme")
    picker = page.get_by_label("Accent: colour picker", exact=True)
    field = page.get_by_label("Accent", exact=True)
    preview = page.frame_locator("#theme-preview")
    pay = preview.locator("#fd-home a.fd-button")
    # The preview's customer owes: the pay button and the badges are there to be themed.
    expect(pay).to_contain_text("Pay $")
    expect(preview.locator("#fd-home .fd-badge-overdue")).to_be_visible()

    picker.fill("#aa3300")
    expect(field).to_have_value("#aa3300")
    expect(page.locator("#theme-preview")).to_have_attribute("src", re.compile("aa3300"))
    expect(pay).to_have_css("background-color", "rgb(170, 51, 0)")

    field.fill("#123456")
    expect(picker).to_have_value("#123456")
    expect(pay).to_have_css("background-color", "rgb(18, 52, 86)")
    field.fill("#0c0")
    expect(picker).to_have_value("#00cc00")
    # Emptied, the field shows the pack's value and so does its picker; another pack, its own.
    citrus = themes.packs()["citrus"].values["accent"]
    field.fill("")
    page.get_by_label("Theme pack").select_option("citrus")
    expect(field).to_have_attribute("placeholder", citrus)
    expect(picker).to_have_value(citrus)
    expect(pay).to_have_css("background-color", "rgb(184, 67, 15)")

    page.get_by_role("combobox", name=re.compile("^Preview")).select_option("pay-tip")
    expect(preview.locator("#fd-pay .fd-pay-total")).to_be_visible()
    gallery = page.get_by_role("link", name="Every state at phone and desktop width")
    expect(gallery).to_have_attribute(
        "href", re.compile(r"/dashboard/theme/gallery\?.*theme=citrus")
    )
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "theme-editor.png"), full_page=True)


def test_the_gallery_shows_every_state_at_phone_and_desktop_width(page: Page, stage: Stage) -> None:
    sign_in(page, stage)
    SHOTS.mkdir(exist_ok=True)
    gallery = f"{stage.portal.url}/dashboard/theme/gallery?theme=citrus&accent=%230b6e4f"
    for viewport, switch in ((375, None), (1280, None), (1280, "Desktop, 1280 px")):
        page.set_viewport_size({"width": viewport, "height": 900})
        page.goto(gallery)
        if switch:
            page.get_by_role("link", name=re.compile(switch)).click()
        inner, wide = 1280 if switch else 375, []
        for slug, root in ROOTS.items():
            expect(page.frame_locator(f"#state-{slug} iframe").locator(root)).to_be_visible()
            shown = state_frame(page, slug)
            assert shown.evaluate("innerWidth") == inner, (slug, inner)
            if shown.evaluate("document.documentElement.scrollWidth") > inner:
                wide.append(slug)
        # Nothing of any state is wider than its frame: long words, links and rows wrap.
        assert wide == [], (inner, wide)
        button = page.frame_locator("#state-owing iframe").locator("#fd-home a.fd-button")
        expect(button).to_have_css("background-color", "rgb(11, 110, 79)")
        # A frame fits its state: nothing of it is cut off below.
        owing = state_frame(page, "owing")
        assert owing.evaluate("document.documentElement.scrollHeight <= innerHeight + 2")
        assert page.evaluate("document.documentElement.scrollWidth - innerWidth") == 0
        name = f"gallery-{viewport}{'-desktop-frames' if switch else ''}.png"
        page.screenshot(path=str(SHOTS / name), full_page=True)
