"""One conversation per customer with the business: posting (with files), reading, unread counts
and the poll's entity tag. The inbox and the unread notice by email are this package's others."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile

from frontdesk import languages
from frontdesk.db import in_business, prebuilt, read
from frontdesk.languages import gettext
from frontdesk.models import Attachment, AuthorKind, Business, Customer, Message
from frontdesk.services import attachments, customers, events, inputs, outbox
from frontdesk.services.attachments import Linked, Party
from frontdesk.services.errors import Invalid
from frontdesk.services.rate_limits import Limit, Limited, Limiter
from frontdesk.settings import Settings
from frontdesk.storage import Storage

BODY_LIMIT = 5_000
# Twenty messages in ten minutes per customer, then one every thirty seconds: a conversation
# never notices; a script filling the business's inbox (and its email) does.
POSTING = Limit("messages-customer", burst=20, per_second=20 / 600)
NOTICE = "message_notice"  # the outbox kind that checks, when due, whether to email
OWNER_KIND = "message"  # what attachments of messages name as their owner
MAX_FILES = 3
BUSINESS_SIDE = (AuthorKind.STAFF, AuthorKind.SYSTEM)
_LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Author:
    """Who writes: the customer, or a staff member (their id)."""

    kind: AuthorKind
    staff_id: str | None = None


CUSTOMER = Author(AuthorKind.CUSTOMER)


@dataclass(frozen=True)
class Piece:
    """A run of a message's text, or a web address in it (shown as a link)."""

    text: str
    link: bool = False


def pieces(body: str) -> list[Piece]:
    """The body as text and http(s) links; the template escapes both, so markup stays text."""
    found: list[Piece] = []
    at = 0
    for match in _LINK.finditer(body):
        # A sentence's full stop or closing bracket is not part of the address it ends with.
        address = match.group().rstrip(".,;:!?)]}")
        if match.start() > at:
            found.append(Piece(body[at : match.start()]))
        found.append(Piece(address, link=True))
        at = match.start() + len(address)
    if at < len(body):
        found.append(Piece(body[at:]))
    return found


def notice_after(settings: Settings) -> timedelta:
    """How long a message waits unread before the other side is emailed about it."""
    return timedelta(minutes=settings.message_notice_minutes)


def nonce() -> str:
    """A fresh nonce for a composer: the message it posts is made once, however often sent."""
    return secrets.token_urlsafe(16)


def thread(session: Session, *, business: Business, customer: Customer) -> list[Message]:
    """The customer's conversation, oldest first."""
    return list(
        session.exec(
            select(Message)
            .where(Message.customer_id == customer.id)
            .order_by(col(Message.created_at), col(Message.id))
        ).all()
    )


def files(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    audience: Party,
    secret_keys: tuple[str, ...],
    now: datetime,
) -> dict[str, list[Linked]]:
    """The files of the customer's messages, by message, each with a link for `audience`."""
    found: dict[str, list[Linked]] = defaultdict(list)
    for row in session.exec(
        select(Attachment)
        .where(Attachment.customer_id == customer.id, Attachment.owner_kind == OWNER_KIND)
        .order_by(col(Attachment.created_at), col(Attachment.id))
    ):
        token = attachments.token(
            session, attachment=row, audience=audience, secret_keys=secret_keys, now=now
        )
        found[row.owner_id].append(Linked(row, token))
    return found


# File links last ten minutes: a thread showing files is drawn afresh every five.
LINKS_RENEWED = 300


def etag(business: Business, shown: list[Message], files_at: datetime | None = None) -> str:
    """What the thread looks like, as an entity tag: a new message, either side reading, the
    business's name, zone or locale, or the language it is read in changes it; a poll that
    sends it back gets 304 otherwise. A thread with files (`files_at`: now) changes it every
    five minutes too, so that the links it shows are always fresh enough to open."""
    unread_by_customer = sum(
        1 for m in shown if m.author_kind in BUSINESS_SIDE and m.read_by_customer_at is None
    )
    unread_by_staff = sum(
        1 for m in shown if m.author_kind == AuthorKind.CUSTOMER and m.read_by_staff_at is None
    )
    state = (
        f"{len(shown)}:{shown[-1].id if shown else ''}:{unread_by_customer}:{unread_by_staff}:"
        f"{business.name}:{business.time_zone}:{business.locale}:{languages.current()}"
    )
    if files_at is not None:
        state += f":{int(files_at.timestamp()) // LINKS_RENEWED}"
    return '"' + hashlib.sha256(state.encode()).hexdigest()[:32] + '"'


def read_by_customer(
    session: Session, *, business: Business, customer: Customer, now: datetime
) -> None:
    """The customer has seen the business's messages."""
    _mark_read(
        session,
        col(Message.read_by_customer_at),
        now,
        col(Message.customer_id) == customer.id,
        col(Message.author_kind).in_(BUSINESS_SIDE),
    )


def read_by_staff(
    session: Session, *, business: Business, customer: Customer, now: datetime
) -> None:
    """The business has seen the customer's messages."""
    _mark_read(
        session,
        col(Message.read_by_staff_at),
        now,
        col(Message.customer_id) == customer.id,
        col(Message.author_kind) == AuthorKind.CUSTOMER,
    )


def _mark_read(
    session: Session,
    read_at: Mapped[datetime | None],
    now: datetime,
    *of_messages: ColumnElement[bool],
) -> None:
    """Marks these messages read now, if any are unread. Only then: the write moves the
    customer's data version (every view of theirs is drawn again), and an open thread reads
    every few seconds."""
    unread = (*of_messages, read_at.is_(None))
    if session.exec(select(Message.id).where(*unread).limit(1)).first() is None:
        return
    session.execute(
        update(Message)
        .where(*unread)
        .values({read_at: now})
        .execution_options(synchronize_session=False)
    )


