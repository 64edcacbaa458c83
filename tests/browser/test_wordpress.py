"""The WordPress plugin in a real WordPress (Debian's package on MariaDB, Twenty Twenty-Three),
with our server and Chromium: the signed-in user's portal, the email sign-in, an unconfigured
plugin, Settings → Frontdesk and the constants that win over it.

It lives in tests/browser/ because it drives Chromium: a test process can run only one sync
Playwright, and this directory's session-wide `browser` is that one."""

from __future__ import annotations

import html
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote

import httpx
import pytest
from playwright.sync_api import Page, expect

from frontdesk import migrations, tokens  # type: ignore[attr-defined]
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.settings import Settings, load
from tests.conftest import TEST_KEYS, LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.wordpress import PASSWORD, MariaDB, WordPress, unavailable

CRITICAL = "There has been a critical error on this website"
NOTICE = "Frontdesk portal is not set up"


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordPress]:
    """One WordPress for the module's tests; each test sets the plugin up as it needs."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("wordpress")
    database = MariaDB(root)
    try:
        site = WordPress(root, database)
        yield site
        site.stop()
    finally:
        database.stop()


@pytest.fixture(autouse=True)
def plugin_logs_nothing(wordpress: WordPress) -> Iterator[None]:
    """No PHP notice, warning or error mentions the plugin (WP_DEBUG is on; WordPress 6.1's
    own deprecation notices under PHP 8.2 are not ours)."""
    seen = wordpress.debug_log.stat().st_size if wordpress.debug_log.exists() else 0
    yield
    if wordpress.debug_log.exists():
        with wordpress.debug_log.open() as log:
            log.seek(seen)
            ours = [line for line in log if "frontdesk" in line.lower()]
        assert ours == [], "PHP complained about the plugin"


@dataclass
class Frontdesk:
    settings: Settings
    server: LiveServer
    publishable_key: str
    secret_api_key: str
    customer_id: str
    invoice_number: str


@pytest.fixture(scope="module")
def frontdesk(
    wordpress: WordPress, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Frontdesk]:
    """Our server, and a business whose website is the WordPress, with an invoice for the
    customer whose external id is the WordPress user's (wp-<user id>, as the plugin asks)."""
    data = tmp_path_factory.mktemp("frontdesk")
    url = f"sqlite:///{data / 'frontdesk.db'}"
    migrations.upgrade(url)
    db = Database(url)
    server = LiveServer()
    settings = load(
        environment="test",
        data_dir=data,
        secret_key=TEST_KEYS,
        base_url=server.url,
        run_jobs=False,
    )
    created = make_business(db, name="Brightwater Pools", allowed_origins=[wordpress.url])
    with db.session(created.business.id) as session:
        customer = make_customer(
            session,
            created.business,
            name="Casey Customer",
            external_id=f"wp-{wordpress.users['casey']}",
        )
        invoice = make_invoice(session, created.business, customer, amounts=(12500,))
    server.start(create_app(settings, db))
    yield Frontdesk(
        settings,
        server,
        created.business.publishable_key,
        created.secret_api_key,
        customer.id,
        invoice.number,
    )
    server.stop()
    db.dispose()


@pytest.fixture
def configured(wordpress: WordPress, frontdesk: Frontdesk) -> WordPress:
    """The plugin set up in Settings → Frontdesk, nothing in wp-config.php."""
    wordpress.set_constants()
    wordpress.set_options(
        host=frontdesk.server.url,
        publishable_key=frontdesk.publishable_key,
        secret_key=frontdesk.secret_api_key,
    )
    return wordpress


def sign_in(page: Page, wordpress: WordPress, user: str) -> None:
    page.goto(f"{wordpress.url}/wp-login.php")
    # The login page focuses its first field 200 ms after loading; typing before then could
    # end up in the wrong field.
    expect(page.locator("#user_login")).to_be_focused()
    page.fill("#user_login", user)
    page.fill("#user_pass", PASSWORD)
    page.click("#wp-submit")
    page.wait_for_url("**/wp-admin/**")


@contextmanager
def signed_in_client(wordpress: WordPress, user: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=wordpress.url, timeout=10) as client:
        response = client.post("/wp-login.php", data={"log": user, "pwd": PASSWORD})
        assert response.status_code == 302, f"{user} could not sign in to WordPress"
        yield client


def token_url(page_html: str) -> str:
    found = re.search(r'token-url="([^"]+)"', page_html)
    assert found, "the portal element has a token-url"
    return html.unescape(found.group(1))


@pytest.mark.browser
def test_a_signed_in_user_sees_their_invoice(
    page: Page, configured: WordPress, frontdesk: Frontdesk
) -> None:
    sign_in(page, configured, "casey")
    with page.expect_response(lambda r: "frontdesk/v1/token" in unquote(r.url)) as asked:
        page.goto(configured.page_url)
    portal = page.locator("frontdesk-portal")
    expect(portal.locator(".fd-who")).to_contain_text("Casey Customer")
    expect(portal.locator("#fd-home")).to_contain_text(frontdesk.invoice_number)
    expect(portal.locator("#fd-home .fd-balance")).to_have_text("$125.00")
    # The page came without a token: the portal asked the site's own route when it started.
    assert asked.value.status == 200
    assert portal.get_attribute("token") is None


