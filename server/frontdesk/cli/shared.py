"""What every command shares: ending in one readable line, and reaching the database."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from frontdesk import migrations  # type: ignore[attr-defined]
from frontdesk.db import Database
from frontdesk.settings import DatabaseSettings


class CommandError(Exception):
    """Ends the command with this one-line message and exit status 1."""


def database(settings: DatabaseSettings, *, current: bool = True) -> Database:
    """The database, answering; with `current`, its schema up to date and ours to read and write
    too, so a command run before `frontdesk migrate` says so instead of failing on a table."""
    db = Database(settings.resolved_database_url)
    db.check()
    if not current:
        return db
    missing = db.missing_grants()
    if missing:
        raise CommandError(
            f"the database role cannot read and write {', '.join(missing[:5])}"
            f"{' and more' if len(missing) > 5 else ''}: run `frontdesk migrate` as the owner, "
            "and grant the application's role as `frontdesk db provision` prints"
        )
    if not _schema_is_current(db):
        raise CommandError("the database schema is not up to date: run `frontdesk migrate` first")
    return db


def _schema_is_current(db: Database) -> bool:
    head = ScriptDirectory.from_config(migrations.config(db.url)).get_current_head()
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
