"""The integration API: portal sessions minted with a secret key, scoped to its business."""

from __future__ import annotations

import httpx
import pytest

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.services.businesses import NewBusiness
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer


@pytest.fixture
def two(db: Database) -> tuple[NewBusiness, NewBusiness]:
    return make_business(db), make_business(db)


def create_session(server: LiveServer, key: str, customer: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{server.url}/api/v1/customers/{customer}/portal-sessions", headers=headers)


def test_a_portal_session_is_an_embed_token_for_that_customer(
    live_server: LiveServer, db: Database, settings: Settings, two: tuple[NewBusiness, NewBusiness]
) -> None:
    mine = two[0]
    with db.session(mine.business.id) as session:
        customer = make_customer(session, mine.business, external_id="crm-77")
    for reference in (customer.id, "external:crm-77"):
        response = create_session(live_server, mine.secret_api_key, reference)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["customer"] == customer.id
        claims = tokens.read(settings.secret_key, tokens.Purpose.EMBED, body["token"])
        assert (claims.business_id, claims.customer_id) == (mine.business.id, customer.id)


def test_another_business_key_finds_no_such_customer(
    live_server: LiveServer, db: Database, two: tuple[NewBusiness, NewBusiness]
) -> None:
    mine, theirs = two
    with db.session(theirs.business.id) as session:
        customer = make_customer(session, theirs.business, external_id="crm-1")
    for reference in (customer.id, "external:crm-1"):
        response = create_session(live_server, mine.secret_api_key, reference)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/problem+json"
        assert "token" not in response.text


@pytest.mark.parametrize("key", ["", "sk_wrong", "pk_not_a_secret"])
def test_missing_or_wrong_keys_are_refused(live_server: LiveServer, key: str) -> None:
    response = create_session(live_server, key, "cus_x")
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


def test_disabled_customers_get_no_session(
    live_server: LiveServer, db: Database, two: tuple[NewBusiness, NewBusiness]
) -> None:
    mine = two[0]
    with db.session(mine.business.id) as session:
        customer = make_customer(session, mine.business, portal_enabled=False)
    response = create_session(live_server, mine.secret_api_key, customer.id)
    assert response.status_code == 403
    assert "turned off" in response.json()["detail"]
