"""Statements built once, run straight on the driver (frontdesk/driver_reads.py), give what
SQLAlchemy gives: the same rows, converted the same way, for IN lists of any length, and the same
errors."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import bindparam, column, select, table
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from frontdesk.db import (
    BUSINESS,
    Database,
    DatabaseUnavailable,
    _prebuilt,
    in_business,
    prebuilt,
    read,
)
from frontdesk.driver_reads import columns_of, loaded
from frontdesk.models import Customer, Invoice
from frontdesk.services import portal
from tests.test_isolation import _values, full  # noqa: F401 (a fixture)


def _core(session: Any, statement: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What SQLAlchemy's own execution gives for the statement: the reference."""
    bound = {**params, BUSINESS: session.info["business_id"]}
    return [tuple(row) for row in session.connection().execute(statement, bound)]


def _read_as_rows(statement: Any) -> bool:
    described = getattr(statement, "column_descriptions", ())  # a UNION has none: rows
    return not any(isinstance(it["expr"], type) for it in described)


def test_every_statement_built_once_reads_as_sqlalchemy_reads_it(
    db: Database,
    full: dict[str, Any],  # noqa: F811
) -> None:
    import frontdesk.app  # noqa: F401  (importing the services builds their statements)

    statements = [statement for statement, _ in _prebuilt.values() if _read_as_rows(statement)]
    assert len(statements) >= 7
    compared = 0
    for statement in statements:
        params = _values(statement, full)
        # IN lists of each length render their own SQL: none, one and two items.
        lists = [[], [full["customer"]], [full["customer"], "cus_nobody"]]
        for customers in lists if "customers" in params else [params.get("customers")]:
            if customers is not None:
                params["customers"] = customers
            with db.session(full["b"]) as session:
                expected = _core(session, statement, params)
                found = read(session, statement, params).all()
            assert found == expected, statement
            # Converted alike: dates as dates, enums as enums, not as the driver's strings.
            for got, want in zip(found, expected, strict=True):
                assert [type(value) for value in got] == [type(value) for value in want]
            compared += bool(expected)
    assert compared >= 7  # most find B's rows: equal because both are empty proves little


def test_an_entity_is_not_read_as_rows(db: Database, full: dict[str, Any]) -> None:  # noqa: F811
    whole = prebuilt(select(Invoice).where(Invoice.business_id == bindparam(BUSINESS)))
    try:
        with db.session(full["b"]) as session, pytest.raises(ValueError, match="not entities"):
            read(session, whole)
    finally:
        del _prebuilt[id(whole)]


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(
    db: Database,
    full: dict[str, Any],  # noqa: F811
) -> None:
    nowhere = table("nowhere", column("business_id"), column("amount"))
    missing = prebuilt(select(nowhere.c.amount).where(nowhere.c.business_id == bindparam(BUSINESS)))
    raised = []
    try:
        for run in (_core, lambda session, statement, params: read(session, statement, params)):
            with pytest.raises(Exception) as caught, db.session(full["b"]) as session:
                run(session, missing, {})
            raised.append(caught.value)
    finally:
        del _prebuilt[id(missing)]
    # SQLite's is an OperationalError, which a session reports as the database away.
    assert type(raised[0]) is type(raised[1]) and str(raised[0]) == str(raised[1])
    assert isinstance(raised[1], DBAPIError | DatabaseUnavailable)


def test_an_entity_loaded_from_a_row_is_the_sessions_own(
    db: Database,
    full: dict[str, Any],  # noqa: F811
) -> None:
    one = prebuilt(
        sqlalchemy.select(*columns_of(Customer)).where(
            in_business(Customer), col(Customer.id) == bindparam("customer")
        )
    )
    said = {"customer": full["customer"]}
    try:
        with db.session(full["b"]) as session:
            customer = loaded(session, Customer, read(session, one, said).one())
            assert session.get(Customer, full["customer"]) is customer  # not loaded again
            assert not session.dirty
            # A second read of it gives the same entity, as the ORM's identity map would.
            assert loaded(session, Customer, read(session, one, said).one()) is customer
            customer.name = "Renamed Once"
        with db.session(full["b"]) as session:
            assert read(session, one, said).one()[columns_of(Customer).index(Customer.name)] == (
                "Renamed Once"
            )
    finally:
        del _prebuilt[id(one)]


def test_what_listens_to_the_engine_hears_a_read(
    db: Database,
    full: dict[str, Any],  # noqa: F811
) -> None:
    """The tests' meetings (tests/interleave.py) and the benchmarks' counts see every statement."""
    heard: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        heard.append(statement)

    sqlalchemy.event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.session(full["b"]) as session:
            read(
                session, portal._SIGNED_IN, {"customer": full["customer"], "session": "ses_x"}
            ).one()
    finally:
        sqlalchemy.event.remove(db.engine, "before_cursor_execute", note)
    assert any("FROM customer" in statement for statement in heard), heard
