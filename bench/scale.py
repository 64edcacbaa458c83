"""Scale, on SQLite and (when one answers) PostgreSQL, with the SQL statements per request counted:
the portal's home fragment and invoice list with 1, 100 and 10,000 businesses and up to 10,000
invoices for the signed-in customer (latency should stay flat); and the dashboard's customer list,
a search of it and its invoice list for a business with 10,000 customers (p50 under 50 ms).

    .venv/bin/python bench/scale.py [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--quick] [--only portal|dashboard]
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from common import REPO, median, percentile, save, table
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from frontdesk import migrations
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import (
    Business,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethodKind,
    PaymentStatus,
    utcnow,
)
from frontdesk.routes.dashboard.frame import SESSION_COOKIE
from frontdesk.services import businesses, portal, staff
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.links import Links
from frontdesk.settings import Settings, load

SHAPES = [(1, 10), (100, 1_000), (10_000, 10), (10_000, 10_000)]  # businesses, invoices
OPEN_INVOICES = 10  # the rest are paid, as in a long-standing account
REQUESTS = 200
KEYS = (secrets.token_urlsafe(48),)
CUSTOMERS = 10_000  # of the dashboard's business; each has two invoices paid by card, one open
SURNAMES = ("Abbott", "Baker", "Clarke", "Dunn", "Ellis", "Fox", "Grant", "Hale", "Irwin", "Jones")
SEARCH = "hale"  # a tenth of the customers: the search still has pages to sort
DASHBOARD = {  # what is measured: path, and whether htmx asks (the search box swaps the table)
    "customer list": ("/dashboard/customers", False),
    "customer search": (f"/dashboard/customers/table?q={SEARCH}", True),
    "invoice list": ("/dashboard/invoices", False),
}
T = TypeVar("T")


def _business(db: Database) -> NewBusiness:
    with db.unscoped("the benchmark creates businesses") as session:
        return businesses.create(
            session,
            name="Measured",
            owner_email=f"o-{secrets.token_hex(4)}@x.test",
            owner_password="benchmark-pass",
            currency="USD",
        )


def seed(db: Database, n_businesses: int, n_invoices: int) -> tuple[Business, Customer]:
    """The measured business with one customer and its invoices, then filler businesses."""
    business = _business(db).business
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
    session: Any,
    business_id: str,
    customer_id: str,
    count: int,
    *,
    flush: bool = True,
    open_count: int = OPEN_INVOICES,
    first: int = 0,
) -> list[Invoice]:
    """`count` invoices of one line each, the last `open_count` open, numbered after `first`."""
    today = date.today()
    rows, lines = [], []
    for n in range(count):
        is_open = n >= count - open_count
        issued = today - timedelta(days=count - n)
        invoice = Invoice(
            business_id=business_id,
            customer_id=customer_id,
            number=f"INV-{first + n + 1:06d}",
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
    return rows


def seed_dashboard(db: Database) -> NewBusiness:
    """The measured business with CUSTOMERS customers, their invoices and card payments."""
    made = _business(db)
    business_id = made.business.id
    people = [
        Customer(business_id=business_id, name=f"{SURNAMES[i % 10]} {i:05d}", email=f"c{i}@x.test")
        for i in range(CUSTOMERS)
    ]
    paid: list[Invoice] = []
    with db.session(business_id) as session:
        session.add_all(people)
        session.flush()  # no relationships tell the flush that invoices come after customers
        for n, person in enumerate(people):
            three = _invoices(
                session, business_id, person.id, 3, flush=False, open_count=1, first=3 * n
            )
            paid += three[:2]
        session.flush()
        payments = [
            Payment(
                business_id=business_id,
                customer_id=invoice.customer_id,
                amount=invoice.total,
                currency="USD",
                method=PaymentMethodKind.CARD,
                status=PaymentStatus.SUCCEEDED,
                idempotency_key=f"seed-{invoice.id}",
                succeeded_at=invoice.paid_at,
            )
            for invoice in paid
        ]
        session.add_all(payments)
        session.flush()
        session.add_all(
            PaymentAllocation(
                business_id=business_id, payment_id=p.id, invoice_id=i.id, amount=i.total
            )
            for p, i in zip(payments, paid, strict=True)
        )
    return made


class Statements:
    """The SQL statements an engine has run since `count` was last set to 0."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


def _seeded(url: str, seeding: Callable[[Database], T]) -> tuple[Database, T, float]:
    """A migrated database seeded, analysed, and how long that took."""
    migrations.upgrade(url)
    db = Database(url)
    started = time.perf_counter()
    made = seeding(db)
    with db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))  # what autovacuum (PostgreSQL) would have done
    return db, made, round(time.perf_counter() - started, 1)


def _settings(url: str) -> Settings:
    return load(
        environment="production",
        secret_key=KEYS,
        database_url=url,
        run_jobs=False,
        base_url="http://127.0.0.1:8000",
    )


