"""The `frontdesk` command, run as a real process: output, and one clear line for each failure."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.processors.sandbox.app import sign
from frontdesk.services import businesses
from frontdesk.settings import sandbox_secrets
from tests.conftest import TEST_KEYS, csrf_field
from tests.factories import make_customer

FRONTDESK = [sys.executable, "-m", "frontdesk.cli"]


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update({f"FRONTDESK_{k.upper()}": v for k, v in settings.items()})
    return env


def run(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FRONTDESK, *args], env=environment(**settings), capture_output=True, text=True, timeout=60
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"frontdesk: {expected}"), result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def wait_for(
    done: Callable[[], bool], what: str, process: subprocess.Popen[str], log: Path
) -> None:
    """Wait for progress, not for a fixed time: up to a generous minute, failing with what it
    was waiting for and the process's log."""
    deadline = time.monotonic() + 60
    while not done():
        assert process.poll() is None, f"waiting for {what}, the process ended:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"no {what} in a minute:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)


def free_port() -> int:
    # Five consecutive free ports: the demo uses PORT to PORT+4.
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        try:
            for then in (port + 1, port + 2, port + 3, port + 4):
                with socket.socket() as next_one:
                    next_one.bind(("127.0.0.1", then))
        except OSError:
            continue
        return port
    raise RuntimeError("no five free ports in a row")


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "frontdesk"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "demo" in result.stdout and "serve" in result.stdout


def test_bad_settings_end_with_one_line(tmp_path: Path) -> None:
    assert_one_clear_line(run("serve", secret_key="short"), "FRONTDESK_SECRET_KEY: each key")
    assert_one_clear_line(run("serve"), "FRONTDESK_SECRET_KEY is missing")
    # Migrating signs nothing, so it asks for no key.
    migrated = run("migrate", database_url=f"sqlite:///{tmp_path}/fd.db")
    assert migrated.returncode == 0, migrated.stderr


def test_an_unreachable_database_ends_with_one_line() -> None:
    result = run(
        "migrate", secret_key=TEST_KEYS[0], database_url="postgresql://nobody@127.0.0.1:1/x"
    )
    assert_one_clear_line(
        result, "cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:1/x"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["business", "create", "--name", "Pools", "--owner-email", "o@example.com"],
        ["customer", "token", "--business", "bus_x", "--customer", "cus_x"],
        ["books", "check"],
    ],
)
def test_commands_before_migrate_say_to_migrate(tmp_path: Path, command: list[str]) -> None:
    result = run(*command, secret_key=TEST_KEYS[0], database_url=f"sqlite:///{tmp_path}/new.db")
    assert_one_clear_line(result, "the database schema is not up to date: run `frontdesk migrate`")


def test_business_create_prints_keys_once_and_a_working_login(
    database_url: str, db: Database
) -> None:
    result = run(
        "business",
        "create",
        "--name",
        "Brightwater Pools",
        "--owner-email",
        "Owner@Brightwater.example",
        "--allowed-origin",
        "https://brightwater.example/",
        "--currency",
        "eur",
        secret_key=TEST_KEYS[0],
        database_url=database_url,
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["slug"] == "brightwater-pools"
    assert created["currency"] == "EUR"
    assert created["publishable_key"].startswith("pk_")
    assert created["secret_api_key"].startswith("sk_")
    assert created["allowed_origins"] == ["https://brightwater.example"]
    assert created["dashboard"]["email"] == "owner@brightwater.example"
    with db.unscoped("the test reads back what the command made") as session:
        business = businesses.get(session, created["business_id"])
        from frontdesk.services import staff

        assert staff.authenticate(
            session, email="owner@brightwater.example", password=created["dashboard"]["password"]
        )
    assert created["secret_api_key"] not in json.dumps(business.model_dump(), default=str)


def test_business_create_refuses_bad_input(database_url: str) -> None:
    result = run(
        "business",
        "create",
        "--name",
        "X",
        "--owner-email",
        "a@b.example",
        "--currency",
        "ABC",
        secret_key=TEST_KEYS[0],
        database_url=database_url,
    )
    assert_one_clear_line(result, "currency: ABC is not a known currency")


def test_customer_token_mints_an_embed_token(database_url: str, db: Database) -> None:
    from tests.factories import make_business

    business = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
    result = run(
        "customer",
        "token",
        "--business",
        business.id,
        "--customer",
        customer.id,
        secret_key=TEST_KEYS[0],
        database_url=database_url,
    )
    assert result.returncode == 0, result.stderr
    claims = tokens.read(TEST_KEYS, tokens.Purpose.EMBED, result.stdout.strip())
    assert (claims.business_id, claims.customer_id) == (business.id, customer.id)
    missing = run(
        "customer",
        "token",
        "--business",
        business.id,
        "--customer",
        "cus_nope",
        secret_key=TEST_KEYS[0],
        database_url=database_url,
    )
    assert_one_clear_line(missing, "no such customer")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    output = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [*FRONTDESK, "demo", "--port", str(port), "--data-dir", str(tmp_path / "demo")],
        env=environment(),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, (tmp_path / "demo.log").read_text()
        assert time.monotonic() < deadline, "the demo did not come up"
        time.sleep(0.2)
    yield process, port
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)
    output.close()


