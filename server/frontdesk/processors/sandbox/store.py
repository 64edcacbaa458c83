"""The sandbox's state and rules: objects per account, test cards, payment intents, refunds."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Stripe's documented test cards, by number: what confirming a payment with each one does.
TEST_CARDS: dict[str, tuple[str, str]] = {
    "4242424242424242": ("visa", "succeeds"),
    "4000002500003155": ("visa", "authenticate"),
    "4000000000009995": ("visa", "insufficient_funds"),
    "4000000000000002": ("visa", "generic_decline"),
    "5555555555554444": ("mastercard", "succeeds"),
}
# Stripe's test PaymentMethod ids, usable server-side without card numbers.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_authenticationRequired": "4000002500003155",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclined": "4000000000000002",
}
DECLINES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "generic_decline": "Your card was declined.",
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
        self.body = {"error": {"type": kind, "message": message, **extra}}


def missing(kind: str, object_id: str) -> StripeError:
    return StripeError(
        404,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param="id",
    )


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass
class Store:
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

    # -- keeping state across restarts -------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Store:
        """The store kept at `path` (a new one if there is none yet)."""
        store = cls(path=path)
        if path.exists():
            saved = json.loads(path.read_text())
            store.objects = {(a, i): obj for a, i, obj in saved["objects"]}
            store.idempotency = {(a, k): (f, st, b) for a, k, f, st, b in saved["idempotency"]}
            store.events, store.delivered = saved["events"], saved["delivered"]
        for (account, _), obj in store.objects.items():
            if obj["object"] == "payment_intent" and obj["status"] == "processing":
                store._settle_later(account, obj["id"])  # a bank debit still on its way
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
            "id": _id("evt"),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
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
                "id": _id("cus"),
                "object": "customer",
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": params.get("metadata", {}),
                "invoice_settings": {"default_payment_method": None},
                "created": int(time.time()),
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
        return self.put(account, _card_method(_id("pm"), number, card, account))

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

    # -- payment intents -------------------------------------------------------------------

    def create_payment_intent(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError):
            raise StripeError(
                400, "invalid_request_error", "Missing required param: amount.", param="amount"
            ) from None
        if amount < 50 or amount > 99_999_999:
            raise StripeError(
                400,
                "invalid_request_error",
                "Amount must be between 50 and 99999999.",
                code="amount_too_small" if amount < 50 else "amount_too_large",
                param="amount",
            )
        if params.get("customer"):
            self.get(account, "customer", params["customer"])
        pi_id = _id("pi")
        intent = self.put(
            account,
            {
                "id": pi_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": 0,
                "currency": str(params.get("currency", "usd")).lower(),
                "customer": params.get("customer"),
                "payment_method": None,
                "payment_method_types": params.get("payment_method_types")
                or ["card", "us_bank_account"],
                "setup_future_usage": params.get("setup_future_usage"),
                "metadata": params.get("metadata", {}),
                "status": "requires_payment_method",
                "client_secret": f"{pi_id}_secret_{secrets.token_hex(12)}",
                "last_payment_error": None,
                "next_action": None,
                "latest_charge": None,
                "created": int(time.time()),
                "livemode": False,
            },
        )
        self.emit(account, "payment_intent.created", intent)
        if params.get("payment_method"):
            intent["payment_method"] = self.payment_method(account, params["payment_method"])["id"]
        if str(params.get("confirm", "")).lower() == "true":
            off_session = str(params.get("off_session", "")).lower() in (
                "true",
                "one_off",
                "recurring",
            )
            return self.confirm(account, pi_id, {}, off_session=off_session)
        return intent

    def confirm(
        self, account: str, pi_id: str, params: dict[str, Any], *, off_session: bool = False
    ) -> dict[str, Any]:
        intent = self.get(account, "payment_intent", pi_id)
        # As Stripe does, an intent waiting for authentication can be confirmed again (another
        # card, or the same one after the customer closed the bank's window).
        if intent["status"] not in (
            "requires_payment_method",
            "requires_confirmation",
            "requires_action",
        ):
            raise StripeError(
                400,
                "invalid_request_error",
                f"This PaymentIntent's status is {intent['status']}; it cannot be confirmed.",
                code="payment_intent_unexpected_state",
                payment_intent=intent,
            )
        intent["next_action"] = None
        if params.get("payment_method"):
            intent["payment_method"] = self.payment_method(account, params["payment_method"])["id"]
        if not intent["payment_method"]:
            raise StripeError(
                400,
                "invalid_request_error",
                "You must provide a payment method.",
                param="payment_method",
            )
        method = self.payment_method(account, intent["payment_method"])
        if method["type"] == "us_bank_account":
            intent["status"] = "processing"
            self.emit(account, "payment_intent.processing", intent)
            self._settle_later(account, pi_id)
            return intent
        behaviour = TEST_CARDS[method["_number"]][1]
        if behaviour == "authenticate":
            if off_session:
                return self._fail(
                    account,
                    intent,
                    "authentication_required",
                    "This payment requires authentication.",
                )
            intent["status"] = "requires_action"
            intent["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect"},
            }
            self.emit(account, "payment_intent.requires_action", intent)
            return intent
        if behaviour in DECLINES:
            return self._fail(
                account, intent, "card_declined", DECLINES[behaviour], decline_code=behaviour
            )
        return self._succeed(account, intent)

    def _settle_later(self, account: str, pi_id: str) -> None:
        # A bank debit clears later; the sandbox is quick about it.
        timer = threading.Timer(self.bank_settle_seconds, self._clear, (account, pi_id))
        timer.daemon = True
        timer.start()

    def _clear(self, account: str, pi_id: str) -> None:
        with self.lock:
            intent = self.get(account, "payment_intent", pi_id)
            if intent["status"] != "processing":
                return
            method = self.payment_method(account, intent["payment_method"])
            if TEST_BANK_ACCOUNTS.get(method["_account_number"]) == "succeeds":
                self._succeed(account, intent)
            else:
                error = {
                    "type": "card_error",
                    "code": "payment_method_not_available",
                    "message": "The bank account is closed.",
                }
                intent.update(status="requires_payment_method", last_payment_error=error)
                self.emit(account, "payment_intent.payment_failed", intent)
            self.save()

    def authenticate(self, account: str, intent_id: str, passed: bool) -> dict[str, Any]:
        """The 3-D Secure challenge's outcome, as the customer's bank would report it, for a
        PaymentIntent or a SetupIntent (`seti_...`)."""
        setup = intent_id.startswith("seti_")
        kind = "setup_intent" if setup else "payment_intent"
        intent = self.get(account, kind, intent_id)
        if intent["status"] != "requires_action":
            name = "SetupIntent" if setup else "PaymentIntent"
            raise StripeError(400, "invalid_request_error", f"This {name} needs no authentication.")
        intent["next_action"] = None
        if passed:
            return (
                self._setup_succeeded(account, intent) if setup else self._succeed(account, intent)
            )
        error = {
            "type": "card_error",
            "code": f"{kind}_authentication_failure",
            # Stripe's own wording for a failed or abandoned 3-D Secure check.
            "message": "We are unable to authenticate your payment method. Please choose a "
            "different payment method and try again.",
        }
        failed_field = "last_setup_error" if setup else "last_payment_error"
        intent.update({"status": "requires_payment_method", failed_field: error})
        self.emit(
            account, "setup_intent.setup_failed" if setup else f"{kind}.payment_failed", intent
        )
        return intent

    def cancel(self, account: str, pi_id: str) -> dict[str, Any]:
        intent = self.get(account, "payment_intent", pi_id)
        if intent["status"] in ("succeeded", "canceled"):
            raise StripeError(
                400,
                "invalid_request_error",
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        intent["status"] = "canceled"
        self.emit(account, "payment_intent.canceled", intent)
        return intent

    def _succeed(self, account: str, intent: dict[str, Any]) -> dict[str, Any]:
        intent.update(
            status="succeeded",
            amount_received=intent["amount"],
            last_payment_error=None,
            latest_charge=_id("ch"),
        )
        if intent["setup_future_usage"] and intent["customer"]:
            self.attach(account, intent["payment_method"], intent["customer"])
        self.emit(account, "payment_intent.succeeded", intent)
        return intent

    def _fail(
        self, account: str, intent: dict[str, Any], code: str, message: str, **extra: Any
    ) -> dict[str, Any]:
        error = {"type": "card_error", "code": code, "message": message, **extra}
        intent.update(status="requires_payment_method", last_payment_error=error)
        self.emit(account, "payment_intent.payment_failed", intent)
        raise StripeError(
            402, "card_error", message, code=code, payment_intent=dict(intent), **extra
        )

    # -- setup intents (saving a card without paying) ----------------------------------------

    def create_setup_intent(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("customer"):
            self.get(account, "customer", params["customer"])
        seti_id = _id("seti")
        intent = self.put(
            account,
            {
                "id": seti_id,
                "object": "setup_intent",
                "customer": params.get("customer"),
                "payment_method": None,
                "payment_method_types": params.get("allowed_payment_method_types") or ["card"],
                "usage": params.get("usage", "off_session"),
                "metadata": params.get("metadata", {}),
                "status": "requires_payment_method",
                "client_secret": f"{seti_id}_secret_{secrets.token_hex(12)}",
                "last_setup_error": None,
                "next_action": None,
                "created": int(time.time()),
                "livemode": False,
            },
        )
        self.emit(account, "setup_intent.created", intent)
        return intent

    def confirm_setup(self, account: str, seti_id: str, params: dict[str, Any]) -> dict[str, Any]:
        intent = self.get(account, "setup_intent", seti_id)
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise StripeError(
                400,
                "invalid_request_error",
                f"This SetupIntent's status is {intent['status']}; it cannot be confirmed.",
                code="setup_intent_unexpected_state",
            )
        if params.get("payment_method"):
            intent["payment_method"] = self.payment_method(account, params["payment_method"])["id"]
        if not intent["payment_method"]:
            raise StripeError(
                400,
                "invalid_request_error",
                "You must provide a payment method.",
                param="payment_method",
            )
        method = self.payment_method(account, intent["payment_method"])
        behaviour = TEST_CARDS.get(method.get("_number", ""), ("", "succeeds"))[1]
        if behaviour == "authenticate":
            intent["status"] = "requires_action"
            intent["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect"},
            }
            self.emit(account, "setup_intent.requires_action", intent)
            return intent
        if behaviour in DECLINES:
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": behaviour,
                "message": DECLINES[behaviour],
            }
            intent.update(status="requires_payment_method", last_setup_error=error)
            self.emit(account, "setup_intent.setup_failed", intent)
            raise StripeError(
                402,
                "card_error",
                DECLINES[behaviour],
                code="card_declined",
                decline_code=behaviour,
                setup_intent=dict(intent),
            )
        return self._setup_succeeded(account, intent)

    def _setup_succeeded(self, account: str, intent: dict[str, Any]) -> dict[str, Any]:
        intent.update(status="succeeded", last_setup_error=None)
        if intent["customer"]:
            self.attach(account, intent["payment_method"], intent["customer"])
        self.emit(account, "setup_intent.succeeded", intent)
        return intent

    # -- refunds ---------------------------------------------------------------------------

    def create_refund(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        intent = self.get(account, "payment_intent", str(params.get("payment_intent", "")))
        if intent["status"] != "succeeded":
            raise StripeError(
                400,
                "invalid_request_error",
                "This PaymentIntent has no successful charge to refund.",
            )
        refunded = sum(
            obj["amount"]
            for (acct, _), obj in self.objects.items()
            if acct == account
            and obj["object"] == "refund"
            and obj["payment_intent"] == intent["id"]
        )
        amount = int(params.get("amount") or intent["amount_received"] - refunded)
        if amount <= 0 or refunded + amount > intent["amount_received"]:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({intent['amount_received'] - refunded}).",
                code="amount_too_large",
                param="amount",
            )
        refund = self.put(
            account,
            {
                "id": _id("re"),
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                "charge": intent["latest_charge"],
                "status": "succeeded",
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
            },
        )
        self.emit(account, "refund.created", refund)
        return refund


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
        "id": _id("pm"),
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
