"""`frontdesk demo`: the seeded demo business, its sample website, the local Stripe sandbox,
the local texts stand-in and the local PayPal stand-in, each on its own port."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import secrets
import socket
from pathlib import Path
from typing import TextIO

import uvicorn
from starlette.applications import Starlette

from frontdesk import demo, demo_paypal, log, migrations  # type: ignore[attr-defined]
from frontdesk.app import create_app
from frontdesk.cli.shared import CommandError, database
from frontdesk.processors import paypal_standin
from frontdesk.processors.sandbox import create_app as create_sandbox
from frontdesk.processors.sandbox.store import Store
from frontdesk.sample_site import create_app as create_sample_site
from frontdesk.settings import (
    SANDBOX_PUBLISHABLE_KEY,
    Settings,
    default_data_dir,
    load,
    sandbox_secrets,
)
from frontdesk.texts import sandbox as texts_sandbox

# The number the demo's texts come from (a fictional one).
DEMO_SMS_FROM = "+15550100"


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a demo that just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _demo_secret(data_dir: Path) -> str:
    """A key made on the first demo run and reused, so demo links survive a restart."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_data_dir(given: str | None, port: int) -> Path:
    """Each demo port has its own data by default: a second demo on another port must not
    rewrite the first one's allowed origins (its website would be refused)."""
    default = default_data_dir() / f"demo-{port}"
    return Path(given or os.environ.get("FRONTDESK_DATA_DIR") or default)


def _hold(data_dir: Path) -> TextIO:
    """Claims the data directory for this demo while it runs (the lock goes with the process)."""
    lock = (data_dir / "demo.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise CommandError(
            f"another `frontdesk demo` is using {data_dir}: stop it, or give this one its own "
            "with --data-dir"
        ) from None
    return lock


