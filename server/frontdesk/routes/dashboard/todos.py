"""The To-dos card on a customer's page: staff add items for the customer or the office (linked
to one of the customer's invoices or estimates, perhaps closing themselves), edit, check off and
delete them. Every answer is the card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Customer
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, typed
from frontdesk.services import businesses, customers, staff, todos
from frontdesk.services.errors import Invalid

CARD = "fragments/todos/dashboard.html"
FIELDS = ("title", "notes", "due_on", "assignee", "related", "closes")


def card_context(who: Staff, customer: Customer, **extra: Any) -> dict[str, Any]:
    """What the card is drawn with; also part of the customer page's context."""
    session, business = who.session, who.business
    board = todos.board(session, business=business, customer=customer)
    every = [*board.for_you, *board.by_office, *board.done]
    names = {member.id: member.name or member.email for member in staff.team(session)}
    context: dict[str, Any] = {
        "customer": customer,
        "todo_board": board,
        "todo_numbers": todos.related_numbers(session, every),
        "todo_links": todos.linkable(session, business=business, customer=customer),
        "todo_done_by": names,
        "todo_completed_on": lambda todo: todos.completed_on(todo, business),
        "today": businesses.today(business),
        "todo_form": {},
        "todo_errors": {},
        "todo_notice": "",
    }
    return {**context, **extra}


def _entry(form: FormData) -> todos.TodoInput:
    return todos.TodoInput(**{name: str(form.get(name, "")) for name in FIELDS})


Change = Callable[[Staff, Customer, FormData], str]


async def _card(request: Request, act: Change) -> Response:
    """The card's post: `act` changes one customer's items; bad input shows the form as typed."""
    customer_id = request.path_params["customer"]

    def done(who: Staff, form: FormData) -> dict[str, Any]:
        customer = customers.get(who.session, business=who.business, customer_id=customer_id)
        return card_context(who, customer, todo_notice=act(who, customer, form))

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        customer = customers.get(who.session, business=who.business, customer_id=customer_id)
        shown = {"todo_errors": field_errors(invalid), "todo_form": typed(form)}
        return card_context(who, customer, **shown)

    return await action(request, CARD, done, rebuild, section="customers")


async def dashboard_todos(request: Request) -> Response:
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        customer = customers.get(who.session, business=who.business, customer_id=customer_id)
        return card_context(who, customer, title=customer.name)

    return await page(request, CARD, build, title="To-dos", section="customers")


async def dashboard_todo_create(request: Request) -> Response:
    def act(who: Staff, customer: Customer, form: FormData) -> str:
        s, b, entry = who.session, who.business, _entry(form)
        todos.create(s, business=b, customer=customer, entry=entry, actor=who.actor)
        return "To-do added."

    return await _card(request, act)


async def dashboard_todo_update(request: Request) -> Response:
    todo_id = request.path_params["todo"]

    def act(who: Staff, customer: Customer, form: FormData) -> str:
        s, b, entry = who.session, who.business, _entry(form)
        todos.edit(s, business=b, customer=customer, todo_id=todo_id, entry=entry, actor=who.actor)
        return "To-do saved."

    return await _card(request, act)


async def dashboard_todo_check(request: Request) -> Response:
    todo_id, now = request.path_params["todo"], request.app.state.clock()

    def act(who: Staff, customer: Customer, form: FormData) -> str:
        done = form.get("done") == "yes"
        todos.check(
            who.session,
            business=who.business,
            customer=customer,
            todo_id=todo_id,
            done=done,
            actor=who.actor,
            now=now,
        )
        return "Marked done." if done else "Marked not done."

    return await _card(request, act)


async def dashboard_todo_delete(request: Request) -> Response:
    todo_id = request.path_params["todo"]

    def act(who: Staff, customer: Customer, form: FormData) -> str:
        s, b = who.session, who.business
        todos.delete(s, business=b, customer=customer, todo_id=todo_id, actor=who.actor)
        return "To-do deleted."

    return await _card(request, act)


BASE = "/customers/{customer}/todos"
ONE = BASE + "/{todo}"
routes = [
    Route(BASE, dashboard_todos, name="dashboard_todos"),
    Route(BASE, dashboard_todo_create, methods=["POST"], name="dashboard_todo_create"),
    Route(ONE, dashboard_todo_update, methods=["POST"], name="dashboard_todo_update"),
    Route(ONE + "/check", dashboard_todo_check, methods=["POST"], name="dashboard_todo_check"),
    Route(ONE + "/delete", dashboard_todo_delete, methods=["POST"], name="dashboard_todo_delete"),
]
