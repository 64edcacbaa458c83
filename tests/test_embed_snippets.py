"""The server-side snippets mint working tokens against a real server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