def test_the_token_route_answers_the_signed_in_user_with_the_pages_nonce(
    configured: WordPress, frontdesk: Frontdesk
) -> None:
    with signed_in_client(configured, "casey") as casey, httpx.Client(timeout=10) as stranger:
        url = token_url(casey.get(configured.page_url).text)
        answer = casey.get(url)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        assert "no-store" in answer.headers["cache-control"]
        embed = tokens.read(frontdesk.settings.secret_key, tokens.Purpose.EMBED, answer.text)
        assert embed.customer_id == frontdesk.customer_id
        # Cookies without the nonce count as signed out (another site could send those).
        assert casey.get(re.sub(r"[&?]_wpnonce=[^&]*", "", url)).status_code == 401
        # The nonce without the user's cookies is refused too.
        assert stranger.get(url).status_code == 403


def test_the_page_never_waits_for_frontdesk(wordpress: WordPress, frontdesk: Frontdesk) -> None:
    with socket.socket() as silent:
        # A Frontdesk that takes connections and never answers: a page that asked it for a
        # token would wait out its 5 s timeout, with the connection left here.
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.setblocking(False)
        wordpress.set_constants()
        wordpress.set_options(
            host=f"http://127.0.0.1:{silent.getsockname()[1]}",
            publishable_key=frontdesk.publishable_key,
            secret_key=frontdesk.secret_api_key,
        )
        with signed_in_client(wordpress, "casey") as casey:
            page_html = casey.get(wordpress.page_url).text
        assert "token-url=" in page_html
        with pytest.raises(BlockingIOError):
            silent.accept()


def test_a_user_with_no_frontdesk_customer_gets_no_token(configured: WordPress) -> None:
    with signed_in_client(configured, "admin") as admin:
        answer = admin.get(token_url(admin.get(configured.page_url).text))
    assert answer.status_code == 404  # and the portal offers the email sign-in


@pytest.mark.browser
def test_a_signed_out_visitor_gets_the_email_sign_in(page: Page, configured: WordPress) -> None:
    page.goto(configured.page_url)
    portal = page.locator("frontdesk-portal")
    expect(portal.locator("#fd-sign-in")).to_contain_text("Your Brightwater Pools account")
    assert portal.get_attribute("token-url") is None


@pytest.mark.browser
@pytest.mark.parametrize(
    "constants",
    [{}, {"host": "https://portal.example.com"}, {"publishable_key": "pk_only"}],
    ids=["nothing set", "only FRONTDESK_HOST", "only FRONTDESK_PUBLISHABLE_KEY"],
)
def test_an_unconfigured_plugin_breaks_nothing(
    page: Page, wordpress: WordPress, constants: dict[str, str]
) -> None:
    wordpress.set_options()
    wordpress.set_constants(**constants)
    response = page.goto(wordpress.page_url)
    assert response is not None and response.status == 200
    expect(page.get_by_text("Your balance, invoices and payments.")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(CRITICAL)
    expect(page.locator("frontdesk-portal, .frontdesk-portal-notice")).to_have_count(0)
    sign_in(page, wordpress, "admin")
    expect(page.locator(".notice-warning", has_text=NOTICE)).to_be_visible()
    page.goto(wordpress.page_url)
    expect(page.locator(".frontdesk-portal-notice")).to_contain_text("not set up yet")


@pytest.mark.browser
def test_settings_page_sets_the_plugin_up(
    page: Page, wordpress: WordPress, frontdesk: Frontdesk
) -> None:
    wordpress.set_options()
    wordpress.set_constants()
    sign_in(page, wordpress, "admin")
    page.goto(f"{wordpress.url}/wp-admin/options-general.php?page=frontdesk-portal")
    page.fill("#frontdesk-portal-host", frontdesk.server.url)
    page.fill("#frontdesk-portal-publishable_key", frontdesk.publishable_key)
    page.fill("#frontdesk-portal-secret_key", frontdesk.secret_api_key)
    page.click("#submit")
    expect(page.locator("#setting-error-settings_updated")).to_be_visible()
    expect(page.locator(".notice-warning", has_text=NOTICE)).to_have_count(0)
    assert frontdesk.secret_api_key not in page.content(), "the secret key is never sent back"
    page.goto(wordpress.page_url)
    # The administrator has no Frontdesk customer, so the portal offers the email sign-in...
    expect(page.locator("frontdesk-portal #fd-sign-in")).to_be_visible()
    # ...and the saved secret key mints the customer's tokens.
    with signed_in_client(wordpress, "casey") as casey:
        assert casey.get(token_url(casey.get(wordpress.page_url).text)).status_code == 200


def test_constants_win_over_the_settings(wordpress: WordPress, frontdesk: Frontdesk) -> None:
    wordpress.set_options(
        host="https://old.example.com", publishable_key="pk_old", secret_key="sk_old"
    )
    wordpress.set_constants(host=frontdesk.server.url, publishable_key=frontdesk.publishable_key)
    page_html = httpx.get(wordpress.page_url, timeout=10).text
    assert f'business="{frontdesk.publishable_key}"' in page_html
    assert re.search(f"async src=.{re.escape(frontdesk.server.url)}/widget/frontdesk.js", page_html)
    assert "old.example.com" not in page_html