def open_for_staff(
    session: Session, *, business: Business, customer_id: str, now: datetime
) -> tuple[Customer, list[Message]]:
    """A customer's thread as staff see it, having read it (NotFound: not this business's)."""
    customer = customers.get(session, business=business, customer_id=customer_id)
    read_by_staff(session, business=business, customer=customer, now=now)
    return customer, thread(session, business=business, customer=customer)


_UNREAD_BY_CUSTOMER = prebuilt(
    select(func.count())
    .select_from(Message)
    .where(
        in_business(Message),
        col(Message.customer_id) == bindparam("customer"),
        col(Message.author_kind).in_(BUSINESS_SIDE),
        col(Message.read_by_customer_at).is_(None),
    )
)


def unread_by_customer(session: Session, *, business: Business, customer: Customer) -> int:
    return int(read(session, _UNREAD_BY_CUSTOMER, {"customer": customer.id}).scalar_one())


def unread_by_staff(session: Session, *, business: Business) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Message)
            .where(
                col(Message.author_kind) == AuthorKind.CUSTOMER,
                col(Message.read_by_staff_at).is_(None),
            )
        ).one()
    )


def _checked(body: str, attachments: int) -> str:
    text = body.replace("\r\n", "\n").strip()
    if not text and not attachments:
        said = gettext("Write a message first.")
        raise Invalid(said, {"body": said})
    if len(text) > BODY_LIMIT:
        raise Invalid(
            gettext("This message is too long."),
            {
                "body": gettext("Keep it to %(limit)s characters; this one has %(count)s.")
                % {"limit": inputs.number(BODY_LIMIT), "count": inputs.number(len(text))}
            },
        )
    return text


def _existing(session: Session, customer: Customer, client_nonce: str) -> Message | None:
    return session.exec(
        select(Message).where(
            Message.customer_id == customer.id, Message.client_nonce == client_nonce
        )
    ).first()


def _inserted(session: Session, message: Message) -> bool:
    """Insert the message unless its nonce is taken, in one statement (PostgreSQL and SQLite
    both do ON CONFLICT DO NOTHING): was it?"""
    table = Message.__table__  # type: ignore[attr-defined]
    insert = postgresql if session.bind and session.bind.dialect.name == "postgresql" else sqlite
    statement = (
        insert.insert(table)
        .values(**message.model_dump())
        .on_conflict_do_nothing(index_elements=["business_id", "customer_id", "client_nonce"])
        .returning(table.c.id)
    )
    return session.execute(statement).first() is not None


def post(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    author: Author,
    body: str,
    client_nonce: str,
    now: datetime,
    notice_after: timedelta,
    limiter: Limiter | None = None,
    files: Sequence[UploadFile] = (),
    store: Storage | None = None,
) -> tuple[Message, bool]:
    """Add a message to the customer's conversation, with up to three images or PDFs (`files`,
    kept in `store`); the message and whether it is new (a second submit of the same form finds
    the first). The other side hears of it by email if it stays unread `notice_after`; the
    business's system by its `message.created` webhook."""
    chosen = [file for file in files if file.filename]  # an empty file input sends a nameless part
    text = _checked(body, len(chosen))
    client_nonce = client_nonce.strip()[:64] or nonce()
    found = _existing(session, customer, client_nonce)
    if found is not None:
        return found, False
    if limiter is not None:
        try:
            limiter.take((POSTING, f"{business.id}:{customer.id}"))
        except Limited as limited:
            raise Invalid(
                gettext("You are sending messages too fast."),
                {
                    "body": gettext(
                        "You are sending messages too fast. Please wait %(seconds)s seconds, "
                        "then send again."
                    )
                    % {"seconds": limited.retry_after}
                },
            ) from None
    made = Message(
        business_id=business.id,
        customer_id=customer.id,
        author_kind=author.kind,
        author_staff_id=author.staff_id,
        body=text,
        client_nonce=client_nonce,
        created_at=now,
    )
    if not _inserted(session, made):
        # A twin submit won the race past the lookup above: its message is the one.
        return _existing(session, customer, client_nonce) or made, False
    message = session.get(Message, made.id)
    assert message is not None
    if chosen:
        if store is None:
            raise Invalid(
                gettext("Files cannot be attached here."),
                {"files": gettext("Send the text alone.")},
            )
        by = Party.customer(customer.id) if author.kind == AuthorKind.CUSTOMER else None
        attachments.receive(
            session,
            business=business,
            customer_id=customer.id,
            owner_kind=OWNER_KIND,
            owner_id=message.id,
            files=chosen,
            by=by or Party.staff(author.staff_id or ""),
            max_files=MAX_FILES,
            store=store,
            field="files",
        )
    outbox.enqueue(
        session,
        business=business,
        kind=NOTICE,
        payload={"message": message.id},
        delay=notice_after,
    )
    events.emit(session, business=business, type="message.created", data=described(message))
    return message, True


def described(message: Message) -> dict[str, Any]:
    """A message as the business's own system gets it (webhooks, the API)."""
    return {
        "message": message.id,
        "customer": message.customer_id,
        "author_kind": str(message.author_kind),
        "author_staff_id": message.author_staff_id,
        "body": message.body,
        "created_at": message.created_at.isoformat(timespec="seconds"),
        "read_by_customer_at": _iso(message.read_by_customer_at),
        "read_by_staff_at": _iso(message.read_by_staff_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
