"""What every command shares: ending in one readable line, and reaching the database."""

from __future__ import annotations

from frontdesk.db import Database
from frontdesk.settings import (
    DatabaseSettings,
)


class CommandError(Exception):
    """Ends the command with this one-line message and exit status 1."""


def _database(settings: DatabaseSettings) -> Database:
    db = Database(settings.resolved_database_url)
    db.check()
    return db
