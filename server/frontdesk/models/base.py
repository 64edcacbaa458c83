"""What every table shares: random public ids, UTC timestamps and the tenant column."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# 16 random bytes: ids cannot be guessed or enumerated (ASVS 8.2.2).
_ID_BYTES = 16


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(_ID_BYTES)}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite keeps no zone) and always hands back an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class TenantScoped(SQLModel):
    """Rows owned by one business. The session guard in db.py filters every query on this column."""

    business_id: str = Field(foreign_key="business.id", index=True, max_length=40)


def status_field(default: Any = ...) -> Any:
    """A StrEnum column stored as a plain string, so adding a value never needs a migration."""
    return Field(default=default, sa_type=String(20), nullable=False)
