"""Scale: the portal's home fragment and invoice list with 1, 100 and 10,000 businesses and up to
10,000 invoices for the signed-in customer, on SQLite and (when one answers) PostgreSQL. Latency
should stay flat; the SQL statements per request are counted and printed.

    .venv/bin/python bench/scale.py [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from common import REPO, median, percentile, save, table
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from frontdesk import migrations, tokens
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import Business, Customer, Invoice, InvoiceLine, InvoiceStatus, utcnow
from frontdesk.services import businesses, portal
from frontdesk.settings import load

SHAPES = [(1, 10), (100, 1_000), (10_000, 10), (10_000, 10_000)]  # businesses, invoices
OPEN_INVOICES = 10  # the rest are paid, as in a long-standing account
REQUESTS = 200
KEYS = (secrets.token_urlsafe(48),)


def seed(db: Database, n_businesses: int, n_invoices: int) -> tuple[Business, Customer]:
    """The measured business with one customer and its invoices, then filler businesses."""
    with db.unscoped("the benchmark creates businesses") as session:
        made = businesses.create(
            session,
            name="Measured",
            owner_email=f"o-{secrets.token_hex(4)}@x.test",
            owner_password="benchmark-pass",
            currency="USD",
        )
        business = made.business
    with db.session(business.id) as session:
        customer = Customer(business_id=business.id, name="Casey", email="casey@x.test")
        session.add(customer)
        session.flush()
        _invoices(session, business.id, customer.id, n_invoices)
    # Ids are made in Python, so the filler goes in with one flush per table.
    filler = [
        Business(name=f"Filler {i}", slug=f"filler-{i}-{secrets.token_hex(3)}", currency="USD")
        for i in range(n_businesses - 1)
    ]
    people = [Customer(business_id=b.id, name="Filler", email="f@x.test") for b in filler]
    with db.unscoped("filler businesses for scale") as session:
        session.add_all(filler)
        session.flush()
        session.add_all(people)
        session.flush()
        for person in people:
            _invoices(session, person.business_id, person.id, 3, flush=False)
    return business, customer


def _invoices(
    session: Any, business_id: str, customer_id: str, count: int, *, flush: bool = True
) -> None:
    today = date.today()
    rows, lines = [], []
    for n in range(count):
        is_open = n >= count - OPEN_INVOICES
        issued = today - timedelta(days=count - n)
        invoice = Invoice(
            business_id=business_id,
            customer_id=customer_id,
            number=f"INV-{n + 1:06d}",
            status=InvoiceStatus.OPEN if is_open else InvoiceStatus.PAID,
            currency="USD",
            issue_date=issued,
            due_date=issued + timedelta(days=14),
            subtotal=10_000,
            total=10_000,
            sent_at=utcnow(),
            paid_at=None if is_open else utcnow(),
        )
        rows.append(invoice)
        lines.append(
            InvoiceLine(
                business_id=business_id,
                invoice_id=invoice.id,
                description="Monthly care",
                unit_amount=10_000,
                amount=10_000,
            )
        )
    session.add_all(rows)
    if flush:
        session.flush()
    session.add_all(lines)
    if flush:
        session.flush()


def measure(url: str, shape: tuple[int, int]) -> dict[str, Any]:
    migrations.upgrade(url)
    db = Database(url)
    started = time.perf_counter()
    business, customer = seed(db, *shape)
    with db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))  # what autovacuum (PostgreSQL) would have done
    seeded = time.perf_counter() - started
    settings = load(
        environment="production",
        secret_key=KEYS,
        database_url=url,
        run_jobs=False,
        base_url="http://127.0.0.1:8000",
    )
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine, "before_cursor_execute", count)
    session_token = portal.customer_token(KEYS, tokens.Purpose.PORTAL_SESSION, customer)
    headers = {"Authorization": f"Bearer {session_token}", "HX-Request": "true"}
    figures: dict[str, Any] = {"seed_seconds": round(seeded, 1)}
    with TestClient(create_app(settings, db)) as client:
        for name, path in (("home", "home"), ("invoice_list", "invoices")):
            url_path = f"/portal/{business.publishable_key}/{path}"
            for _ in range(20):
                assert client.get(url_path, headers=headers).status_code == 200
            statements = 0
            client.get(url_path, headers=headers)
            per_request = statements
            times = []
            for _ in range(REQUESTS):
                t = time.perf_counter()
                client.get(url_path, headers=headers)
                times.append((time.perf_counter() - t) * 1000)
            figures[name] = {
                "median_ms": median(times),
                "p95_ms": percentile(times, 95),
                "statements": per_request,
            }
    db.dispose()
    return figures


def fresh_postgres(admin_url: str) -> str:
    name = f"frontdesk_scale_{secrets.token_hex(4)}"
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str, admin_url: str) -> None:
    name = make_url(url).database
    engine = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("FRONTDESK_TEST_POSTGRES_URL", ""))
    parser.add_argument("--quick", action="store_true", help="only the two smallest shapes")
    args = parser.parse_args()
    shapes = SHAPES[:2] if args.quick else SHAPES
    results: list[dict[str, Any]] = []
    for shape in shapes:
        with tempfile.TemporaryDirectory(prefix="frontdesk-scale-") as folder:
            figures = measure(f"sqlite:///{Path(folder) / 'scale.db'}", shape)
        results.append(
            {"database": "sqlite", "businesses": shape[0], "invoices": shape[1], **figures}
        )
        if args.postgres:
            url = fresh_postgres(args.postgres)
            try:
                figures = measure(url, shape)
            finally:
                drop_postgres(url, args.postgres)
            results.append(
                {"database": "postgresql", "businesses": shape[0], "invoices": shape[1], **figures}
            )
    rows = [
        [
            r["database"],
            r["businesses"],
            r["invoices"],
            f"{r['home']['median_ms']:.2f}",
            f"{r['home']['p95_ms']:.2f}",
            r["home"]["statements"],
            f"{r['invoice_list']['median_ms']:.2f}",
            f"{r['invoice_list']['p95_ms']:.2f}",
            r["invoice_list"]["statements"],
        ]
        for r in results
    ]
    print(
        f"In-process, {REQUESTS} sequential requests per cell; the customer has "
        f"{OPEN_INVOICES} open invoices, the rest paid:"
    )
    print(
        table(
            [
                "database",
                "businesses",
                "invoices",
                "home p50 ms",
                "home p95 ms",
                "home SQL",
                "list p50 ms",
                "list p95 ms",
                "list SQL",
            ],
            rows,
        )
    )
    if not args.postgres:
        print("\nPostgreSQL skipped: pass --postgres URL or set FRONTDESK_TEST_POSTGRES_URL")
    path = save("scale", {"requests": REQUESTS, "open_invoices": OPEN_INVOICES, "results": results})
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
