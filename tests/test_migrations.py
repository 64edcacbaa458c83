"""Migrations build exactly the schema the models describe, and undo it, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from frontdesk import migrations  # type: ignore[attr-defined]
from frontdesk.db import Database


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_tenant_table_is_keyed_by_business(db: Database) -> None:
    inspector = inspect(db.engine)
    for table in inspector.get_table_names():
        # Rate limits count callers (addresses, keys), not one business's records.
        if table in ("business", "alembic_version", "rate_limit"):
            continue
        columns = {column["name"]: column for column in inspector.get_columns(table)}
        assert "business_id" in columns, table
        assert columns["business_id"]["nullable"] is False, table


def test_downgrade_and_upgrade_again(owner_database_url: str, db: Database) -> None:
    migrations.downgrade(owner_database_url, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(owner_database_url)
    assert set(SQLModel.metadata.tables) <= set(inspect(db.engine).get_table_names())
