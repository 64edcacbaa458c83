"""To-dos on a customer's account: who may add, change and check off which, and what each change
tells the business."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from frontdesk.db import in_business
from frontdesk.languages import N_, gettext
from frontdesk.models import (
    Business,
    Customer,
    Estimate,
    EstimateStatus,
    Initiator,
    Invoice,
    InvoiceStatus,
    Todo,
    TodoAssignee,
)
from frontdesk.services import audit, events, inputs
from frontdesk.services.errors import Forbidden, Invalid, NotFound

TITLE_LIMIT, NOTES_LIMIT = 200, 2000
# What a staff member may link an item to, and what that thing's event closes it.
LINKABLE = {"invoice": "pay_invoice", "estimate": "approve_estimate"}
SAVE_PAYMENT_METHOD = "save_payment_method"
# "Closes itself when…", as the dashboard offers it: the linked item's event, or a saved card.
CLOSES = ("", "linked", "card")
READ_ONLY = N_("The office will do this; it cannot be changed here.")


@dataclass(frozen=True)
class TodoInput:
    """An item as typed. The customer's own carry only the first three; staff choose the rest."""

    title: str
    notes: str = ""
    due_on: str = ""  # YYYY-MM-DD, as a date input sends it
    assignee: str = TodoAssignee.CUSTOMER
    related: str = ""  # "invoice:<id>" or "estimate:<id>"
    closes: str = ""  # one of CLOSES


@dataclass(frozen=True)
class Board:
    """One customer's items: open ones first (for the customer, then for the office), then done."""

    for_you: list[Todo]
    by_office: list[Todo]
    done: list[Todo]


def _cleaned(entry: TodoInput) -> tuple[str, str, date | None]:
    errors: dict[str, str] = {}
    title, notes = " ".join(entry.title.split()), entry.notes.strip()
    if not title:
        errors["title"] = gettext("Say what needs doing.")
    elif len(title) > TITLE_LIMIT:
        errors["title"] = gettext("Use at most %(limit)s characters.") % {"limit": TITLE_LIMIT}
    if len(notes) > NOTES_LIMIT:
        errors["notes"] = gettext("Use at most %(limit)s characters.") % {
            "limit": inputs.number(NOTES_LIMIT)
        }
    due_on = None
    if entry.due_on.strip():
        try:
            due_on = date.fromisoformat(entry.due_on.strip())
        except ValueError:
            errors["due_on"] = gettext("Enter a date like 2026-12-31.")
    if errors:
        raise Invalid(gettext("Please fix the highlighted fields."), errors)
    return title, notes, due_on


def _link(
    session: Session, business: Business, customer: Customer, entry: TodoInput
) -> tuple[str, str, str | None]:
    """The linked invoice or estimate (only ever this customer's) and the rule that closes the
    item: (kind, id, auto_rule)."""
    kind, _, related_id = entry.related.partition(":")
    if entry.closes not in CLOSES or entry.assignee not in set(TodoAssignee):
        raise Invalid("Please fix the highlighted fields.", {"closes": "Choose from the list."})
    if entry.closes == "card":
        return "", "", SAVE_PAYMENT_METHOD
    if not entry.related:
        if entry.closes == "linked":
            raise Invalid(
                "Please fix the highlighted fields.",
                {"related": "Link an invoice or estimate for the item to close when it is done."},
            )
        return "", "", None
    thing: Invoice | Estimate | None = (
        session.get(Invoice, related_id) if kind == "invoice" else session.get(Estimate, related_id)
    )
    if (
        kind not in LINKABLE
        or thing is None
        or thing.business_id != business.id
        or thing.customer_id != customer.id
        or thing.status in ("draft", "void")
    ):
        raise Invalid(
            "Please fix the highlighted fields.",
            {"related": f"Choose one of {customer.name}'s sent invoices or estimates."},
        )
    if entry.closes == "linked" and thing.status in (InvoiceStatus.PAID, EstimateStatus.ACCEPTED):
        raise Invalid(
            "Please fix the highlighted fields.",
            {"related": "That is done already: it would close at once."},
        )
    rule = f"{LINKABLE[kind]}:{related_id}" if entry.closes == "linked" else None
    return kind, related_id, rule


