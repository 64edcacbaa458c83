"""To-dos over real HTTP: the customer's own items, the office's items, who may change which,
check-off with who and when, the items that close themselves (paid, approved, card saved), the
count on home, the events the business and the host page hear, and bad input refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import (
    AuditEvent,
    Business,
    Customer,
    Initiator,
    Invoice,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RefundCause,
    StaffUser,
    Todo,
    TodoAssignee,
)
from frontdesk.services import (
    audit,
    businesses,
    card_setup,
    customers,
    estimates,
    payments,
    todos,
)
from frontdesk.services.lines import LineInput
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.flow import Flow, assert_books_balance
from tests.security.state import state_of
from tests.test_dashboard import Desk
from tests.test_host_events import told
from tests.test_portal_views import Portal

TODAY = date.today()


@dataclass
class Shop:
    db: Database
    business: Business
    owner_id: str
    owner_email: str
    casey: Customer
    robin: Customer
    casey_invoice: Invoice
    robin_invoice: Invoice


@pytest.fixture
def shop(db: Database) -> Shop:
    made = make_business(db, name="Greenleaf Gardens")
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey")
        robin = make_customer(session, made.business, name="Robin")
        casey_invoice = make_invoice(session, made.business, casey, number="INV-1")
        robin_invoice = make_invoice(session, made.business, robin, number="INV-2")
    return Shop(
        db,
        made.business,
        made.owner.id,
        made.owner.email,
        casey,
        robin,
        casey_invoice,
        robin_invoice,
    )


@pytest.fixture
def casey(live_server: LiveServer, settings: Settings, shop: Shop) -> Iterator[Portal]:
    with Portal(live_server, settings, shop.business, shop.casey) as portal:
        yield portal


def staff_todo(
    db: Database,
    business: Business,
    customer: Customer,
    owner_id: str,
    **entry: Any,
) -> Todo:
    """An item the office set, through the service as the dashboard calls it."""
    with db.session(business.id) as session:
        found = customers.get(session, business=business, customer_id=customer.id)
        return todos.create(
            session,
            business=business,
            customer=found,
            entry=todos.TodoInput(**{"title": "Sign the form", **entry}),
            actor=audit.Actor(Initiator.STAFF, owner_id),
        )


def stored(db: Database, business: Business) -> list[Todo]:
    with db.session(business.id) as session:
        return list(session.exec(select(Todo).order_by(Todo.created_at)).all())  # type: ignore[arg-type]


def events_of(db: Database, business: Business, type: str) -> list[dict[str, Any]]:
    with db.session(business.id) as session:
        items = session.exec(select(OutboxItem).where(OutboxItem.kind == "event")).all()
    return [item.payload for item in items if item.payload["type"] == type]


def test_a_customer_adds_edits_and_deletes_their_own(casey: Portal, shop: Shop) -> None:
    added = casey.post(
        "/todos", {"title": "  Measure   the fence ", "notes": "Both sides", "due_on": "2030-05-01"}
    )
    assert added.status_code == 200, added.text
    [todo] = stored(shop.db, shop.business)
    assert (todo.title, todo.notes, todo.due_on) == (
        "Measure the fence",
        "Both sides",
        date(2030, 5, 1),
    )
    assert (todo.created_by_kind, todo.created_by_id, todo.assignee) == (
        "customer",
        shop.casey.id,
        TodoAssignee.CUSTOMER,
    )
    assert f'id="fd-todo-{todo.id}"' in added.text and "Measure the fence" in added.text

    form = casey.get(f"/todos/{todo.id}/edit")
    assert form.status_code == 200 and 'value="Measure the fence"' in form.text
    edited = casey.post(
        f"/todos/{todo.id}", {"title": "Measure the gate", "notes": "", "due_on": ""}
    )
    assert edited.status_code == 200 and "Measure the gate" in edited.text
    [todo] = stored(shop.db, shop.business)
    assert (todo.title, todo.notes, todo.due_on) == ("Measure the gate", "", None)

    deleted = casey.post(f"/todos/{todo.id}/delete", {})
    assert deleted.status_code == 200 and "Measure the gate" not in deleted.text
    assert stored(shop.db, shop.business) == []
    with shop.db.session(shop.business.id) as session:
        actions = [e.action for e in session.exec(select(AuditEvent)) if e.target_type == "todo"]
    assert sorted(actions) == ["todo.created", "todo.deleted", "todo.updated"]
    assert len(events_of(shop.db, shop.business, "todo.created")) == 1


def test_the_office_items_are_read_only_to_the_customer(casey: Portal, shop: Shop) -> None:
    office = staff_todo(
        shop.db, shop.business, shop.casey, shop.owner_id, assignee="business", title="Order parts"
    )
    theirs = staff_todo(shop.db, shop.business, shop.casey, shop.owner_id, title="Sign the form")
    listed = casey.get("/todos")
    assert "The office will do this" in listed.text and "Order parts" in listed.text
    before = state_of(shop.db)
    for path, data in (
        (f"/todos/{office.id}/check", {"done": "yes"}),
        (f"/todos/{office.id}", {"title": "Mine now"}),
        (f"/todos/{office.id}/delete", {}),
        # The office wrote it for the customer to do: theirs to check off, not to rewrite.
        (f"/todos/{theirs.id}", {"title": "Mine now"}),
        (f"/todos/{theirs.id}/delete", {}),
    ):
        answer = casey.post(path, data)
        assert answer.status_code == 403, (path, answer.status_code)
        assert "The office will do this" in answer.text
    assert state_of(shop.db) == before
    # No edit form is offered for it either.
    assert casey.get(f"/todos/{theirs.id}/edit").text.count('name="title"') == 0


def test_another_customers_item_is_not_found(
    live_server: LiveServer, settings: Settings, casey: Portal, shop: Shop
) -> None:
    with Portal(live_server, settings, shop.business, shop.robin) as robin:
        robin.post("/todos", {"title": "Robin's secret errand"})
    [todo] = stored(shop.db, shop.business)
    before = state_of(shop.db)
    for path, data in (
        (f"/todos/{todo.id}/check", {"done": "yes"}),
        (f"/todos/{todo.id}", {"title": "Taken"}),
        (f"/todos/{todo.id}/delete", {}),
    ):
        answer = casey.post(path, data)
        assert answer.status_code == 404, path
        assert "secret errand" not in answer.text
    assert casey.get(f"/todos/{todo.id}/edit").status_code == 404
    assert "secret errand" not in casey.get("/todos").text
    assert state_of(shop.db) == before


def test_staff_cannot_link_another_customers_invoice(live_server: LiveServer, shop: Shop) -> None:
    desk = Desk(live_server.url, shop.owner_email)
    before = state_of(shop.db)
    refused = desk.post(
        f"/customers/{shop.casey.id}/todos",
        {
            "title": "Pay Robin's bill",
            "assignee": "customer",
            "related": f"invoice:{shop.robin_invoice.id}",
            "closes": "linked",
        },
    )
    assert refused.status_code == 422
    assert "sent invoices or estimates" in refused.text
    assert 'value="Pay Robin&#39;s bill"' in refused.text  # the form comes back as typed
    assert state_of(shop.db) == before
    # The customer's own invoice is fine, and the item is set to close when it is paid.
    made = desk.post(
        f"/customers/{shop.casey.id}/todos",
        {
            "title": "Pay the spring invoice",
            "assignee": "customer",
            "related": f"invoice:{shop.casey_invoice.id}",
            "closes": "linked",
            "due_on": (TODAY - timedelta(days=1)).isoformat(),
        },
    )
    assert made.status_code == 200 and "To-do added." in made.text and "Overdue" in made.text
    [todo] = stored(shop.db, shop.business)
    assert todo.auto_rule == f"pay_invoice:{shop.casey_invoice.id}"
    assert (todo.created_by_kind, todo.created_by_id) == ("staff", shop.owner_id)
    page = desk.get(f"/customers/{shop.casey.id}").text
    assert f'/dashboard/customers/{shop.casey.id}/todos" hx-trigger="load"' in page  # loads itself
    assert "Pay the spring invoice" in desk.get(f"/customers/{shop.casey.id}/todos").text
    desk.close()


def test_check_off_records_who_and_when_and_tells_the_host_page(
    live_server: LiveServer, casey: Portal, shop: Shop
) -> None:
    todo = staff_todo(shop.db, shop.business, shop.casey, shop.owner_id, related="", title="Sign")
    moment = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)
    assert live_server.app is not None
    live_server.app.state.clock = lambda: moment
    checked = casey.post(f"/todos/{todo.id}/check", {"done": "yes"})
    assert checked.status_code == 200
    assert checked.text.lstrip().startswith(f'<li id="fd-todo-{todo.id}"')
    assert "Done by you on Dec 3, 2026" in checked.text
    [done] = stored(shop.db, shop.business)
    assert (done.completed_at, done.completed_by_kind, done.completed_by_id) == (
        moment,
        "customer",
        shop.casey.id,
    )
    [event] = told(checked)
    [webhook] = events_of(shop.db, shop.business, "todo.completed")
    assert event["type"] == "todo-completed" and event["object"]["id"] == todo.id
    assert event["id"] == webhook["id"]  # the host page's event is the webhook's twin
    assert "Sign" not in json.dumps(event)  # its words stay with the business
    assert webhook["data"]["completed_by"] == "customer"
    # A second click changes nothing; un-checking opens it again.
    casey.post(f"/todos/{todo.id}/check", {"done": "yes"})
    assert len(events_of(shop.db, shop.business, "todo.completed")) == 1
    reopened = casey.post(f"/todos/{todo.id}/check", {"done": "no"})
    assert "Mark done" in reopened.text
    assert stored(shop.db, shop.business)[0].completed_at is None


def test_staff_check_off_shows_the_business_as_the_doer(
    live_server: LiveServer, casey: Portal, shop: Shop
) -> None:
    todo = staff_todo(shop.db, shop.business, shop.casey, shop.owner_id, assignee="business")
    desk = Desk(live_server.url, shop.owner_email)
    answer = desk.post(f"/customers/{shop.casey.id}/todos/{todo.id}/check", {"done": "yes"})
    assert answer.status_code == 200 and "Marked done." in answer.text
    assert "Done by Greenleaf Gardens on" in casey.get("/todos").text
    desk.close()


def test_home_counts_what_the_customer_has_to_do(casey: Portal, shop: Shop) -> None:
    assert "to do" not in casey.get("/home").text
    first = staff_todo(shop.db, shop.business, shop.casey, shop.owner_id, title="One")
    staff_todo(shop.db, shop.business, shop.casey, shop.owner_id, title="Two")
    # The office's own items are not the customer's to do.
    staff_todo(shop.db, shop.business, shop.casey, shop.owner_id, assignee="business")
    assert "2 things to do" in casey.get("/home").text
    casey.post(f"/todos/{first.id}/check", {"done": "yes"})
    assert "1 thing to do" in casey.get("/home").text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "   ", "Say what needs doing."),
        ("title", "x" * 201, "Use at most 200 characters."),
        ("due_on", "31/12/2030", "Enter a date like 2026-12-31."),
        ("notes", "n" * 2001, "Use at most 2,000 characters."),
    ],
)
def test_bad_input_is_refused_with_the_input_kept(
    casey: Portal, shop: Shop, field: str, value: str, message: str
) -> None:
    typed = {"title": "Water the roses", "notes": "keep", "due_on": "2030-01-02", field: value}
    before = state_of(shop.db)
    answer = casey.post("/todos", typed)
    assert answer.status_code == 422
    assert message in answer.text
    assert value in answer.text
    assert "Water the roses" in answer.text or field == "title"
    assert state_of(shop.db) == before
    # The same goes for editing one's own item: the row comes back as typed, unchanged.
    casey.post("/todos", {"title": "Water the roses"})
    [todo] = stored(shop.db, shop.business)
    after_add = state_of(shop.db)
    edited = casey.post(f"/todos/{todo.id}", typed)
    assert edited.status_code == 422 and message in edited.text
    assert state_of(shop.db) == after_add


def test_the_switch_turns_the_section_off(casey: Portal, shop: Shop) -> None:
    with shop.db.session(shop.business.id) as session:
        businesses.get(session, shop.business.id).allow_todos = False
    assert casey.get("/todos").status_code == 404
    assert casey.post("/todos", {"title": "x"}).status_code == 404
    assert stored(shop.db, shop.business) == []


# Items that close themselves, through the real payment, estimate and card paths.


def test_paying_the_invoice_closes_its_item_once(flow: Flow) -> None:
    owner = _owner(flow)
    [older, newer] = flow.invoices
    paid = staff_todo(
        flow.db,
        flow.business,
        flow.customer,
        owner,
        related=f"invoice:{older.id}",
        closes="linked",
        title="Pay INV-A",
    )
    other = staff_todo(
        flow.db,
        flow.business,
        flow.customer,
        owner,
        related=f"invoice:{newer.id}",
        closes="linked",
        title="Pay INV-B",
    )
    payment, _ = flow.start(numbers=["INV-A"])
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    # The webhook applied it; the same event delivered again (a retry, a poll) changes nothing.
    event = flow.event("payment_intent.succeeded", str(payment.processor_reference))
    assert flow.post_event({**event, "id": "evt_again"}).status_code == 200
    assert flow.post_event(event).status_code == 200
    rows = {row.id: row for row in stored(flow.db, flow.business)}
    assert rows[paid.id].completed_by_kind == "system" and rows[paid.id].completed_at is not None
    assert rows[other.id].completed_at is None
    completed = events_of(flow.db, flow.business, "todo.completed")
    assert [e["data"]["todo"] for e in completed] == [paid.id]
    assert_books_balance(flow)

    # Half of it refunded, still owed: the invoice is open again, and so is the item.
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        row = session.get(Payment, payment.id)
        assert row is not None
        payments.refund(
            session,
            business=business,
            payment=row,
            amount=row.amount // 2,
            reason="Half the hedge",
            effect="reopen",
            cause=RefundCause.STAFF,
            actor=owner,
            processor=flow.processor,
        )
    assert flow.invoice(older.id).status == InvoiceStatus.OPEN
    rows = {row.id: row for row in stored(flow.db, flow.business)}
    assert rows[paid.id].completed_at is None and rows[paid.id].completed_by_kind == ""
    assert_books_balance(flow)


def test_approving_the_estimate_closes_its_item(flow: Flow) -> None:
    owner = _owner(flow)
    with flow.db.session(flow.business.id) as session:
        estimate = estimates.create(
            session,
            business=flow.business,
            customer=flow.customer,
            lines=[LineInput("Hedge", 20000)],
            issue_date=TODAY,
            expires_on=TODAY + timedelta(days=30),
            send=True,
        )
        session.flush()
        estimate_id, number = estimate.id, estimate.number
    todo = staff_todo(
        flow.db,
        flow.business,
        flow.customer,
        owner,
        related=f"estimate:{estimate_id}",
        closes="linked",
        title="Approve the hedge",
    )
    key = flow.business.publishable_key
    with Portal(flow.app, flow.settings, flow.business, flow.customer) as portal:
        assert f"/portal/{key}/estimates/{number}" in portal.get("/todos").text
        decided = portal.post(
            f"/estimates/{number}/decision",
            {"decision": "accept", "signer_name": "Casey Customer", "accept_terms": "yes"},
        )
        assert decided.status_code == 200, decided.text
        assert "Done automatically on" in portal.get("/todos").text
    [row] = stored(flow.db, flow.business)
    assert (row.id, row.completed_by_kind) == (todo.id, "system")


def test_saving_a_card_closes_the_item_asking_for_one(flow: Flow) -> None:
    todo = staff_todo(
        flow.db, flow.business, flow.customer, _owner(flow), closes="card", title="Add a card"
    )
    setup_id = flow.save_card("todo1")

    def cards() -> list[PaymentMethod]:
        with flow.db.session(flow.business.id) as session:
            return list(session.exec(select(PaymentMethod)).all())

    flow.wait(lambda: len(cards()) == 1)  # the setup_intent.succeeded webhook kept it
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        customer = customers.get(session, business=business, customer_id=flow.customer.id)
        # The customer's browser comes back too: the card is kept already, the item closed once.
        card_setup.finish(
            session,
            business=business,
            customer=customer,
            setup_id=setup_id,
            processor=flow.processor,
        )
    [row] = stored(flow.db, flow.business)
    assert (row.id, row.completed_by_kind) == (todo.id, "system")
    assert len(events_of(flow.db, flow.business, "todo.completed")) == 1
    assert_books_balance(flow)


def _owner(flow: Flow) -> str:
    with flow.db.session(flow.business.id) as session:
        return session.exec(select(StaffUser)).one().id
