"""Browser fixtures: system Chromium via Playwright; the portal and host sites on other origins."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from frontdesk import demo, migrations, tokens  # type: ignore[attr-defined]
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.demo import Demo
from frontdesk.processors.paypal_standin import create_app as create_paypal_standin
from frontdesk.processors.sandbox import create_app as create_sandbox
from frontdesk.sample_site import create_app as create_sample_site
from frontdesk.settings import SANDBOX_PUBLISHABLE_KEY, Settings, load, sandbox_secrets
from tests.conftest import TEST_KEYS, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser

# An assertion waits until the page gets there. Beside a CPU hog and the load test, a portal in an
# iframe took longer than Playwright's 5 s to arrive: these are waits, not speed limits (speed is
# the benchmarks').
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Browser tests run on SQLite only: the database layer is proven on both backends elsewhere."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'frontdesk.db'}"
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (Debian package chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    # The host page must never see an uncaught exception of ours.
    assert errors == []


@dataclass
class HostPages:
    """Pages a test writes, served from the host origin."""

    pages: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def add(self, html: str, headers: dict[str, str] | None = None) -> str:
        name = secrets.token_hex(4)
        self.pages[name] = (html, headers or {})
        return f"/page/{name}"


@dataclass
class Stage:
    """The portal server, a host site on another origin, and the seeded demo business."""

    settings: Settings
    db: Database
    portal: LiveServer
    site: LiveServer
    host: LiveServer
    pages: HostPages
    seeded: Demo
    paypal: LiveServer  # the PayPal stand-in; the demo business turns PayPal on to use it

    def embed_token(self, customer_id: str | None = None, business_id: str | None = None) -> str:
        from frontdesk.models import Customer

        business_id = business_id or self.seeded.business.id
        with self.db.session(business_id) as session:
            customer = session.get(Customer, customer_id or self.seeded.signed_in_customer.id)
            assert customer is not None
        return tokens.mint(
            self.settings.secret_key,
            tokens.Purpose.EMBED,
            business_id=business_id,
            customer_id=customer.id,
            link_version=customer.link_version,
        )

    def host_page(self, body: str, head: str = "", headers: dict[str, str] | None = None) -> str:
        """A plain host page on the third origin, loading our script, with `body`."""
        html = (
            f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>"
            f"<script async src='{self.portal.url}/widget/frontdesk.js'></script>"
            f"{body}</body></html>"
        )
        return self.host.url + self.pages.add(html, headers)


def _host_app(pages: HostPages) -> Starlette:
    async def serve(request: Request) -> Response:
        found = pages.pages.get(request.path_params["name"])
        if found is None:
            return PlainTextResponse("no such page", 404)
        html, headers = found
        return HTMLResponse(html, headers=headers)

    return Starlette(routes=[Route("/page/{name}", serve)])


@pytest.fixture
def stage(db: Database, tmp_path: Path) -> Iterator[Stage]:
    portal, site, host, sandbox = LiveServer(), LiveServer(), LiveServer(), LiveServer()
    paypal = LiveServer()
    secret, webhook_secret = sandbox_secrets(TEST_KEYS)
    settings = load(
        environment="demo",
        data_dir=tmp_path,
        secret_key=TEST_KEYS,
        base_url=portal.url,
        run_jobs=False,
        portal_session_seconds=5,
        stripe_secret_key=secret,
        stripe_publishable_key=SANDBOX_PUBLISHABLE_KEY,
        stripe_webhook_secret=webhook_secret,
        stripe_api_base=sandbox.url,
        paypal_base_url=paypal.url,
        paypal_client_id="standin-client",
        paypal_secret="standin-secret",
        paypal_webhook_id="WH-STAGE",
    )
    seeded = demo.ensure(db, sample_site_origin=site.url)
    with db.unscoped("the test host page is a second allowed origin") as session:
        from frontdesk.models import Business

        business = session.get(Business, seeded.business.id)
        assert business is not None
        business.allowed_origins = [site.url, host.url]
    pages = HostPages()
    sandbox.start(
        create_sandbox(
            secret_key=secret,
            publishable_key=SANDBOX_PUBLISHABLE_KEY,
            webhook_url=f"{portal.url}/webhooks/stripe",
            webhook_secret=webhook_secret,
        )
    )
    paypal.start(
        create_paypal_standin(
            client_id=settings.paypal_client_id,
            secret=settings.paypal_secret,
            base_url=paypal.url,
            webhook_url=f"{portal.url}/webhooks/paypal",
            webhook_id=settings.paypal_webhook_id,
        )
    )
    portal.start(create_app(settings, db))
    site_key = demo.sample_site_key(db, seeded.business, tmp_path / "sample_site_api_key")
    site.start(create_sample_site(settings, seeded.business, seeded.signed_in_customer, site_key))
    host.start(_host_app(pages))
    yield Stage(settings, db, portal, site, host, pages, seeded, paypal)
    for server in (portal, site, host, sandbox, paypal):
        server.stop()
