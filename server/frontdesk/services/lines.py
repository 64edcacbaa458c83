"""Pricing a document's lines: amount, tax and totals, shared by invoices and estimates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol, TypeVar

from frontdesk import money
from frontdesk.models.billing import LineBase
from frontdesk.services.errors import Invalid


@dataclass(frozen=True)
class LineInput:
    description: str
    unit_amount: int
    quantity: Decimal = Decimal(1)
    tax_rate_bp: int | None = None
    # A fixed tax figure, for businesses whose own system already computed it.
    tax_amount: int | None = None


class Priced(Protocol):
    """An invoice or an estimate: whatever carries totals."""

    subtotal: int
    tax_total: int
    total: int


Row = TypeVar("Row", bound=LineBase)


def validate(lines: list[LineInput]) -> None:
    errors: dict[str, str] = {}
    if not lines:
        errors["lines"] = "Add at least one line."
    for i, line in enumerate(lines):
        if not line.description.strip():
            errors[f"lines[{i}].description"] = "Describe what this line is for."
        try:
            if not (Decimal(0) < line.quantity <= Decimal(1_000_000)):
                errors[f"lines[{i}].quantity"] = "Quantity must be above 0."
        except InvalidOperation:
            errors[f"lines[{i}].quantity"] = "Quantity must be a number."
        if line.unit_amount < 0:
            errors[f"lines[{i}].unit_amount"] = "Price cannot be negative."
        if line.tax_rate_bp is not None and not 0 <= line.tax_rate_bp <= 10_000:
            errors[f"lines[{i}].tax_rate"] = "Tax rate must be between 0 and 100 %."
        if line.tax_amount is not None and line.tax_amount < 0:
            errors[f"lines[{i}].tax_amount"] = "Tax cannot be negative."
        if line.tax_rate_bp is not None and line.tax_amount is not None:
            errors[f"lines[{i}].tax_amount"] = "Give a tax rate or a tax amount, not both."
    if errors:
        raise Invalid("Some lines need fixing.", errors)


def price(line: LineInput) -> tuple[int, int]:
    """The line's amount and its tax. Tax is per line, rounded half-up, then summed."""
    amount = money.times(line.unit_amount, line.quantity)
    if line.tax_amount is not None:
        return amount, line.tax_amount
    return amount, money.percent_of(amount, line.tax_rate_bp or 0)


def build(lines: list[LineInput], new_row: Callable[[], Row]) -> list[Row]:
    """One priced row per input line, in order."""
    rows = []
    for position, line in enumerate(lines):
        row = new_row()
        row.position = position
        row.description = line.description.strip()
        row.quantity = line.quantity
        row.unit_amount = line.unit_amount
        row.tax_rate_bp = line.tax_rate_bp
        row.amount, row.tax_amount = price(line)
        rows.append(row)
    return rows


def set_totals(document: Priced, rows: Sequence[LineBase]) -> None:
    document.subtotal = sum(row.amount for row in rows)
    document.tax_total = sum(row.tax_amount for row in rows)
    document.total = document.subtotal + document.tax_total
