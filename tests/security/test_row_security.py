"""PostgreSQL's row-level security, the second wall: with the application's query guard out of the
way (plain SQL), the database itself keeps each transaction inside its business. Run as the role
the whole PostgreSQL suite uses, which is neither superuser nor BYPASSRLS (conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import SQLModel

from frontdesk.db import Database
from tests.factories import make_business, make_customer, make_invoice

pytestmark = pytest.mark.usefixtures("postgres_only")


@pytest.fixture
def postgres_only(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; SQLite has only the query guard")


@pytest.fixture
def two(db: Database) -> dict[str, str]:
    ids = {}
    for name in ("a", "b"):
        made = make_business(db)
        with db.session(made.business.id) as session:
            customer = make_customer(session, made.business, name=f"Customer {name}")
            make_invoice(session, made.business, customer)
        ids[name] = made.business.id
    return ids


def tenant_tables() -> list[str]:
    return sorted(
        table.name
        for table in SQLModel.metadata.sorted_tables
        if "business_id" in table.c and table.name != "business"
    )


def test_the_suite_runs_as_a_role_that_row_security_binds(db: Database) -> None:
    assert not db.bypasses_row_security()
    with db.engine.connect() as connection:
        owner = connection.execute(
            text("SELECT tableowner FROM pg_tables WHERE tablename = 'invoice'")
        ).scalar()
        assert connection.execute(text("SELECT current_user")).scalar() != owner


def test_every_tenant_table_has_the_policy_forced(db: Database) -> None:
    # A tenant table added later without `protect(table)` in its migration fails here.
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
                "FROM pg_class c WHERE c.relname = ANY(:names)"
            ),
            {"names": tenant_tables()},
        ).all()
    assert {row[0]: tuple(row[1:]) for row in rows} == {
        name: (True, True, 1) for name in tenant_tables()
    }
    assert set(tenant_tables()) == set(inspect(db.engine).get_table_names()) - {
        "business",
        "alembic_version",
        "rate_limit",  # counts callers, holds no business's records
    }


def test_plain_sql_in_a_scoped_transaction_sees_one_business(
    db: Database, two: dict[str, str]
) -> None:
    for name, business_id in two.items():
        with db.session(business_id) as session:
            for table in tenant_tables():
                owners = session.execute(text(f'SELECT DISTINCT business_id FROM "{table}"')).all()
                assert {row[0] for row in owners} <= {business_id}, (name, table)
            assert session.execute(text("SELECT name FROM customer")).scalars().all() == [
                f"Customer {name}"
            ]
            # Changing everything changes only this business's rows.
            session.execute(text("UPDATE customer SET name = name || ' (seen)'"))
    with db.unscoped("the test reads both businesses") as session:
        names = sorted(session.execute(text("SELECT name FROM customer")).scalars())
    assert names == ["Customer a (seen)", "Customer b (seen)"]


def test_plain_sql_cannot_write_into_another_business(db: Database, two: dict[str, str]) -> None:
    with pytest.raises(ProgrammingError, match="row-level security"), db.session(two["a"]) as s:
        s.execute(text("CREATE TEMP TABLE stray AS SELECT * FROM customer"))
        s.execute(text("UPDATE stray SET id = 'cus_intruder', business_id = :b"), {"b": two["b"]})
        s.execute(text("INSERT INTO customer SELECT * FROM stray"))
    with pytest.raises(ProgrammingError, match="row-level security"), db.session(two["a"]) as s:
        s.execute(text("UPDATE invoice SET business_id = :b"), {"b": two["b"]})
    with db.session(two["b"]) as session:
        assert session.execute(text("SELECT count(*) FROM customer")).scalar() == 1
        assert session.execute(text("SELECT count(*) FROM invoice")).scalar() == 1


def test_a_connection_that_names_no_business_sees_nothing(
    db: Database, two: dict[str, str]
) -> None:
    with db.engine.connect() as connection:
        for table in tenant_tables():
            count = connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
            assert count == 0, table
        # The business table itself holds no customer data and stays readable.
        assert connection.execute(text("SELECT count(*) FROM business")).scalar() == 2
