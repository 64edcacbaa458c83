"""Changing a plan from its dashboard page over real HTTP, the app's clock moved: the editor, the
preview of the proration in words and figures as the form changes (nothing saved), the save (once,
however often the form is sent), a save refused when the scheduler billed the next period after
the figures were shown, bad input kept and refused, and another business's plan not found."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import Invoice, OutboxItem, Subscription, SubscriptionChange
from frontdesk.services import businesses, subscriptions
from frontdesk.services.links import Links
from frontdesk.services.payments import ledger
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.security.state import state_of
from tests.test_dashboard import Desk
from tests.test_subscriptions_dashboard import NOW, make_plan_for

# The plan bills March 10th to April 9th, 2031 (31 days) on the 10th; on the 20th, 21 are left.
MID_MARCH = datetime(2031, 3, 20, 12, tzinfo=UTC)


@dataclass
class Office:
    db: Database
    settings: Settings
    business_id: str
    plan: Subscription
    desk: Desk
    clock: list[datetime]

    def bill(self, now: datetime) -> int:
        return subscriptions.bill_due(self.db, Links.from_settings(self.settings), now)

    def rows(self, model: type[Invoice] | type[SubscriptionChange]) -> list[object]:
        with self.db.session(self.business_id) as session:
            return list(session.exec(select(model)))

    def books_hold(self) -> None:
        with self.db.session(self.business_id) as session:
            business = businesses.get(session, self.business_id)
            report = ledger.check(session, business=business, processor=None, now=self.clock[0])
        assert report.problems == []


@pytest.fixture
def office(db: Database, settings: Settings) -> Iterator[Office]:
    made = make_business(db, name="Greenleaf Gardens", time_zone="America/New_York")
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey")
        plan = make_plan_for(session, made.business, casey)  # $40.00 monthly from March 10th
    clock = [NOW]
    app = create_app(settings, db)
    app.state.clock = lambda: clock[0]
    server = LiveServer(app).start()
    desk = Desk(server.url, made.owner.email)
    office = Office(db, settings, made.business.id, plan, desk, clock)
    assert office.bill(NOW) == 1  # March, invoiced at $40.00
    yield office
    desk.close()
    server.stop()


Form = dict[str, str | list[str]]


def typed(office: Office, price: str = "55.00", **fields: str | list[str]) -> Form:
    """The editor's form as the owner leaves it: the price changed, a blank row left."""
    page = office.desk.get(f"/subscriptions/{office.plan.id}/edit").text
    nonce = page.split('name="nonce" value="')[1].split('"')[0]
    period = page.split('name="seen_period" value="')[1].split('"')[0]
    form: Form = {
        "name": "Lawn care",
        "description": ["Mowing", ""],
        "quantity": ["1", "1"],
        "unit_price": [price, ""],
        "tax_rate": ["", ""],
        "days_until_due": "14",
        "nonce": nonce,
        "seen_period": period,
    }
    return {**form, **fields}


def test_the_preview_shows_the_proration_and_the_save_makes_it_once(office: Office) -> None:
    path = f"/subscriptions/{office.plan.id}"
    page = office.desk.get(path).text
    assert f"{path}/edit" in page and "Change the plan" in page
    office.clock[0] = MID_MARCH
    editor = office.desk.get(path + "/edit").text
    assert '<section id="subscription"' in editor and "<h1>Change “Lawn care”</h1>" in editor
    assert 'value="Lawn care"' in editor and 'value="40.00"' in editor
    assert "Nothing is changed yet: each period is $40.00." in editor

    form = typed(office)
    before = state_of(office.db)
    preview = office.desk.post(path + "/change-preview", form)
    assert preview.status_code == 200 and preview.text.startswith('<div id="plan-change-preview"')
    for said in (
        "Each period becomes <strong>$55.00</strong> instead of $40.00.",
        "21 of its 31 days are left, today (Mar 20, 2031) included.",
        "<dd>$27.10</dd>",  # 21/31 of $40.00
        "<dd>$37.26</dd>",  # 21/31 of $55.00
        "an invoice for $10.16 is sent to Casey today",
        "the current period stays as invoiced; $55.00 from Apr 10, 2031",
        'name="seen_adjustment" value="1016"',
    ):
        assert said in preview.text, said
    assert state_of(office.db) == before  # a preview changes nothing

    unchosen = office.desk.post(path + "/change", form)
    assert unchosen.status_code == 422
    assert "Choose whether to prorate now or from the next period." in unchosen.text
    assert 'value="55.00"' in unchosen.text and "<dd>$37.26</dd>" in unchosen.text
    assert state_of(office.db) == before

    chosen = {**form, "proration": "now", "seen_adjustment": "1016"}
    saved = office.desk.post(path + "/change", chosen)
    assert saved.status_code == 204 and saved.headers["HX-Location"].endswith(path)
    again = office.desk.post(path + "/change", chosen)  # a double click
    assert again.status_code == 204
    [change] = office.rows(SubscriptionChange)
    invoices = office.rows(Invoice)
    assert sorted(i.total for i in invoices) == [1016, 4000]  # type: ignore[attr-defined]
    number = next(i.number for i in invoices if i.total == 1016)  # type: ignore[attr-defined]
    words = (
        f"Each period is now $55.00 instead of $40.00. Invoice {number} for $10.16 covers the "
        "rest of the current period (21 of 31 days)."
    )
    page = office.desk.get(path).text
    assert words in page and "$55.00 each period" in page
    with office.db.session(office.business_id) as session:
        mail = session.exec(
            select(OutboxItem)
            .where(OutboxItem.kind == "email")
            .order_by(col(OutboxItem.created_at))
        ).all()
    to_casey = [m.payload["text"] for m in mail if m.payload["text"].startswith("Hello Casey")]
    assert sum(words in text for text in to_casey) == 1
    office.books_hold()
    assert change.adjustment == 1016  # type: ignore[attr-defined]


