"""Fixtures: a migrated database on SQLite and (when configured) PostgreSQL, and a live server."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# Before anything imports frontdesk: most tests create a business, and so hash its owner's
# password; argon2's cheapest profile does it in a tenth of a millisecond instead of 130 ms.
# The servers and commands the tests start inherit it.
os.environ["FRONTDESK_CHEAP_PASSWORD_HASHING"] = "1"

import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel
from starlette.applications import Starlette

from frontdesk import migrations  # type: ignore[attr-defined]
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.settings import Settings, load

# The payments test bed (`flow`), shared by the payment, API and dashboard tests.
pytest_plugins = ["tests.flow"]

POSTGRES_URL = os.environ.get("FRONTDESK_TEST_POSTGRES_URL", "")
TEST_KEYS = (secrets.token_urlsafe(48),)

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="FRONTDESK_TEST_POSTGRES_URL is not set"),
        ],
    ),
]


def _postgres_database(name: str) -> str:
    """A fresh, empty database on the configured server, named for this test worker."""
    admin = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    admin = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _application_role(owner_url: str, role: str) -> str:
    """The URL of `role`, made as production should make the application's role: no superuser,
    no BYPASSRLS, rights on rows only, so row-level security binds everything the suite does."""
    engine = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS'))
        for grant in (
            f'GRANT USAGE ON SCHEMA public TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
            # Tables the migrations test drops and makes again get the same rights.
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{role}"',
        ):
            connection.execute(text(grant))
    engine.dispose()
    return make_url(owner_url).set(username=role).render_as_string(hide_password=False)


def pytest_collection_finish(session: pytest.Session) -> None:
    # What is loaded by now (the app, the libraries, every test module) lives for the whole run:
    # set it aside, so the collection after each test only walks what that test made.
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest tests first, so both workers stay busy to the end instead of one finishing a
    two-minute load test alone (every worker sorts the same items the same way). Tests marked
    one_backend run on SQLite only, and strictest_backend ones on PostgreSQL when it is there:
    running them twice would check nothing more."""
    postgres = bool(os.environ.get("FRONTDESK_TEST_POSTGRES_URL"))

    def backend(item: pytest.Item) -> str | None:
        callspec = getattr(item, "callspec", None)
        return callspec.params.get("owner_database_url") if callspec is not None else None

    twice = [
        item
        for item in items
        if (item.get_closest_marker("one_backend") and backend(item) == "postgres")
        or (item.get_closest_marker("strictest_backend") and postgres and backend(item) == "sqlite")
    ]
    if twice:
        config.hook.pytest_deselected(items=twice)
        items[:] = [item for item in items if item not in twice]

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("slow"):
            return 0
        return 1 if item.get_closest_marker("browser") else 2

    items.sort(key=weight)


@pytest.fixture(autouse=True)
def leaks_name_their_test() -> Iterator[None]:
    """A socket, client or server a test leaves open becomes a ResourceWarning only when the
    garbage collector finds it; collecting at the end of each test makes it that test's failure
    (filterwarnings = error), not the failure of whichever test happened to run then.

    What survives is frozen out of the collector's sight: a full collection walks every live
    object, and with each test's caches the heap grows until each walk took a quarter of a
    second. Only what a test made is walked at its end."""
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session", params=BACKENDS)
def owner_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database migrated to the newest revision, once per backend and test worker, as the
    role that owns the schema (migrations run as it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'frontdesk.db'}"
        migrations.upgrade(url)
        yield url
        return
    # Named for this run as well as this worker: two runs on one server (a developer's and an
    # editor's, say) must not drop each other's database.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"frontdesk_test_{run}_{worker}"
    url = _postgres_database(name)
    migrations.upgrade(url)
    yield url
    _drop_postgres_database(name)


@pytest.fixture(scope="session")
def database_url(owner_database_url: str) -> str:
    """What the application connects with: on PostgreSQL, its own unprivileged role."""
    if owner_database_url.startswith("sqlite"):
        return owner_database_url
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return _application_role(owner_database_url, f"frontdesk_app_{worker}")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    # Empty every table, children first, so each test starts from nothing.
    with database.unscoped("emptying every table between tests") as session:
        for table in reversed(SQLModel.metadata.sorted_tables):
            session.execute(table.delete())
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load(
        environment="test",
        data_dir=tmp_path,
        secret_key=TEST_KEYS,
        base_url="http://127.0.0.1:8000",
        run_jobs=False,
    )


def csrf_field(html: str) -> str:
    """The CSRF token a dashboard form carries."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, stopping as soon as it is asked. Its own looks for the request every
    tenth of a second and then waits another tenth before closing connections, which made
    stopping the servers most of a short test's time."""

    loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self.asked = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        while not await self.on_tick(0):  # tick 0: also refreshes the Date header
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.asked.wait(), timeout=1)

    def ask_to_stop(self) -> None:
        self.should_exit = True  # before reading the loop: a loop not running yet sees this
        if self.loop is not None:
            # A server stopped twice (by its test, then by its fixture) has no loop left to wake.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.asked.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """As uvicorn's: stop accepting, let requests in flight finish, then the app's own
        shutdown; only looking a hundred times a second."""
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = time.monotonic() + 10
        while self.server_state.connections or self.server_state.tasks:
            if time.monotonic() > deadline:
                for task in self.server_state.tasks:
                    task.cancel()
                break
            await asyncio.sleep(0.01)
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


class LiveServer:
    """A real uvicorn server on a loopback port, in a thread; it can stop and start again."""

    def __init__(self, app: Starlette | None = None, port: int = 0) -> None:
        self.app = app
        self.socket = self._bind(port)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    @staticmethod
    def _bind(port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        return sock

    def start(self, app: Starlette | None = None) -> LiveServer:
        self.app = app or self.app
        assert self.app is not None
        if self.socket.fileno() == -1:
            self.socket = self._bind(self.port)
        self.server = _Uvicorn(
            # As `frontdesk serve` runs it: the app reads forwarded headers itself.
            uvicorn.Config(
                self.app, log_config=None, lifespan="on", access_log=False, proxy_headers=False
            )
        )
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]})
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.ask_to_stop()
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[LiveServer]:
    server = LiveServer(create_app(settings, db)).start()
    yield server
    server.stop()
