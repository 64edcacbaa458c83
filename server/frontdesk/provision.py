"""Provisioning PostgreSQL as code: the schema's owner (who runs `frontdesk migrate`), the
application's role (what `frontdesk serve` connects as: no superuser, no BYPASSRLS, rights on rows
only) and the grants between them, written so they hold for tables later releases add.

The grants that matter are `ALTER DEFAULT PRIVILEGES FOR ROLE <owner>`: default privileges apply
to tables *that role* creates, so run by `postgres` without `FOR ROLE` they would cover only
tables `postgres` makes, and the next migration's tables would be unreadable by the application.
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _quoted_password(password: str | None) -> str:
    if password is None:
        return ""
    return " PASSWORD '" + password.replace("'", "''") + "'"


def statements(
    *,
    database: str,
    owner: str,
    app: str,
    owner_password: str | None = None,
    app_password: str | None = None,
) -> list[str]:
    """The SQL, in order, to run as a superuser (or the database's owner) on `database`."""
    for name in (database, owner, app):
        if not IDENTIFIER.match(name):
            raise ValueError(f"{name!r} is not a plain lower-case identifier")
    return [
        # Roles: made once; running this again changes nothing.
        f"DO $$ BEGIN CREATE ROLE {owner} LOGIN NOSUPERUSER{_quoted_password(owner_password)}; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        f"DO $$ BEGIN CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS"
        f"{_quoted_password(app_password)}; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        f"GRANT CONNECT ON DATABASE {database} TO {owner}, {app}",
        # PostgreSQL 15 no longer lets every role create in `public`: the owner must, to migrate.
        f"GRANT USAGE, CREATE ON SCHEMA public TO {owner}",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        # Extensions the migrations use, made here by the superuser: the owner may not create
        # them (booking's exclusion constraint needs btree_gist's equality on text in GiST).
        "CREATE EXTENSION IF NOT EXISTS btree_gist",
        # Every table the owner makes, now or in a later release: rights on rows for the app.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        # Tables the owner made before this ran.
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        # The schema's version: the app reads it (to refuse an old schema), only migrations
        # write it. Made here, owned by the owner, so its grants are set before the first run.
        "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        f"ALTER TABLE alembic_version OWNER TO {owner}",
        f"REVOKE ALL ON alembic_version FROM {app}",
        f"GRANT SELECT ON alembic_version TO {app}",
    ]


def script(lines: list[str]) -> str:
    """The statements as a file for psql."""
    return "".join(f"{statement};\n" for statement in lines)


def apply(admin_url: str, lines: list[str]) -> None:
    """Run the statements as the administrator `admin_url` connects as."""
    if admin_url.startswith("postgresql://"):
        admin_url = "postgresql+psycopg://" + admin_url.removeprefix("postgresql://")
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in lines:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
