"""The customer's to-dos in the portal: the list, their own items added, edited and deleted
inline, and checking items off (each answer is the section, or the one row it changed)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Initiator, Todo
from frontdesk.routes.portal import frame, refusals
from frontdesk.services import audit, host_events, todos
from frontdesk.services.errors import Forbidden, Invalid

SECTION = "todos"
LIST = "fragments/todos/list.html"
ROW = "fragments/todos/row.html"
BLANK = {"title": "", "notes": "", "due_on": ""}


def _submitted(form: FormData) -> todos.TodoInput:
    return todos.TodoInput(**{name: str(form.get(name, "")) for name in BLANK})


def _shown(business: Business, numbers: dict[str, str]) -> dict[str, Any]:
    """What rows are drawn with: linked documents' numbers, and days in the business's zone."""
    return {"numbers": numbers, "completed_on": lambda todo: todos.completed_on(todo, business)}


def board_shown(business: Business, board: todos.Board, numbers: dict[str, str]) -> dict[str, Any]:
    """The section drawn with `board` and its linked documents' `numbers` by id (the theme
    gallery draws it with samples)."""
    shown = {"board": board, "values": BLANK, "errors": {}, "current": SECTION}
    return {**shown, **_shown(business, numbers)}


def list_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    board = todos.board(session, business=business, customer=customer)
    every = [*board.for_you, *board.by_office, *board.done]
    return board_shown(business, board, todos.related_numbers(session, every))


def _row(
    session: Session, business: Business, todo: Todo, *, editing: bool = False, **extra: Any
) -> dict[str, Any]:
    typed = {"title": todo.title, "notes": todo.notes, "due_on": str(todo.due_on or "")}
    context = {"todo": todo, "editing": editing, "values": typed, "errors": {}, **extra}
    return {**_shown(business, todos.related_numbers(session, [todo])), **context}


def _as_customer(request: Request, customer: Customer) -> audit.Actor:
    return audit.Actor(Initiator.CUSTOMER, customer.id, frame.client_ip(request))


def _refusing(act: frame.Act) -> frame.Act:
    """Items the office does, or the office wrote, are read-only here: said in words (403)."""

    def run(session: Session, business: Business, customer: Customer, form: FormData) -> Any:
        try:
            return act(session, business, customer, form)
        except Forbidden as refused:
            title = gettext("Not yours to change")
            raise refusals.PortalError(403, title, str(refused)) from None

    return run


async def portal_todos(request: Request) -> Response:
    return await frame.view(request, LIST, list_context, section=SECTION)


async def portal_todo_create(request: Request) -> Response:
    def act(s: Session, b: Business, c: Customer, form: FormData) -> dict[str, Any]:
        entry = _submitted(form)
        todos.create(s, business=b, customer=c, entry=entry, actor=_as_customer(request, c))
        return list_context(s, b, c)

    def rebuild(s: Session, b: Business, c: Customer, form: FormData, bad: Invalid) -> Any:
        return {**list_context(s, b, c), "values": _submitted(form).__dict__, "errors": bad.fields}

    return await frame.action(request, LIST, act, rebuild, section=SECTION)


async def portal_todo_edit(request: Request) -> Response:
    todo_id = request.path_params["todo"]

    def build(s: Session, b: Business, c: Customer) -> dict[str, Any]:
        todo = todos.get(s, business=b, customer=c, todo_id=todo_id)
        return _row(s, b, todo, editing=todos.customer_may_change(todo, c))

    return await frame.view(request, ROW, build, section=SECTION)


async def portal_todo_update(request: Request) -> Response:
    todo_id = request.path_params["todo"]

    def act(s: Session, b: Business, c: Customer, form: FormData) -> dict[str, Any]:
        actor, entry = _as_customer(request, c), _submitted(form)
        todo = todos.edit(s, business=b, customer=c, todo_id=todo_id, entry=entry, actor=actor)
        return _row(s, b, todo)

    def rebuild(s: Session, b: Business, c: Customer, form: FormData, bad: Invalid) -> Any:
        todo = todos.get(s, business=b, customer=c, todo_id=todo_id)
        typed = _submitted(form).__dict__
        return _row(s, b, todo, editing=True, values=typed, errors=bad.fields)

    return await frame.action(request, ROW, _refusing(act), rebuild, section=SECTION)


async def portal_todo_check(request: Request) -> Response:
    """Check off (done=yes) or back on: the answer is the row as it now stands."""
    todo_id = request.path_params["todo"]

    def act(s: Session, b: Business, c: Customer, form: FormData) -> dict[str, Any]:
        done, now = form.get("done") == "yes", request.app.state.clock()
        actor = _as_customer(request, c)
        todo = todos.check(
            s, business=b, customer=c, todo_id=todo_id, done=done, actor=actor, now=now
        )
        if done:
            frame.tell(request, host_events.todo_completed(s, b, c, todo))
        return _row(s, b, todo)

    def rebuild(s: Session, b: Business, c: Customer, form: FormData, bad: Invalid) -> Any:
        return _row(s, b, todos.get(s, business=b, customer=c, todo_id=todo_id))

    return await frame.action(request, ROW, _refusing(act), rebuild, section=SECTION)


async def portal_todo_delete(request: Request) -> Response:
    todo_id = request.path_params["todo"]

    def act(s: Session, b: Business, c: Customer, form: FormData) -> dict[str, Any]:
        actor = _as_customer(request, c)
        todos.delete(s, business=b, customer=c, todo_id=todo_id, actor=actor)
        return list_context(s, b, c)

    def rebuild(s: Session, b: Business, c: Customer, form: FormData, bad: Invalid) -> Any:
        return list_context(s, b, c)

    return await frame.action(request, LIST, _refusing(act), rebuild, section=SECTION)


routes: list[Route] = [
    Route("/todos", portal_todos, name="portal_todos"),
    Route("/todos", portal_todo_create, methods=["POST"], name="portal_todo_create"),
    Route("/todos/{todo}/edit", portal_todo_edit, name="portal_todo_edit"),
    Route("/todos/{todo}", portal_todo_update, methods=["POST"], name="portal_todo_update"),
    Route("/todos/{todo}/check", portal_todo_check, methods=["POST"], name="portal_todo_check"),
    Route("/todos/{todo}/delete", portal_todo_delete, methods=["POST"], name="portal_todo_delete"),
]
