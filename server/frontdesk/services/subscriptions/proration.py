"""Proration, pure: when a plan's amount changes on a day inside a period already invoiced, what
is left of that period at the old amount and what the same days come to at the new one, in exact
minor units. Days are dates where the business is (the period's and the change's), so a change
of clocks or a leap day is one day like any other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def share(amount: int, days_left: int, days: int) -> int:
    """`days_left` of `days` of a non-negative amount, rounded half-up, in integers."""
    if amount < 0 or not 0 <= days_left <= days or days < 1:
        raise ValueError("a share is of a non-negative amount, for days within the period")
    return (2 * amount * days_left + days) // (2 * days)


@dataclass(frozen=True)
class Proration:
    """A change of amount on `on` (the first day at the new amount) in the period `first` to
    `last`: the unused part of the old amount, the same days at the new amount, and the
    difference (above 0 the customer owes it, below 0 it is theirs)."""

    first: date
    last: date
    on: date
    old_amount: int
    new_amount: int

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def days_left(self) -> int:
        return (self.last - self.on).days + 1

    @property
    def unused(self) -> int:
        return share(self.old_amount, self.days_left, self.days)

    @property
    def remaining(self) -> int:
        return share(self.new_amount, self.days_left, self.days)

    @property
    def adjustment(self) -> int:
        return self.remaining - self.unused


def prorate(first: date, last: date, on: date, old_amount: int, new_amount: int) -> Proration:
    """The proration of a change on `on`, a day of the period `first` to `last`."""
    if not first <= on <= last:
        raise ValueError(f"{on} is not in the period {first} to {last}")
    return Proration(first, last, on, old_amount, new_amount)
