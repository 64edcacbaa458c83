"""`frontdesk serve`: the production server, refusing a database it cannot work with in one line."""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn
from starlette.applications import Starlette

from frontdesk import log
from frontdesk.app import create_app
from frontdesk.cli.shared import CommandError, database
from frontdesk.services import staff
from frontdesk.settings import (
    load,
)


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
    if args.workers is None:
        # Each process is one core's worth of Python; the sandbox keeps its state in one.
        args.workers = 1 if args.stripe_sandbox else os.cpu_count() or 1
    if args.stripe_sandbox:
        if args.workers != 1:
            raise CommandError("the Stripe sandbox keeps its state in one process: use --workers 1")
        # Workers read settings from the environment, so the flag travels there.
        os.environ["FRONTDESK_STRIPE_SANDBOX"] = "true"
    settings = load()
    db = database(settings)
    log.configure(settings.log_level)
    if db.bypasses_row_security():
        logging.getLogger("frontdesk").warning(
            "the database role is a superuser or has BYPASSRLS, so row-level security does not "
            "apply to it; connect as a role made for the application (see SECURITY.md)"
        )
    if staff.CHEAP_HASHING:
        logging.getLogger("frontdesk").warning(
            "FRONTDESK_CHEAP_PASSWORD_HASHING is on: staff passwords are hashed with argon2's "
            "cheapest profile, which is for test suites, not for real accounts"
        )
    db.dispose()
    uvicorn.run(
        "frontdesk.cli.serve:production_app",
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
