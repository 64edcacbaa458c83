"""Statements built once (db.prebuilt), run straight on the database driver.

SQLAlchemy's execution of a cached statement (an execution context, its parameters gathered
and processed, a result's metadata, expanding IN lists rendered anew) costs four times what
SQLite takes to answer a small query, and the portal's home runs seven of them. A statement built
once is compiled once per dialect here instead, and for each length of its IN lists its SQL is
rendered once; each run only orders and converts its values, asks the driver, and converts the
columns back with the dialect's own processors, as SQLAlchemy would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Convert = Callable[[Any], Any]
M = TypeVar("M")


@dataclass
class _Rendered:
    """A statement's SQL for one set of IN-list lengths: its text, what goes where and how."""

    sql: str
    order: Sequence[str] | None  # positional drivers (SQLite): the parameters' names in order
    convert: Mapping[str, Any]
    # Each IN list's name, and the names its items are bound under.
    expansion: dict[str, list[str]]


@dataclass
class _Compiled:
    statement: Executable
    compiled: SQLCompiler
    expanding: tuple[str, ...]
    rendered: dict[tuple[int, ...], _Rendered] = field(default_factory=dict)
    # The columns' converters, by the driver's type codes for them (PostgreSQL's can differ).
    columns: dict[tuple[Any, ...], list[Convert | None]] = field(default_factory=dict)


# By statement and what its SQL is written for: the dialect, its driver and how it binds.
_compiled: dict[tuple[int, str, str], _Compiled] = {}


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    key = (id(statement), dialect.dialect_description, dialect.paramstyle)
    found = _compiled.get(key)
    # An id outlives its statement when one built for a moment (a test's) is let go.
    if found is None or found.statement is not statement:
        assert isinstance(statement, ClauseElement)
        if any(
            isinstance(it["expr"], type) for it in getattr(statement, "column_descriptions", ())
        ):
            raise ValueError(f"a read gives rows: select columns, not entities: {statement}")
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if (
            compiled.literal_execute_params
            or compiled.escaped_bind_names
            or any(parameter.type._is_tuple_type for parameter in compiled.post_compile_params)
        ):
            # Rendered here, these would need more of SQLAlchemy's work than a read is worth.
            raise ValueError(f"a read binds plain values by plain names: {statement}")
        expanding = tuple(
            compiled.bind_names[parameter] for parameter in compiled.post_compile_params
        )
        found = _compiled[key] = _Compiled(statement, compiled, expanding)
    return found


def _render(found: _Compiled, values: MutableMapping[str, Any]) -> _Rendered:
    compiled = found.compiled
    lengths = tuple(len(values[name]) for name in found.expanding)
    rendered = found.rendered.get(lengths)
    if rendered is None:
        if not found.expanding:
            rendered = _Rendered(
                compiled.string, compiled.positiontup, compiled._bind_processors, {}
            )
        else:
            # SQLAlchemy renders the lists for these values; the text is the same for any values
            # of the same lengths, with the same names bound.
            expanded = compiled._process_parameters_for_postcompile(dict(values))
            convert = {**compiled._bind_processors, **expanded.processors}
            rendered = _Rendered(
                expanded.statement,
                expanded.positiontup,
                convert,
                dict(expanded.parameter_expansion),
            )
        found.rendered[lengths] = rendered
    return rendered


def _parameters(
    rendered: _Rendered, values: MutableMapping[str, Any]
) -> Sequence[Any] | dict[str, Any]:
    for name, names in rendered.expansion.items():
        values.update(zip(names, values.pop(name), strict=True))
    convert = rendered.convert
    if rendered.order is not None:
        return tuple(
            convert[name](values[name]) if name in convert else values[name]
            for name in rendered.order
        )
    return {
        name: convert[name](value) if name in convert else value for name, value in values.items()
    }


def run(connection: Connection, statement: Executable, params: Mapping[str, Any]) -> Rows:
    """The statement's rows on this connection (in its transaction), converted as SQLAlchemy
    converts them; a driver's error raised as SQLAlchemy's (so a database away is one still)."""
    dialect = connection.dialect
    found = _compile(statement, dialect)
    values = found.compiled.construct_params(params, escape_names=False)
    rendered = _render(found, values)
    parameters = _parameters(rendered, values)
    driver = connection.connection
    cursor = driver.cursor()
    sql, events = rendered.sql, connection.dispatch
    try:
        # What listens to the engine's statements (the tests' meetings, the benchmarks' counts)
        # hears these too.
        for listener in events.before_cursor_execute:
            sql, parameters = listener(connection, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters)
        for listener in events.after_cursor_execute:
            listener(connection, cursor, sql, parameters, None, False)
        codes = tuple(column[1] for column in cursor.description)
        raw = cursor.fetchall()
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, driver, cursor):
            connection.invalidate(error)
        raise DBAPIError.instance(
            sql, parameters, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()
    converters = found.columns.get(codes)
    if converters is None:
        converters = found.columns[codes] = [
            column[3]._cached_result_processor(dialect, code)
            for column, code in zip(found.compiled._result_columns, codes, strict=True)
        ]
    if any(converters):
        raw = [
            tuple(
                value if to is None else to(value)
                for to, value in zip(converters, row, strict=True)
            )
            for row in raw
        ]
    return Rows(raw)


class Rows:
    """A read's rows as tuples, with the few ways of taking them our services use."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self._rows: list[tuple[Any, ...]] = list(rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def all(self) -> list[tuple[Any, ...]]:
        return self._rows

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def one(self) -> tuple[Any, ...]:
        if not self._rows:
            raise NoResultFound("no row where one was expected")
        if len(self._rows) > 1:
            raise MultipleResultsFound("more than one row where one was expected")
        return self._rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


def columns_of(model: type[Any]) -> list[Any]:
    """A model's columns, in the order `loaded` takes their values: as the model's attributes,
    so that a statement selecting them is the ORM's to scope to a business (db's guard)."""
    return [getattr(model, attribute.key) for attribute in inspect(model).column_attrs]


def loaded(session: Session, model: type[M], values: Sequence[Any]) -> M:
    """An entity from a read's row (its `columns_of`), in the session as though the ORM had
    loaded it (as its loader does: a new instance, its state filled in): changes to it are
    flushed, and nothing of it is loaded again. The ORM's own query for one row costs twice this."""
    mapper = inspect(model)
    entity = mapper.class_manager.new_instance()
    keys = [attribute.key for attribute in mapper.column_attrs]
    entity.__dict__.update(zip(keys, values, strict=True))
    make_transient_to_detached(entity)
    known = session.identity_map.get(inspect(entity).key)
    if known is not None:
        return known  # type: ignore[no-any-return]
    session.add(entity)
    return entity  # type: ignore[no-any-return]
