"""`Idempotency-Key` on API POSTs: the first answer is stored with the change it made, in the same
transaction, and every retry with the same key and the same request gets that answer back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from frontdesk.models import Business, IdempotencyRecord
from frontdesk.services.errors import Invalid

MAX_KEY_LENGTH = 255


class InFlight(Exception):
    """Another request with this key committed first; read its answer in a new transaction."""


@dataclass(frozen=True)
class Stored:
    status_code: int
    body: dict[str, Any]


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def _check_key(key: str) -> None:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(
            "The Idempotency-Key header is not usable.",
            {"Idempotency-Key": f"Send 1 to {MAX_KEY_LENGTH} printable characters."},
        )


def _same_request(record: IdempotencyRecord, print_: str) -> Stored:
    if record.fingerprint != print_:
        raise Invalid(
            "This Idempotency-Key was used with a different request.",
            {"Idempotency-Key": "Use a new key for a new request."},
        )
    return Stored(record.status_code, record.response)


def begin(
    session: Session, *, business: Business, key: str, print_: str
) -> IdempotencyRecord | Stored:
    """A stored answer to replay, or a claimed record to finish once the request is handled.

    The claim is an INSERT under a unique key: a concurrent twin waits on it and then fails,
    which `InFlight` turns into a replay of whatever the first one committed.
    """
    _check_key(key)
    found = session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == key)).first()
    if found is not None:
        return _same_request(found, print_)
    record = IdempotencyRecord(business_id=business.id, key=key, fingerprint=print_)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        # Nothing else happened in this transaction yet: the caller rolls it back and replays.
        raise InFlight(key) from None
    return record


def finish(record: IdempotencyRecord, status_code: int, body: dict[str, Any]) -> None:
    record.status_code = status_code
    record.response = body


def replay(session: Session, *, key: str, print_: str) -> Stored:
    record = session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == key)).one()
    return _same_request(record, print_)
