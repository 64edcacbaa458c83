"""PostgreSQL provisioned as the README says, by `frontdesk db provision`: the owner migrates
without a signing key, the application's role uses every table (a later release's too) and
cannot rewrite the schema's version, and a role without grants is refused at start in one line."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from frontdesk.db import Database
from tests.conftest import POSTGRES_URL, TEST_KEYS
from tests.test_cli import run

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="FRONTDESK_TEST_POSTGRES_URL is not set"),
]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def url(role: str, database: str) -> str:
    return (
        make_url(POSTGRES_URL)
        .set(drivername="postgresql+psycopg", username=role, database=database)
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def fresh() -> Iterator[tuple[str, str, str]]:
    """A new database and the names of its two roles, dropped again afterwards."""
    name, owner, app = f"prov_{WORKER}", f"prov_owner_{WORKER}", f"prov_app_{WORKER}"
    admin = create_engine(url("postgres", "postgres"), isolation_level="AUTOCOMMIT")

    def clean() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in (app, owner, f"{app}_bare"):
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))

    clean()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield name, owner, app
    clean()
    admin.dispose()


def test_provisioned_roles_migrate_serve_and_survive_a_later_release(
    fresh: tuple[str, str, str],
) -> None:
    name, owner, app = fresh
    printed = run("db", "provision", "--database", name, "--owner", owner, "--app", app)
    assert printed.returncode == 0 and "ALTER DEFAULT PRIVILEGES FOR ROLE" in printed.stdout
    applied = run(
        "db",
        "provision",
        "--database",
        name,
        "--owner",
        owner,
        "--app",
        app,
        "--apply",
        url("postgres", name),
    )
    assert applied.returncode == 0, applied.stderr
    # The owner migrates, with no signing key in sight.
    migrated = run("migrate", database_url=url(owner, name))
    assert migrated.returncode == 0, migrated.stderr
    served = Database(url(app, name))
    try:
        assert served.missing_grants() == []
        assert not served.bypasses_row_security()
        with served.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            with pytest.raises(ProgrammingError, match="permission denied"):
                connection.execute(text("UPDATE alembic_version SET version_num = 'x'"))
            connection.rollback()
        # The next release's migration, run by the owner, adds a table: the app can use it.
        owning = create_engine(url(owner, name))
        with owning.begin() as connection:
            connection.execute(text("CREATE TABLE later_release (id integer PRIMARY KEY)"))
        owning.dispose()
        with served.engine.begin() as connection:
            connection.execute(text("INSERT INTO later_release (id) VALUES (1)"))
            assert connection.execute(text("SELECT count(*) FROM later_release")).scalar() == 1
    finally:
        served.dispose()


def test_a_role_without_grants_is_refused_at_start_in_one_line(
    fresh: tuple[str, str, str],
) -> None:
    name, owner, app = fresh
    assert (
        run(
            "db",
            "provision",
            "--database",
            name,
            "--owner",
            owner,
            "--app",
            app,
            "--apply",
            url("postgres", name),
        ).returncode
        == 0
    )
    assert run("migrate", database_url=url(owner, name)).returncode == 0
    admin = create_engine(url("postgres", name), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{app}_bare" LOGIN'))
        connection.execute(text(f'GRANT CONNECT ON DATABASE "{name}" TO "{app}_bare"'))
    admin.dispose()
    refused = run(
        "serve",
        "--port",
        "9",
        secret_key=TEST_KEYS[0],
        database_url=url(f"{app}_bare", name),
    )
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "cannot read and write" in refused.stderr and "frontdesk db provision" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
