"""What people type, read once: an amount of money in a form or a query, or the lines of a
draft, refused as field errors (with the problem in words) instead of each handler catching the
money module's errors."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal

from frontdesk import languages, money
from frontdesk.languages import N_, gettext
from frontdesk.services.errors import Invalid
from frontdesk.services.lines import LineInput


def amount(
    typed: str,
    currency: str,
    *,
    field: str = "amount",
    problem: str = N_("Choose another amount."),
    locale: str | None = None,
) -> int | None:
    """Minor units of `currency`, or None when nothing was typed; `locale`: the one amounts were
    shown in, when it is a customer typing (money.parse)."""
    typed = typed.strip()
    if not typed:
        return None
    try:
        return money.parse(typed, currency, locale)
    except money.MoneyError as exc:
        raise Invalid(gettext(problem), {field: money_problem(exc)}) from None


def lines(rows: list[dict[str, str]], currency: str) -> list[LineInput]:
    """The lines typed rows make (description, quantity, unit_price, tax_rate as typed); blank
    rows are skipped, and every row's mistakes are reported together, by field."""
    typed = [{k: v.strip() for k, v in row.items()} for row in rows]
    made, errors = [], {}
    for i, row in enumerate(r for r in typed if r.get("description") or r.get("unit_price")):
        try:
            unit = money.parse(row.get("unit_price") or "0", currency)
        except money.MoneyError as exc:
            errors[f"lines[{i}].unit_amount"] = money_problem(exc)
            unit = 0
        try:
            quantity = Decimal(row.get("quantity") or "1")
            rate = row.get("tax_rate")
            tax_bp = int((Decimal(rate) * 100).to_integral_value()) if rate else None
        except InvalidOperation:
            errors[f"lines[{i}].quantity"] = gettext("Quantity and tax rate must be numbers.")
            quantity, tax_bp = Decimal(1), None
        made.append(LineInput(row.get("description", ""), unit, quantity, tax_rate_bp=tax_bp))
    if errors:
        raise Invalid(gettext("Some lines need fixing."), errors)
    return made


def sentence(message: str) -> str:
    """A message as a sentence: its first letter raised, the rest as written ("USD" stays)."""
    return message[:1].upper() + message[1:].rstrip(".") + "."


# The money module's refusals (written for our logs, in English) as a person typing reads them.
_PLACES = re.compile(
    r"^(?P<currency>[A-Z]{3}) amounts have at most (?P<places>\d+) decimal places$"
)
_NOT_AN_AMOUNT = " is not an amount"
_MONEY_PROBLEMS = {
    "the amount cannot be negative": N_("The amount cannot be negative."),
    "the amount is too large": N_("The amount is too large."),
}


def money_problem(refused: money.MoneyError) -> str:
    """What is wrong with a typed amount, as a sentence in the reader's language."""
    said = str(refused)
    if said in _MONEY_PROBLEMS:
        return gettext(_MONEY_PROBLEMS[said])
    if said.endswith(_NOT_AN_AMOUNT):
        typed = said[: -len(_NOT_AN_AMOUNT)]
        return gettext("%(typed)s is not an amount.") % {"typed": sentence(typed).rstrip(".")}
    if found := _PLACES.match(said):
        return gettext("%(currency)s amounts have at most %(places)s decimal places.") % {
            "currency": found["currency"],
            "places": found["places"],
        }
    return sentence(said)


def number(count: int) -> str:
    """A count as the reader writes it: "4,000" in English, "4.000" in Spanish."""
    if languages.current() == languages.SOURCE:
        return f"{count:,}"
    return format_decimal(count, locale=languages.current())
