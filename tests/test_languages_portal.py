"""The portal's refusals in the customer's language: a service's refusal (a time that has passed,
with its field's message) and the portal's own notice (a section switched off), said in Spanish
or French to a customer reading in it, and in English to everyone else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from frontdesk.db import Database
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.test_appointments_portal import portal
from tests.test_booking import MONDAY, NOW, Shop, at

SPANISH_BROWSER = "es-MX,es;q=0.9,en;q=0.4"


@pytest.fixture
def shop(db: Database, live_server: LiveServer) -> Iterator[Shop]:
    """The booking tests' shop, booking on in its portal, its server's clock at NOW."""
    assert live_server.app is not None
    live_server.app.state.clock = lambda: NOW
    made = Shop(db)
    with db.session(made.id) as session:
        business = made.business(session)
        business.allow_booking = True
        session.add(business)
    yield made


def test_a_time_that_has_passed_is_refused_in_the_customers_language(
    live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    passed = {"service": shop.service, "starts_at": (NOW - timedelta(hours=1)).isoformat()}
    with portal(live_server, settings, shop, shop.customer()) as mine:
        english = mine.post("/appointments/hold", passed)
        mine.client.headers["Accept-Language"] = SPANISH_BROWSER
        spanish = mine.post("/appointments/hold", passed)
    assert english.status_code == 422 and "That time has passed." in english.text
    assert spanish.status_code == 422
    assert spanish.headers["Content-Language"] == "es"
    assert "Esa hora ya pasó." in spanish.text and "Elija una hora futura." in spanish.text
    assert "That time has passed." not in spanish.text


def test_a_section_switched_off_is_not_found_in_the_snippets_language(
    db: Database, live_server: LiveServer, settings: Settings, shop: Shop
) -> None:
    with db.session(shop.id) as session:
        business = shop.business(session)
        business.allow_booking = False
        session.add(business)
    wanted = {"service": shop.service, "starts_at": at(MONDAY, 9).isoformat()}
    with portal(live_server, settings, shop, shop.customer()) as mine:
        mine.client.headers["Frontdesk-Language"] = "fr"
        french = mine.post("/appointments/hold", wanted)
    assert french.status_code == 404
    assert "Introuvable" in french.text
    assert "Nous n&#39;avons pas trouvé cet élément." in french.text
    assert "We could not find that." not in french.text
