"""The widget's build: the private htmx patch still applies, and the bundle matches its sources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WIDGET = Path(__file__).resolve().parents[1] / "widget"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    not NODE or not (WIDGET / "node_modules" / "htmx.org").exists(),
    reason="needs node and `npm ci` in widget/ (scripts/test does both)",
)


def build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NODE), str(WIDGET / "build.mjs"), *args], capture_output=True, text=True, timeout=60
    )


def test_the_committed_bundle_and_private_htmx_match_their_sources() -> None:
    result = build("--check")
    assert result.returncode == 0, result.stderr


def test_an_htmx_release_that_moves_a_patched_line_fails_the_build(tmp_path: Path) -> None:
    source = (WIDGET / "node_modules" / "htmx.org" / "dist" / "htmx.js").read_text()
    (tmp_path / "dist").mkdir()
    moved = tmp_path / "dist" / "htmx.js"
    moved.write_text(source.replace("history: true,", "history: !0,"))
    result = build("--check", "--htmx", str(moved))
    assert result.returncode != 0
    assert 'htmx patch "no history or popstate handling": anchor found 0 times' in result.stderr


def test_the_private_htmx_leaves_the_host_page_alone() -> None:
    private = (WIDGET / "vendor" / "htmx-private.js").read_text()
    assert private.startswith("// htmx.org 4.0.1 (0BSD")
    assert "function frontdeskHtmx() {" in private
    assert "this.process(document.body)" not in private
    assert "history: false," in private and "includeIndicatorCSS: false," in private
    assert 'meta[name="htmx-config"]' not in private
    assert (WIDGET / "vendor" / "htmx.LICENSE").read_text().startswith("Zero-Clause BSD")


def test_fragments_carry_no_inline_script_or_style() -> None:
    templates = (
        Path(__file__).resolve().parents[1]
        / "server"
        / "frontdesk"
        / "templates"
        / "fragments"
        / "portal"
    )
    for template in templates.glob("*.html"):
        text = template.read_text()
        for forbidden in ("<script", "style=", "<style", "hx-boost", "hx-push-url", "hx-on"):
            assert forbidden not in text, f"{template.name} contains {forbidden}"
