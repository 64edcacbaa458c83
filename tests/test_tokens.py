"""Signed tokens: one salt per purpose, key rotation, expiry, and the customer re-check."""

from __future__ import annotations

import secrets

import pytest
from itsdangerous import timed

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.services import customers
from frontdesk.tokens import InvalidToken, Purpose
from tests.factories import make_business, make_customer

NEW_KEY, OLD_KEY = secrets.token_urlsafe(40), secrets.token_urlsafe(40)


def mint(
    keys: tuple[str, ...] = (NEW_KEY,), purpose: Purpose = Purpose.EMBED, **claims: object
) -> str:
    fields = {"business_id": "bus_1", "customer_id": "cus_1", "link_version": 1, **claims}
    return tokens.mint(keys, purpose, **fields)  # type: ignore[arg-type]


def test_a_token_reads_back_its_claims() -> None:
    claims = tokens.read((NEW_KEY,), Purpose.EMBED, mint(scope="pay"))
    assert (claims.business_id, claims.customer_id, claims.link_version) == ("bus_1", "cus_1", 1)
    assert claims.extra == {"scope": "pay"}


@pytest.mark.parametrize("other", [p for p in Purpose if p != Purpose.EMBED])
def test_a_token_is_refused_for_any_other_purpose(other: Purpose) -> None:
    with pytest.raises(InvalidToken):
        tokens.read((NEW_KEY,), other, mint())


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[:-2],
        lambda t: t[:10],
        lambda t: "x" + t,
        lambda t: t.replace(".", "!", 1),
        lambda t: "",
    ],
)
def test_tampered_or_truncated_tokens_are_refused(damage: object) -> None:
    with pytest.raises(InvalidToken):
        tokens.read((NEW_KEY,), Purpose.EMBED, damage(mint()))  # type: ignore[operator]


def test_key_rotation_keeps_old_tokens_until_the_old_key_goes() -> None:
    old_token = mint(keys=(OLD_KEY,))
    assert tokens.read((NEW_KEY, OLD_KEY), Purpose.EMBED, old_token).customer_id == "cus_1"
    with pytest.raises(InvalidToken):
        tokens.read((NEW_KEY,), Purpose.EMBED, old_token)
    # New tokens are signed with the newest key.
    assert tokens.read((NEW_KEY,), Purpose.EMBED, mint(keys=(NEW_KEY, OLD_KEY)))


def test_expired_and_future_dated_tokens_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real_time = timed.time.time
    monkeypatch.setattr(timed.time, "time", lambda: real_time() - 11 * 60)
    stale = mint()
    monkeypatch.setattr(timed.time, "time", lambda: real_time() + 60)
    future = mint()
    monkeypatch.setattr(timed.time, "time", real_time)
    with pytest.raises(InvalidToken) as caught:
        tokens.read((NEW_KEY,), Purpose.EMBED, stale)
    assert caught.value.expired
    with pytest.raises(InvalidToken):
        tokens.read((NEW_KEY,), Purpose.EMBED, future)


def test_a_token_read_before_still_ages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its checked signature is remembered; its age is not, and its claims come whole each time."""
    token = mint(scope="pay")
    for _ in range(2):
        assert tokens.read((NEW_KEY,), Purpose.EMBED, token).extra == {"scope": "pay"}
    real_time = timed.time.time
    monkeypatch.setattr(timed.time, "time", lambda: real_time() + 11 * 60)
    with pytest.raises(InvalidToken) as caught:
        tokens.read((NEW_KEY,), Purpose.EMBED, token)
    assert caught.value.expired
    # A longer lifetime asked for by the reader (a portal session's setting) is honoured.
    assert tokens.read((NEW_KEY,), Purpose.EMBED, token, max_age=12 * 60).customer_id == "cus_1"


def test_the_customer_is_rechecked_on_every_use(db: Database) -> None:
    business = make_business(db).business
    other = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business)
    claims = tokens.read(
        (NEW_KEY,),
        Purpose.EMBED,
        mint(business_id=business.id, customer_id=customer.id, link_version=1),
    )
    with db.session(business.id) as session:
        assert customers.for_token(session, business=business, claims=claims).id == customer.id
    with db.session(other.id) as session, pytest.raises(InvalidToken, match="another business"):
        customers.for_token(session, business=other, claims=claims)
    with db.session(business.id) as session:
        session.get(type(customer), customer.id).link_version = 2  # type: ignore[union-attr]
    with db.session(business.id) as session, pytest.raises(InvalidToken, match="newer"):
        customers.for_token(session, business=business, claims=claims)
    with db.session(business.id) as session:
        row = session.get(type(customer), customer.id)
        assert row is not None
        row.link_version, row.portal_enabled = 1, False
    with db.session(business.id) as session, pytest.raises(InvalidToken, match="turned off"):
        customers.for_token(session, business=business, claims=claims)
