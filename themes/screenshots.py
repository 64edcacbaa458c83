"""Each theme pack's preview.png: the gallery's "owing" state (balance, pay button, badges) in the
pack, as `frontdesk theme serve` shows it. Run it after changing a pack or how the portal looks:

    .venv/bin/python themes/screenshots.py
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

THEMES = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTH = 760  # wide enough for the portal's two columns, small enough for a README


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(theme_css: Path, port: int) -> subprocess.Popen[bytes]:
    """`frontdesk theme serve` for one pack, once it answers."""
    command = [sys.executable, "-m", "frontdesk.cli", "theme", "serve", str(theme_css)]
    server = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/saved").raise_for_status()
            return server
        except httpx.HTTPError:
            if server.poll() is not None:
                raise RuntimeError(f"theme serve ended: {server.stderr.read().decode()}") from None
            if time.monotonic() > deadline:
                raise RuntimeError("theme serve did not start in a minute") from None
            time.sleep(0.2)


def main() -> int:
    packs = sorted(folder for folder in THEMES.iterdir() if (folder / "theme.css").exists())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        for folder in packs:
            port = free_port()
            server = serve(folder / "theme.css", port)
            try:
                page.goto(f"http://127.0.0.1:{port}/frame?state=owing")
                page.locator("#preview #fd-home").wait_for()
                page.evaluate("document.fonts.ready")
                shot = folder / "preview.png"
                page.locator("#preview").screenshot(path=shot, animations="disabled")
                print(f"wrote {shot.relative_to(THEMES.parent)}")
            finally:
                server.terminate()
                server.wait(timeout=20)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
