"""Screenshots of the real portal: every view at 375 and 1280 px in the default and dark themes
(docs/screens/) and the README's pictures (themes/screenshots.py makes the packs' preview.png).

Starts `frontdesk demo` on free ports with a throw-away data directory, then drives the sample
website in Chromium. Run it after changing how the portal looks:

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright
from sqlmodel import select

from frontdesk import demo
from frontdesk.db import Database
from frontdesk.models import Business

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port_pair() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


def use_theme(db: Database, slug: str) -> None:
    with db.unscoped("the screenshot script switches the demo's theme") as session:
        business = session.exec(select(Business).where(Business.slug == demo.SLUG)).one()
        business.theme = slug


# Deep link -> the element that shows the view has loaded.
VIEWS = {
    "home": "#fd-home",
    "invoices": "#fd-invoices",
    "invoice/INV-1003": "#fd-invoice",
    "estimates": "#fd-estimates",
    "estimate/EST-101": "#fd-estimate",
    "payments": "#fd-payments",
    "profile": "#fd-profile",
}


def shoot(page: Page, site: str, path: Path, width: int, view: str = "home") -> None:
    page.set_viewport_size({"width": width, "height": 900})
    # A fresh document each time: a changed fragment alone would not reload the page.
    page.goto("about:blank")
    page.goto(f"{site}/account#{view}")
    page.locator(f"frontdesk-portal {VIEWS[view]}").wait_for()
    page.locator("frontdesk-portal").screenshot(path=path, animations="disabled")
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    port = free_port_pair()
    with tempfile.TemporaryDirectory() as data_dir:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "frontdesk.cli",
                "demo",
                "--port",
                str(port),
                "--data-dir",
                data_dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz").raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the demo did not start") from None
                    time.sleep(0.2)
            db = Database(f"sqlite:///{data_dir}/frontdesk.db")
            site = f"http://127.0.0.1:{port + 1}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page()
                screens = ROOT / "docs" / "screens"
                screens.mkdir(parents=True, exist_ok=True)
                for slug in ("default", "dark"):
                    use_theme(db, slug)
                    for view in VIEWS:
                        for width in (375, 1280):
                            name = f"{view.replace('/', '-')}-{width}-{slug}.png"
                            shoot(page, site, screens / name, width, view)
                use_theme(db, "default")
                shoot(page, site, ROOT / "docs" / "portal.png", 1000)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
