"""Behind a load balancer every customer is still themselves: forwarded headers are read from
trusted proxies only, so limits count real clients, and a client that names itself is ignored."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business

# A second loopback address: a peer that is not the configured proxy.
PROXY, STRANGER = "127.0.0.1", "127.0.0.2"


@pytest.fixture
def server(settings: Settings, db: Database) -> Iterator[LiveServer]:
    # The balancer on loopback, and the private network behind it (a second hop).
    trusting = settings.model_copy(update={"trusted_proxies": (f"{PROXY}/32", "10.0.0.0/8")})
    live = LiveServer(create_app(trusting, db)).start()
    yield live
    live.stop()


def sign_in_links(server: LiveServer, key: str, source: str, forwarded: str) -> list[int]:
    """Twenty-one sign-in requests, each for another address, from `source`."""
    url = f"{server.url}/portal/{key}/sign-in"
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source)) as client:
        return [
            client.post(
                url,
                data={"email": f"customer{n}@example.com"},
                headers={"X-Forwarded-For": forwarded.format(n=n)},
            ).status_code
            for n in range(21)
        ]


def test_behind_a_trusted_proxy_each_customer_has_their_own_allowance(
    server: LiveServer, db: Database
) -> None:
    key = make_business(db).business.publishable_key
    # Twenty-one customers behind two proxies: each from their own address, none refused.
    statuses = sign_in_links(server, key, PROXY, "203.0.113.{n}, 10.0.0.9")
    assert statuses == [200] * 21
    # A hop that is not trusted is the client, whatever it says came before it.
    statuses = sign_in_links(server, key, PROXY, "198.51.100.{n}, 192.0.2.7")
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


def test_an_untrusted_peer_cannot_name_itself(server: LiveServer, db: Database) -> None:
    key = make_business(db).business.publishable_key
    # The header changes with every request, but it comes from a peer we do not trust: it is
    # one client, and twenty per client is the allowance.
    statuses = sign_in_links(server, key, STRANGER, "198.51.100.{n}")
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
