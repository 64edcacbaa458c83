"""The portal's HTTP side: CORS per business, token exchange, sessions, refusals, isolation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.models import Business, Customer
from frontdesk.routes.portal import home as home_routes
from frontdesk.services import portal
from frontdesk.settings import Settings
from frontdesk.tokens import Purpose
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice

SHOP = "https://shop.example"


@dataclass
class Tenant:
    business: Business
    customer: Customer


@pytest.fixture
def tenants(db: Database) -> dict[str, Tenant]:
    made = {}
    for label, origin in (("a", SHOP), ("b", "https://other.example")):
        business = make_business(db, allowed_origins=[origin]).business
        with db.session(business.id) as session:
            customer = make_customer(session, business, name=f"Customer {label.upper()}")
            make_invoice(session, business, customer, amounts=(12345,))
        made[label] = Tenant(business, customer)
    return made


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    # Patient: beside a CPU hog and the PostgreSQL load test a session took over httpx's 5 s.
    # These tests are about answers; speed is the benchmarks'.
    with httpx.Client(base_url=live_server.url, headers={"Origin": SHOP}, timeout=30) as client:
        yield client


def embed_token(settings: Settings, tenant: Tenant, **claims: object) -> str:
    fields: dict[str, object] = {
        "business_id": tenant.business.id,
        "customer_id": tenant.customer.id,
        "link_version": tenant.customer.link_version,
    }
    fields.update(claims)
    return tokens.mint(settings.secret_key, Purpose.EMBED, **fields)  # type: ignore[arg-type]


def open_session(client: httpx.Client, settings: Settings, tenant: Tenant) -> str:
    key = tenant.business.publishable_key
    response = client.post(f"/portal/{key}/session", data={"token": embed_token(settings, tenant)})
    assert response.status_code == 200, response.text
    return response.headers["Frontdesk-Session"]


def test_preflight_is_answered_from_the_business_allow_list(
    client: httpx.Client, tenants: dict[str, Tenant]
) -> None:
    key = tenants["a"].business.publishable_key
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    allowed = client.options(f"/portal/{key}/home", headers=preflight)
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    assert allowed.headers["Access-Control-Max-Age"] == "7200"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert "Origin" in allowed.headers["Vary"]
    elsewhere = client.options(
        f"/portal/{key}/home", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    assert "Access-Control-Allow-Origin" not in elsewhere.headers
    other_business = client.options(
        f"/portal/{tenants['b'].business.publishable_key}/home", headers=preflight
    )
    assert other_business.status_code == 403


def test_the_session_exchange_shows_the_customer_and_exposes_the_session_header(
    client: httpx.Client, settings: Settings, tenants: dict[str, Tenant]
) -> None:
    key = tenants["a"].business.publishable_key
    response = client.post(
        f"/portal/{key}/session", data={"token": embed_token(settings, tenants["a"])}
    )
    assert response.status_code == 200
    assert 'id="fd-shell"' in response.text
    assert "Customer A" in response.text and "$123.45" in response.text
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Frontdesk-Session" in response.headers["Access-Control-Expose-Headers"]
    claims = tokens.read(
        settings.secret_key, Purpose.PORTAL_SESSION, response.headers["Frontdesk-Session"]
    )
    assert claims.customer_id == tenants["a"].customer.id
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("damage", "title"),
    [
        (lambda t: t[:-3] + "abc", "This link is not valid."),
        (lambda t: "", "This link is not valid."),
    ],
)
def test_bad_tokens_are_refused_with_a_readable_fragment(
    client: httpx.Client, settings: Settings, tenants: dict[str, Tenant], damage: object, title: str
) -> None:
    key = tenants["a"].business.publishable_key
    token = damage(embed_token(settings, tenants["a"]))  # type: ignore[operator]
    response = client.post(f"/portal/{key}/session", data={"token": token})
    assert response.status_code == 401
    assert title in response.text
    assert "Send a new link" in response.text  # the way forward: a fresh link by email
    assert "Frontdesk-Session" not in response.headers


def test_a_session_token_is_not_an_embed_token(
    client: httpx.Client, settings: Settings, tenants: dict[str, Tenant]
) -> None:
    session_token = open_session(client, settings, tenants["a"])
    key = tenants["a"].business.publishable_key
    assert client.post(f"/portal/{key}/session", data={"token": session_token}).status_code == 401


def test_another_business_token_gets_nothing(
    client: httpx.Client, settings: Settings, tenants: dict[str, Tenant]
) -> None:
    a_key = tenants["a"].business.publishable_key
    b_token = embed_token(settings, tenants["b"])
    exchange = client.post(f"/portal/{a_key}/session", data={"token": b_token})
    assert exchange.status_code == 401
    assert "Customer B" not in exchange.text
    a_session = open_session(client, settings, tenants["a"])
    b_home = client.get(
        f"/portal/{tenants['b'].business.publishable_key}/home",
        headers={"Authorization": f"Bearer {a_session}", "Origin": "https://other.example"},
    )
    assert b_home.status_code == 401
    assert "Customer" not in b_home.text


def test_home_needs_a_session(
    client: httpx.Client, settings: Settings, tenants: dict[str, Tenant]
) -> None:
    key = tenants["a"].business.publishable_key
    assert client.get(f"/portal/{key}/home").status_code == 401
    session = open_session(client, settings, tenants["a"])
    home = client.get(f"/portal/{key}/home", headers={"Authorization": f"Bearer {session}"})
    assert home.status_code == 200
    assert 'id="fd-home"' in home.text and "$123.45" in home.text
    # A fresh session's answers carry no new token (tests/test_portal_sessions.py).
    assert "Frontdesk-Session" not in home.headers


def test_the_origin_is_rechecked_on_every_request(
    client: httpx.Client, settings: Settings, tenants: dict[str, Tenant]
) -> None:
    key = tenants["a"].business.publishable_key
    session = open_session(client, settings, tenants["a"])
    response = client.get(
        f"/portal/{key}/home",
        headers={"Authorization": f"Bearer {session}", "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "$123.45" not in response.text


def test_disabling_a_customer_or_bumping_the_link_version_ends_sessions(
    client: httpx.Client, settings: Settings, tenants: dict[str, Tenant], db: Database
) -> None:
    tenant = tenants["a"]
    key = tenant.business.publishable_key
    session = open_session(client, settings, tenant)
    with db.session(tenant.business.id) as s:
        row = s.get(Customer, tenant.customer.id)
        assert row is not None
        row.link_version += 1
    refused = client.get(f"/portal/{key}/home", headers={"Authorization": f"Bearer {session}"})
    assert refused.status_code == 401
    assert "replaced by a newer one" in refused.text
    with db.session(tenant.business.id) as s:
        row = s.get(Customer, tenant.customer.id)
        assert row is not None
        row.link_version -= 1
        row.portal_enabled = False
    refused = client.get(f"/portal/{key}/home", headers={"Authorization": f"Bearer {session}"})
    assert refused.status_code == 403
    assert "No access" in refused.text and "is turned off" in refused.text


def test_public_parts_answer_any_origin_and_hold_nothing_personal(
    client: httpx.Client, tenants: dict[str, Tenant]
) -> None:
    key = tenants["a"].business.publishable_key
    css = client.get(f"/portal/{key}/portal.css", headers={"Origin": "https://anyone.example"})
    assert css.headers["Access-Control-Allow-Origin"] == "*"
    assert css.headers["Content-Type"].startswith("text/css")
    assert "--fd-accent:var(--frontdesk-accent," in css.text
    assert css.headers["Cache-Control"] == "no-cache"
    again = client.get(f"/portal/{key}/portal.css", headers={"If-None-Match": css.headers["ETag"]})
    assert again.status_code == 304
    check = client.get(f"/portal/{key}/origin-check", headers={"Origin": "https://anyone.example"})
    assert check.json() == {
        "allowed": False,
        "message": "This account portal is not available on this website.",
    }
    assert client.get(f"/portal/{key}/origin-check", headers={"Origin": SHOP}).json() == {
        "allowed": True
    }


def test_unknown_keys_get_a_404_fragment(client: httpx.Client) -> None:
    response = client.post("/portal/pk_nope/session", data={"token": "x"})
    assert response.status_code == 404
    assert "This account portal does not exist" in response.text


def test_the_widget_script_is_served(client: httpx.Client) -> None:
    script = client.get("/widget/frontdesk.js")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "frontdesk-portal" in script.text


def test_the_hosted_page_embeds_the_portal_with_its_own_csp(
    client: httpx.Client, tenants: dict[str, Tenant]
) -> None:
    business = tenants["a"].business
    page = client.get(f"/p/{business.slug}")
    assert page.status_code == 200
    assert f'business="{business.publishable_key}"' in page.text
    assert f"frame-ancestors {SHOP}" in page.headers["Content-Security-Policy"]
    assert client.get("/p/no-such-business").status_code == 404


def test_every_view_a_deep_link_may_name_has_a_place_and_nothing_else_does() -> None:
    # One table (services/portal) names the views; the server's places must match it exactly,
    # or a link the loader accepts would open home, or a place no link can reach would exist.
    assert {"home", *home_routes.VIEWS} == set(portal.VIEWS)
    assert set(home_routes.ONE_OF) == set(portal.ITEMS)
    link = re.compile(portal.DEEP_LINK)
    assert link.match("#invoice/INV-1042") and link.match("#estimates")
    assert not link.match("#contact") and not link.match("#invoice/") and not link.match("#pay/a b")
