"""Stripe, behind the processor interface, through the official library. Only the base address
differs between real Stripe and the local sandbox; every call goes through stripe-python."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import stripe
from stripe._base_address import BaseAddresses
from stripe.params import PaymentIntentCreateParams

from frontdesk.processors import (
    BadSignature,
    Card,
    Declined,
    Event,
    Intent,
    Missing,
    RefundMade,
    Refused,
    Revoked,
    Setup,
    Unavailable,
)
from frontdesk.processors.stripe_connect import ConnectCalls
from frontdesk.settings import Settings

TOLERANCE = 300  # seconds, either way: stripe-python only refuses old timestamps, not future ones
_MISSING = re.compile(r"No such (\w+)")


def _when(stamp: Any) -> datetime:
    return datetime.fromtimestamp(int(stamp or 0), UTC)


def _intent(raw: Mapping[str, Any]) -> Intent:
    method = raw.get("payment_method")
    error = raw.get("last_payment_error") or {}
    return Intent(
        id=str(raw["id"]),
        status=str(raw.get("status", "")),
        amount=int(raw.get("amount") or 0),
        amount_received=int(raw.get("amount_received") or 0),
        currency=str(raw.get("currency", "")).upper(),
        metadata={str(k): str(v) for k, v in (raw.get("metadata") or {}).items()},
        client_secret=str(raw.get("client_secret") or ""),
        payment_method=method if isinstance(method, str) else (method or {}).get("id"),
        error=str(error.get("message") or ""),
        created=_when(raw.get("created")),
        application_fee=int(raw.get("application_fee_amount") or 0),
    )


def _setup(raw: Mapping[str, Any]) -> Setup:
    method = raw.get("payment_method")
    return Setup(
        id=str(raw["id"]),
        status=str(raw.get("status", "")),
        client_secret=str(raw.get("client_secret") or ""),
        payment_method=method if isinstance(method, str) else None,
        metadata={str(k): str(v) for k, v in (raw.get("metadata") or {}).items()},
        created=_when(raw.get("created")),
    )


def _refund(raw: Mapping[str, Any]) -> RefundMade:
    return RefundMade(
        id=str(raw["id"]),
        intent_id=str(raw.get("payment_intent") or ""),
        amount=int(raw.get("amount") or 0),
        status=str(raw.get("status") or "pending"),
    )


@contextmanager
def _translated() -> Iterator[None]:
    """Stripe's errors in our words: a decline, a refusal, a missing object, or Stripe away."""
    try:
        yield
    except stripe.CardError as error:
        found = error.error.payment_intent if error.error else None
        intent = _intent(found.to_dict()) if found is not None else None
        raise Declined(
            error.user_message or "The card was declined.",
            error.code or "",
            intent,
            decline_code=str(getattr(error.error, "decline_code", None) or ""),
        ) from None
    except stripe.InvalidRequestError as error:
        message = error.user_message or str(error)
        if error.code == "resource_missing":
            named = _MISSING.search(message)
            raise Missing(message, named.group(1) if named else str(error.param or "")) from None
        raise Refused(message, error.code or "", str(error.param or "")) from None
    except stripe.PermissionError as error:
        raise Revoked(str(error)) from None
    except stripe.IdempotencyError as error:
        # A key reused with other parameters is a bug of ours, never the customer's doing.
        raise Refused(str(error), "idempotency_error") from None
    except stripe.StripeError as error:
        raise Unavailable(f"{type(error).__name__}: {error}") from None


class _HTTPXClient(stripe.HTTPXClient):
    """stripe-python's httpx client, sending the encoded form as `content` (httpx deprecates
    raw bytes as `data`)."""

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> list[Any]:
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        body = kwargs.pop("data")
        if body:
            kwargs["content"] = body
        return [args, kwargs]


