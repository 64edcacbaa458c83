"""What people type, read once: an amount of money in a form or a query, or the lines of a
draft, refused as field errors (with the problem in words) instead of each handler catching the
money module's errors."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from frontdesk import money
from frontdesk.services.errors import Invalid
from frontdesk.services.lines import LineInput


def amount(
    typed: str, currency: str, *, field: str = "amount", problem: str = "Choose another amount."
) -> int | None:
    """Minor units of `currency`, or None when nothing was typed."""
    typed = typed.strip()
    if not typed:
        return None
    try:
        return money.parse(typed, currency)
    except money.MoneyError as exc:
        raise Invalid(problem, {field: sentence(str(exc))}) from None


def lines(rows: list[dict[str, str]], currency: str) -> list[LineInput]:
    """The lines typed rows make (description, quantity, unit_price, tax_rate as typed); blank
    rows are skipped, and every row's mistakes are reported together, by field."""
    typed = [{k: v.strip() for k, v in row.items()} for row in rows]
    made, errors = [], {}
    for i, row in enumerate(r for r in typed if r.get("description") or r.get("unit_price")):
        try:
            unit = money.parse(row.get("unit_price") or "0", currency)
        except money.MoneyError as exc:
            errors[f"lines[{i}].unit_amount"] = sentence(str(exc))
            unit = 0
        try:
            quantity = Decimal(row.get("quantity") or "1")
            rate = row.get("tax_rate")
            tax_bp = int((Decimal(rate) * 100).to_integral_value()) if rate else None
        except InvalidOperation:
            errors[f"lines[{i}].quantity"] = "Quantity and tax rate must be numbers."
            quantity, tax_bp = Decimal(1), None
        made.append(LineInput(row.get("description", ""), unit, quantity, tax_rate_bp=tax_bp))
    if errors:
        raise Invalid("Some lines need fixing.", errors)
    return made


def sentence(message: str) -> str:
    """A message as a sentence: its first letter raised, the rest as written ("USD" stays)."""
    return message[:1].upper() + message[1:].rstrip(".") + "."
