"""Weight: every byte the widget loads before its first fragment shows, and before Stripe.js on
the payment step, raw and gzipped, beside the embed libraries a business would otherwise paste
(@calcom/embed-core and @typeform/embed from the npm registry, measured the same way).

    .venv/bin/python bench/weight.py
"""

from __future__ import annotations

import gzip
import json
import subprocess
import tempfile
from pathlib import Path

from common import CHROMIUM_ARGS, REPO, demo_stack, save, table
from playwright.sync_api import Response, sync_playwright

OWN_JS_GOAL, FIRST_PAINT_GOAL = 4 * 1024, 25 * 1024
COMPETITORS = {
    # package: the files its docs have a website load for an inline embed
    "@calcom/embed-core": ["dist/embed/embed.js", "dist/embed/assets/*.css"],
    "@typeform/embed": ["build/embed.js", "build/css/widget.css"],
}


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def own_javascript() -> tuple[int, int]:
    """Our loader alone, minified as the bundle minifies it (the rest of the bundle is htmx)."""
    esbuild = REPO / "widget" / "node_modules" / ".bin" / "esbuild"
    out = subprocess.run(
        [str(esbuild), str(REPO / "widget" / "frontdesk.js"), "--minify", "--log-level=error"],
        capture_output=True,
        check=True,
    ).stdout
    return len(out), gz(out)


def portal_loads() -> dict[str, list[dict[str, object]]]:
    """What the browser fetched from our origin until the home view showed, then until the pay
    step showed (and Stripe.js had not been asked for)."""
    phases: dict[str, list[dict[str, object]]] = {"first_paint": [], "pay_step": []}
    with demo_stack() as stack, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        current = phases["first_paint"]

        def record(response: Response) -> None:
            if not response.url.startswith(stack.portal):
                return
            try:
                body = response.body()
            except Exception:  # a preflight or an aborted request has none
                return
            path = response.url.removeprefix(stack.portal).split("?")[0]
            # Images are compressed already; nobody gzips them on the wire.
            text = not response.headers.get("content-type", "").startswith("image/")
            current.append(
                {"path": path, "raw": len(body), "gzip": gz(body) if text else len(body)}
            )

        page.on("response", record)
        page.goto(f"{stack.site}/account")
        page.locator("frontdesk-portal #fd-home").wait_for()
        page.wait_for_load_state("networkidle")
        current = phases["pay_step"]
        page.evaluate("location.hash = '#pay'")
        page.locator("frontdesk-portal #fd-pay").wait_for()
        page.wait_for_load_state("networkidle")
        stripe_js = page.evaluate(
            "[...document.scripts].some(s => s.src.endsWith('/v3/stripe.js'))"
        )
        assert not stripe_js, "Stripe.js loaded before the card step"
        browser.close()
    return phases


def competitor_files() -> dict[str, dict[str, object]]:
    measured: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-npm-") as folder:
        subprocess.run(["npm", "init", "-y"], cwd=folder, capture_output=True, check=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *COMPETITORS],
            cwd=folder,
            capture_output=True,
            check=True,
        )
        for package, patterns in COMPETITORS.items():
            root = Path(folder) / "node_modules" / package
            version = json.loads((root / "package.json").read_text())["version"]
            files = [f for pattern in patterns for f in sorted(root.glob(pattern))]
            raw = sum(f.stat().st_size for f in files)
            zipped = sum(gz(f.read_bytes()) for f in files)
            measured[package] = {
                "version": version,
                "files": [str(f.relative_to(root)) for f in files],
                "raw": raw,
                "gzip": zipped,
            }
    return measured


def main() -> None:
    own_raw, own_gz = own_javascript()
    phases = portal_loads()
    first = phases["first_paint"]
    pay = phases["pay_step"]
    total = lambda rows, key: sum(int(r[key]) for r in rows)  # noqa: E731
    competitors = competitor_files()
    rows = [[r["path"], r["raw"], r["gzip"]] for r in first]
    print("Loaded before the first fragment showed (bytes):")
    print(table(["request", "raw", "gzip"], rows))
    print()
    summary = [
        [
            "our own JavaScript (the loader, minified)",
            own_raw,
            own_gz,
            f"< {OWN_JS_GOAL}",
            own_gz < OWN_JS_GOAL,
        ],
        [
            "everything before first paint",
            total(first, "raw"),
            total(first, "gzip"),
            f"< {FIRST_PAINT_GOAL}",
            total(first, "gzip") < FIRST_PAINT_GOAL,
        ],
        ["payment step before Stripe.js", total(pay, "raw"), total(pay, "gzip"), "", ""],
    ]
    for package, found in competitors.items():
        summary.append(
            [
                f"{package} {found['version']} (loader files only)",
                found["raw"],
                found["gzip"],
                "",
                "",
            ]
        )
    print(table(["what", "raw bytes", "gzip bytes", "goal", "met"], summary))
    path = save(
        "weight",
        {
            "own_js": {"raw": own_raw, "gzip": own_gz, "goal_gzip": OWN_JS_GOAL},
            "first_paint": {
                "requests": first,
                "raw": total(first, "raw"),
                "gzip": total(first, "gzip"),
                "goal_gzip": FIRST_PAINT_GOAL,
            },
            "pay_step_before_stripe": {
                "requests": pay,
                "raw": total(pay, "raw"),
                "gzip": total(pay, "gzip"),
            },
            "competitors": competitors,
        },
    )
    print(f"\nwrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
