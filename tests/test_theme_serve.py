"""`frontdesk theme serve`, run as a real process: the gallery for a theme file on disk, and a
reload signal that changes when the file is saved."""

from __future__ import annotations

import re
import signal
import subprocess
from html import unescape
from pathlib import Path

import httpx

from frontdesk.routes.dashboard.gallery import BY_SLUG
from frontdesk.services import themes
from tests.test_cli import FRONTDESK, assert_one_clear_line, environment, free_port, run, wait_for


def answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False


def test_theme_serve_shows_the_file_and_signals_each_save(tmp_path: Path) -> None:
    citrus = themes.packs()["citrus"].values["accent"]
    theme = tmp_path / "mine" / "theme.css"
    theme.parent.mkdir()
    theme.write_text((themes.THEMES_DIR / "citrus" / "theme.css").read_text())
    port, log = free_port(), tmp_path / "serve.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        # No FRONTDESK_* settings at all: it needs no database or key of the user's.
        process = subprocess.Popen(
            [*FRONTDESK, "theme", "serve", str(theme), "--port", str(port)],
            env=environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for(lambda: answers(f"{url}/saved"), "the gallery", process, log)
            assert f"{url}/" in log.read_text()
            gallery = httpx.get(f"{url}/")
            assert str(theme) in gallery.text and 'data-reload-url="' in gallery.text
            frames = [unescape(s) for s in re.findall(r'<iframe src="([^"]+)"', gallery.text)]
            assert len(frames) == len(BY_SLUG)
            owing = httpx.get(frames[0])
            assert "Balance due" in owing.text and "frame-ancestors 'self'" in str(owing.headers)
            css = httpx.get(f"{url}/theme.css").text
            assert f"--fd-accent:var(--frontdesk-accent,{citrus})" in css

            before = httpx.get(f"{url}/saved").text
            theme.write_text(theme.read_text().replace(citrus, "#123456"))
            wait_for(lambda: httpx.get(f"{url}/saved").text != before, "a new signal", process, log)
            assert "--frontdesk-accent,#123456)" in httpx.get(f"{url}/theme.css").text

            # A mistake while editing: the gallery says what to fix, in the default theme.
            saved = httpx.get(f"{url}/saved").text
            theme.write_text(":host { --accent: #123456; }")
            wait_for(lambda: httpx.get(f"{url}/saved").text != saved, "a new signal", process, log)
            broken = httpx.get(f"{url}/").text
            assert "missing" in broken and "showing the default theme" in broken
            default = themes.packs()["default"].values["accent"]
            assert f"--frontdesk-accent,{default})" in httpx.get(f"{url}/theme.css").text
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0, log.read_text()


def test_theme_serve_refuses_a_file_that_is_not_there(tmp_path: Path) -> None:
    result = run("theme", "serve", str(tmp_path / "nothing.css"))
    assert_one_clear_line(result, f"{tmp_path / 'nothing.css'} is not a file")