def board(session: Session, *, business: Business, customer: Customer) -> Board:
    rows = session.exec(
        select(Todo)
        .where(Todo.customer_id == customer.id)
        .order_by(
            col(Todo.due_on).is_(None), col(Todo.due_on), col(Todo.position), col(Todo.created_at)
        )
    ).all()
    still = [row for row in rows if row.completed_at is None]
    done = sorted(
        (row for row in rows if row.completed_at is not None),
        key=lambda row: row.completed_at or row.created_at,
        reverse=True,
    )
    return Board(
        [row for row in still if row.assignee == TodoAssignee.CUSTOMER],
        [row for row in still if row.assignee == TodoAssignee.BUSINESS],
        done,
    )


# How many open items the customer bound as :customer has to do (the count on portal home,
# counted there with the home's other figures in one query).
OPEN_COUNT = (
    select(func.count())
    .select_from(Todo)
    .where(
        in_business(Todo),
        Todo.customer_id == bindparam("customer"),
        Todo.assignee == TodoAssignee.CUSTOMER,
        col(Todo.completed_at).is_(None),
    )
    .scalar_subquery()
)


def get(session: Session, *, business: Business, customer: Customer, todo_id: str) -> Todo:
    """One of this customer's items; another customer's (or business's) is not found."""
    todo = session.get(Todo, todo_id)
    if todo is None or todo.business_id != business.id or todo.customer_id != customer.id:
        raise NotFound("no such to-do")
    return todo


def _is_customer(actor: audit.Actor) -> bool:
    return actor.kind == Initiator.CUSTOMER


def customer_may_change(todo: Todo, customer: Customer) -> bool:
    return todo.created_by_kind == Initiator.CUSTOMER and todo.created_by_id == customer.id


def completed_on(todo: Todo, business: Business) -> date | None:
    """The day the item was done, in the business's own time zone."""
    if todo.completed_at is None:
        return None
    return todo.completed_at.astimezone(ZoneInfo(business.time_zone)).date()


def _may_change(todo: Todo, actor: audit.Actor) -> None:
    """Customers edit and delete only what they wrote themselves; staff anything."""
    if _is_customer(actor) and (
        todo.created_by_kind != Initiator.CUSTOMER or todo.created_by_id != actor.id
    ):
        raise Forbidden(gettext(READ_ONLY))


def _record(
    session: Session, business: Business, actor: audit.Actor, todo: Todo, what: str
) -> None:
    actor.record(
        session,
        business.id,
        f"todo.{what}",
        "todo",
        todo.id,
        customer=todo.customer_id,
        title=todo.title,
    )


def _announce(session: Session, business: Business, todo: Todo, type: str) -> None:
    related = {"kind": todo.related_kind, "id": todo.related_id} if todo.related_id else None
    events.emit(
        session,
        business=business,
        type=type,
        data={
            "todo": todo.id,
            "customer": todo.customer_id,
            "title": todo.title,
            "assignee": str(todo.assignee),
            "due_on": todo.due_on.isoformat() if todo.due_on else None,
            "related": related,
            "auto_rule": todo.auto_rule,
            "completed_by": todo.completed_by_kind or None,
        },
    )


def create(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    entry: TodoInput,
    actor: audit.Actor,
) -> Todo:
    """A new item: the customer's own (always theirs to do), or one staff set for either side."""
    title, notes, due_on = _cleaned(entry)
    if _is_customer(actor):
        assignee, (kind, related_id, rule) = TodoAssignee.CUSTOMER, ("", "", None)
    else:
        kind, related_id, rule = _link(session, business, customer, entry)
        assignee = TodoAssignee(entry.assignee)
    count = session.exec(
        select(func.count()).select_from(Todo).where(Todo.customer_id == customer.id)
    ).one()
    todo = Todo(
        business_id=business.id,
        customer_id=customer.id,
        title=title,
        notes=notes,
        due_on=due_on,
        created_by_kind=str(actor.kind),
        created_by_id=actor.id,
        assignee=assignee,
        related_kind=kind,
        related_id=related_id,
        auto_rule=rule,
        position=int(count),
    )
    session.add(todo)
    session.flush()
    _record(session, business, actor, todo, "created")
    _announce(session, business, todo, "todo.created")
    return todo


