"""Every signed token Frontdesk issues, one salt per purpose, verified with a list of keys.

Tokens are signed, not encrypted (base64 JSON anyone can read): they carry ids and the customer's
link version, never personal data. A token alone grants nothing; the server re-checks on every use
that the customer exists, is enabled and still has the version the token names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer


class Purpose(StrEnum):
    EMBED = "embed"
    PORTAL_SESSION = "portal-session"
    MAGIC_LINK = "magic-link"
    PAY_LINK = "pay-link"
    STAFF_SESSION = "staff-session"
    # A link to one PDF: plain links cannot carry the portal's Authorization header.
    DOWNLOAD = "download"
    # An emailed link back to one payment that waits for the customer (3-D Secure).
    PAYMENT_ACTION = "payment-action"
    # Our own pay page for one payment, opened from the portal in its own window.
    PAY_PAGE = "pay-page"
    # An emailed invitation to join a business's dashboard.
    STAFF_INVITE = "staff-invite"
    # Which business an onboarding (or sign-in) at the payment processor is for, on the way back.
    CONNECT = "connect"
    # A link to one attached file (a photo, a PDF) for one customer or the business's staff.
    ATTACHMENT = "attachment"
    # An emailed confirmation of a visitor's booking request: the request itself, signed.
    BOOKING_REQUEST = "booking-request"


# Seconds a token lives; None means until revoked by a link-version bump.
LIFETIME: dict[Purpose, int | None] = {
    Purpose.EMBED: 10 * 60,
    Purpose.PORTAL_SESSION: 60 * 60,
    Purpose.MAGIC_LINK: 15 * 60,
    Purpose.PAY_LINK: None,
    Purpose.STAFF_SESSION: 12 * 60 * 60,
    Purpose.DOWNLOAD: 5 * 60,
    Purpose.PAYMENT_ACTION: 7 * 24 * 60 * 60,
    Purpose.PAY_PAGE: 30 * 60,
    Purpose.STAFF_INVITE: 7 * 24 * 60 * 60,
    # Onboarding can take an owner a while (finding a bank account, an identity document).
    Purpose.CONNECT: 24 * 60 * 60,
    # Long enough to look at a page of photos; links are minted afresh with every render.
    Purpose.ATTACHMENT: 10 * 60,
    # Long enough to find the email; short, since the slot it asks for may go meanwhile.
    Purpose.BOOKING_REQUEST: 60 * 60,
}


class InvalidToken(Exception):
    """Tampered, expired, future-dated or meant for something else. `expired` tells which."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True, slots=True)
class Claims:
    purpose: Purpose
    business_id: str
    customer_id: str
    link_version: int
    extra: dict[str, Any]
    # When it was signed (UTC): a portal session is renewed only once past half its life.
    signed_at: datetime


@lru_cache(maxsize=64)
def _serializer(secret_keys: tuple[str, ...], purpose: Purpose) -> URLSafeTimedSerializer:
    if not secret_keys:
        raise ValueError("no secret key configured")
    # Settings list keys newest first; itsdangerous wants oldest first and signs with the last.
    return URLSafeTimedSerializer(list(reversed(secret_keys)), salt=f"frontdesk.{purpose}.v1")


def sign(secret_keys: tuple[str, ...], purpose: Purpose, payload: dict[str, Any]) -> str:
    return str(_serializer(secret_keys, purpose).dumps(payload))


def unsign(
    secret_keys: tuple[str, ...], purpose: Purpose, token: str, max_age: int | None = None
) -> dict[str, Any]:
    """The payload of a valid, unexpired token of this purpose, or InvalidToken."""
    return _unsign_dated(secret_keys, purpose, token, max_age)[0]


def _unsign_dated(
    secret_keys: tuple[str, ...], purpose: Purpose, token: str, max_age: int | None
) -> tuple[dict[str, Any], datetime]:
    payload, signed_at = _verified(secret_keys, purpose, token)
    lifetime = max_age or LIFETIME[purpose]
    # As itsdangerous checks it, on the clock it dates tokens by: whole seconds, and a token from
    # the future is no more valid.
    age = _DATER.get_timestamp() - int(signed_at.timestamp())
    if lifetime is not None and not 0 <= age <= lifetime:
        raise InvalidToken("this link or session has expired", expired=True)
    # The caller takes its claims out of it: the remembered one stays whole.
    return dict(payload), signed_at


_DATER = TimestampSigner("only its clock is used")


# A portal session's token comes with every request, and checking its signature (the key
# derived, an HMAC, base64 and JSON) was about a twentieth of a view's work: a token whose
# signature held is remembered, and only its age is checked again. Only valid tokens are kept, so
# made-up ones cannot crowd them out; a key taken out of the list changes the cache's key.
@lru_cache(maxsize=4096)
def _verified(
    secret_keys: tuple[str, ...], purpose: Purpose, token: str
) -> tuple[dict[str, Any], datetime]:
    try:
        payload, signed_at = _serializer(secret_keys, purpose).loads(token, return_timestamp=True)
    except BadSignature:
        raise InvalidToken("this link or session is not valid") from None
    if not isinstance(payload, dict):
        raise InvalidToken("this link or session is not valid")
    return payload, signed_at


def mint(
    secret_keys: tuple[str, ...],
    purpose: Purpose,
    *,
    business_id: str,
    customer_id: str,
    link_version: int,
    **extra: Any,
) -> str:
    """A token naming one customer of one business at their current link version."""
    return sign(
        secret_keys, purpose, {"b": business_id, "c": customer_id, "v": link_version, **extra}
    )


def read(
    secret_keys: tuple[str, ...], purpose: Purpose, token: str, max_age: int | None = None
) -> Claims:
    """The claims of a valid customer token of this purpose, or InvalidToken."""
    payload, signed_at = _unsign_dated(secret_keys, purpose, token, max_age)
    business_id, customer_id, version = (
        payload.pop("b", None),
        payload.pop("c", None),
        payload.pop("v", None),
    )
    if not (isinstance(business_id, str) and isinstance(customer_id, str)):
        raise InvalidToken("this link or session is not valid")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidToken("this link or session is not valid")
    return Claims(purpose, business_id, customer_id, version, payload, signed_at)
