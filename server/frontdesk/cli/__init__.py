"""The `frontdesk` command: demo, serve, migrate, and a few administrative helpers."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from frontdesk.services.errors import Invalid, NotFound

Command = Callable[[argparse.Namespace], int]


def _later(module: str, name: str) -> Command:
    """A command's function, imported when the command runs: each needs its own part of the
    application, and importing all of it for every command took most of a quick one's time
    (`frontdesk --help` 2.9 s)."""

    def run(args: argparse.Namespace) -> int:
        function: Command = getattr(importlib.import_module(f"frontdesk.cli.{module}"), name)
        return function(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func: Command, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(func=func)
        return sub

    run_demo = command(
        "demo",
        _later("demo", "cmd_demo"),
        "seed a demo business and serve it with a sample website",
    )
    run_demo.add_argument(
        "--port", type=int, default=8000, help="portal port; the website uses PORT+1"
    )
    run_demo.add_argument(
        "--data-dir", help="where the demo keeps its database (created if missing)"
    )

    serve = command(
        "serve", _later("serve", "cmd_serve"), "run the production server from FRONTDESK_* settings"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        help="processes serving requests (default: one per core; one with --stripe-sandbox)",
    )
    serve.add_argument(
        "--stripe-sandbox",
        action="store_true",
        help="staging and tests: serve the local Stripe sandbox at /_stripe and pay through it",
    )

    command("migrate", _later("admin", "cmd_migrate"), "bring the database schema up to date")

    database = commands.add_parser("db", help="the database's roles and grants")
    database_commands = database.add_subparsers(dest="action", required=True)
    prov = database_commands.add_parser(
        "provision",
        help="print the SQL that makes the schema's owner, the application's role and their "
        "grants (passwords from FRONTDESK_DB_OWNER_PASSWORD and FRONTDESK_DB_APP_PASSWORD); "
        "--apply runs it as an administrator",
    )
    prov.set_defaults(func=_later("admin", "cmd_db_provision"))
    prov.add_argument("--database", required=True, help="the database's name")
    prov.add_argument("--owner", default="frontdesk_owner", help="runs `frontdesk migrate`")
    prov.add_argument("--app", default="frontdesk_app", help="runs everything else")
    prov.add_argument("--apply", metavar="ADMIN_URL", help="run it, connected as this URL")

    business = commands.add_parser("business", help="manage businesses")
    business_commands = business.add_subparsers(dest="action", required=True)
    create = business_commands.add_parser("create", help="create a business and its owner")
    create.set_defaults(func=_later("admin", "cmd_business_create"))
    create.add_argument("--name", required=True)
    create.add_argument("--owner-email", required=True)
    create.add_argument("--owner-password", help="generated and printed when omitted")
    create.add_argument("--currency", default="USD")
    create.add_argument("--allowed-origin", action="append", default=[], metavar="URL")
    link = business_commands.add_parser(
        "connect",
        help="print the Stripe onboarding link for a business's owner (making its Stripe "
        "account first) and, with --wait, report when they are through; exits 0 once customers "
        "can pay",
    )
    link.set_defaults(func=_later("connect", "cmd_business_connect"))
    link.add_argument("--business", required=True, metavar="ID")
    link.add_argument("--type", default="express", help="express or standard, for a new account")
    link.add_argument("--wait", type=int, default=0, metavar="SECONDS", help="wait this long")
    link.add_argument("--status", action="store_true", help="only ask Stripe and report")
    fee = business_commands.add_parser(
        "fee", help="the platform's fee on each of the business's charges (from the next one)"
    )
    fee.set_defaults(func=_later("connect", "cmd_business_fee"))
    fee.add_argument("--business", required=True, metavar="ID")
    fee.add_argument("--percent", help="like 1.5")
    fee.add_argument("--fixed", help="an amount in the business's currency, like 0.30")
    fee.add_argument("--none", action="store_true", help="no fee")

    books = commands.add_parser("books", help="the books: money moved exactly once")
    books_commands = books.add_subparsers(dest="action", required=True)
    check = books_commands.add_parser(
        "check",
        help="check every payment, refund, invoice and balance against each other and against "
        "the payment processor; exits 1 naming each broken record",
    )
    check.set_defaults(func=_later("admin", "cmd_books_check"))
    check.add_argument("--business", metavar="ID", help="only this business")
    check.add_argument(
        "--demo", action="store_true", help="check the demo's books (and its local sandbox)"
    )
    check.add_argument("--port", type=int, default=8000, help="with --demo: the demo's port")
    check.add_argument("--data-dir", help="with --demo: the demo's data directory")

    theme = commands.add_parser("theme", help="for designers: theme packs")
    theme_commands = theme.add_subparsers(dest="action", required=True)
    gallery = theme_commands.add_parser(
        "serve",
        help="serve the theme gallery (every portal view in each state, on sample data) for a "
        "theme.css, reloading it whenever the file is saved",
    )
    gallery.set_defaults(func=_later("theme", "cmd_theme_serve"))
    gallery.add_argument("path", metavar="PATH/theme.css", help="a theme pack's theme.css")
    gallery.add_argument("--host", default="127.0.0.1")
    gallery.add_argument("--port", type=int, default=8800)

    customer = commands.add_parser("customer", help="customer helpers")
    customer_commands = customer.add_subparsers(dest="action", required=True)
    token = customer_commands.add_parser("token", help="print a signed embed token")
    token.set_defaults(func=_later("admin", "cmd_customer_token"))
    token.add_argument("--business", required=True, metavar="ID")
    token.add_argument("--customer", required=True, metavar="ID")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Here, not at the top: these bring the database layer, which --help does without.
    from frontdesk.cli.shared import CommandError
    from frontdesk.db import DatabaseUnavailable
    from frontdesk.settings import SettingsError

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