class StripeProcessor(ConnectCalls):
    name = "stripe"

    def __init__(
        self, secret_key: str, webhook_secret: str, api_base: str = "", connect_client_id: str = ""
    ) -> None:
        # Stripe's OAuth lives on connect.stripe.com; a stand-in answers both at one address.
        base: BaseAddresses | None = {"api": api_base, "connect": api_base} if api_base else None
        # One pool of connections for every thread, closed with the processor (the library's
        # default keeps one per thread, which nothing ever closes).
        self._http = _HTTPXClient(allow_sync_methods=True, timeout=30)
        # stripe-python 16 treats None as zero retries; network retries reuse the idempotency key.
        self.client = stripe.StripeClient(
            secret_key, base_addresses=base, max_network_retries=2, http_client=self._http
        )
        self.webhook_secret = webhook_secret
        self.connect_client_id = connect_client_id

    def close(self) -> None:
        self._http.close()  # type: ignore[no-untyped-call]  # stripe leaves it untyped

    def __enter__(self) -> StripeProcessor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeProcessor:
        return cls(
            settings.stripe_secret_key,
            settings.stripe_webhook_secret,
            settings.stripe_api_base,
            settings.stripe_connect_client_id,
        )

    def create_customer(
        self, account: str, *, email: str, name: str, reference: str, key: str
    ) -> str:
        with _translated():
            created = self.client.v1.customers.create(
                params={
                    "email": email,
                    "name": name,
                    "metadata": {"frontdesk_customer": reference},
                },
                options={"stripe_account": account, "idempotency_key": key},
            )
        return str(created.id)

    def create_intent(
        self,
        account: str,
        *,
        amount: int,
        currency: str,
        customer: str,
        metadata: Mapping[str, str],
        key: str,
        save: bool = False,
        method: str | None = None,
        off_session: bool = False,
        application_fee: int = 0,
    ) -> Intent:
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer,
            "metadata": dict(metadata),
        }
        if off_session:
            params["off_session"] = True
        else:
            params["automatic_payment_methods"] = {"enabled": True}
        if save:
            params["setup_future_usage"] = "off_session"
        if application_fee:
            params["application_fee_amount"] = application_fee
        if method is not None:
            params["payment_method"] = method
            params["confirm"] = True
        with _translated():
            made = self.client.v1.payment_intents.create(
                params=params, options={"stripe_account": account, "idempotency_key": key}
            )
        return _intent(made.to_dict())

    def retrieve_intent(self, account: str, intent_id: str) -> Intent:
        with _translated():
            found = self.client.v1.payment_intents.retrieve(
                intent_id, options={"stripe_account": account}
            )
        return _intent(found.to_dict())

    def confirm_intent(
        self, account: str, intent_id: str, *, method: str | None, key: str
    ) -> Intent:
        with _translated():
            confirmed = self.client.v1.payment_intents.confirm(
                intent_id,
                params={"payment_method": method} if method else {},
                options={"stripe_account": account, "idempotency_key": key},
            )
        return _intent(confirmed.to_dict())

    def cancel_intent(self, account: str, intent_id: str, *, key: str) -> Intent:
        with _translated():
            canceled = self.client.v1.payment_intents.cancel(
                intent_id, options={"stripe_account": account, "idempotency_key": key}
            )
        return _intent(canceled.to_dict())

    def intents(self, account: str, *, since: datetime | None = None) -> Iterator[Intent]:
        params: dict[str, Any] = {"limit": 100}
        if since is not None:
            params["created"] = {"gte": int(since.timestamp())}
        with _translated():
            listed = self.client.v1.payment_intents.list(
                params=params,  # type: ignore[arg-type]
                options={"stripe_account": account},
            )
            for found in listed.auto_paging_iter():
                yield _intent(found.to_dict())

    def refund(
        self,
        account: str,
        intent_id: str,
        *,
        amount: int,
        key: str,
        reason: str,
        refund_application_fee: bool = False,
    ) -> RefundMade:
        with _translated():
            made = self.client.v1.refunds.create(
                params={
                    "payment_intent": intent_id,
                    "amount": amount,
                    "metadata": {"frontdesk_reason": reason[:500]},
                    # Stripe gives back the fee in proportion to the amount refunded.
                    "refund_application_fee": refund_application_fee,
                },
                options={"stripe_account": account, "idempotency_key": key},
            )
        return _refund(made.to_dict())

    def refunds(self, account: str, *, since: datetime | None = None) -> Iterator[RefundMade]:
        params: dict[str, Any] = {"limit": 100}
        if since is not None:
            params["created"] = {"gte": int(since.timestamp())}
        with _translated():
            listed = self.client.v1.refunds.list(
                params=params,  # type: ignore[arg-type]
                options={"stripe_account": account},
            )
            for found in listed.auto_paging_iter():
                yield _refund(found.to_dict())

    def create_setup(
        self, account: str, *, customer: str, metadata: Mapping[str, str], key: str
    ) -> Setup:
        with _translated():
            made = self.client.v1.setup_intents.create(
                params={
                    "customer": customer,
                    "usage": "off_session",
                    "allowed_payment_method_types": ["card"],
                    "metadata": dict(metadata),
                },
                options={"stripe_account": account, "idempotency_key": key},
            )
        return _setup(made.to_dict())

    def retrieve_setup(self, account: str, setup_id: str) -> Setup:
        with _translated():
            found = self.client.v1.setup_intents.retrieve(
                setup_id, options={"stripe_account": account}
            )
        return _setup(found.to_dict())

    def card(self, account: str, method_id: str) -> Card:
        with _translated():
            found = self.client.v1.payment_methods.retrieve(
                method_id, options={"stripe_account": account}
            )
        card = found.card
        if card is None:
            return Card("", "", None, None, "")
        return Card(card.brand, card.last4, card.exp_month, card.exp_year, card.fingerprint or "")

    def detach(self, account: str, method_id: str, *, key: str) -> None:
        with _translated():
            self.client.v1.payment_methods.detach(
                method_id, options={"stripe_account": account, "idempotency_key": key}
            )

    def verify_event(self, payload: bytes, signature: str) -> Event:
        if not self.webhook_secret:
            raise Unavailable("no webhook signing secret is configured")
        stamps = [part[2:] for part in signature.split(",") if part.startswith("t=")]
        if not stamps or not stamps[0].isdigit() or int(stamps[0]) > time.time() + TOLERANCE:
            raise BadSignature("signed in the future, or not dated")
        try:
            found = stripe.Webhook.construct_event(
                payload, signature, self.webhook_secret, TOLERANCE
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise BadSignature(str(error)) from None
        return _event(found.to_dict())

    def recent_events(self, account: str, *, kind: str, limit: int) -> list[Event]:
        with _translated():
            listed = self.client.v1.events.list(
                params={"type": kind, "limit": limit}, options={"stripe_account": account}
            )
        return [_event({**found.to_dict(), "account": account}) for found in listed.data]


def _event(raw: Mapping[str, Any]) -> Event:
    obj = (raw.get("data") or {}).get("object") or {}
    return Event(
        id=str(raw["id"]),
        type=str(raw.get("type", "")),
        account=raw.get("account"),
        object_id=str(obj.get("id", "")),
        object_kind=str(obj.get("object", "")),
    )
