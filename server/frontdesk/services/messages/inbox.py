"""The business's inbox: each customer's conversation with its latest message, unread first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from frontdesk.models import AuthorKind, Business, Customer, Message
from frontdesk.services import customers


@dataclass(frozen=True)
class Conversation:
    customer: Customer
    latest: Message
    unread: int


def conversations(
    session: Session, *, business: Business, query: str = "", limit: int = 100
) -> list[Conversation]:
    """Each customer's conversation with its latest message: those with unread messages first,
    then the most recent; `query` keeps customers whose name or email holds it."""
    unread = func.sum(
        case(
            (
                (col(Message.author_kind) == AuthorKind.CUSTOMER)
                & col(Message.read_by_staff_at).is_(None),
                1,
            ),
            else_=0,
        )
    )
    latest = func.max(Message.created_at)
    statement = (
        select(Message.customer_id, latest, unread)
        .join(Customer, col(Customer.id) == col(Message.customer_id))
        .group_by(col(Message.customer_id))
    )
    if query.strip():
        statement = statement.where(customers.named_like(query))
    statement = statement.order_by(
        case((unread > 0, 0), else_=1), latest.desc(), col(Message.customer_id)
    ).limit(limit)
    rows = session.exec(statement).all()
    ids = [row[0] for row in rows]
    people = {c.id: c for c in session.exec(select(Customer).where(col(Customer.id).in_(ids)))}
    newest: dict[str, Message] = {}
    for message in session.exec(
        select(Message)
        .where(col(Message.customer_id).in_(ids))
        .order_by(col(Message.created_at), col(Message.id))
    ):
        newest[message.customer_id] = message
    return [Conversation(people[cid], newest[cid], int(count or 0)) for cid, _, count in rows]
