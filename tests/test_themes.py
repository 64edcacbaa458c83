"""Theme packs meet WCAG contrast, overrides layer correctly, and custom CSS is sanitised."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from frontdesk.models import Business
from frontdesk.services import themes
from frontdesk.services.errors import Invalid

HOST = "portal.example.com"
ROOT = themes.THEMES_DIR.parent
# (foreground, background): text pairs the portal actually draws.
PAIRS = [
    ("text", "bg"),
    ("text", "surface"),
    ("muted", "surface"),
    ("muted", "bg"),
    ("accent", "surface"),
    ("accent-text", "accent"),
    ("danger", "surface"),
    ("success", "surface"),
    ("warning", "surface"),
    ("surface", "warning"),
]


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_at_least_four_packs_ship() -> None:
    assert {"default", "dark", "high-contrast", "citrus"} <= set(themes.packs())


@pytest.mark.parametrize("slug", sorted(themes.packs()))
def test_every_pack_passes_wcag_aa_for_text(slug: str) -> None:
    values = themes.packs()[slug].values
    failing = {
        f"{fg} on {bg}": round(contrast(values[fg], values[bg]), 2)
        for fg, bg in PAIRS
        if contrast(values[fg], values[bg]) < 4.5
    }
    assert failing == {}


def test_host_variables_win_then_business_overrides_then_the_pack() -> None:
    business = Business(
        name="x", slug="x", currency="USD", theme="citrus", theme_overrides={"accent": "#123456"}
    )
    css = themes.stylesheet(business)
    assert "--fd-accent:var(--frontdesk-accent,#123456)" in css
    assert "--fd-radius:var(--frontdesk-radius,18px)" in css


@pytest.mark.parametrize(
    ("css", "problem"),
    [
        ("@import url(https://evil.example/x.css);", "@import is not allowed"),
        (".fd-card{background:url(https://evil.example/leak?a)}", "url() may only point"),
        (".fd-card{background:url('//evil.example/x')}", "url() may only point"),
        ('.fd-card{background:url("data:image/svg+xml,<svg/>")}', "url() may only point"),
        (".fd-card{width:expression(alert(1))}", "expression() is not allowed"),
        (".fd-card{behavior:url(x.htc)}", "behavior is not allowed"),
        (":host{position:fixed;inset:0}", ":host and ::slotted are not allowed"),
        (
            "@font-face{font-family:x;src:url(https://evil.example/f.woff)}",
            "@font-face is not allowed",
        ),
        (
            "@media screen{.a{background:image-set('https://evil.example/x' 1x)}}",
            "image-set() is not allowed",
        ),
        (".a{color:red}}", "does not parse"),
    ],
)
def test_dangerous_custom_css_is_refused(css: str, problem: str) -> None:
    with pytest.raises(Invalid) as caught:
        themes.sanitise_custom_css(css, portal_host=HOST)
    assert problem in caught.value.fields["custom_css"]


def test_ordinary_custom_css_is_kept() -> None:
    css = (
        ".fd-card{border-width:2px}"
        "@media (max-width:400px){.fd-balance{font-size:1.5em}}"
        ".fd-header{background:url(data:image/png;base64,iVBORw0KGgo=)}"
        f".fd-business{{background:url(https://{HOST}/static/logo.png)}}"
    )
    assert themes.sanitise_custom_css(css, portal_host=HOST).startswith(
        ".fd-card{border-width:2px}"
    )


def test_custom_css_has_a_size_limit() -> None:
    with pytest.raises(Invalid):
        themes.sanitise_custom_css(".a{}" * 6000, portal_host=HOST)


def test_overrides_accept_plain_values_only() -> None:
    assert themes.validate_overrides({"accent": " #ff0000 "}) == {"accent": "#ff0000"}
    with pytest.raises(Invalid):
        themes.validate_overrides({"accent": "red;} :host{display:none"})
    with pytest.raises(Invalid):
        themes.validate_overrides({"accent": "url(https://evil.example/x)"})
    with pytest.raises(Invalid):
        themes.validate_overrides({"not-a-setting": "1px"})


def test_a_designers_theme_file_is_read_as_a_pack_is(tmp_path: Path) -> None:
    path = tmp_path / "theme.css"
    citrus = (themes.THEMES_DIR / "citrus" / "theme.css").read_text()
    path.write_text(citrus.replace(themes.packs()["citrus"].values["accent"], "#123456"))
    assert themes.from_file(path)["accent"] == "#123456"
    path.write_text(":host { --accent: red; --glow: 1px; }")
    with pytest.raises(ValueError, match=f"{path}: not theme values: --glow; missing --bg, --surf"):
        themes.from_file(path)
    path.write_text(citrus.replace("--radius: 18px", "--radius: url(https://evil.example/x)"))
    with pytest.raises(ValueError, match="--radius: Use a plain colour"):
        themes.from_file(path)
    with pytest.raises(ValueError, match="No such file"):
        themes.from_file(tmp_path / "gone.css")


def test_colour_pickers_take_hex_colours_only() -> None:
    assert themes.picker_colour(" #ABC ") == "#aabbcc"
    assert themes.picker_colour("#0b6e4f") == "#0b6e4f"
    assert themes.picker_colour("rgb(1, 2, 3)") == ""
    assert themes.picker_colour("") == ""


def test_the_readme_names_every_variable_and_part() -> None:
    readme = (themes.THEMES_DIR / "README.md").read_text()
    templates = themes.PORTAL_CSS.parents[1] / "templates"
    parts = {
        name
        for path in templates.rglob("*.html")
        for name in re.findall(r'part="([\w-]+)"', path.read_text())
    }
    parts |= set(re.findall(r"'part', '([\w-]+)'", (ROOT / "widget" / "frontdesk.js").read_text()))
    assert {"frame", "card", "button"} <= parts  # the search finds them
    assert [name for name in themes.VARIABLES if f"| `--frontdesk-{name}` |" not in readme] == []
    assert [name for name in sorted(parts) if f"| `{name}` |" not in readme] == []
    assert [slug for slug in themes.packs() if f"]({slug}/preview.png)" not in readme] == []
