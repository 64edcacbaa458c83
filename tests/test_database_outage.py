"""The database going away and coming back, as a network cut makes it: the API and the portal
answer 503 with Retry-After and change nothing, the log says so once each way, and everything
answers again when it is back. PostgreSQL is reached through a relay the test cuts."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.services import businesses
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer


class Relay:
    """A TCP relay to the database that can be cut (every connection dropped, new ones refused)
    and restored on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(32)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()

    def cut(self) -> None:
        # shutdown() wakes the accepting thread; close() alone would leave it accepting.
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for end in self.open:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self.open.clear()


@pytest.fixture
def relayed(database_url: str, db: Database, settings: Settings) -> Iterator[tuple[Relay, str]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the relay stands between us and a database server; SQLite is a file")
    target = make_url(database_url)
    relay = Relay(target.host or "127.0.0.1", target.port or 5432)
    through = target.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    relay_db = Database(through)
    server = LiveServer(create_app(settings, relay_db)).start()
    yield relay, server.url
    server.stop()
    relay.cut()
    relay_db.dispose()


def test_the_database_away_is_a_503_said_once_and_recovered_from(
    relayed: tuple[Relay, str], db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    relay, url = relayed
    made = make_business(db)
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        customer = make_customer(session, business)
    api = {"Authorization": f"Bearer {made.secret_api_key}"}
    token = Links(settings.secret_key).session(customer, "ses_test")
    home = f"{url}/portal/{business.publishable_key}/home"
    session_headers = {"Authorization": f"Bearer {token}", "HX-Request": "true"}
    assert httpx.get(f"{url}/api/v1/customers", headers=api).status_code == 200

    caplog.set_level(logging.WARNING, logger="frontdesk.db")
    relay.cut()
    for _ in range(3):
        refused = httpx.get(f"{url}/api/v1/customers", headers=api)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert refused.headers["content-type"] == "application/problem+json"
        assert "briefly unavailable" in refused.json()["detail"]
        page = httpx.get(home, headers=session_headers)
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert "Nothing was changed" in page.text
    assert httpx.get(f"{url}/healthz").status_code == 503
    went = [r for r in caplog.records if "went away" in r.getMessage()]
    assert len(went) == 1  # one line when it goes, not one per request

    relay.restore()
    assert httpx.get(f"{url}/api/v1/customers", headers=api).status_code == 200
    assert httpx.get(home, headers=session_headers).status_code == 200
    back = [r for r in caplog.records if "is back" in r.getMessage()]
    assert len(back) == 1
