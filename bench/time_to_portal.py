"""Time to portal: in headless Chromium, from inserting the snippet into a host page on another
origin to the home view being visible and interactive (its links wired by htmx); median and p95
over 50 loads with a cold cache (a new browser context each time) and 50 with a warm one.

    .venv/bin/python bench/time_to_portal.py [--loads 50]
"""

from __future__ import annotations

import argparse

import httpx
from common import CHROMIUM_ARGS, REPO, demo_stack, median, percentile, save, table
from playwright.sync_api import Page, sync_playwright

GOAL_MS = 100.0  # the read-path issue tightened it from 150 ms (cold, median)
INSERT_AND_WAIT = """async ({script, key, token}) => {
  const t0 = performance.now();
  if (!document.querySelector('script[data-frontdesk]')) {
    const tag = document.createElement('script');
    tag.src = script; tag.async = true; tag.dataset.frontdesk = '';
    document.head.appendChild(tag);
  }
  const el = document.createElement('frontdesk-portal');
  el.setAttribute('business', key);
  el.setAttribute('token', token);
  document.body.appendChild(el);
  await customElements.whenDefined('frontdesk-portal');
  return await new Promise(resolve => {
    const ready = () => el.shadowRoot.querySelector('#fd-home')
      && el.shadowRoot.querySelector('#fd-nav a[data-htmx-powered]');
    if (ready()) return resolve(performance.now() - t0);
    const watch = new MutationObserver(() => {
      if (ready()) { watch.disconnect(); resolve(performance.now() - t0); }
    });
    watch.observe(el.shadowRoot, {subtree: true, childList: true, attributes: true});
  });
}"""


def one_load(page: Page, host: str, script: str, key: str, token: str) -> float:
    page.goto(f"{host}/")
    return float(page.evaluate(INSERT_AND_WAIT, {"script": script, "key": key, "token": token}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=50)
    loads = parser.parse_args().loads
    cold: list[float] = []
    warm: list[float] = []
    with demo_stack() as stack, sync_playwright() as playwright:
        token = httpx.get(f"{stack.site}/account/frontdesk-token").text
        script = f"{stack.portal}/widget/frontdesk.js"
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for _ in range(loads):
            context = browser.new_context()
            cold.append(one_load(context.new_page(), stack.site, script, stack.key, token))
            context.close()
        context = browser.new_context()
        page = context.new_page()
        one_load(page, stack.site, script, stack.key, token)  # fills the cache
        for _ in range(loads):
            warm.append(one_load(page, stack.site, script, stack.key, token))
        browser.close()
    rows = []
    for name, values in (("cold cache", cold), ("warm cache", warm)):
        rows.append(
            [
                name,
                len(values),
                f"{median(values):.1f}",
                f"{percentile(values, 95):.1f}",
                f"{min(values):.1f}",
                f"{max(values):.1f}",
                median(values) < GOAL_MS,
            ]
        )
    print("Snippet inserted to home view visible and interactive (ms), loopback:")
    print(table(["cache", "loads", "median", "p95", "min", "max", f"median < {GOAL_MS:.0f}"], rows))
    path = save(
        "time_to_portal",
        {
            "goal_median_ms": GOAL_MS,
            "cold_ms": {"median": median(cold), "p95": percentile(cold, 95), "all": cold},
            "warm_ms": {"median": median(warm), "p95": percentile(warm, 95), "all": warm},
        },
    )
    print(f"\nwrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
