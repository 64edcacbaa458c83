"""The server-side snippets mint working tokens against a real server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer

SNIPPETS = Path(__file__).resolve().parents[1] / "embed-snippets" / "server-side"


@pytest.fixture
def customer_env(live_server: LiveServer, db: Database) -> tuple[dict[str, str], str]:
    created = make_business(db)
    with db.session(created.business.id) as session:
        customer = make_customer(session, created.business, external_id="user-42")
    env = {
        **os.environ,
        "FRONTDESK_HOST": live_server.url,
        "FRONTDESK_SECRET_KEY": created.secret_api_key,
    }
    return env, customer.id


def check(settings: Settings, token: str, customer_id: str) -> None:
    assert tokens.read(settings.secret_key, tokens.Purpose.EMBED, token).customer_id == customer_id


def test_the_python_snippet(customer_env: tuple[dict[str, str], str], settings: Settings) -> None:
    env, customer_id = customer_env
    code = (
        f"import sys; sys.path.insert(0, {str(SNIPPETS)!r}); import mint_token; "
        "print(mint_token.portal_token('user-42'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    check(settings, result.stdout.strip(), customer_id)


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_the_node_snippet(customer_env: tuple[dict[str, str], str], settings: Settings) -> None:
    env, customer_id = customer_env
    code = (
        f"import({str(SNIPPETS / 'mint-token.mjs')!r})"
        ".then(m => m.portalToken('user-42')).then(t => console.log(t))"
    )
    result = subprocess.run(
        ["node", "-e", code], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    check(settings, result.stdout.strip(), customer_id)


WEBHOOKS = SNIPPETS.parent / "webhooks"


def signed_delivery() -> tuple[bytes, str, str]:
    from frontdesk.services import webhooks

    secret = "whsec_snippet_test"
    body = b'{"id":"evt_1","type":"invoice.paid","data":{"invoice":"inv_1"}}'
    return body, webhooks.sign(secret, body.decode(), int(time.time())), secret


def test_the_python_webhook_check() -> None:
    sys.path.insert(0, str(WEBHOOKS))
    try:
        import verify_webhook
    finally:
        sys.path.remove(str(WEBHOOKS))
    body, header, secret = signed_delivery()
    assert verify_webhook.verify(body, header, secret)
    assert not verify_webhook.verify(body + b" ", header, secret)
    assert not verify_webhook.verify(body, header, "whsec_other")
    assert not verify_webhook.verify(body, header, secret, now=time.time() + 301)
    assert not verify_webhook.verify(body, "t=1,v1=", secret)


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_the_node_webhook_check() -> None:
    body, header, secret = signed_delivery()
    code = (
        f"import({str(WEBHOOKS / 'verify-webhook.mjs')!r}).then(m => console.log(JSON.stringify(["
        f"m.verify(Buffer.from(process.argv[1]), process.argv[2], process.argv[3]),"
        f"m.verify(Buffer.from(process.argv[1] + ' '), process.argv[2], process.argv[3]),"
        f"m.verify(Buffer.from(process.argv[1]), process.argv[2], 'whsec_other'),"
        f"m.verify(Buffer.from(process.argv[1]), process.argv[2], process.argv[3],"
        f" Date.now() / 1000 + 301)"
        "])))"
    )
    result = subprocess.run(
        ["node", "-e", code, body.decode(), header, secret],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[true,false,false,false]"


@pytest.mark.skipif(not shutil.which("php"), reason="php is not installed (Debian: php-cli)")
def test_the_php_webhook_check() -> None:
    body, header, secret = signed_delivery()
    code = (
        f"require {str(WEBHOOKS / 'verify-webhook.php')!r};"
        "echo json_encode([frontdesk_verify_webhook($argv[1], $argv[2], $argv[3]),"
        "frontdesk_verify_webhook($argv[1] . ' ', $argv[2], $argv[3])]);"
    )
    result = subprocess.run(
        ["php", "-r", code, body.decode(), header, secret],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[true,false]"
