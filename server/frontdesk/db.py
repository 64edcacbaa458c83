"""The engine, transactional sessions, and the guard that keeps every query inside one business.

A session is opened either for one business (`db.session(business_id)`), in which case every ORM
SELECT, UPDATE and DELETE on a tenant-owned table gets `business_id = :id` added and every write is
checked to stay inside that business; or explicitly unscoped with a reason (sign-in lookups, the
job runner, creating a business). A query on a tenant-owned table in a session that is neither
raises, so a forgotten scope fails loudly instead of leaking rows. Statements built once
(`prebuilt`, the portal's reads) write their filter in instead (`in_business`), checked at first
use; the guard then only binds the session's business, and `read` may run them as Core.

On PostgreSQL each transaction also tells the database its scope, and row-level security
policies (migrations/row_security.py) enforce it again for whatever SQL runs: a second wall.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    BinaryExpression,
    BindParameter,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Executable,
    bindparam,
    event,
    text,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import ORMExecuteState, SessionTransaction, with_loader_criteria
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session, SQLModel, col, create_engine

from frontdesk import driver_reads
from frontdesk.models import TenantScoped
from frontdesk.services import versions

log = logging.getLogger("frontdesk.db")
S = TypeVar("S", bound=Executable)


def _first_line(exc: Exception) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class TenantScopeError(RuntimeError):
    """A tenant-owned table was queried or written without (or outside) a business scope."""


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message says where and why in one line."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed during a write; busy_timeout queues writers instead of failing:
    # long enough for a crowd of payments on a busy two-core machine (robustness/test_load.py).
    for pragma in (
        "PRAGMA foreign_keys=ON",
        "PRAGMA journal_mode=WAL",
        "PRAGMA busy_timeout=15000",
        "PRAGMA synchronous=NORMAL",
    ):
        cursor.execute(pragma)
    cursor.close()


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        # One log line when the database goes away and one when it is back, not one per request.
        self._down = False
        self._state = threading.Lock()

    @contextmanager
    def session(self, business_id: str) -> Iterator[Session]:
        """One transaction scoped to one business: commits on success, rolls back on error."""
        with self._session({"business_id": business_id}) as session:
            yield session

    @contextmanager
    def unscoped(self, reason: str) -> Iterator[Session]:
        """One transaction that may cross businesses. `reason` documents why at the call site."""
        with self._session({"unscoped": reason}) as session:
            yield session

    @contextmanager
    def _session(self, info: dict[str, str]) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                session.info.update(info)
                with session.begin():
                    yield session
        except (OperationalError, InterfaceError) as exc:
            # The database is away (or too busy to answer): callers answer 503 and try later.
            raise self._went_away(exc) from None
        if self._down:
            self._came_back()

    def _went_away(self, exc: Exception) -> DatabaseUnavailable:
        reason = _first_line(exc)
        with self._state:
            if not self._down:
                self._down = True
                log.error("the database went away: %s", reason)
        return DatabaseUnavailable(f"cannot reach the database at {self.safe_url}: {reason}")

    def _came_back(self) -> None:
        with self._state:
            if self._down:
                self._down = False
                log.warning("the database is back")

    def check(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            raise DatabaseUnavailable(
                f"cannot reach the database at {self.safe_url}: {_first_line(exc)}"
            ) from None

    def missing_grants(self) -> list[str]:
        """The tables our role may not read and write (PostgreSQL): each is a start-up refusal,
        in one line, instead of a traceback on the first request that needs it."""
        if self.engine.dialect.name != "postgresql":
            return []
        names = sorted(table.name for table in SQLModel.metadata.sorted_tables)
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    # Several privileges in one call means any of them: each is asked apart.
                    "SELECT name FROM unnest(CAST(:names AS text[])) AS name WHERE "
                    "to_regclass(name) IS NULL OR NOT ("
                    + " AND ".join(
                        f"has_table_privilege(current_user, name, '{privilege}')"
                        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE")
                    )
                    + ")"
                ),
                {"names": names},
            ).all()
        return [row[0] for row in rows]

    def bypasses_row_security(self) -> bool:
        """Does our database role skip row-level security (superuser or BYPASSRLS)?"""
        if self.engine.dialect.name != "postgresql":
            return False
        with self.engine.connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
                    )
                ).scalar()
            )

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


@cache
def _tenant_models() -> tuple[type[TenantScoped], ...]:
    # Each mapped class, not the mixin: SQLModel fields are not attributes of an unmapped base.
    found: list[type[TenantScoped]] = []
    pending: list[type[TenantScoped]] = [TenantScoped]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if hasattr(model, "__table__"):
            found.append(model)
    return tuple(found)


@cache
def _tenant_tables() -> dict[Any, type[TenantScoped]]:
    return {model.__table__: model for model in _tenant_models()}  # type: ignore[attr-defined]


@lru_cache(maxsize=256)
def _criteria(business_id: str, models: frozenset[type[TenantScoped]]) -> tuple[Any, ...]:
    """The `business_id = :id` filter for each of these tenant tables, made once per business
    and set of tables: one option per table costs more than running most of our queries. An
    expression, not a lambda: a lambda's criteria are evaluated again at every execution to find
    the value they hold."""
    return tuple(
        with_loader_criteria(model, col(model.business_id) == business_id)
        for model in sorted(models, key=lambda model: model.__name__)
    )


def _tenant_models_in(statement: Any) -> frozenset[type[TenantScoped]]:
    """Every tenant table a statement reads or writes, wherever it stands: selected, joined, in a
    subquery or an EXISTS, or named only by a column. Options for tables it does not touch cost
    as much to build as those it does, and there are dozens of tenant tables."""
    tenant = _tenant_tables()
    found = find_tables(
        statement,
        check_columns=True,
        include_aliases=True,
        include_joins=True,
        include_selects=True,
        include_crud=True,
    )
    return frozenset(tenant[table] for table in found if table in tenant)


# The parameter the session's business is bound to: a name of its own, so that no statement's
# parameter of the same name is rebound by mistake.
BUSINESS = "scope_business_id"


def in_business(model: type[TenantScoped]) -> ColumnElement[bool]:
    """`business_id = :scope_business_id` for one tenant table: the filter a statement built once
    (`prebuilt`) writes for every tenant table it reads, the session's scope bound to it."""
    return col(model.business_id) == bindparam(BUSINESS)


