"""Data versions: each customer's, and their business's for what every customer sees, moved on
in the same transaction as any change a customer's portal views show. A view's entity tag is
made from them (routes/portal/frame.py), so a revalidation is answered without rendering.

db.py calls in here from its session events: `flushed` for every ORM write, `executing` for
Core INSERT/UPDATE/DELETE run through a session (a message's insert, marking messages read,
the booking setup's bulk deletes). A write whose customer cannot be told moves the business's
version; a write to a table no customer's view shows moves nothing. Too many moves cost a
render; one too few would show a customer stale figures, so when in doubt it moves.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from frontdesk.models import (
    ApiKey,
    Appointment,
    AuditEvent,
    BooksCheck,
    Business,
    Customer,
    EndedSession,
    IdempotencyRecord,
    OutboxItem,
    ProcessorEvent,
    SignInRequest,
    StaffInvitation,
    StaffUser,
    TenantScoped,
    WebhookDelivery,
    WebhookEndpoint,
)

_CUSTOMER: Table = Customer.__table__  # type: ignore[attr-defined]
_BUSINESS: Table = Business.__table__  # type: ignore[attr-defined]

# Tables no customer's view shows: written on every API call, sign-in, job or audit record,
# they would otherwise move versions (and cost renders) for nothing.
_UNSEEN: frozenset[Table] = frozenset(
    model.__table__  # type: ignore[union-attr]
    for model in (
        ApiKey,
        AuditEvent,
        BooksCheck,
        EndedSession,
        IdempotencyRecord,
        OutboxItem,
        ProcessorEvent,
        SignInRequest,
        StaffInvitation,
        StaffUser,
        WebhookDelivery,
        WebhookEndpoint,
    )
)

# Tables whose rows every customer's views show besides their own customer's: an appointment
# takes or frees time that each customer's booking form offers, so any appointment written
# (a hold too) draws every customer's views of its business again. By name, as an ORM
# statement's table is a copy.
_SHARED: frozenset[str] = frozenset({Appointment.__tablename__})

# session.info: the customers whose version this transaction moved (ALL: the business's), and
# the businesses whose version it moved (ALL: every business), which the business cache forgets.
MOVED = "frontdesk.versions_moved"
BUSINESSES_MOVED = "frontdesk.business_versions_moved"
ALL = "*"


def moved(session: Session, customer: Customer) -> bool:
    """Has this transaction moved what the customer's views show?"""
    held: set[str] = session.info.get(MOVED, set())
    return customer.id in held or ALL in held


def _move(session: Session, business_id: str | None, customers: set[str], whole: bool) -> None:
    """UPDATE ... SET data_version = data_version + 1, on the session's own connection: the
    same transaction, and no ORM event runs again for it."""
    connection = session.connection()
    held = session.info.setdefault(MOVED, set())
    if whole:
        # Without a business (an unscoped Core write that names none), every business moves.
        where = [] if business_id is None else [_BUSINESS.c.id == business_id]
        connection.execute(
            update(_BUSINESS).where(*where).values(data_version=_BUSINESS.c.data_version + 1)
        )
        held.add(ALL)
        session.info.setdefault(BUSINESSES_MOVED, set()).add(business_id or ALL)
    if customers:
        where = [_CUSTOMER.c.id.in_(sorted(customers))]
        if business_id is not None:
            where.append(_CUSTOMER.c.business_id == business_id)
        connection.execute(
            update(_CUSTOMER).where(*where).values(data_version=_CUSTOMER.c.data_version + 1)
        )
        held.update(customers)


def _parents(table: Table) -> list[tuple[str, Table]]:
    """A table's columns naming a row of a table that has a customer (an invoice's lines, a
    payment's allocations, a document's events)."""
    return [
        (column.name, key.column.table)
        for column in table.columns
        if column.name != "business_id"
        for key in column.foreign_keys
        if isinstance(key.column.table, Table) and "customer_id" in key.column.table.c
    ]


def flushed(session: Session) -> None:
    """After a flush (new, dirty and deleted still as they were before it): move the versions
    of the customers whose rows it wrote, and the business's for rows every customer sees."""
    by_business: dict[str, tuple[set[str], list[bool]]] = defaultdict(lambda: (set(), [False]))
    asked: dict[tuple[str, Table], set[str]] = defaultdict(set)
    dirty = session.dirty
    for obj in (*session.new, *dirty, *session.deleted):
        if obj in dirty and not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, Business):
            by_business[obj.id][1][0] = True
            continue
        if not isinstance(obj, TenantScoped):
            continue
        table: Table = obj.__table__  # type: ignore[attr-defined]
        if table in _UNSEEN:
            continue
        customers = by_business[obj.business_id][0]
        if isinstance(obj, Customer):
            customers.add(obj.id)  # a new one has no views yet: the UPDATE finds no row
        elif "customer_id" in table.c:
            customer_id = obj.customer_id  # type: ignore[attr-defined]
            if customer_id:
                customers.add(customer_id)
            # No customer (blocked time): anyone's.
            if not customer_id or table.name in _SHARED:
                by_business[obj.business_id][1][0] = True
        elif parents := [(n, t) for n, t in _parents(table) if getattr(obj, n, None)]:
            for name, parent in parents:
                asked[(obj.business_id, parent)].add(getattr(obj, name))
        else:
            by_business[obj.business_id][1][0] = True  # booking setup, crews, areas
    for (business_id, parent), ids in asked.items():
        found = session.connection().execute(
            select(parent.c.customer_id).where(
                parent.c.id.in_(sorted(ids)), parent.c.business_id == business_id
            )
        )
        by_business[business_id][0].update(row[0] for row in found if row[0])
    for business_id, (customers, whole) in by_business.items():
        if customers or whole[0]:
            _move(session, business_id, customers, whole[0])


def _no_op(statement: Any) -> bool:
    """An UPDATE that sets columns to themselves: a row lock (services take one before they
    read what they change), which changes nothing anyone sees."""
    values: dict[Any, Any] = getattr(statement, "_values", None) or {}
    return bool(values) and all(
        getattr(value, "name", None) == getattr(column, "name", column)
        for column, value in values.items()
    )


def _named_customer(statement: Any, table: Table) -> str | None:
    """The customer a Core write names: an INSERT's value, or `customer_id = :x` in its WHERE."""
    if "customer_id" not in table.c:
        return None
    if statement.is_insert:
        value = statement.compile().params.get("customer_id")
        return str(value) if value else None
    if statement.whereclause is None:
        return None
    for element in visitors.iterate(statement.whereclause):
        if (
            isinstance(element, BinaryExpression)
            and element.operator is operators.eq
            and getattr(element.left, "name", None) == "customer_id"
            and isinstance(element.right, BindParameter)
            and element.right.value
        ):
            return str(element.right.value)
    return None


def executing(state: ORMExecuteState) -> None:
    """A Core INSERT, UPDATE or DELETE through the session, which no flush sees."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    statement = state.statement
    table = getattr(statement, "table", None)
    if not isinstance(table, Table) or table in _UNSEEN:
        return
    business_row = table.name == _BUSINESS.name  # an ORM statement's table is a copy
    if not business_row and "business_id" not in table.c:
        return  # not a tenant's table (rate limits)
    if state.is_update and _no_op(statement):
        return
    business_id: str | None = state.session.info.get("business_id")
    if business_row:
        _move(state.session, business_id, set(), True)
        return
    customer = _named_customer(statement, table)
    whole = customer is None or table.name in _SHARED
    _move(state.session, business_id, {customer} if customer else set(), whole)
