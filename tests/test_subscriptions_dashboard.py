"""Plans (subscriptions) in the dashboard over real HTTP: making one from the customer's Plans card,
the list and a plan's page (periods billed by the real scheduler: invoiced, skipped, billed late),
pausing, resuming and cancelling; bad input refused with the input kept and nothing made, and
another business's plan not found."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlmodel import Session, col, select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import (
    AuditEvent,
    Business,
    Customer,
    Initiator,
    Invoice,
    OutboxItem,
    Subscription,
    SubscriptionStatus,
)
from frontdesk.services import audit, subscriptions
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_dashboard import Desk

# 03:00 UTC on the 11th is 11 PM on the 10th in New York, where the business is: "today" is the
# 10th there, the 11th in UTC.
NOW = datetime(2031, 3, 11, 3, 0, tzinfo=UTC)
TODAY = "2031-03-10"


@dataclass
class Shop:
    server: LiveServer
    settings: Settings
    db: Database
    made: NewBusiness
    casey: Customer

    def plans(self) -> list[Subscription]:
        with self.db.session(self.made.business.id) as session:
            return list(session.exec(select(Subscription)))

    def outbox(self, kind: str) -> list[OutboxItem]:
        with self.db.session(self.made.business.id) as session:
            query = select(OutboxItem).where(OutboxItem.kind == kind)
            return list(session.exec(query.order_by(col(OutboxItem.created_at))))

    def plan(self) -> Subscription:
        """A monthly plan for Casey from today, made through the service."""
        with self.db.session(self.made.business.id) as session:
            return make_plan_for(session, self.made.business, self.casey)

    def bill(self, now: datetime) -> int:
        return subscriptions.bill_due(self.db, Links.from_settings(self.settings), now)


@pytest.fixture
def shop(db: Database, settings: Settings) -> Iterator[Shop]:
    made = make_business(db, name="Greenleaf Gardens", time_zone="America/New_York")
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey")
    app = create_app(settings, db)
    app.state.clock = lambda: NOW
    server = LiveServer(app).start()
    yield Shop(server, settings, db, made, casey)
    server.stop()


@pytest.fixture
def desk(shop: Shop) -> Iterator[Desk]:
    signed_in = Desk(shop.server.url, shop.made.owner.email)
    yield signed_in
    signed_in.close()


def make_plan_for(session: Session, business: Business, customer: Customer) -> Subscription:
    return subscriptions.create(
        session,
        business=business,
        customer=customer,
        wanted=subscriptions.Wanted(name="Lawn care", lines=[LineInput("Mowing", 4000)]),
        actor=audit.Actor(Initiator.SYSTEM, "test"),
        today=date.fromisoformat(TODAY),
        now=NOW,
    )


def make_plan(desk: Desk, customer: Customer, **fields: str | list[str]) -> httpx.Response:
    typed: dict[str, str | list[str]] = {
        "name": "Lawn care",
        "description": ["Mowing", "Fertiliser", ""],
        "quantity": ["1", "2", "1"],
        "unit_price": ["40.00", "5", ""],
        "tax_rate": ["", "10", ""],
        "every": "month",
        "count": "1",
        "start_on": TODAY,
        "end_on": "",
        "max_periods": "",
        "days_until_due": "14",
        "customer_can_cancel": "yes",
    }
    return desk.post(f"/customers/{customer.id}/subscriptions", {**typed, **fields})


def test_a_plan_made_on_the_customer_page_is_listed_and_has_its_own_page(
    shop: Shop, desk: Desk
) -> None:
    customer_page = desk.get(f"/customers/{shop.casey.id}")
    assert f"/dashboard/customers/{shop.casey.id}/subscriptions" in customer_page.text
    card = desk.get(f"/customers/{shop.casey.id}/subscriptions").text
    assert "Casey has no plans yet." in card
    assert f'name="start_on" type="date" value="{TODAY}"' in card  # today where the business is

    made = make_plan(desk, shop.casey)
    assert made.status_code == 200, made.text
    assert made.text.startswith('<section id="subscriptions"')  # the card, as htmx swaps it
    assert f"Plan “Lawn care” made for Casey: the first invoice is issued on {TODAY}." in made.text
    row = made.text.split("<tbody>")[1]
    # 40.00 + 2 x 5.00 with 10 % tax on the second line.
    for shown in ("Lawn care", "Monthly", "$51.00", "Active", "Mar 10, 2031"):
        assert shown in row, shown

    [plan] = shop.plans()
    assert plan.customer_id == shop.casey.id and plan.days_until_due == 14
    assert [line["description"] for line in plan.lines] == ["Mowing", "Fertiliser"]
    assert plan.lines[1]["tax_rate_bp"] == 1000
    assert plan.customer_can_cancel and not plan.customer_can_pause
    [event] = shop.outbox("event")
    assert event.payload["type"] == "subscription.created"
    assert event.payload["data"]["amount"] == 5100

    listed = desk.get("/subscriptions").text
    assert "Lawn care" in listed and "Casey" in listed and 'aria-current="page">Plans' in listed
    assert "Lawn care" in desk.get("/subscriptions", status="active").text
    assert "Lawn care" not in desk.get("/subscriptions", status="paused").text

    page = desk.get(f"/subscriptions/{plan.id}").text
    assert "Mar 10, 2031, for $51.00" in page  # the next invoice, and its amount
    assert "Nothing billed yet" in page and "Cancel it" in page
    assert "Pause" in page and "Cancel the plan" in page


# Each refusal: what is typed differently, the field its message is under, and the message.
REFUSED = {
    "interval of 0": ({"count": "0"}, "count", "Bill every 1 to 52 periods."),
    "end before start": ({"end_on": "2031-03-01"}, "end_on", "The end date is before the start"),
    "start in the past": ({"start_on": "2031-03-09"}, "start_on", "cannot be in the past"),
    "no lines": (
        {"description": [""], "quantity": ["1"], "unit_price": [""], "tax_rate": [""]},
        "lines",
        "Add at least one line.",
    ),
    "a price that is no amount": (
        {"unit_price": ["forty", "5", ""]},
        "lines[0].unit_amount",
        "Line 1:",
    ),
}


def test_bad_input_is_shown_with_the_input_kept_and_changes_nothing(shop: Shop, desk: Desk) -> None:
    # One server for every case: each refusal is one request and changes nothing.
    for case, (changed, field, message) in REFUSED.items():
        refused = make_plan(desk, shop.casey, name="Pool service", **changed)
        assert refused.status_code == 422, case
        assert message in refused.text, case
        assert 'value="Pool service"' in refused.text, case  # what was typed stays
        if field.startswith("lines["):
            assert 'aria-invalid="true"' in refused.text, case
        elif field != "lines":
            assert f'aria-describedby="plan-err-{field}"' in refused.text, case
        assert shop.plans() == [], case
    assert shop.outbox("event") == [] and shop.outbox("email") == []


def test_periods_show_their_invoices_skips_and_those_billed_late(shop: Shop, desk: Desk) -> None:
    plan = shop.plan()
    assert shop.bill(NOW) == 1  # March, invoiced with its notice
    paused = desk.post(f"/subscriptions/{plan.id}/pause", {"skip": "1"})
    assert "the next 1 period will not be billed" in paused.text
    assert shop.bill(datetime(2031, 4, 10, 12, tzinfo=UTC)) == 1  # April, skipped
    # Back after a long absence: May is billed on May 20th, quietly.
    assert shop.bill(datetime(2031, 5, 20, 12, tzinfo=UTC)) == 1

    page = desk.get(f"/subscriptions/{plan.id}").text
    periods = page.split('id="periods-title"')[1]
    with shop.db.session(shop.made.business.id) as session:
        numbers = [i.number for i in session.exec(select(Invoice).order_by(col(Invoice.number)))]
    assert len(numbers) == 2
    for number in numbers:
        assert f">{number}</a>" in periods
    assert periods.count("Skipped") == 1
    assert periods.count("billed late, no email") == 1
    assert periods.index(numbers[1]) < periods.index("Skipped") < periods.index(numbers[0])
    assert "Jun 10, 2031, for $40.00" in page  # the next invoice


def test_a_plan_is_paused_resumed_and_cancelled_from_its_page(shop: Shop, desk: Desk) -> None:
    plan = shop.plan()
    path = f"/subscriptions/{plan.id}"

    too_early = desk.post(path + "/pause", {"until": "2031-03-10", "skip": ""})
    assert too_early.status_code == 422
    assert "Choose a date after today." in too_early.text and 'value="2031-03-10"' in too_early.text
    assert shop.plans()[0].status == SubscriptionStatus.ACTIVE

    paused = desk.post(path + "/pause", {"until": "", "skip": "2"})
    assert paused.status_code == 200 and paused.text.startswith('<section id="subscription"')
    assert "the next 2 periods will not be billed" in paused.text
    # March and April are skipped: May is the next invoice.
    assert "May 10, 2031, for $40.00" in paused.text and "Resume now" in paused.text

    resumed = desk.post(path + "/resume")
    assert "Resumed: it is active again" in resumed.text
    assert "Mar 10, 2031, for $40.00" in resumed.text

    # Mid-April: the period starting on April 10th is skipped, May 10th is billed.
    paused = desk.post(path + "/pause", {"until": "2031-04-20", "skip": ""})
    assert "no invoices until 2031-04-20" in paused.text and "May 10, 2031" in paused.text
    desk.post(path + "/resume")

    cancelled = desk.post(path + "/cancel", {"mode": "now", "reason": "Moving away"})
    assert cancelled.status_code == 200
    assert "It is cancelled: nothing more will be billed." in cancelled.text
    assert "None: nothing more will be billed" in cancelled.text
    assert "Cancel the plan" not in cancelled.text and "Moving away" in cancelled.text
    [found] = shop.plans()
    assert found.status == SubscriptionStatus.CANCELED and found.cancel_reason == "Moving away"
    told = [item.payload["to"] for item in shop.outbox("email")]
    assert shop.casey.email in told and shop.made.owner.email in told
    types = [item.payload["type"] for item in shop.outbox("event")]
    assert types.count("subscription.canceled") == 1 and types.count("subscription.paused") == 2

    again = desk.post(path + "/cancel", {"mode": "now"})
    assert again.status_code == 422 and "already been cancelled" in again.text
    with shop.db.session(shop.made.business.id) as session:
        kinds = [e.action for e in session.exec(select(AuditEvent))]
    assert kinds.count("subscription.canceled") == 1


def test_another_business_plans_are_not_found(shop: Shop, desk: Desk, db: Database) -> None:
    theirs = make_business(db)
    with db.session(theirs.business.id) as session:
        customer = make_customer(session, theirs.business)
        plan = make_plan_for(session, theirs.business, customer)
    assert desk.get(f"/subscriptions/{plan.id}").status_code == 404
    assert desk.get(f"/customers/{customer.id}/subscriptions").status_code == 404
    for action in ("pause", "resume", "cancel"):
        answer = desk.post(f"/subscriptions/{plan.id}/{action}", {"skip": "1", "mode": "now"})
        assert answer.status_code == 404, action
    assert make_plan(desk, customer).status_code == 404
    assert plan.id not in desk.get("/subscriptions").text
    with db.session(theirs.business.id) as session:
        [still] = session.exec(select(Subscription)).all()
        assert still.status == SubscriptionStatus.ACTIVE
