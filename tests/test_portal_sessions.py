"""A portal session's token is re-signed only once past half its life, so a quiet session lasts
between half its lifetime and all of it, and an answer to a fresh session carries no new token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.models import Business, Customer, utcnow
from frontdesk.settings import Settings
from frontdesk.tokens import Purpose
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.security.test_token_walk import signed_at
from tests.test_portal_views import Portal


@pytest.fixture
def shop(db: Database) -> tuple[Business, Customer]:
    business = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
    return business, customer


@pytest.fixture
def aged(
    live_server: LiveServer, settings: Settings, shop: tuple[Business, Customer]
) -> Iterator[Portal]:
    """A session whose token was signed a minute past half its lifetime ago."""
    with signed_at(-settings.portal_session_seconds // 2 - 60):
        portal = Portal(live_server, settings, *shop)
    with portal:
        yield portal


def test_answers_to_a_fresh_session_carry_no_new_token(
    live_server: LiveServer, settings: Settings, shop: tuple[Business, Customer]
) -> None:
    with Portal(live_server, settings, *shop) as portal:
        for path in ("/home", "/invoices", "/messages"):
            answer = portal.get(path)
            assert answer.status_code == 200, path
            assert "Frontdesk-Session" not in answer.headers, path
        first = portal.get("/messages/thread")
        poll = portal.get("/messages/thread", headers={"If-None-Match": first.headers["ETag"]})
        assert poll.status_code == 304 and "Frontdesk-Session" not in poll.headers


def test_past_half_its_life_the_answer_renews_the_same_session(
    aged: Portal, settings: Settings
) -> None:
    held = aged.client.headers["Authorization"].removeprefix("Bearer ")
    answer = aged.get("/home")
    assert answer.status_code == 200
    renewed = answer.headers["Frontdesk-Session"]
    old = tokens.read(settings.secret_key, Purpose.PORTAL_SESSION, held)
    new = tokens.read(settings.secret_key, Purpose.PORTAL_SESSION, renewed)
    assert new.extra["s"] == old.extra["s"]  # the same session, so signing out ends both
    assert (utcnow() - new.signed_at).total_seconds() < 60
    aged.client.headers["Authorization"] = f"Bearer {renewed}"
    assert "Frontdesk-Session" not in aged.get("/home").headers  # fresh again


def test_the_poll_renews_a_session_past_half_its_life_too(aged: Portal) -> None:
    etag = aged.get("/messages/thread").headers["ETag"]  # its renewal is not taken up
    poll = aged.get("/messages/thread", headers={"If-None-Match": etag})
    assert poll.status_code == 304 and poll.headers["Frontdesk-Session"]


def test_a_session_answered_but_not_renewed_still_ends_a_lifetime_after_its_signing(
    live_server: LiveServer, settings: Settings, shop: tuple[Business, Customer]
) -> None:
    half = settings.portal_session_seconds // 2
    with signed_at(-half + 60):
        portal = Portal(live_server, settings, *shop)
    with portal:
        answer = portal.get("/home")
        assert answer.status_code == 200 and "Frontdesk-Session" not in answer.headers
        with signed_at(half + 120):  # a quiet lifetime later, as the token's signer counts it
            ended = portal.get("/home")
        assert ended.status_code == 401 and "session has ended" in ended.text
