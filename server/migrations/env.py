"""Alembic environment: runs migrations online against the URL the caller put in the config."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import String, Text
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import frontdesk.models  # noqa: F401  (registers every table on SQLModel.metadata)
from frontdesk.db import make_engine
from frontdesk.models.base import UTCDateTime


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations stay plain SQLAlchemy so they never import application code that may change.
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    if kind == "type" and isinstance(obj, Text):
        return "sa.Text()"
    if kind == "type" and isinstance(obj, (AutoString, String)):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def run() -> None:
    url = context.config.attributes["database_url"]
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Row-level security is forced on the owner too; a migration that moves data
                # works across every business, and says so for its own transaction.
                connection.exec_driver_sql(
                    "SELECT set_config('frontdesk.all_businesses', 'on', true)"
                )
            context.run_migrations()
    engine.dispose()


run()