def edit(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    todo_id: str,
    entry: TodoInput,
    actor: audit.Actor,
) -> Todo:
    """Change an item's words and due date (its assignee and link stay as they were made)."""
    todo = get(session, business=business, customer=customer, todo_id=todo_id)
    _may_change(todo, actor)
    title, notes, due_on = _cleaned(entry)
    changed = [
        name
        for name, value in (("title", title), ("notes", notes), ("due_on", due_on))
        if getattr(todo, name) != value
    ]
    todo.title, todo.notes, todo.due_on = title, notes, due_on
    if changed:
        actor.record(
            session,
            business.id,
            "todo.updated",
            "todo",
            todo.id,
            customer=todo.customer_id,
            changed=changed,
        )
    return todo


def delete(
    session: Session, *, business: Business, customer: Customer, todo_id: str, actor: audit.Actor
) -> None:
    todo = get(session, business=business, customer=customer, todo_id=todo_id)
    _may_change(todo, actor)
    _record(session, business, actor, todo, "deleted")
    session.delete(todo)


def mark_done(
    session: Session, business: Business, todo: Todo, kind: str, by: str, now: datetime
) -> None:
    todo.completed_at, todo.completed_by_kind, todo.completed_by_id = now, kind, by
    _announce(session, business, todo, "todo.completed")


def check(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    todo_id: str,
    done: bool,
    actor: audit.Actor,
    now: datetime,
) -> Todo:
    """Check an item off (or back on). The customer may do so only for items they are to do."""
    todo = get(session, business=business, customer=customer, todo_id=todo_id)
    if _is_customer(actor) and todo.assignee != TodoAssignee.CUSTOMER:
        raise Forbidden(gettext(READ_ONLY))
    if done == (todo.completed_at is not None):
        return todo  # already so: a second click changes nothing
    if done:
        mark_done(session, business, todo, str(actor.kind), actor.id, now)
    else:
        todo.completed_at, todo.completed_by_kind, todo.completed_by_id = None, "", ""
    _record(session, business, actor, todo, "completed" if done else "reopened")
    return todo


def linkable(session: Session, *, business: Business, customer: Customer) -> list[tuple[str, str]]:
    """The customer's sent invoices and estimates a staff member may link an item to, as
    (value, label) for the dashboard's list."""
    invoices = session.exec(
        select(Invoice).where(
            Invoice.customer_id == customer.id,
            col(Invoice.status).in_([InvoiceStatus.OPEN, InvoiceStatus.PAID]),
        )
    ).all()
    estimates = session.exec(
        select(Estimate).where(
            Estimate.customer_id == customer.id, Estimate.status != EstimateStatus.DRAFT
        )
    ).all()
    return [(f"invoice:{row.id}", f"Invoice {row.number}") for row in invoices] + [
        (f"estimate:{row.id}", f"Estimate {row.number}") for row in estimates
    ]


def related_numbers(session: Session, todos: list[Todo]) -> dict[str, str]:
    """The number of each linked invoice and estimate, by id, for the links shown with items."""
    wanted = {kind: [t.related_id for t in todos if t.related_kind == kind] for kind in LINKABLE}
    numbers: dict[str, str] = {}
    for model, ids in ((Invoice, wanted["invoice"]), (Estimate, wanted["estimate"])):
        if ids:
            rows = session.exec(select(model.id, model.number).where(col(model.id).in_(ids)))
            numbers.update(dict(rows.all()))
    return numbers
