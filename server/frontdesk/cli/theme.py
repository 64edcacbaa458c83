"""`frontdesk theme serve`: the theme gallery for a theme.css being written, on sample data,
reloading whenever the file is saved. No database of the user's: a throw-away one is made."""

from __future__ import annotations

import argparse
import secrets
import tempfile
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from frontdesk import log, migrations  # type: ignore[attr-defined]
from frontdesk.app import create_app
from frontdesk.cli.demo import _port_free
from frontdesk.cli.shared import CommandError
from frontdesk.routes import local_gallery
from frontdesk.settings import load


def local_app(theme_file: Path, scratch: Path, base_url: str) -> Starlette:
    """The portal's app on a database in `scratch`, with the gallery for `theme_file` at /."""
    database_url = f"sqlite:///{scratch / 'frontdesk.db'}"
    settings = load(
        environment="test",
        data_dir=scratch,
        # Set here, so no FRONTDESK_DATABASE_URL in the designer's shell is ever touched.
        database_url=database_url,
        secret_key=(secrets.token_urlsafe(48),),
        base_url=base_url,
        run_jobs=False,
        stripe_sandbox=False,
    )
    # Nothing the gallery shows is read from it; the portal's other routes answer as they would.
    migrations.upgrade(database_url)
    app = create_app(settings)
    app.router.routes[0:0] = local_gallery.routes
    app.state.theme_file = theme_file
    return app


def cmd_theme_serve(args: argparse.Namespace) -> int:
    theme_file = Path(args.path).resolve()
    if not theme_file.is_file():
        raise CommandError(f"{args.path} is not a file: give the theme.css you are writing")
    if not _port_free(args.host, args.port):
        raise CommandError(f"port {args.port} is already in use: pick another with --port")
    log.configure("warning")
    url = f"http://{args.host}:{args.port}"
    with tempfile.TemporaryDirectory(prefix="frontdesk-theme-") as scratch:
        app = local_app(theme_file, Path(scratch), url)
        print(
            f"\nTheme gallery for {theme_file}:\n    {url}/\n"
            "It reloads whenever you save the file.   (Ctrl+C stops)\n",
            flush=True,
        )
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
    return 0
