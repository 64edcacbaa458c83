"""A portal request finds its business once, from a cache that forgets a changed business at once
in the process that changed it, and within its lifetime in every other."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from frontdesk.app import create_app
from frontdesk.business_cache import LIFETIME, BusinessCache
from frontdesk.db import Database
from frontdesk.models import Business, Customer, utcnow
from frontdesk.services import booking
from frontdesk.services.businesses import NewBusiness
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_booking import MONDAY, NOW, Shop, at
from tests.test_portal_views import Portal

SHOP = "https://shop.example"
FROM_SHOP = {"Origin": SHOP}


@contextmanager
def business_reads(db: Database) -> Iterator[list[str]]:
    """The statements that read the business table, as sent to the database."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if re.search(r"\b(FROM|JOIN) business\b", statement):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def move_clock(app: Starlette, by: timedelta) -> None:
    moved: datetime = utcnow() + by
    app.state.clock = lambda: moved


@pytest.fixture
def shop(db: Database) -> tuple[NewBusiness, Customer]:
    made = make_business(db, allowed_origins=[SHOP])
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business)
    return made, customer


@pytest.fixture
def app(settings: Settings, db: Database) -> Starlette:
    return create_app(settings, db)


@pytest.fixture
def server(app: Starlette) -> Iterator[LiveServer]:
    running = LiveServer(app).start()
    yield running
    running.stop()


def change(db: Database, business_id: str, **values: object) -> None:
    with db.session(business_id) as session:
        business = session.get(Business, business_id)
        assert business is not None
        for name, value in values.items():
            setattr(business, name, value)


def test_a_portal_request_reads_its_business_once_and_then_not_while_kept(
    app: Starlette,
    server: LiveServer,
    settings: Settings,
    db: Database,
    shop: tuple[NewBusiness, Customer],
) -> None:
    made, customer = shop
    with Portal(server, settings, made.business, customer) as portal:
        move_clock(app, LIFETIME + timedelta(seconds=1))  # past what opening the session kept
        with business_reads(db) as reads:
            home = portal.get("/home", headers=FROM_SHOP)
        assert home.status_code == 200 and home.headers["Access-Control-Allow-Origin"] == SHOP
        assert len(reads) == 1, reads  # the CORS check's, which the handler used
        with business_reads(db) as reads:
            assert portal.get("/invoices", headers=FROM_SHOP).status_code == 200
            assert portal.get("/portal.css").status_code == 200
        assert reads == []


def test_a_change_is_obeyed_at_once_in_the_process_that_made_it(
    server: LiveServer, settings: Settings, db: Database, shop: tuple[NewBusiness, Customer]
) -> None:
    made, customer = shop
    business_id = made.business.id
    with Portal(server, settings, made.business, customer) as portal:
        assert portal.get("/invoices", headers=FROM_SHOP).status_code == 200
        change(db, business_id, allow_invoices=False)
        assert portal.get("/invoices", headers=FROM_SHOP).status_code == 404
        change(db, business_id, allowed_origins=["https://elsewhere.example"])
        refused = portal.get("/home", headers=FROM_SHOP)
        assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
        change(db, business_id, publishable_key="pk_rotated")
        assert portal.get("/portal.css").status_code == 404


def test_another_process_obeys_a_change_within_the_lifetime_and_cors_agrees_with_the_handler(
    settings: Settings, db: Database, database_url: str, shop: tuple[NewBusiness, Customer]
) -> None:
    made, customer = shop
    other_db = Database(database_url)  # its own engine and pool: another process's
    other = create_app(settings, other_db)
    other_server = LiveServer(other).start()
    try:
        with Portal(other_server, settings, made.business, customer) as portal:
            assert portal.get("/home", headers=FROM_SHOP).status_code == 200
            # Changed through another engine, as another process would.
            change(db, made.business.id, allowed_origins=["https://elsewhere.example"])
            # The other still holds the business it found, for CORS and handler alike.
            kept = portal.get("/home", headers=FROM_SHOP)
            assert kept.status_code == 200 and kept.headers["Access-Control-Allow-Origin"] == SHOP
            move_clock(other, LIFETIME)
            refused = portal.get("/home", headers=FROM_SHOP)
            assert refused.status_code == 403
            assert "Access-Control-Allow-Origin" not in refused.headers
    finally:
        other_server.stop()
        other_db.dispose()


def test_a_lookup_before_the_commit_of_a_savepoint_change_is_forgotten_at_the_commit(
    db: Database,
) -> None:
    """Placing an appointment writes it in a savepoint, which moves the business's version: a
    lookup made after the savepoint is released but before the commit reads the row as it was,
    and the commit forgets it (a released savepoint is not the commit)."""
    shop = Shop(db)
    cache = BusinessCache(db, lambda: NOW)
    key = shop.made.business.publishable_key
    found = cache.find(key)
    assert found is not None
    with db.session(shop.id) as session:
        booking.hold(
            session,
            business=shop.business(session),
            customer=shop.customer(),
            service_id=shop.service,
            starts_at=at(MONDAY, 10),
            now=NOW,
        )
        during = cache.find(key)  # another request of this process meanwhile
        assert during is not None and during.data_version == found.data_version
    assert cache.kept(key) is None
    moved = cache.find(key)
    assert moved is not None and moved.data_version > found.data_version
