"""PayPal's Orders v2 and Payments v2, over httpx, in our words: `Order`, `Capture`, `RefundMade`
and the processor errors. Only the base address differs between PayPal and our stand-in.

https://developer.paypal.com/docs/api/orders/v2/ and /docs/api/payments/v2/. Every write carries
a PayPal-Request-Id, so repeating it (after a lost answer, say) returns what the first one made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from frontdesk import money
from frontdesk.processors import Declined, Event, Missing, RefundMade, Refused, Unavailable
from frontdesk.processors.paypal_webhooks import Verifier
from frontdesk.settings import PAYPAL_API_BASES, Settings

# PayPal's currencies (https://developer.paypal.com/api/rest/reference/currency-codes/); these
# three it takes in whole units only, though they have minor units elsewhere.
CURRENCIES = frozenset(
    "AUD BRL CAD CNY CZK DKK EUR GBP HKD HUF ILS JPY MXN MYR NOK NZD PHP PLN SEK SGD THB TWD "
    "USD CHF".split()
)
WHOLE_UNITS = frozenset({"HUF", "JPY", "TWD"})
# Refresh a token this long before PayPal says it expires: a request may be on its way.
TOKEN_MARGIN = 60
# The payer's funding source failed: they can approve again with another (actions.restart()).
DECLINES = frozenset(
    {"INSTRUMENT_DECLINED", "PAYER_ACTION_REQUIRED", "TRANSACTION_REFUSED", "CARD_EXPIRED"}
)
DECLINED_MESSAGE = "PayPal could not take this payment from that account or card: choose another."


class CaptureStatus:
    COMPLETED = "COMPLETED"
    PENDING = "PENDING"
    DECLINED = "DECLINED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


def value_of(amount: int, currency: str) -> str:
    """Minor units as PayPal's decimal string ("10.50"; JPY "1500"), exactly or not at all."""
    code = currency.upper()
    major = money.to_decimal(amount, code)
    if code in WHOLE_UNITS:
        if major != major.to_integral_value():
            raise Refused(
                f"PayPal takes {code} in whole units only, not {major}", "DECIMAL_PRECISION"
            )
        major = major.quantize(Decimal(1))
    return str(major)


def amount_of(value: str, currency: str) -> int:
    """PayPal's decimal string in our minor units."""
    try:
        minor = Decimal(value).scaleb(money.exponent(currency))
    except InvalidOperation:
        raise Unavailable(f"PayPal sent {value!r} as an amount") from None
    if not minor.is_finite() or minor != minor.to_integral_value():
        raise Unavailable(f"PayPal sent {value!r} {currency}, more places than it has")
    return int(minor)


@dataclass(frozen=True)
class Capture:
    """Money taken on an approved order. PENDING becomes COMPLETED or DECLINED later."""

    id: str
    status: str  # a CaptureStatus
    amount: int
    currency: str
    order_id: str
    custom_id: str
    invoice_id: str
    reason: str  # why PENDING or DECLINED (status_details.reason), else ""
    created: datetime | None
    # When its status last changed (a pending capture completing or declined, a refund).
    updated: datetime | None = None


@dataclass(frozen=True)
class Order:
    """What the payer approves and we capture: CREATED, APPROVED, then COMPLETED."""

    id: str
    status: str
    amount: int
    currency: str
    custom_id: str
    invoice_id: str
    approve_url: str
    capture: Capture | None


def _when(stamp: object) -> datetime | None:
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else None


def _link(raw: Mapping[str, Any], rel: str) -> str:
    return next((str(li["href"]) for li in raw.get("links") or [] if li.get("rel") == rel), "")


def _capture(raw: Mapping[str, Any], order_id: str = "") -> Capture:
    amount = raw.get("amount") or {}
    currency = str(amount.get("currency_code", ""))
    related = (raw.get("supplementary_data") or {}).get("related_ids") or {}
    return Capture(
        id=str(raw["id"]),
        status=str(raw.get("status", "")),
        amount=amount_of(str(amount.get("value", "0")), currency),
        currency=currency,
        order_id=order_id or str(related.get("order_id") or ""),
        custom_id=str(raw.get("custom_id") or ""),
        invoice_id=str(raw.get("invoice_id") or ""),
        reason=str((raw.get("status_details") or {}).get("reason") or ""),
        created=_when(raw.get("create_time")),
        updated=_when(raw.get("update_time")),
    )


def _order(raw: Mapping[str, Any]) -> Order:
    unit = (raw.get("purchase_units") or [{}])[0]
    amount = unit.get("amount") or {}
    currency = str(amount.get("currency_code", ""))
    captures = (unit.get("payments") or {}).get("captures") or []
    return Order(
        id=str(raw["id"]),
        status=str(raw.get("status", "")),
        amount=amount_of(str(amount.get("value", "0")), currency),
        currency=currency,
        custom_id=str(unit.get("custom_id") or ""),
        invoice_id=str(unit.get("invoice_id") or ""),
        approve_url=_link(raw, "approve") or _link(raw, "payer-action"),
        capture=_capture(captures[-1], str(raw["id"])) if captures else None,
    )


def _refund(raw: Mapping[str, Any], capture_id: str) -> RefundMade:
    amount = raw.get("amount") or {}
    status = str(raw.get("status", ""))
    ours = {"COMPLETED": "succeeded", "PENDING": "pending"}.get(status, "failed")
    value = str(amount.get("value", "0"))
    return RefundMade(
        str(raw["id"]), capture_id, amount_of(value, str(amount["currency_code"])), ours
    )


