"""The sandbox's rules for money: payment intents (confirming with the test cards, 3-D Secure,
bank debits that clear later), setup intents and refunds, on top of its state and Connect's
accounts and application fees."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any, Self

from frontdesk.processors.sandbox.connect import Connect
from frontdesk.processors.sandbox.state import (
    DECLINES,
    PLATFORM,
    TEST_BANK_ACCOUNTS,
    TEST_CARDS,
    StripeError,
    new_id,
)

__all__ = ["PLATFORM", "Store", "StripeError"]


class Store(Connect):
    @classmethod
    def open(cls, path: Path) -> Self:
        store = super().open(path)
        for (account, _), obj in store.objects.items():
            if obj["object"] == "payment_intent" and obj["status"] == "processing":
                store._settle_later(account, obj["id"])  # a bank debit still on its way
        return store

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
        fee = self.fee_param(account, params, amount)
        if params.get("customer"):
            self.get(account, "customer", params["customer"])
        pi_id = new_id("pi")
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
                "application_fee_amount": fee,
                "created": int(self.clock()),
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
        if behaviour == "charge_fails":
            behaviour = "generic_decline"
        if behaviour in DECLINES:
            # Stripe names an expired card in the error's code as well as its decline code.
            code = "expired_card" if behaviour == "expired_card" else "card_declined"
            return self._fail(account, intent, code, DECLINES[behaviour], decline_code=behaviour)
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
            latest_charge=new_id("ch"),
        )
        self.collect_fee(account, intent)
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
        seti_id = new_id("seti")
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
                "created": int(self.clock()),
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
        fee_refunded = (
            self.refund_fee(account, intent, amount)
            if str(params.get("refund_application_fee", "")).lower() == "true"
            else None
        )
        refund = self.put(
            account,
            {
                "id": new_id("re"),
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                "charge": intent["latest_charge"],
                "status": "succeeded",
                "metadata": params.get("metadata", {}),
                "created": int(self.clock()),
                "_application_fee_refunded": fee_refunded,
            },
        )
        self.emit(account, "refund.created", refund)
        return refund
