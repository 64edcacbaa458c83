"""The sandbox's state: objects per account and their persistence, the test cards, customers and
payment methods. `store.Store` adds the rules for intents and refunds."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

# Stripe's documented test cards, by number: what confirming a payment with each one does.
TEST_CARDS: dict[str, tuple[str, str]] = {
    "4242424242424242": ("visa", "succeeds"),
    "4000002500003155": ("visa", "authenticate"),
    "4000000000009995": ("visa", "insufficient_funds"),
    "4000000000000002": ("visa", "generic_decline"),
    "5555555555554444": ("mastercard", "succeeds"),
    "4000000000000069": ("visa", "expired_card"),
    "4000000000009987": ("visa", "lost_card"),
    # Saving it works; every charge to it is declined (for automatic payments that fail).
    "4000000000000341": ("visa", "charge_fails"),
}
# Stripe's test PaymentMethod ids, usable server-side without card numbers.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_authenticationRequired": "4000002500003155",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeCustomerFail": "4000000000000341",
}
DECLINES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "generic_decline": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "lost_card": "Your card was declined.",
}
# Stripe's test bank accounts (routing 110000000): what happens once the debit clears.
TEST_BANK_ACCOUNTS = {"000123456789": "succeeds", "000111111113": "account_closed"}
TEST_ROUTING = "110000000"
PLATFORM = "acct_platform"


class StripeError(Exception):
    """An error Stripe would answer with: its HTTP status and the `error` object."""

    def __init__(self, status: int, kind: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"type": kind, "message": message, **extra}}


def missing(kind: str, object_id: str) -> StripeError:
    return StripeError(
        404,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param="id",
    )


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass
class State:
    """Everything the sandbox knows. One lock: the sandbox is for correctness, not speed.

    With a `path`, the state is written there after every change and read back at start, so
    a restarted demo still knows its customers, saved cards and payments, as Stripe would."""

    objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], tuple[str, int, dict[str, Any]]] = field(
        default_factory=dict
    )
    events: list[dict[str, Any]] = field(default_factory=list)
    # How many of `events` the webhook sender has delivered (or given up on).
    delivered: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)
    bank_settle_seconds: float = 2.0
    path: Path | None = None
    # Tests move time forward (links and OAuth codes expire) without sleeping.
    clock: Callable[[], float] = time.time

    # -- keeping state across restarts -------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Self:
        """The store kept at `path` (a new one if there is none yet)."""
        store = cls(path=path)
        if path.exists():
            saved = json.loads(path.read_text())
            store.objects = {(a, i): obj for a, i, obj in saved["objects"]}
            store.idempotency = {(a, k): (f, st, b) for a, k, f, st, b in saved["idempotency"]}
            store.events, store.delivered = saved["events"], saved["delivered"]
        return store

    def save(self) -> None:
        if self.path is None:
            return
        with self.lock:
            state = {
                "objects": [[a, i, obj] for (a, i), obj in self.objects.items()],
                "idempotency": [[a, k, *saved] for (a, k), saved in self.idempotency.items()],
                "events": self.events,
                "delivered": self.delivered,
            }
            partial = self.path.with_suffix(".partial")
            partial.write_text(json.dumps(state))
            os.replace(partial, self.path)  # whole or not at all, even if killed mid-write

    # -- plumbing --------------------------------------------------------------------------

    def get(self, account: str, kind: str, object_id: str) -> dict[str, Any]:
        found = self.objects.get((account, object_id))
        if found is None or found["object"] != kind:
            raise missing(kind, object_id)
        return found

    def put(self, account: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[(account, obj["id"])] = obj
        return obj

    def emit(self, account: str, kind: str, obj: dict[str, Any]) -> None:
        event = {
            "id": new_id("evt"),
            "object": "event",
            "type": kind,
            "created": int(self.clock()),
            "livemode": False,
            "api_version": "2026-09-30.endive",
            "data": {"object": dict(obj)},
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
        }
        if account != PLATFORM:
            event["account"] = account
        self.events.append(event)

    # -- customers and payment methods -----------------------------------------------------

    def create_customer(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.put(
            account,
            {
                "id": new_id("cus"),
                "object": "customer",
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": params.get("metadata", {}),
                "invoice_settings": {"default_payment_method": None},
                "created": int(self.clock()),
                "livemode": False,
            },
        )

    def create_payment_method(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("type") == "us_bank_account":
            return self.put(account, _bank_method(params.get("us_bank_account") or {}))
        card = params.get("card") or {}
        number = str(card.get("number", "")).replace(" ", "")
        if params.get("type") != "card" or number not in TEST_CARDS:
            raise StripeError(
                402,
                "card_error",
                "Your card number is incorrect.",
                code="incorrect_number",
                param="card[number]",
            )
        return self.put(account, _card_method(new_id("pm"), number, card, account))

    def payment_method(self, account: str, method_id: str) -> dict[str, Any]:
        if method_id in TEST_PAYMENT_METHODS and (account, method_id) not in self.objects:
            number = TEST_PAYMENT_METHODS[method_id]
            self.put(account, _card_method(method_id, number, {}, account))
        return self.get(account, "payment_method", method_id)

    def attach(self, account: str, method_id: str, customer_id: str) -> dict[str, Any]:
        self.get(account, "customer", customer_id)
        method = self.payment_method(account, method_id)
        method["customer"] = customer_id
        return method

    def detach(self, account: str, method_id: str) -> dict[str, Any]:
        method = self.payment_method(account, method_id)
        method["customer"] = None
        return method

    def list_methods(self, account: str, customer_id: str) -> dict[str, Any]:
        self.get(account, "customer", customer_id)
        data = [
            obj
            for (acct, _), obj in self.objects.items()
            if acct == account
            and obj["object"] == "payment_method"
            and obj["customer"] == customer_id
        ]
        return {
            "object": "list",
            "data": data,
            "has_more": False,
            "url": f"/v1/customers/{customer_id}/payment_methods",
        }


def _card_method(method_id: str, number: str, card: dict[str, Any], account: str) -> dict[str, Any]:
    brand = TEST_CARDS[number][0]
    return {
        "id": method_id,
        "object": "payment_method",
        "type": "card",
        "card": {
            "brand": brand,
            "last4": number[-4:],
            "exp_month": int(card.get("exp_month") or 12),
            "exp_year": int(card.get("exp_year") or time.gmtime().tm_year + 3),
            "funding": "credit",
            # Like Stripe's: the same number gives the same fingerprint on one account.
            "fingerprint": hashlib.sha256(f"{account}:{number}".encode()).hexdigest()[:16],
        },
        "customer": None,
        "created": int(time.time()),
        "livemode": False,
        # The sandbox remembers which test card this is; Stripe keeps the number, never us.
        "_number": number,
    }


def _bank_method(details: dict[str, Any]) -> dict[str, Any]:
    number = str(details.get("account_number", ""))
    if str(details.get("routing_number", "")) != TEST_ROUTING or number not in TEST_BANK_ACCOUNTS:
        raise StripeError(
            400,
            "invalid_request_error",
            "Use the test routing number 110000000 with account 000123456789 (clears) or "
            "000111111113 (closed).",
            param="us_bank_account[account_number]",
        )
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "type": "us_bank_account",
        "us_bank_account": {
            "bank_name": "STRIPE TEST BANK",
            "last4": number[-4:],
            "routing_number": TEST_ROUTING,
            "account_type": details.get("account_type", "checking"),
        },
        "customer": None,
        "created": int(time.time()),
        "livemode": False,
        "_account_number": number,
    }
