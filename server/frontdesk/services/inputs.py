"""What people type, read once: an amount of money in a form or a query, refused as a field
error (with the problem in words) instead of each handler catching the money module's errors."""

from __future__ import annotations

from frontdesk import money
from frontdesk.services.errors import Invalid


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
        raise Invalid(problem, {field: str(exc).capitalize().rstrip(".") + "."}) from None
