"""The `frontdesk` command: demo, serve, migrate, and a few administrative helpers."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import col, select
from starlette.applications import Starlette

from frontdesk import demo, log, migrations, provision, tokens  # type: ignore[attr-defined]
from frontdesk.app import create_app
from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.models import Business, utcnow
from frontdesk.processors import ProcessorError
from frontdesk.processors.sandbox import create_app as create_sandbox
from frontdesk.processors.sandbox.store import Store
from frontdesk.processors.stripe import StripeProcessor
from frontdesk.sample_site import create_app as create_sample_site
from frontdesk.services import businesses, customers
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from frontdesk.settings import (
    SANDBOX_PUBLISHABLE_KEY,
    DatabaseSettings,
    Settings,
    SettingsError,
    default_data_dir,
    load,
    load_database,
    sandbox_secrets,
)


class CommandError(Exception):
    """Ends the command with this one-line message and exit status 1."""


def _database(settings: DatabaseSettings) -> Database:
    db = Database(settings.resolved_database_url)
    db.check()
    return db


def _schema_is_current(db: Database) -> bool:
    head = ScriptDirectory.from_config(migrations.config(db.url)).get_current_head()
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


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


def _demo_data_dir(given: str | None) -> Path:
    return Path(given or os.environ.get("FRONTDESK_DATA_DIR") or default_data_dir() / "demo")


def _demo_settings(data_dir: Path, port: int) -> Settings:
    """The demo's settings: its own key in its data directory and, unless a Stripe key is set,
    the local sandbox on PORT+2 with secrets derived from that key."""
    secret_key = (_demo_secret(data_dir),)
    stripe_settings = {}
    if not os.environ.get("FRONTDESK_STRIPE_SECRET_KEY"):
        sandbox_secret, sandbox_webhooks = sandbox_secrets(secret_key)
        stripe_settings = {
            "stripe_secret_key": sandbox_secret,
            "stripe_publishable_key": SANDBOX_PUBLISHABLE_KEY,
            "stripe_webhook_secret": sandbox_webhooks,
            "stripe_api_base": f"http://127.0.0.1:{port + 2}",
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
    for taken in (p for p in (port, site_port, sandbox_port) if not _port_free(host, p)):
        raise CommandError(
            f"port {taken} is already in use (is another `frontdesk demo` running?); "
            f"pick free ones with --port {port + 100}"
        )
    data_dir = _demo_data_dir(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    sandbox_url = f"http://{host}:{sandbox_port}"
    # No Stripe key: the demo pays through the local sandbox, and says so on screen.
    uses_sandbox = not os.environ.get("FRONTDESK_STRIPE_SECRET_KEY")
    settings = _demo_settings(data_dir, port)
    log.configure(settings.log_level)
    db = _database(settings)
    migrations.upgrade(db.url)
    site_origin = f"http://{host}:{site_port}"
    seeded = demo.ensure(db, sample_site_origin=site_origin)
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
        servers.append((sandbox, sandbox_port))
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
        + f"  Data: {data_dir}   (Ctrl+C stops)\n",
        flush=True,
    )
    portal = create_app(settings, db)
    site = create_sample_site(settings, seeded.business, seeded.signed_in_customer)
    asyncio.run(_serve_together([(portal, port), (site, site_port), *servers], host))
    return 0


async def _serve_together(apps: list[tuple[Starlette, int]], host: str) -> None:
    servers = [
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))
        for app, port in apps
    ]
    await asyncio.gather(*(server.serve() for server in servers))


def production_app() -> Starlette:
    """The app `serve` runs in each uvicorn worker, built from the environment. A worker that
    cannot start says why in one line before uvicorn reports it gone."""
    try:
        settings = load()
        log.configure(settings.log_level)
        return create_app(settings)
    except Exception as exc:
        logging.getLogger("frontdesk").critical("this worker could not start: %s", exc)
        raise SystemExit(3) from None


def cmd_serve(args: argparse.Namespace) -> int:
    if args.stripe_sandbox:
        if args.workers != 1:
            raise CommandError("the Stripe sandbox keeps its state in one process: use --workers 1")
        # Workers read settings from the environment, so the flag travels there.
        os.environ["FRONTDESK_STRIPE_SANDBOX"] = "true"
    settings = load()
    db = _database(settings)
    missing = db.missing_grants()
    if missing:
        raise CommandError(
            f"the database role cannot read and write {', '.join(missing[:5])}"
            f"{' and more' if len(missing) > 5 else ''}: run `frontdesk migrate` as the owner, "
            "and grant the application's role as `frontdesk db provision` prints"
        )
    if not _schema_is_current(db):
        raise CommandError("the database schema is not up to date: run `frontdesk migrate` first")
    log.configure(settings.log_level)
    if db.bypasses_row_security():
        logging.getLogger("frontdesk").warning(
            "the database role is a superuser or has BYPASSRLS, so row-level security does not "
            "apply to it; connect as a role made for the application (see SECURITY.md)"
        )
    db.dispose()
    uvicorn.run(
        "frontdesk.cli:production_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        # Our request log writes each request without its query string, which can hold a token;
        # uvicorn's own access line would not leave it out.
        access_log=False,
        # The app reads forwarded headers itself, from FRONTDESK_TRUSTED_PROXIES only.
        proxy_headers=False,
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    db = _database(load_database())
    migrations.upgrade(db.url)
    print(f"database {db.safe_url} is up to date")
    return 0


def cmd_db_provision(args: argparse.Namespace) -> int:
    """Print (or, with --apply, run) the roles and grants PostgreSQL needs."""
    try:
        lines = provision.statements(
            database=args.database,
            owner=args.owner,
            app=args.app,
            owner_password=os.environ.get("FRONTDESK_DB_OWNER_PASSWORD"),
            app_password=os.environ.get("FRONTDESK_DB_APP_PASSWORD"),
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if not args.apply:
        print(provision.script(lines), end="")
        return 0
    try:
        provision.apply(args.apply, lines)
    except Exception as exc:
        raise CommandError(f"provisioning failed: {str(exc).strip().splitlines()[0]}") from None
    print(
        f"{args.owner} (runs `frontdesk migrate`) and {args.app} (runs everything else) are ready"
    )
    return 0


def cmd_business_create(args: argparse.Namespace) -> int:
    settings = load()
    db = _database(settings)
    password = args.owner_password or secrets.token_urlsafe(12)
    with db.unscoped("creating a business") as session:
        created = businesses.create(
            session,
            name=args.name,
            owner_email=args.owner_email,
            owner_password=password,
            currency=args.currency,
            allowed_origins=args.allowed_origin,
        )
    business = created.business
    print(
        json.dumps(
            {
                "business_id": business.id,
                "name": business.name,
                "slug": business.slug,
                "currency": business.currency,
                "publishable_key": business.publishable_key,
                "secret_api_key": created.secret_api_key,
                "allowed_origins": business.allowed_origins,
                "dashboard": {
                    "url": f"{settings.base_url}/dashboard/",
                    "email": created.owner.email,
                    "password": password,
                },
            },
            indent=2,
        )
    )
    return 0


def cmd_customer_token(args: argparse.Namespace) -> int:
    settings = load()
    db = _database(settings)
    with db.session(args.business) as session:
        business = businesses.get(session, args.business)
        customer = customers.get(session, business=business, customer_id=args.customer)
        if not customer.portal_enabled:
            raise CommandError(f"customer {customer.id} has portal access turned off")
    print(Links.from_settings(settings).token(tokens.Purpose.EMBED, customer))
    return 0


def cmd_books_check(args: argparse.Namespace) -> int:
    """Check the books of one business or all of them; exit 1 naming each broken record."""
    if args.demo:
        data_dir = _demo_data_dir(args.data_dir)
        if not (data_dir / "secret_key").exists():
            raise CommandError(f"there is no demo in {data_dir}: run `frontdesk demo` first")
        settings = _demo_settings(data_dir, args.port)
    else:
        settings = load()
    db = _database(settings)
    processor = StripeProcessor.from_settings(settings) if settings.stripe_secret_key else None
    with db.unscoped("the books check visits every business it is asked about") as session:
        query = select(Business).order_by(col(Business.name))
        if args.business:
            query = query.where(Business.id == args.business)
        chosen = list(session.exec(query).all())
    if not chosen:
        raise CommandError(f"no business {args.business}" if args.business else "no businesses")
    broken = 0
    now = utcnow()
    for business in chosen:
        try:
            with db.session(business.id) as session:
                report = ledger.check(session, business=business, processor=processor, now=now)
                ledger.record(session, business=business, report=report)
        except ProcessorError as error:
            raise CommandError(f"could not ask the payment processor: {error}") from None
        counts = ", ".join(f"{n} {what}" for what, n in sorted(report.counts.items()))
        if report.ok:
            print(f"{business.name} ({business.id}): the books balance ({counts})")
        else:
            broken += 1
            print(f"{business.name} ({business.id}): {len(report.problems)} problems ({counts})")
            for problem in report.problems:
                print(f"  {problem}")
        if report.in_flight:
            print(
                f"  {len(report.in_flight)} charges still arriving: {', '.join(report.in_flight)}"
            )
        if processor is None:
            print("  not compared with a payment processor: no Stripe key is set")
    return 1 if broken else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str, func: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(func=func)
        return sub

    run_demo = command("demo", cmd_demo, "seed a demo business and serve it with a sample website")
    run_demo.add_argument(
        "--port", type=int, default=8000, help="portal port; the website uses PORT+1"
    )
    run_demo.add_argument(
        "--data-dir", help="where the demo keeps its database (created if missing)"
    )

    serve = command("serve", cmd_serve, "run the production server from FRONTDESK_* settings")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--stripe-sandbox",
        action="store_true",
        help="staging and tests: serve the local Stripe sandbox at /_stripe and pay through it",
    )

    command("migrate", cmd_migrate, "bring the database schema up to date")

    database = commands.add_parser("db", help="the database's roles and grants")
    database_commands = database.add_subparsers(dest="action", required=True)
    prov = database_commands.add_parser(
        "provision",
        help="print the SQL that makes the schema's owner, the application's role and their "
        "grants (passwords from FRONTDESK_DB_OWNER_PASSWORD and FRONTDESK_DB_APP_PASSWORD); "
        "--apply runs it as an administrator",
    )
    prov.set_defaults(func=cmd_db_provision)
    prov.add_argument("--database", required=True, help="the database's name")
    prov.add_argument("--owner", default="frontdesk_owner", help="runs `frontdesk migrate`")
    prov.add_argument("--app", default="frontdesk_app", help="runs everything else")
    prov.add_argument("--apply", metavar="ADMIN_URL", help="run it, connected as this URL")

    business = commands.add_parser("business", help="manage businesses")
    business_commands = business.add_subparsers(dest="action", required=True)
    create = business_commands.add_parser("create", help="create a business and its owner")
    create.set_defaults(func=cmd_business_create)
    create.add_argument("--name", required=True)
    create.add_argument("--owner-email", required=True)
    create.add_argument("--owner-password", help="generated and printed when omitted")
    create.add_argument("--currency", default="USD")
    create.add_argument("--allowed-origin", action="append", default=[], metavar="URL")

    books = commands.add_parser("books", help="the books: money moved exactly once")
    books_commands = books.add_subparsers(dest="action", required=True)
    check = books_commands.add_parser(
        "check",
        help="check every payment, refund, invoice and balance against each other and against "
        "the payment processor; exits 1 naming each broken record",
    )
    check.set_defaults(func=cmd_books_check)
    check.add_argument("--business", metavar="ID", help="only this business")
    check.add_argument(
        "--demo", action="store_true", help="check the demo's books (and its local sandbox)"
    )
    check.add_argument("--port", type=int, default=8000, help="with --demo: the demo's port")
    check.add_argument("--data-dir", help="with --demo: the demo's data directory")

    customer = commands.add_parser("customer", help="customer helpers")
    customer_commands = customer.add_subparsers(dest="action", required=True)
    token = customer_commands.add_parser("token", help="print a signed embed token")
    token.set_defaults(func=cmd_customer_token)
    token.add_argument("--business", required=True, metavar="ID")
    token.add_argument("--customer", required=True, metavar="ID")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except (CommandError, SettingsError, DatabaseUnavailable) as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 1
    except Invalid as exc:
        details = "; ".join(f"{field}: {message}" for field, message in exc.fields.items())
        print(f"frontdesk: {details or exc.message}", file=sys.stderr)
        return 1
    except NotFound as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