def _filtered_models(statement: Any) -> frozenset[type[TenantScoped]]:
    """The tenant tables a statement filters with `in_business`, wherever the filter stands (a
    WHERE, a join's ON, a subquery's). It sees tables, not each place one is read: a table read
    twice needs its filter at both, which tests/test_isolation.py proves by running every
    statement built once over another business's rows."""
    tenant = _tenant_tables()
    filtered = set()
    for element in visitors.iterate(statement):
        if not isinstance(element, BinaryExpression) or element.operator is not operators.eq:
            continue
        column, value = element.left, element.right
        if (
            isinstance(column, Column)
            and column.name == "business_id"
            and isinstance(value, BindParameter)
            and value.key == BUSINESS
            and column.table in tenant
        ):
            filtered.add(tenant[column.table])
    return frozenset(filtered)


# Statements built once (prebuilt below), each checked at its first execution.
_prebuilt: dict[int, tuple[Any, bool]] = {}


def prebuilt(statement: S) -> S:
    """A statement built once, at import, with bound parameters for what varies between
    executions: building one costs more than running it. It filters every tenant table it
    reads itself (`in_business`), so the guard adds no criteria, only binds the session's
    business: options cost more at each execution than running most of our queries. The
    registry keeps it alive, so its id stays its own."""
    _prebuilt[id(statement)] = (statement, False)
    return statement


def _is_prebuilt(statement: Any) -> bool:
    known = _prebuilt.get(id(statement))
    if known is None or known[0] is not statement:
        return False
    if not known[1]:
        # Checked at first use, once every model is imported, not when the statement was built.
        if not statement.is_select:
            # Its business would be bound by whoever runs it: writes go through the guard.
            raise TenantScopeError(f"a statement built once only reads: {statement}")
        missing = _tenant_models_in(statement) - _filtered_models(statement)
        if missing:
            names = ", ".join(sorted(model.__name__ for model in missing))
            raise TenantScopeError(
                f"a statement built once reads {names} without in_business({names}): {statement}"
            )
        _prebuilt[id(statement)] = (statement, True)
    return True


def read(
    session: Session, statement: Executable, params: Mapping[str, Any] | None = None
) -> driver_reads.Rows:
    """A statement built once, run on the session's connection straight through the driver
    (driver_reads): rows, not entities, and none of the ORM's or Core's execution on the way,
    which cost more than a small query itself. Its business filters are its own (in_business);
    this binds the session's business to them."""
    business_id = session.info.get("business_id")
    if business_id is None or not _is_prebuilt(statement):
        raise TenantScopeError("db.read runs a statement built once, in one business's session")
    # As the ORM would before a query: what this transaction changed is what it reads.
    session.flush()
    return driver_reads.run(
        session.connection(), statement, {**(params or {}), BUSINESS: business_id}
    )


def _touches_tenant_table(state: ORMExecuteState) -> bool:
    return any(issubclass(mapper.class_, TenantScoped) for mapper in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_business(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent query was already scoped
    info = state.session.info
    business_id = info.get("business_id")
    if business_id is not None:
        if state.is_select and isinstance(state.parameters, Mapping | None):
            # Bound for in_business wherever it stands, in statements built once or not (an
            # UPDATE's parameters are also the values it sets; none writes in_business).
            state.parameters = {**(state.parameters or {}), BUSINESS: business_id}
        if _is_prebuilt(state.statement):
            return
        models = _tenant_models_in(state.statement)
        if models:
            state.statement = state.statement.options(*_criteria(business_id, models))
    elif "unscoped" not in info and _touches_tenant_table(state):
        raise TenantScopeError(
            "query on a tenant-owned table outside a business scope: "
            "open it with db.session(business_id), or db.unscoped(reason) on purpose"
        )


_SET_SCOPE = text(
    "SELECT set_config('frontdesk.business_id', :business_id, true), "
    "set_config('frontdesk.all_businesses', :all_businesses, true)"
)


@event.listens_for(Session, "after_begin")
def _tell_the_database(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    # Transaction-local (true): a pooled connection carries nothing into the next transaction.
    if connection.dialect.name != "postgresql":
        return
    info = session.info
    connection.execute(
        _SET_SCOPE,
        {
            "business_id": info.get("business_id", ""),
            "all_businesses": "on" if "unscoped" in info else "off",
        },
    )


@event.listens_for(Session, "before_flush")
def _writes_stay_in_business(session: Session, _context: Any, _instances: Any) -> None:
    if "unscoped" in session.info:
        return
    business_id = session.info.get("business_id")
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, TenantScoped):
            continue
        if business_id is None:
            raise TenantScopeError(f"write to {type(obj).__name__} outside a business scope")
        if obj.business_id != business_id:
            raise TenantScopeError(
                f"write to {type(obj).__name__} of another business from this session"
            )


@event.listens_for(Session, "after_flush")
def _move_data_versions(session: Session, _context: Any) -> None:
    # In the flush's own transaction: a view's entity tag never outlives what it was made from.
    versions.flushed(session)


@event.listens_for(Session, "do_orm_execute")
def _move_data_versions_on_core_writes(state: ORMExecuteState) -> None:
    versions.executing(state)
