"""The stand-in's rules for money: orders (created, approved by the payer, captured), captures
(completed, or pending until settled) and refunds, each change queued as PayPal's webhook event.

What the payer chose on the approval page decides the capture: "approve" completes, "decline"
fails with INSTRUMENT_DECLINED (the payer may approve again), "pending" leaves it PENDING until
`settle`. Payer emails starting decline@ or pending@ choose the same as the buttons.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from frontdesk.processors.paypal import CURRENCIES, WHOLE_UNITS
from frontdesk.processors.paypal_standin.state import (
    State,
    invalid,
    link,
    missing,
    new_id,
    unprocessable,
)

OUTCOMES = ("approve", "decline", "pending")
FEE_RATE = Decimal("0.0349")  # PayPal's domestic rate for goods and services
_VALUE = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
# The merchant every order is paid to, shaped as PayPal's are (13 upper-case letters and digits)
# so that a business can enter it in its settings.
MERCHANT_ID = "STANDIN000001"


def _places(currency: str) -> Decimal:
    return Decimal(1) if currency in WHOLE_UNITS else Decimal("0.01")


def _money(value: Decimal, currency: str) -> dict[str, str]:
    return {"currency_code": currency, "value": str(value.quantize(_places(currency)))}


def _amount(raw: Any, field: str) -> tuple[Decimal, str]:
    """An amount object from a request, checked as PayPal checks it."""
    if not isinstance(raw, dict) or not raw.get("currency_code") or not raw.get("value"):
        raise invalid("MISSING_REQUIRED_PARAMETER", f"A required field is missing: {field}.")
    currency, value = str(raw["currency_code"]), str(raw["value"])
    if currency not in CURRENCIES:
        raise unprocessable(
            "CURRENCY_NOT_SUPPORTED", f"Currency code {currency} is not currently supported."
        )
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal(-1)
    if not _VALUE.match(value) or amount <= 0:
        raise invalid("INVALID_PARAMETER_VALUE", f"The value of {field}.value is invalid.")
    if amount != amount.quantize(_places(currency)):
        raise unprocessable(
            "DECIMAL_PRECISION",
            f"If the currency supports decimals, only two decimal place precision is supported; "
            f"{currency} supports none.",
        )
    return amount, currency


class Store(State):
    # -- orders -------------------------------------------------------------------------------

    def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("intent") != "CAPTURE":
            raise invalid("INVALID_PARAMETER_VALUE", "The stand-in takes intent CAPTURE only.")
        units = body.get("purchase_units")
        if not isinstance(units, list) or len(units) != 1 or not isinstance(units[0], dict):
            raise invalid("INVALID_PARAMETER_VALUE", "The stand-in takes one purchase unit.")
        unit = units[0]
        value, currency = _amount(unit.get("amount"), "/purchase_units/0/amount")
        for name in ("custom_id", "invoice_id", "description"):
            if len(str(unit.get(name) or "")) > 127:
                raise invalid("INVALID_STRING_LENGTH", f"{name} is longer than 127 characters.")
        order_id = new_id()
        order = {
            "id": order_id,
            "intent": "CAPTURE",
            "status": "CREATED",
            "purchase_units": [
                {
                    "reference_id": str(unit.get("reference_id") or "default"),
                    "amount": _money(value, currency),
                    "payee": {"email_address": "merchant@example.com", "merchant_id": MERCHANT_ID},
                    **{
                        k: str(unit[k])
                        for k in ("custom_id", "invoice_id", "description")
                        if unit.get(k)
                    },
                }
            ],
            "create_time": self.stamp(),
            "links": [
                link(f"/v2/checkout/orders/{order_id}", "self"),
                link(f"/checkoutnow?token={order_id}", "approve"),
                link(f"/v2/checkout/orders/{order_id}", "update", "PATCH"),
                link(f"/v2/checkout/orders/{order_id}/capture", "capture", "POST"),
            ],
            "_captures": [],
            "_outcome": "",
        }
        self.orders[order_id] = order
        return self.order(order_id)

    def order(self, order_id: str) -> dict[str, Any]:
        """The order as PayPal shows it: its captures inside its purchase unit."""
        found = self.orders.get(order_id)
        if found is None:
            raise missing("order", order_id)
        shown = dict(found)
        if found["_captures"]:
            unit = dict(found["purchase_units"][0])
            unit["payments"] = {"captures": [self.captures[c] for c in found["_captures"]]}
            shown["purchase_units"] = [unit]
        return shown

    def approve(self, order_id: str, choice: str, email: str) -> dict[str, Any]:
        """The payer's answer on the approval page. An order may be approved again after a
        declined capture, as PayPal lets the payer pick another funding source."""
        order = self.orders.get(order_id)
        if order is None or order["status"] not in ("CREATED", "APPROVED"):
            raise missing("order", order_id)
        local = email.split("@", 1)[0].lower()
        if choice == "approve" and local in OUTCOMES:
            choice = local
        payer_id = new_id(13)
        name = {"given_name": "Stand-in", "surname": "Payer"}
        order.update(
            status="APPROVED",
            _outcome=choice,
            payer={"name": name, "email_address": email, "payer_id": payer_id},
            payment_source={
                "paypal": {
                    "email_address": email,
                    "account_id": payer_id,
                    "account_status": "VERIFIED",
                    "name": name,
                }
            },
            update_time=self.stamp(),
        )
        self.emit(
            "CHECKOUT.ORDER.APPROVED",
            "checkout-order",
            "An order has been approved by buyer",
            self.order(order_id),
        )
        return self.order(order_id)

    def capture(self, order_id: str) -> dict[str, Any]:
        order = self.order(order_id)
        if order["status"] == "CREATED":
            raise unprocessable(
                "ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment."
            )
        if order["status"] == "COMPLETED":
            raise unprocessable(
                "ORDER_ALREADY_CAPTURED",
                "Order already captured. If 'intent=CAPTURE' only one capture per order is "
                "allowed.",
            )
        if order["_outcome"] == "decline":
            raise unprocessable(
                "INSTRUMENT_DECLINED",
                "The instrument presented was either declined by the processor or bank, or it "
                "can't be used for this payment.",
            )
        unit = order["purchase_units"][0]
        invoice = unit.get("invoice_id")
        if invoice and any(
            c.get("invoice_id") == invoice and c["status"] != "DECLINED"
            for c in self.captures.values()
        ):
            raise unprocessable(
                "DUPLICATE_INVOICE_ID",
                "Duplicate Invoice ID detected. To avoid a potential duplicate transaction your "
                "account setting requires that Invoice ID be unique for each transaction.",
            )
        capture = self._new_capture(order_id, unit, pending=order["_outcome"] == "pending")
        stored = self.orders[order_id]
        stored.update(status="COMPLETED", update_time=self.stamp())
        stored["_captures"].append(capture["id"])
        self._capture_event(capture)
        return self.order(order_id)

    def _new_capture(self, order_id: str, unit: dict[str, Any], *, pending: bool) -> dict[str, Any]:
        capture_id = new_id()
        gross = Decimal(unit["amount"]["value"])
        currency = unit["amount"]["currency_code"]
        fee = (gross * FEE_RATE).quantize(_places(currency), ROUND_HALF_UP)
        capture: dict[str, Any] = {
            "id": capture_id,
            "status": "PENDING" if pending else "COMPLETED",
            "amount": dict(unit["amount"]),
            "final_capture": True,
            "seller_protection": {
                "status": "ELIGIBLE",
                "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
            },
            "seller_receivable_breakdown": {
                "gross_amount": _money(gross, currency),
                "paypal_fee": _money(fee, currency),
                "net_amount": _money(gross - fee, currency),
            },
            **{k: unit[k] for k in ("custom_id", "invoice_id") if unit.get(k)},
            "links": [
                link(f"/v2/payments/captures/{capture_id}", "self"),
                link(f"/v2/payments/captures/{capture_id}/refund", "refund", "POST"),
                link(f"/v2/checkout/orders/{order_id}", "up"),
            ],
            "create_time": self.stamp(),
            "update_time": self.stamp(),
        }
        if pending:
            capture["status_details"] = {"reason": "PENDING_REVIEW"}
        self.captures[capture_id] = capture
        return capture

    def _capture_event(self, capture: dict[str, Any]) -> None:
        amount = f"{capture['amount']['value']} {capture['amount']['currency_code']}"
        kind, summary = {
            "COMPLETED": ("PAYMENT.CAPTURE.COMPLETED", f"Payment completed for {amount}"),
            "PENDING": ("PAYMENT.CAPTURE.PENDING", f"Payment pending for {amount}"),
            "DECLINED": ("PAYMENT.CAPTURE.DENIED", f"Payment denied for {amount}"),
        }[capture["status"]]
        self.emit(kind, "capture", summary, capture)

    # -- captures -----------------------------------------------------------------------------

    def capture_details(self, capture_id: str) -> dict[str, Any]:
        capture = self.captures.get(capture_id)
        if capture is None:
            raise missing("capture", capture_id)
        order_id = next(o for o, found in self.orders.items() if capture_id in found["_captures"])
        return {**capture, "supplementary_data": {"related_ids": {"order_id": order_id}}}

    def settle(self, capture_id: str, outcome: str) -> dict[str, Any]:
        """A pending capture completes or is declined (PayPal's review, an eCheck clearing)."""
        capture = self.captures.get(capture_id)
        if capture is None:
            raise missing("capture", capture_id)
        if capture["status"] != "PENDING" or outcome not in ("COMPLETED", "DECLINED"):
            raise unprocessable("INVALID_STATE", "Only a pending capture completes or is declined.")
        capture["status"], capture["update_time"] = outcome, self.stamp()
        if outcome == "COMPLETED":
            capture.pop("status_details", None)
        else:
            capture["status_details"] = {"reason": "DECLINED_BY_RISK_FRAUD_FILTERS"}
        self._capture_event(capture)
        return self.capture_details(capture_id)

    def refund(self, capture_id: str, body: dict[str, Any]) -> dict[str, Any]:
        capture = self.captures.get(capture_id)
        if capture is None:
            raise missing("capture", capture_id)
        if capture["status"] == "PENDING":
            raise unprocessable(
                "PENDING_CAPTURE", "Cannot initiate a refund as the capture is pending."
            )
        if capture["status"] == "REFUNDED":
            raise unprocessable(
                "CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded."
            )
        if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            raise unprocessable("INVALID_RESOURCE_ID", "Only a completed capture can be refunded.")
        currency = capture["amount"]["currency_code"]
        refunded = sum(
            (
                Decimal(r["amount"]["value"])
                for r in self.refunds.values()
                if r["_capture"] == capture_id
            ),
            Decimal(0),
        )
        left = Decimal(capture["amount"]["value"]) - refunded
        value, asked_currency = (
            _amount(body["amount"], "/amount") if body.get("amount") else (left, currency)
        )
        if asked_currency != currency:
            raise unprocessable(
                "REFUND_CAPTURE_CURRENCY_MISMATCH",
                "Refund must be in the same currency as the capture.",
            )
        if value > left:
            raise unprocessable(
                "REFUND_AMOUNT_EXCEEDED",
                "The refund amount must be less than or equal to the capture amount that has not "
                "yet been refunded.",
            )
        refund_id = new_id()
        refund = {
            "id": refund_id,
            "amount": _money(value, currency),
            "status": "COMPLETED",
            **{k: capture[k] for k in ("custom_id", "invoice_id") if capture.get(k)},
            **({"note_to_payer": str(body["note_to_payer"])} if body.get("note_to_payer") else {}),
            "create_time": self.stamp(),
            "update_time": self.stamp(),
            "links": [
                link(f"/v2/payments/refunds/{refund_id}", "self"),
                link(f"/v2/payments/captures/{capture_id}", "up"),
            ],
            "_capture": capture_id,
        }
        self.refunds[refund_id] = refund
        capture["status"] = "REFUNDED" if value == left else "PARTIALLY_REFUNDED"
        capture["update_time"] = self.stamp()
        self.emit(
            "PAYMENT.CAPTURE.REFUNDED",
            "refund",
            f"A {refund['amount']['value']} {currency} capture payment was refunded",
            refund,
        )
        return refund
