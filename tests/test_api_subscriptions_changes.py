"""Changing a plan through the integration API on a live server: the preview answering the
proration's figures and changing nothing, `PATCH` prorating now (an invoice, or account credit)
or from the next period, refusals by field (RFC 9457) that change nothing, a paused plan changed,
ended and cancelled plans refused, another business's plan not found."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import CreditNote, Invoice, OutboxItem
from frontdesk.services import businesses, subscriptions
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from frontdesk.services.subscriptions.proration import share
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business
from tests.security.state import state_of
from tests.test_api_subscriptions import Api, customer_of, errors_of, plan_for
from tests.test_subscriptions_dashboard import make_plan_for


class Changing(Api):
    def patch(self, path: str, body: Any) -> httpx.Response:
        return self.client.patch(path, json=body)


@pytest.fixture
def mine(db: Database) -> NewBusiness:
    return make_business(db, name="Greenleaf Gardens", time_zone="America/New_York")


@pytest.fixture
def api(live_server: LiveServer, mine: NewBusiness) -> Iterator[Changing]:
    client = Changing(live_server, mine.secret_api_key)
    yield client
    client.client.close()


def billed_plan(api: Changing, db: Database, settings: Settings, mine: NewBusiness) -> str:
    """$40.00 a month from today where the business is, its first period invoiced."""
    customer = customer_of(db, mine, email="ann@example.com")
    mowing = [{"description": "Mowing", "unit_amount": 4000}]
    made = api.post("/subscriptions", plan_for(customer.id, lines=mowing))
    assert made.status_code == 201, made.text
    start = subscriptions.due_at(businesses.today(mine.business), mine.business.time_zone)
    assert subscriptions.bill_due(db, Links.from_settings(settings), start) == 1
    return str(made.json()["id"])


def books_hold(db: Database, mine: NewBusiness) -> None:
    with db.session(mine.business.id) as session:
        business = businesses.get(session, mine.business.id)
        report = ledger.check(session, business=business, processor=None, now=datetime.now(UTC))
    assert report.problems == []


def test_the_preview_answers_the_figures_and_patch_prorates_now(
    api: Changing, db: Database, settings: Settings, mine: NewBusiness
) -> None:
    plan = billed_plan(api, db, settings, mine)
    dearer = {"lines": [{"description": "Mowing and edging", "unit_amount": 6000}]}
    before = state_of(db)
    seen = api.post(f"/subscriptions/{plan}/change-preview", dearer)
    assert seen.status_code == 200, seen.text
    figures = seen.json()
    assert (figures["old_amount"], figures["new_amount"]) == (4000, 6000)
    prorated = figures["proration"]
    days, left = prorated["days_in_period"], prorated["days_left"]
    assert left == days and prorated["changes_on"] == prorated["period_starts_on"]  # day one
    assert prorated["unused"] == share(4000, left, days) == 4000
    assert prorated["adjustment"] == 2000 and prorated["invoice"].startswith("INV-")
    assert state_of(db) == before

    assert "proration" in errors_of(api.patch(f"/subscriptions/{plan}", dearer))
    assert state_of(db) == before

    changed = api.patch(f"/subscriptions/{plan}", {**dearer, "proration": "now"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["amount"] == 6000 and body["lines"][0]["description"] == "Mowing and edging"
    [change] = body["changes"]
    assert (change["proration"], change["adjustment"]) == ("now", 2000)
    with db.session(mine.business.id) as session:
        adjustment = session.get(Invoice, change["invoice"])
        assert adjustment is not None and adjustment.total == 2000
        events = session.exec(select(OutboxItem).where(OutboxItem.kind == "event")).all()
    assert [e.payload["type"] for e in events].count("subscription.updated") == 1

    # A decrease for the rest of the period is account credit (here the whole period: $25.00).
    cheaper = {"lines": [{"description": "Mowing", "unit_amount": 3500}], "proration": "now"}
    [latest, _] = api.patch(f"/subscriptions/{plan}", cheaper).json()["changes"]
    assert latest["adjustment"] == -2500 and latest["invoice"] is None
    with db.session(mine.business.id) as session:
        [note] = session.exec(select(CreditNote)).all()
    assert (note.id, note.amount, note.invoice_id) == (latest["credit_note"], 2500, None)

    # Only the name: nothing to prorate, nothing to choose.
    renamed = api.patch(f"/subscriptions/{plan}", {"name": "Garden care", "days_until_due": 7})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Garden care"
    assert renamed.json()["changes"][0]["proration"] == "none"
    books_hold(db, mine)


def test_bad_changes_are_refused_by_field_and_change_nothing(
    api: Changing, db: Database, settings: Settings, mine: NewBusiness
) -> None:
    plan = billed_plan(api, db, settings, mine)
    one = f"/subscriptions/{plan}"
    before = state_of(db)
    for body, field in (
        ({"lines": []}, "lines"),
        ({"lines": [{"description": "Mowing", "unit_amount": -1}]}, "lines.0.unit_amount"),
        ({"lines": [{"description": "", "unit_amount": 100}]}, "lines.0.description"),
        ({"days_until_due": 91}, "days_until_due"),
        ({"proration": "later"}, "proration"),
        ({"colour": "blue"}, "colour"),
    ):
        assert field in errors_of(api.patch(one, body)), body
        assert field in errors_of(api.post(one + "/change-preview", body)), body
    # A different amount inside the period invoiced, and no choice of what to do about it.
    dearer = {"lines": [{"description": "Mowing", "unit_amount": 9000}]}
    assert "proration" in errors_of(api.patch(one, dearer))
    nothing = api.patch(one, {"name": "Lawn care"})
    assert "Nothing to save" in nothing.json()["detail"]
    assert state_of(db) == before

    assert api.post(one + "/pause", {"skip": 1}).status_code == 200
    paused = api.patch(one, {"name": "Lawn care (paused)"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"

    assert api.post(one + "/cancel", {"mode": "now"}).status_code == 200
    before = state_of(db)
    refused = api.patch(one, {"name": "Pool care"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "This plan has been cancelled: it cannot be changed."
    assert state_of(db) == before

    theirs = make_business(db)
    other = customer_of(db, theirs)
    with db.session(theirs.business.id) as session:
        business = businesses.get(session, theirs.business.id)
        foreign = make_plan_for(session, business, other)
    before = state_of(db)
    assert api.patch(f"/subscriptions/{foreign.id}", {"name": "Mine"}).status_code == 404
    assert api.post(f"/subscriptions/{foreign.id}/change-preview", {}).status_code == 404
    assert state_of(db) == before
