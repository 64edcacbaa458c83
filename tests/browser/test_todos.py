"""To-dos in Chromium on the sample website: an item the office set is checked off by the
customer, the row updates in place and the count on home drops."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from frontdesk.models import Initiator, StaffUser, Todo
from frontdesk.services import audit, businesses, customers, todos
from tests.browser.conftest import Stage

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def no_items(stage: Stage) -> None:
    """The demo's customer starts with items of its own; these tests count from none."""
    with stage.db.session(stage.seeded.business.id) as session:
        for todo in session.exec(select(Todo)).all():
            session.delete(todo)


def office_sets(stage: Stage, title: str) -> str:
    """An item for the signed-in customer, set by the business's owner (as the dashboard does)."""
    business_id = stage.seeded.business.id
    with stage.db.session(business_id) as session:
        business = businesses.get(session, business_id)
        customer = customers.get(
            session, business=business, customer_id=stage.seeded.signed_in_customer.id
        )
        owner = session.exec(select(StaffUser)).first()
        assert owner is not None
        todo = todos.create(
            session,
            business=business,
            customer=customer,
            entry=todos.TodoInput(title),
            actor=audit.Actor(Initiator.STAFF, owner.id),
        )
        return todo.id


def test_the_customer_checks_off_an_item_the_office_set(page: Page, stage: Stage) -> None:
    first = office_sets(stage, "Send us the gate code")
    office_sets(stage, "Move the car on Tuesday")
    page.goto(f"{stage.site.url}/account")
    portal = page.locator("frontdesk-portal")
    expect(portal.locator(".fd-shell")).to_be_visible()
    count = portal.locator("#fd-home-todos")
    expect(count).to_have_text("2 things to do")

    count.click()
    expect(portal.locator("#fd-todos")).to_be_visible()
    row = portal.locator(f"#fd-todo-{first}")
    expect(row).to_have_attribute("data-state", "open")
    row.get_by_role("button", name="Mark done").click()
    # The answer replaced the row in place: done, by the customer, and nothing else moved.
    expect(portal.locator(f"#fd-todo-{first}")).to_have_attribute("data-state", "done")
    expect(portal.locator(f"#fd-todo-{first} .fd-todo-done")).to_contain_text("Done by you on")
    expect(portal.locator("#fd-todos li[data-state=open]")).to_have_count(1)
    with stage.db.session(stage.seeded.business.id) as session:
        stored = session.get(Todo, first)
        assert stored is not None and stored.completed_by_kind == "customer"

    portal.locator(".fd-nav a", has_text="Home").click()
    expect(portal.locator("#fd-home-todos")).to_have_text("1 thing to do")


def test_the_office_adds_one_on_the_dashboard_and_sees_it_done(page: Page, stage: Stage) -> None:
    customer = stage.seeded.signed_in_customer
    dashboard = stage.portal.url + "/dashboard"
    page.goto(f"{dashboard}/sign-in")
    page.get_by_label("Email").fill("owner@greenleaf.example")
    page.get_by_label("Password").fill("greenleaf-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    page.goto(f"{dashboard}/customers/{customer.id}")
    card = page.locator("#todos")
    expect(card.get_by_role("button", name="Add to-do")).to_be_visible()  # it loaded itself
    card.get_by_label("Title").fill("Leave the side gate open")
    card.get_by_role("button", name="Add to-do").click()
    expect(card.locator(".notice")).to_have_text("To-do added.")
    with stage.db.session(stage.seeded.business.id) as session:
        [todo] = session.exec(select(Todo)).all()
        assert (todo.created_by_kind, todo.assignee) == ("staff", "customer")

    site = page.context.new_page()
    site.goto(f"{stage.site.url}/account#todos")
    portal = site.locator("frontdesk-portal")
    portal.locator(f"#fd-todo-{todo.id}").get_by_role("button", name="Mark done").click()
    expect(portal.locator(f"#fd-todo-{todo.id}")).to_have_attribute("data-state", "done")

    page.reload()
    expect(page.locator(f"#todo-{todo.id}")).to_contain_text(f"Done by {customer.name} on")
