"""Subscriptions through the integration API on a live server: making a plan, reading and listing
it with its periods (billed by the real scheduler), pausing, resuming and cancelling; refusals by
field that change nothing; idempotent retries; another business's plans not found."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from frontdesk.db import Database
from frontdesk.models import Customer, Interval, Invoice, OutboxItem, Subscription
from frontdesk.services import businesses, subscriptions
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.security.state import state_of

NEW = "/subscriptions"
MOWING = {"description": "Mowing", "unit_amount": 4000}
EDGING = {"description": "Edging", "unit_amount": 1000, "quantity": "2", "tax_rate_bp": 1000}


class Api:
    def __init__(self, server: LiveServer, key: str) -> None:
        self.client = httpx.Client(
            base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
        )

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params)

    def post(self, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.client.post(path, json=body, headers=headers)


@pytest.fixture
def mine(db: Database) -> NewBusiness:
    return make_business(db, name="Greenleaf Gardens")


@pytest.fixture
def api(live_server: LiveServer, mine: NewBusiness) -> Iterator[Api]:
    client = Api(live_server, mine.secret_api_key)
    yield client
    client.client.close()


def customer_of(db: Database, made: NewBusiness, **fields: Any) -> Customer:
    with db.session(made.business.id) as session:
        return make_customer(session, made.business, **fields)


def plan_for(customer: str, **fields: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "name": "Lawn care",
        "lines": [MOWING],
        "interval": {"every": "month"},
        **fields,
    }


def errors_of(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["field"]: e["detail"] for e in response.json().get("errors", [])}


def events_of(db: Database, made: NewBusiness) -> list[str]:
    with db.session(made.business.id) as session:
        items = session.exec(
            select(OutboxItem)
            .where(OutboxItem.kind == "event")
            .order_by(col(OutboxItem.created_at), col(OutboxItem.id))
        )
        return [item.payload["type"] for item in items]


def test_a_plan_is_made_read_listed_paused_resumed_and_cancelled(
    api: Api, db: Database, mine: NewBusiness
) -> None:
    ann = customer_of(db, mine, external_id="crm-7", email="ann@example.com")
    today = businesses.today(mine.business)
    created = api.post(
        "/subscriptions",
        plan_for(
            "external:crm-7",
            lines=[MOWING, EDGING],
            interval={"every": "quarter"},
            max_periods=4,
            customer_can_pause=False,
        ),
    )
    assert created.status_code == 201, created.text
    plan = created.json()
    assert (plan["object"], plan["customer"], plan["status"]) == ("subscription", ann.id, "active")
    assert plan["interval"] == {"every": "month", "count": 3} and plan["rhythm"] == "Quarterly"
    # 40.00 + 2 x 10.00 with 10 % tax on the second line.
    assert plan["amount"] == 6200 and plan["lines"][1]["tax_amount"] == 200
    assert (plan["start_on"], plan["next_invoice_on"]) == (today.isoformat(), today.isoformat())
    assert (plan["max_periods"], plan["days_until_due"], plan["periods"]) == (4, 14, [])
    assert plan["customer_can_cancel"] and not plan["customer_can_pause"]

    assert api.get(f"/subscriptions/{plan['id']}").json() == plan
    other = customer_of(db, mine)
    assert api.post("/subscriptions", plan_for(other.id)).status_code == 201
    assert len(api.get("/subscriptions").json()["data"]) == 2
    anns = api.get("/subscriptions", customer="external:crm-7").json()["data"]
    assert [p["id"] for p in anns] == [plan["id"]]

    paused = api.post(f"/subscriptions/{plan['id']}/pause", {"skip": 2})
    assert paused.status_code == 200, paused.text
    # The first two quarters are skipped: the third is the next invoice.
    third = subscriptions.period_span(today, Interval.MONTH, 3, 2)[0]
    assert (paused.json()["status"], paused.json()["skip_periods"]) == ("paused", 2)
    assert paused.json()["next_invoice_on"] == third.isoformat()
    listed = api.get("/subscriptions", status="paused").json()["data"]
    assert [p["id"] for p in listed] == [plan["id"]]

    resumed = api.post(f"/subscriptions/{plan['id']}/resume")
    assert resumed.json()["status"] == "active" and resumed.json()["next_invoice_on"] == str(today)

    cancelled = api.post(f"/subscriptions/{plan['id']}/cancel", {"mode": "now", "reason": "Moved"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["status"], body["cancel_reason"], body["next_invoice_on"]) == (
        "canceled",
        "Moved",
        None,
    )
    assert body["canceled_at"] is not None
    assert errors_of(api.post(f"/subscriptions/{plan['id']}/cancel", {"mode": "now"})) == {}
    assert errors_of(api.post(f"/subscriptions/{plan['id']}/resume")) == {}
    assert events_of(db, mine) == [
        "subscription.created",
        "subscription.created",
        "subscription.paused",
        "subscription.updated",
        "subscription.canceled",
    ]


def test_periods_show_their_invoices_skips_and_those_billed_late(
    api: Api, db: Database, mine: NewBusiness, settings: Settings
) -> None:
    bo = customer_of(db, mine)
    plan = api.post("/subscriptions", plan_for(bo.id, interval={"every": "week"})).json()
    start = date.fromisoformat(plan["start_on"])
    links = Links.from_settings(settings)

    def bill(days: int) -> int:
        at = datetime.combine(start + timedelta(days=days), time(12), tzinfo=UTC)
        return subscriptions.bill_due(db, links, at)

    assert bill(1) == 1  # the first week, a day after it fell due: with its notice
    assert api.post(f"/subscriptions/{plan['id']}/pause", {"skip": 1}).status_code == 200
    assert bill(8) == 1  # the second week, skipped
    assert bill(20) == 1  # the third, found six days late: billed without its email

    shown = api.get(f"/subscriptions/{plan['id']}").json()
    with db.session(mine.business.id) as session:
        invoices = session.exec(select(Invoice).order_by(col(Invoice.number))).all()
    assert [(p["period"], p["outcome"], p["quiet"]) for p in shown["periods"]] == [
        (2, "invoiced", True),
        (1, "skipped", False),
        (0, "invoiced", False),
    ]
    assert [p["invoice"] for p in shown["periods"]] == [invoices[1].id, None, invoices[0].id]
    assert shown["periods"][1]["starts_on"] == (start + timedelta(days=7)).isoformat()
    assert shown["periods"][1]["ends_on"] == (start + timedelta(days=13)).isoformat()
    assert (shown["status"], shown["next_invoice_on"]) == (
        "active",
        (start + timedelta(days=21)).isoformat(),
    )
    # The page's periods come with the list too.
    [listed] = api.get("/subscriptions").json()["data"]
    assert listed["periods"] == shown["periods"]


def test_bad_input_is_refused_by_field_and_changes_nothing(
    api: Api, db: Database, mine: NewBusiness
) -> None:
    cy = customer_of(db, mine)
    today = businesses.today(mine.business)
    made = api.post("/subscriptions", plan_for(cy.id)).json()
    one = f"/subscriptions/{made['id']}"
    before = state_of(db)
    refused: list[tuple[str, Any, str]] = [
        (
            NEW,
            plan_for(cy.id, interval={"every": "month", "count": 0}),
            "interval.count",
        ),
        (NEW, plan_for(cy.id, interval={"every": "fortnight"}), "interval.every"),
        (NEW, plan_for(cy.id, start_on=str(today - timedelta(days=1))), "start_on"),
        (NEW, plan_for(cy.id, end_on=str(today - timedelta(days=1))), "end_on"),
        (NEW, plan_for(cy.id, lines=[]), "lines"),
        (
            NEW,
            plan_for(cy.id, lines=[{**MOWING, "tax_amount": 5}]),
            "lines.0.tax_amount",
        ),
        (NEW, plan_for(cy.id, days_until_due=91), "days_until_due"),
        (NEW, plan_for("cus_nobody"), "customer"),
        (one + "/pause", {}, "until"),
        (one + "/pause", {"until": str(today)}, "until"),
        (one + "/pause", {"skip": 13}, "skip"),
        (one + "/pause", {"until": str(today + timedelta(days=9)), "skip": 1}, "body"),
        (one + "/cancel", {"mode": "later"}, "mode"),
    ]
    for path, body, field in refused:
        assert field in errors_of(api.post(path, body)), (path, body)
    message = errors_of(api.post("/subscriptions", plan_for(cy.id, end_on="2000-01-01")))
    assert message["end_on"] == "The end date is before the start date."
    assert state_of(db) == before


def test_a_retry_with_its_idempotency_key_makes_one_plan(
    api: Api, db: Database, mine: NewBusiness
) -> None:
    cy = customer_of(db, mine)
    first = api.post("/subscriptions", plan_for(cy.id), key="plan-1")
    again = api.post("/subscriptions", plan_for(cy.id), key="plan-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other_body = api.post("/subscriptions", plan_for(cy.id, name="Pool"), key="plan-1")
    assert "Idempotency-Key" in errors_of(other_body)
    with db.session(mine.business.id) as session:
        assert len(session.exec(select(Subscription)).all()) == 1


def test_another_business_plans_are_not_found(
    api: Api, db: Database, live_server: LiveServer
) -> None:
    other = make_business(db)
    their_customer = customer_of(db, other)
    theirs = Api(live_server, other.secret_api_key)
    plan = theirs.post("/subscriptions", plan_for(their_customer.id)).json()
    theirs.client.close()
    before = state_of(db)
    assert api.get(f"/subscriptions/{plan['id']}").status_code == 404
    for action in ("pause", "resume", "cancel"):
        body = {"skip": 1} if action == "pause" else {}
        answer = api.post(f"/subscriptions/{plan['id']}/{action}", body)
        assert answer.status_code == 404, (action, answer.text)
    assert api.get("/subscriptions", customer=their_customer.id).status_code == 404
    assert api.get("/subscriptions").json()["data"] == []
    assert "customer" in errors_of(api.post("/subscriptions", plan_for(their_customer.id)))
    assert state_of(db) == before