def _timed(
    client: TestClient, path: str, statements: Statements, headers: dict[str, str]
) -> dict[str, Any]:
    """REQUESTS sequential GETs of `path` after 20 to warm up, and the SQL one of them runs."""
    for _ in range(20):
        assert client.get(path, headers=headers).status_code == 200
    statements.count = 0
    client.get(path, headers=headers)
    per_request = statements.count
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": median(times), "p95_ms": percentile(times, 95), "statements": per_request}


def measure(url: str, shape: tuple[int, int]) -> dict[str, Any]:
    db, (business, customer), seeded = _seeded(url, lambda db: seed(db, *shape))
    statements = Statements(db.engine)
    session_token = Links(KEYS).session(customer, portal.new_session_id())
    headers = {"Authorization": f"Bearer {session_token}", "HX-Request": "true"}
    figures: dict[str, Any] = {"businesses": shape[0], "invoices": shape[1], "seed_seconds": seeded}
    with TestClient(create_app(_settings(url), db)) as client:
        for name, path in (("home", "home"), ("invoice_list", "invoices")):
            url_path = f"/portal/{business.publishable_key}/{path}"
            figures[name] = _timed(client, url_path, statements, headers)
    db.dispose()
    return figures


def measure_dashboard(url: str) -> dict[str, Any]:
    """The owner's first page of each list, signed in with the cookie the sign-in form sets."""
    db, made, seeded = _seeded(url, seed_dashboard)
    statements = Statements(db.engine)
    cookies = {SESSION_COOKIE: staff.session_token(KEYS, made.owner)}
    figures: dict[str, Any] = {"seed_seconds": seeded}
    with TestClient(create_app(_settings(url), db), cookies=cookies) as client:
        for name, (path, htmx) in DASHBOARD.items():
            headers = {"HX-Request": "true"} if htmx else {}
            figures[name] = _timed(client, path, statements, headers)
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


def on_each_database(postgres: str, work: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
    """`work` on a fresh SQLite file, then on a fresh PostgreSQL database when one is given."""
    with tempfile.TemporaryDirectory(prefix="frontdesk-scale-") as folder:
        results = [{"database": "sqlite", **work(f"sqlite:///{Path(folder) / 'scale.db'}")}]
    if postgres:
        url = fresh_postgres(postgres)
        try:
            results.append({"database": "postgresql", **work(url)})
        finally:
            drop_postgres(url, postgres)
    return results


def _cells(figure: dict[str, Any]) -> list[Any]:
    return [f"{figure['median_ms']:.2f}", f"{figure['p95_ms']:.2f}", figure["statements"]]


def portal_figures(postgres: str, shapes: list[tuple[int, int]]) -> None:
    results: list[dict[str, Any]] = []
    for shape in shapes:
        results += on_each_database(postgres, partial(measure, shape=shape))
    rows = [
        [
            r["database"],
            r["businesses"],
            r["invoices"],
            *_cells(r["home"]),
            *_cells(r["invoice_list"]),
        ]
        for r in results
    ]
    print(
        f"In-process, {REQUESTS} sequential requests per cell; the customer has "
        f"{OPEN_INVOICES} open invoices, the rest paid:"
    )
    views = [f"{v} {c}" for v in ("home", "list") for c in ("p50 ms", "p95 ms", "SQL")]
    print(table(["database", "businesses", "invoices", *views], rows))
    path = save("scale", {"requests": REQUESTS, "open_invoices": OPEN_INVOICES, "results": results})
    print(f"wrote {path.relative_to(REPO)}")


def dashboard_figures(postgres: str) -> None:
    results = on_each_database(postgres, measure_dashboard)
    rows = [[r["database"], name, *_cells(r[name])] for r in results for name in DASHBOARD]
    print(
        f"\nThe dashboard, signed in as the owner of a business with {CUSTOMERS:,} customers "
        f"(3 invoices each, 2 paid by card); {REQUESTS} sequential requests of the first page, "
        f"the search for “{SEARCH}” as the search box asks:"
    )
    print(table(["database", "page", "p50 ms", "p95 ms", "SQL"], rows))
    figures = {"requests": REQUESTS, "customers": CUSTOMERS, "search": SEARCH, "results": results}
    path = save("scale_dashboard", {"goal_p50_ms": 50, **figures})
    print(f"wrote {path.relative_to(REPO)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("FRONTDESK_TEST_POSTGRES_URL", ""))
    parser.add_argument("--quick", action="store_true", help="only the two smallest portal shapes")
    parser.add_argument("--only", choices=("portal", "dashboard"), help="one of the two figures")
    args = parser.parse_args()
    if args.only != "dashboard":
        portal_figures(args.postgres, SHAPES[:2] if args.quick else SHAPES)
    if args.only != "portal":
        dashboard_figures(args.postgres)
    if not args.postgres:
        print("\nPostgreSQL skipped: pass --postgres URL or set FRONTDESK_TEST_POSTGRES_URL")


if __name__ == "__main__":
    main()