def _error(answer: httpx.Response, kind: str) -> Exception:
    """PayPal's error answer as one of ours."""
    if answer.status_code >= 500 or answer.status_code == 429:
        return Unavailable(f"PayPal answered {answer.status_code}")
    try:
        body = answer.json()
    except ValueError:
        return Unavailable(f"PayPal answered {answer.status_code}, not JSON")
    details = body.get("details") or [{}]
    issue = str(details[0].get("issue") or body.get("name") or body.get("error") or "")
    message = str(details[0].get("description") or body.get("message") or issue)
    if answer.status_code in (401, 403):
        # Our credentials or permissions: ours to fix, and payments wait until they are.
        return Unavailable(f"PayPal refused our credentials: {issue}: {message}")
    if answer.status_code == 404:
        return Missing(message, kind)
    if issue in DECLINES:
        return Declined(DECLINED_MESSAGE, issue)
    return Refused(message, issue, str(details[0].get("field") or ""))


class PayPalProcessor:
    name = "paypal"

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        *,
        verifier: Verifier | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 30,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.verifier = verifier
        self._credentials, self._clock = (client_id, secret), clock
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)
        self._token_lock = threading.Lock()
        self._token, self._token_expires = "", 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> PayPalProcessor | None:
        """The configured PayPal, or None when it is not set up."""
        if not settings.paypal_ready:
            return None
        base = (settings.paypal_base_url or PAYPAL_API_BASES[0]).rstrip("/")
        # Outside production the base may be our stand-in, whose certificates we then trust.
        standin = "" if base in PAYPAL_API_BASES else base
        verifier = Verifier(settings.paypal_webhook_id, standin_base=standin)
        return cls(base, settings.paypal_client_id, settings.paypal_secret, verifier=verifier)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PayPalProcessor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- orders and captures ------------------------------------------------------------------

    def create_order(
        self,
        *,
        amount: int,
        currency: str,
        custom_id: str,
        invoice_id: str,
        description: str,
        key: str,
    ) -> Order:
        """An order for the payer to approve. `invoice_id` must be new for every payment: PayPal
        refuses to capture a second payment with one it has seen (DUPLICATE_INVOICE_ID)."""
        unit = {
            "amount": {"currency_code": currency.upper(), "value": value_of(amount, currency)},
            "custom_id": custom_id,
            "invoice_id": invoice_id,
            "description": description[:127],
        }
        body = {"intent": "CAPTURE", "purchase_units": [unit]}
        return _order(self._call("POST", "/v2/checkout/orders", "order", json=body, key=key))

    def retrieve_order(self, order_id: str) -> Order:
        return _order(self._call("GET", f"/v2/checkout/orders/{order_id}", "order"))

    def capture_order(self, order_id: str, *, key: str) -> Capture:
        """Takes the approved order's money. Declined when the payer's funding failed (they may
        approve again with another); a PENDING capture completes or is declined later."""
        raw = self._call("POST", f"/v2/checkout/orders/{order_id}/capture", "order", key=key)
        capture = _order(raw).capture
        if capture is None:
            raise Unavailable(f"PayPal captured order {order_id} without saying how")
        if capture.status in (CaptureStatus.DECLINED, CaptureStatus.FAILED):
            raise Declined(DECLINED_MESSAGE, capture.status)
        return capture

    def retrieve_capture(self, capture_id: str) -> Capture:
        return _capture(self._call("GET", f"/v2/payments/captures/{capture_id}", "capture"))

    def refund(
        self, capture_id: str, *, amount: int, currency: str, key: str, note: str = ""
    ) -> RefundMade:
        body: dict[str, Any] = {
            "amount": {"currency_code": currency.upper(), "value": value_of(amount, currency)}
        }
        if note:
            body["note_to_payer"] = note[:255]
        path = f"/v2/payments/captures/{capture_id}/refund"
        return _refund(self._call("POST", path, "capture", json=body, key=key), capture_id)

    def verify_event(self, payload: bytes, headers: Mapping[str, str], *, now: datetime) -> Event:
        if self.verifier is None:
            raise Unavailable("PayPal webhooks are not set up")
        return self.verifier.verify(payload, headers, now=now)

    # -- the wire -----------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, kind: str, *, json: object = None, key: str = ""
    ) -> dict[str, Any]:
        headers = {"Prefer": "return=representation"}
        if key:
            headers["PayPal-Request-Id"] = key
        # Once more after a dropped connection, a failure on PayPal's side or a stale token: a
        # write carries its request id, so a second try cannot make a second order or refund.
        for last in (False, True):
            try:
                headers["Authorization"] = f"Bearer {self._access_token()}"
                answer = self._http.request(method, path, json=json, headers=headers)
            except httpx.TransportError as error:
                if last:
                    raise Unavailable(f"PayPal did not answer: {type(error).__name__}") from None
                continue
            if not last and (answer.status_code == 401 or answer.status_code >= 500):
                if answer.status_code == 401:
                    self._forget_token()
                continue
            if answer.status_code >= 400:
                raise _error(answer, kind)
            try:
                found: dict[str, Any] = answer.json()
            except ValueError:
                raise Unavailable(f"PayPal answered {answer.status_code}, not JSON") from None
            return found
        raise AssertionError("the loop returns or raises")

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token and self._clock() < self._token_expires:
                return self._token
            answer = self._http.post(
                "/v1/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=self._credentials,
            )
            if answer.status_code != 200:
                raise _error(answer, "token")
            found = answer.json()
            self._token = str(found["access_token"])
            self._token_expires = self._clock() + int(found["expires_in"]) - TOKEN_MARGIN
            return self._token

    def _forget_token(self) -> None:
        with self._token_lock:
            self._token = ""