def demo_settings(data_dir: Path, port: int) -> Settings:
    """The demo's settings: its own key in its data directory and, unless their own are set,
    the local Stripe sandbox on PORT+2, texts stand-in on PORT+3 and PayPal stand-in on PORT+4,
    with secrets derived from that key."""
    secret_key = (_demo_secret(data_dir),)
    stripe_settings = {}
    if not os.environ.get("FRONTDESK_STRIPE_SECRET_KEY"):
        sandbox_secret, sandbox_webhooks = sandbox_secrets(secret_key)
        stripe_settings = {
            "stripe_secret_key": sandbox_secret,
            "stripe_publishable_key": SANDBOX_PUBLISHABLE_KEY,
            "stripe_webhook_secret": sandbox_webhooks,
            "stripe_api_base": f"http://127.0.0.1:{port + 2}",
            "stripe_connect_client_id": "ca_sandbox",
        }
    if not os.environ.get("FRONTDESK_SMS_ACCOUNT_SID"):
        sid, token = texts_sandbox.credentials(secret_key)
        stripe_settings |= {
            "sms_base_url": f"http://127.0.0.1:{port + 3}",
            "sms_account_sid": sid,
            "sms_auth_token": token,
            "sms_from": DEMO_SMS_FROM,
        }
    if not os.environ.get("FRONTDESK_PAYPAL_CLIENT_ID"):
        client_id, secret, webhook_id = demo_paypal.credentials(secret_key)
        stripe_settings |= {
            "paypal_base_url": f"http://127.0.0.1:{port + 4}",
            "paypal_client_id": client_id,
            "paypal_secret": secret,
            "paypal_webhook_id": webhook_id,
        }
    return load(
        environment="demo",
        data_dir=data_dir,
        secret_key=secret_key,
        base_url=f"http://127.0.0.1:{port}",
        **stripe_settings,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    host, port, site_port, sandbox_port = "127.0.0.1", args.port, args.port + 1, args.port + 2
    texts_port, paypal_port = args.port + 3, args.port + 4
    for taken in (
        p
        for p in (port, site_port, sandbox_port, texts_port, paypal_port)
        if not _port_free(host, p)
    ):
        raise CommandError(
            f"port {taken} is already in use (is another `frontdesk demo` running?); "
            f"pick free ones with --port {port + 100}"
        )
    data_dir = demo_data_dir(args.data_dir, port)
    data_dir.mkdir(parents=True, exist_ok=True)
    held = _hold(data_dir)
    sandbox_url = f"http://{host}:{sandbox_port}"
    # No Stripe key: the demo pays through the local sandbox, and says so on screen.
    uses_sandbox = not os.environ.get("FRONTDESK_STRIPE_SECRET_KEY")
    settings = demo_settings(data_dir, port)
    # The demo's screen is its banner: only warnings and errors below it, unless asked for more.
    log.configure(settings.log_level if "FRONTDESK_LOG_LEVEL" in os.environ else "warning")
    db = database(settings, current=False)
    migrations.upgrade(db.url)
    site_origin = f"http://{host}:{site_port}"
    seeded = demo.ensure(db, sample_site_origin=site_origin, settings=settings)
    servers: list[tuple[Starlette, int]] = []
    if uses_sandbox:
        sandbox = create_sandbox(
            secret_key=settings.stripe_secret_key,
            publishable_key=SANDBOX_PUBLISHABLE_KEY,
            webhook_url=f"{settings.base_url}/webhooks/stripe",
            webhook_secret=settings.stripe_webhook_secret,
            # Kept beside the database, so a restarted demo's saved cards still work.
            store=Store.open(settings.sandbox_state),
        )
        store: Store = sandbox.state.store
        with store.lock:
            store.create_ready_account(seeded.business.name, account_id=demo.DEMO_ACCOUNT)
            store.save()
        servers.append((sandbox, sandbox_port))
    uses_texts_sandbox = not os.environ.get("FRONTDESK_SMS_ACCOUNT_SID")
    if uses_texts_sandbox:
        texts_app = texts_sandbox.create_app(
            account_sid=settings.sms_account_sid,
            auth_token=settings.sms_auth_token,
            number=settings.sms_from,
            inbound_url=f"{settings.base_url}/webhooks/texts",
            # Kept beside the database: a restarted demo still lists the texts it sent.
            state=texts_sandbox.State.open(data_dir / "texts-sandbox.json"),
        )
        servers.append((texts_app, texts_port))
    uses_paypal_standin = not os.environ.get("FRONTDESK_PAYPAL_CLIENT_ID")
    if uses_paypal_standin:
        demo_paypal.enable(db, seeded.business)
        servers.append((_paypal_standin(settings, data_dir), paypal_port))
    print(
        "\nFrontdesk demo is running (test mode: no real money moves).\n\n"
        f"  Sample business website, signed in as {seeded.signed_in_customer.name}:\n"
        f"    {site_origin}/account\n\n"
        f"  Business dashboard:\n"
        f"    {settings.base_url}/dashboard/\n"
        f"    sign in as {seeded.owner_email} / {seeded.owner_password}\n\n"
        + (
            f"  Payments go to the local Stripe sandbox at {sandbox_url}:\n"
            "    card 4242 4242 4242 4242 pays, 4000 0025 0000 3155 asks for 3-D Secure,\n"
            "    4000 0000 0000 9995 is declined.\n\n"
            if uses_sandbox
            else ""
        )
        + (
            f"  PayPal payments go to the local PayPal stand-in at {settings.paypal_base_url}:\n"
            "    its approval page approves, declines or leaves a payment pending.\n\n"
            if uses_paypal_standin
            else ""
        )
        + "  Emails it would send wait in the dashboard's Developers page.\n"
        + (
            f"  Texts go to the local texts stand-in at http://{host}:{texts_port}/, where\n"
            f"    {seeded.signed_in_customer.phone} can reply STOP; the dashboard's Texts page\n"
            "    lists them.\n"
            if uses_texts_sandbox
            else ""
        )
        + f"  Data: {data_dir}   (Ctrl+C stops)\n",
        flush=True,
    )
    portal = create_app(settings, db)
    site_key = demo.sample_site_key(db, seeded.business, data_dir / "sample_site_api_key")
    site = create_sample_site(settings, seeded.business, seeded.signed_in_customer, site_key)
    asyncio.run(_serve_together([(portal, port), (site, site_port), *servers], host))
    held.close()
    return 0


def _paypal_standin(settings: Settings, data_dir: Path) -> Starlette:
    """The PayPal stand-in, its state kept in the data directory like the Stripe sandbox's."""
    return paypal_standin.create_app(
        client_id=settings.paypal_client_id,
        secret=settings.paypal_secret,
        base_url=settings.paypal_base_url,
        webhook_url=f"{settings.base_url}/webhooks/paypal",
        webhook_id=settings.paypal_webhook_id,
        store=paypal_standin.Store.open(data_dir / "paypal-standin.json"),
    )


async def _serve_together(apps: list[tuple[Starlette, int]], host: str) -> None:
    servers = [
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))
        for app, port in apps
    ]
    await asyncio.gather(*(server.serve() for server in servers))
