"""A document's audit events as a hash chain: each event's hash covers the previous event's hash
and the event itself in canonical JSON, so a changed, removed or reordered event shows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from frontdesk.models import Document, DocumentEvent
from frontdesk.services.documents.rules import sha256

# The first event's previous hash: 64 zeros, so every event has one of the same shape.
GENESIS = "0" * 64


@dataclass(frozen=True)
class Who:
    """Who caused an event, from where: the customer (with their browser), staff, the API."""

    kind: str
    id: str = ""
    ip: str = ""
    user_agent: str = ""


def _canonical(event: DocumentEvent) -> str:
    at = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    body = {
        "document": event.document_id,
        "seq": event.seq,
        "kind": event.kind,
        "at": at,
        "actor": [event.actor_kind, event.actor_id],
        "ip": event.ip,
        "user_agent": event.user_agent,
        "data": event.data,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hash_of(event: DocumentEvent) -> str:
    return sha256(event.prev_hash + _canonical(event))


def events(session: Session, document: Document) -> list[DocumentEvent]:
    return list(
        session.exec(
            select(DocumentEvent)
            .where(DocumentEvent.document_id == document.id)
            .order_by(col(DocumentEvent.seq))
        )
    )


def append(
    session: Session,
    document: Document,
    kind: str,
    who: Who,
    now: datetime,
    **data: Any,
) -> DocumentEvent:
    """The next event of the chain. Two writers appending at once both aim for the same seq; the
    unique (document, seq) lets one commit and fails the other, which the caller retries."""
    last = session.exec(
        select(DocumentEvent)
        .where(DocumentEvent.document_id == document.id)
        .order_by(col(DocumentEvent.seq).desc())
        .limit(1)
    ).first()
    event = DocumentEvent(
        business_id=document.business_id,
        document_id=document.id,
        seq=last.seq + 1 if last else 1,
        kind=kind,
        at=now,
        actor_kind=who.kind,
        actor_id=who.id,
        ip=who.ip[:64],
        user_agent=who.user_agent[:400],
        data=data,
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    event.hash = hash_of(event)
    session.add(event)
    session.flush()
    return event


def broken_at(chain: list[DocumentEvent]) -> int | None:
    """The seq of the first event that does not follow from the one before (changed, missing or
    out of order), or None when the whole chain holds."""
    previous, expected_seq = GENESIS, 1
    for event in chain:
        if event.seq != expected_seq or event.prev_hash != previous or hash_of(event) != event.hash:
            return event.seq
        previous, expected_seq = event.hash, expected_seq + 1
    return None


def head(chain: list[DocumentEvent]) -> str:
    return chain[-1].hash if chain else GENESIS
