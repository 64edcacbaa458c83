"""The stand-in's state: orders, captures and refunds, access tokens, PayPal-Request-Ids, events
waiting to be sent and the signing certificate, kept in one file across restarts. `store.Store`
adds the rules for money."""

from __future__ import annotations

import json
import os
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from frontdesk.processors.paypal_standin.certs import Signer

TOKEN_SECONDS = 32400  # what PayPal gives: nine hours
_ID_CHARACTERS = string.ascii_uppercase + string.digits
UNPROCESSABLE = (
    "The requested action could not be performed, semantically incorrect, or failed business "
    "validation."
)


class PayPalError(Exception):
    """An error PayPal would answer with: its HTTP status and body (name, message, details)."""

    def __init__(self, status: int, name: str, message: str, issue: str, description: str) -> None:
        super().__init__(f"{issue}: {description}")
        self.status = status
        debug_id = secrets.token_hex(7)
        anchor = issue if status == 422 else name
        self.body = {
            "name": name,
            "message": message,
            "debug_id": debug_id,
            "details": [{"issue": issue, "description": description}],
            "links": [
                {
                    "href": f"https://developer.paypal.com/docs/api/orders/v2/#error-{anchor}",
                    "rel": "information_link",
                    "method": "GET",
                }
            ],
        }


def unprocessable(issue: str, description: str) -> PayPalError:
    return PayPalError(422, "UNPROCESSABLE_ENTITY", UNPROCESSABLE, issue, description)


def invalid(issue: str, description: str) -> PayPalError:
    message = "Request is not well-formed, syntactically incorrect, or violates schema."
    return PayPalError(400, "INVALID_REQUEST", message, issue, description)


def missing(kind: str, object_id: str) -> PayPalError:
    return PayPalError(
        404,
        "RESOURCE_NOT_FOUND",
        "The specified resource does not exist.",
        "INVALID_RESOURCE_ID",
        f"Specified resource ID does not exist. Please check the resource ID and try again. "
        f"({kind} {object_id})",
    )


def new_id(length: int = 17) -> str:
    """An id as PayPal makes them: 17 upper-case letters and digits."""
    return "".join(secrets.choice(_ID_CHARACTERS) for _ in range(length))


@dataclass
class State:
    """Everything the stand-in knows. One lock; with a `path`, written there after every change
    and read back at start, so a restarted demo still knows its orders, as PayPal would."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    captures: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    # "route request-id" -> [fingerprint of the request, status, kind, object id]: PayPal
    # answers a repeated PayPal-Request-Id with the object the first request made, as it is now.
    requests: dict[str, list[Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> when it expires
    events: list[dict[str, Any]] = field(default_factory=list)
    # How many of `events` the webhook sender has delivered (or given up on).
    delivered: int = 0
    signer: Signer | None = None
    path: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Tests move time forward (tokens and certificates expire) without sleeping.
    clock: Callable[[], float] = time.time

    @classmethod
    def open(cls, path: Path, clock: Callable[[], float] = time.time) -> Self:
        state = cls(path=path, clock=clock)
        if path.exists():
            saved = json.loads(path.read_text())
            for name in ("orders", "captures", "refunds", "requests", "tokens", "events"):
                setattr(state, name, saved[name])
            state.delivered = saved["delivered"]
            state.signer = Signer.from_json(saved["signer"])
        return state

    def save(self) -> None:
        if self.path is None:
            return
        with self.lock:
            saved = {
                "orders": self.orders,
                "captures": self.captures,
                "refunds": self.refunds,
                "requests": self.requests,
                "tokens": self.tokens,
                "events": self.events,
                "delivered": self.delivered,
                "signer": vars(self.signing()),
            }
            partial = self.path.with_suffix(".partial")
            partial.write_text(json.dumps(saved))
            os.replace(partial, self.path)  # whole or not at all, even if killed mid-write

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def stamp(self) -> str:
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def signing(self) -> Signer:
        """The signing certificate, made on first use and again once it has expired."""
        with self.lock:
            if self.signer is None or self.signer.expires() <= self.now():
                self.signer = Signer.new(self.now())
            return self.signer

    # -- access tokens ------------------------------------------------------------------------

    def issue_token(self) -> dict[str, Any]:
        token = f"A21AA{secrets.token_urlsafe(32)}"
        self.tokens[token] = self.clock() + TOKEN_SECONDS
        return {
            "scope": "https://uri.paypal.com/services/payments/payment/authcapture "
            "https://uri.paypal.com/services/payments/refund",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": TOKEN_SECONDS,
            "nonce": f"{self.stamp()}{secrets.token_urlsafe(16)}",
        }

    def token_valid(self, token: str) -> bool:
        return self.tokens.get(token, 0) > self.clock()

    # -- events -------------------------------------------------------------------------------

    def emit(
        self, event_type: str, resource_type: str, summary: str, resource: dict[str, Any]
    ) -> None:
        event_id = f"WH-{new_id()}-{new_id()}"
        self.events.append(
            {
                "id": event_id,
                "event_version": "1.0",
                "create_time": self.stamp(),
                "resource_type": resource_type,
                "resource_version": "2.0",
                "event_type": event_type,
                "summary": summary,
                "resource": public(resource),
                "links": [
                    link(f"/v1/notifications/webhooks-events/{event_id}", "self"),
                    link(f"/v1/notifications/webhooks-events/{event_id}/resend", "resend", "POST"),
                ],
            }
        )


def link(href: str, rel: str, method: str = "GET") -> dict[str, str]:
    """A HATEOAS link, relative to the stand-in: `absolute` makes it whole when it is sent."""
    return {"href": href, "rel": rel, "method": method}


def public(obj: Any) -> Any:
    """What PayPal would show: the stand-in's own `_` fields stay inside."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return obj


def absolute(obj: Any, base: str) -> Any:
    """`obj` with its links' relative addresses made whole on `base`."""
    if isinstance(obj, dict):
        whole = {k: absolute(v, base) for k, v in obj.items()}
        href = whole.get("href")
        if "rel" in whole and isinstance(href, str) and href.startswith("/"):
            whole["href"] = base + href
        return whole
    if isinstance(obj, list):
        return [absolute(v, base) for v in obj]
    return obj