def test_a_save_after_the_scheduler_billed_the_next_period_shows_the_new_figures(
    office: Office,
) -> None:
    path = f"/subscriptions/{office.plan.id}"
    office.clock[0] = datetime(2031, 4, 9, 20, tzinfo=UTC)  # the period's last day
    form = typed(office, proration="next_period")
    assert form["seen_period"] == "1"
    office.clock[0] = datetime(2031, 4, 10, 12, tzinfo=UTC)
    assert office.bill(office.clock[0]) == 1  # April, at $40.00
    before = state_of(office.db)
    refused = office.desk.post(path + "/change", form)
    assert refused.status_code == 422
    assert "The plan moved on since these figures were worked out" in refused.text
    # The figures now shown are April's, for the owner to agree to again.
    assert "30 of its 30 days are left" in refused.text
    assert 'name="seen_period" value="2"' in refused.text
    assert state_of(office.db) == before


def test_bad_edits_keep_the_input_and_stopped_or_foreign_plans_cannot_be_changed(
    office: Office, db: Database
) -> None:
    path = f"/subscriptions/{office.plan.id}"
    form = typed(office)
    before = state_of(db)
    for fields, message in (
        ({"description": ["", ""], "unit_price": ["", ""]}, "Add at least one line."),
        ({"unit_price": ["-5", ""]}, "Line 1: The amount cannot be negative"),
        ({"name": ""}, "Name the plan"),
        ({"days_until_due": "120"}, "Invoices fall due 0 to 90 days"),
    ):
        refused = office.desk.post(path + "/change", {**form, **fields})
        assert refused.status_code == 422, fields
        assert message in refused.text, (fields, refused.text)
        preview = office.desk.post(path + "/change-preview", {**form, **fields})
        assert "Fix the highlighted fields to see what the change does." in preview.text
    assert state_of(db) == before

    # Today where the business is (March 10th, though it is the 11th in UTC): the whole period.
    preview = office.desk.post(path + "/change-preview", form)
    assert "31 of its 31 days are left, today (Mar 10, 2031) included." in preview.text

    office.desk.post(path + "/cancel", {"mode": "now"})
    stopped = office.desk.get(path + "/edit").text
    assert "This plan has been cancelled: it cannot be changed." in stopped
    assert 'name="nonce"' not in stopped
    refused = office.desk.post(path + "/change", {**form, "proration": "now"})
    assert refused.status_code == 422 and "been cancelled" in refused.text
    assert office.rows(SubscriptionChange) == []

    theirs = make_business(db)
    with db.session(theirs.business.id) as session:
        customer = make_customer(session, theirs.business)
        plan = make_plan_for(session, theirs.business, customer)
    other = f"/subscriptions/{plan.id}"
    assert office.desk.get(other + "/edit").status_code == 404
    assert office.desk.post(other + "/change-preview", form).status_code == 404
    assert office.desk.post(other + "/change", {**form, "proration": "now"}).status_code == 404
    with db.session(theirs.business.id) as session:
        [still] = session.exec(select(Subscription)).all()
        assert still.lines == plan.lines and session.exec(select(SubscriptionChange)).all() == []
