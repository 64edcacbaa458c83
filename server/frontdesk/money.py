"""Money in integer minor units: currency exponents, parsing, rounding, splitting and formatting.

Rounding is half-up, in integers, done once per computed figure. Exponents follow Stripe's
rules rather than ISO 4217: Stripe takes ISK with two decimals (amounts divisible by 100) and
three-decimal currencies only in multiples of ten (https://docs.stripe.com/currencies).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    format_currency,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
)

from frontdesk import languages

ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
# Stripe's largest amount: eight digits in minor units.
MAX_AMOUNT = 99_999_999
BASIS_POINTS = 10_000
_KNOWN_CURRENCIES = frozenset(list_currencies())


class MoneyError(ValueError):
    """An amount or currency that cannot be used; the message is fit to show a person."""


def normalise_currency(currency: str) -> str:
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise MoneyError(f"{currency!r} is not a three-letter currency code")
    if code not in _KNOWN_CURRENCIES:
        raise MoneyError(f"{code} is not a known currency")
    return code


def exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_decimal(amount: int, currency: str) -> Decimal:
    """The major-unit value of `amount`, with exactly the currency's number of places."""
    places = exponent(currency)
    return Decimal(amount).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def parse(text: str, currency: str, locale: str | None = None) -> int:
    """A typed amount ("12.50") in minor units; refuses more places than the currency has. Given
    the locale amounts were shown in, its own marks: "1.234,50" from a reader in Spain."""
    cleaned = text.strip().replace(",", "")
    if locale is not None:
        shown = babel_locale(locale)
        group, decimal = get_group_symbol(locale=shown), get_decimal_symbol(locale=shown)
        spaced = "".join(text.split()).replace("\u202f", "")
        cleaned = spaced.replace(group, "").replace(decimal, ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError(f"{text!r} is not an amount") from None
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not an amount")
    places = exponent(currency)
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise MoneyError(f"{currency.upper()} amounts have at most {places} decimal places")
    if minor < 0:
        raise MoneyError("the amount cannot be negative")
    if minor > MAX_AMOUNT:
        raise MoneyError("the amount is too large")
    return int(minor)


def round_half_up(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def percent_of(amount: int, basis_points: int) -> int:
    """`basis_points`/100 percent of a non-negative amount, rounded half-up (18 % = 1800)."""
    if amount < 0 or basis_points < 0:
        raise MoneyError("percentages apply to non-negative amounts")
    return (amount * basis_points + BASIS_POINTS // 2) // BASIS_POINTS


def times(unit_amount: int, quantity: Decimal) -> int:
    """A line amount: unit price times a (possibly fractional) quantity, rounded half-up."""
    return round_half_up(Decimal(unit_amount) * quantity)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` so the parts add up exactly (largest remainder)."""
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise MoneyError("allocation needs non-negative weights that are not all zero")
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    remainders = sorted(
        range(len(weights)), key=lambda i: (total * weights[i] % whole, -i), reverse=True
    )
    for i in remainders[: total - sum(parts)]:
        parts[i] += 1
    return parts


def fill(amount: int, capacities: list[int]) -> list[int]:
    """Pour `amount` into the capacities in order (oldest invoice first): each part is full
    before the next gets anything, and the parts add up to exactly `amount`."""
    if not 0 <= amount <= sum(capacities):
        raise MoneyError("the amount does not fit")
    parts = []
    for capacity in capacities:
        part = min(capacity, amount)
        parts.append(part)
        amount -= part
    return parts


def stripe_step(currency: str) -> int:
    """The multiple Stripe requires of a charge amount in this currency."""
    code = currency.upper()
    if code in THREE_DECIMAL:
        return 10
    if code == "ISK":
        return 100
    return 1


def chargeable(amount: int, currency: str) -> int:
    """The amount rounded half-up to what Stripe accepts for the currency."""
    step = stripe_step(currency)
    return (amount + step // 2) // step * step


def babel_locale(name: str) -> Locale:
    """Babel's data for a business's locale, in the language being spoken (languages.py)."""
    return _parsed(languages.formatting_locale(name))


@lru_cache(maxsize=256)
def _parsed(name: str) -> Locale:
    """Parsed once: given a name, each Babel formatting call parses it again and rebuilds its
    data, which costs more than the formatting. Installed data only, so it never goes stale."""
    return Locale.parse(name)


# A portal view prints the same few amounts on every request (balances, invoice totals): each is
# formatted once, then looked up. The result depends on nothing but the arguments, so it never goes
# stale; 4,096 entries keep it to a few hundred kilobytes.
def format_amount(amount: int, currency: str, locale: str = "en_US") -> str:
    return _formatted(amount, currency, languages.formatting_locale(locale))


@lru_cache(maxsize=4096)
def _formatted(amount: int, currency: str, locale: str) -> str:
    return format_currency(to_decimal(amount, currency), currency.upper(), locale=_parsed(locale))


@dataclass(frozen=True, slots=True)
class Money:
    """An amount with its currency; adding two currencies is a bug, so it raises."""

    amount: int
    currency: str

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def format(self, locale: str = "en_US") -> str:
        return format_amount(self.amount, self.currency, locale)