def test_demo_serves_the_portal_and_a_sample_website_on_another_origin(
    demo: tuple[subprocess.Popen[str], int], tmp_path: Path
) -> None:
    _, port = demo
    site = httpx.get(f"http://127.0.0.1:{port + 1}/account")
    assert site.status_code == 200
    assert '<frontdesk-portal business="pk_' in site.text
    assert f"http://127.0.0.1:{port}/widget/frontdesk.js" in site.text
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True) as client:
        form = client.get("/dashboard/sign-in")
        token = csrf_field(form.text)
        home = client.post(
            "/dashboard/sign-in",
            data={
                "email": "owner@greenleaf.example",
                "password": "greenleaf-demo",
                "csrf_token": token,
            },
        )
    assert "Jordan Rivera" in home.text and "$420.17 owed" in home.text
    # One banner says what to open; migrations, four servers and requests say nothing.
    printed = (tmp_path / "demo.log").read_text()
    assert printed.count("Frontdesk demo is running") == 1
    assert printed.count(f"http://127.0.0.1:{port + 1}/account") == 1
    # Texts go to the local stand-in, which lists them on its own page.
    assert f"http://127.0.0.1:{port + 3}/" in printed
    assert "Texts sent from +15550100" in httpx.get(f"http://127.0.0.1:{port + 3}/").text
    assert not [line for line in printed.splitlines() if line.startswith("{")], printed


def test_a_second_demo_on_a_taken_port_ends_with_one_line(
    demo: tuple[subprocess.Popen[str], int],
    tmp_path: Path,
) -> None:
    _, port = demo
    result = run("demo", "--port", str(port), "--data-dir", str(tmp_path / "second"))
    assert_one_clear_line(result, f"port {port} is already in use")


def test_a_second_demo_on_the_same_data_ends_with_one_line(
    demo: tuple[subprocess.Popen[str], int],
    tmp_path: Path,
) -> None:
    result = run("demo", "--port", str(free_port()), "--data-dir", str(tmp_path / "demo"))
    assert_one_clear_line(result, f"another `frontdesk demo` is using {tmp_path / 'demo'}")


def test_serve_runs_a_worker_per_core_after_migrate(tmp_path: Path) -> None:
    settings = {"secret_key": TEST_KEYS[0], "database_url": f"sqlite:///{tmp_path}/fd.db"}
    assert run("migrate", **settings).returncode == 0
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    cores = os.cpu_count() or 1
    process = subprocess.Popen(
        [*FRONTDESK, "serve", "--port", str(port)],
        env=environment(**settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
        assert response.json() == {"status": "ok", "database": "ok"}
        # One worker answering is not all started: wait for the rest (a busy machine starts
        # them seconds apart), and say how many there were if they never come.
        wait_for(
            lambda: (
                (tmp_path / "serve.log").read_text().count("Application startup complete") == cores
            ),
            f"{cores} workers to start",
            process,
            tmp_path / "serve.log",
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        log.close()
    started = (tmp_path / "serve.log").read_text().count("Application startup complete")
    assert started == 2


def test_serve_refuses_the_stripe_sandbox_in_production(tmp_path: Path) -> None:
    settings = {"secret_key": TEST_KEYS[0], "database_url": f"sqlite:///{tmp_path}/fd.db"}
    result = run("serve", "--stripe-sandbox", **settings)
    assert_one_clear_line(result, "FRONTDESK_STRIPE_SANDBOX takes no real money")
    many = run("serve", "--stripe-sandbox", "--workers", "2", environment="test", **settings)
    assert_one_clear_line(many, "the Stripe sandbox keeps its state in one process")


def test_serve_with_the_stripe_sandbox_for_staging(tmp_path: Path) -> None:
    settings = {
        "secret_key": TEST_KEYS[0],
        "database_url": f"sqlite:///{tmp_path}/fd.db",
        "data_dir": str(tmp_path),
        "environment": "test",
    }
    assert run("migrate", **settings).returncode == 0
    port = free_port()
    settings["base_url"] = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [*FRONTDESK, "serve", "--port", str(port), "--stripe-sandbox"],
        env=environment(**settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                script = httpx.get(f"http://127.0.0.1:{port}/_stripe/v3/stripe.js")
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
        assert script.status_code == 200 and "window.Stripe" in script.text
        secret, webhook_secret = sandbox_secrets(TEST_KEYS)
        created = httpx.post(
            f"http://127.0.0.1:{port}/_stripe/v1/customers",
            headers={"Authorization": f"Bearer {secret}"},
            data={"email": "c@example.com"},
        )
        assert created.json()["object"] == "customer"
        # The well-known keys of earlier releases open nothing: not the API...
        guessed = httpx.post(
            f"http://127.0.0.1:{port}/_stripe/v1/customers",
            headers={"Authorization": "Bearer sk_test_sandbox"},
            data={"email": "c@example.com"},
        )
        assert guessed.status_code == 401
        # ...and not the webhook: only the derived secret signs an event we accept.
        event = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded"}).encode()
        for key, status in (("whsec_sandbox", 400), (webhook_secret, 400)):
            answer = httpx.post(
                f"http://127.0.0.1:{port}/webhooks/stripe",
                content=event,
                headers={"Stripe-Signature": sign(key, event)},
            )
            assert answer.status_code == status
            assert ("bad signature" in answer.text) == (key == "whsec_sandbox")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        log.close()
    assert "no real money moves" in (tmp_path / "serve.log").read_text()
