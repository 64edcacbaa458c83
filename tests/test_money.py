"""Money: minor units across 0-, 2- and 3-decimal currencies never lose or invent a unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk import languages, money, rendering
from frontdesk.money import MAX_AMOUNT, Money, MoneyError
from frontdesk.services import inputs
from frontdesk.services.errors import Invalid

CURRENCIES = ["USD", "EUR", "JPY", "KRW", "KWD", "BHD", "ISK", "GBP"]
amounts = st.integers(min_value=0, max_value=MAX_AMOUNT)
currencies = st.sampled_from(CURRENCIES)
basis_points = st.integers(min_value=0, max_value=10_000)


def test_exponents_follow_stripe_not_iso() -> None:
    assert money.exponent("JPY") == 0
    assert money.exponent("usd") == 2
    assert money.exponent("KWD") == 3
    assert money.exponent("ISK") == 2  # ISO says 0; Stripe takes two decimals


@given(amounts, currencies)
def test_parse_is_the_inverse_of_to_decimal(amount: int, currency: str) -> None:
    assert money.parse(str(money.to_decimal(amount, currency)), currency) == amount


@given(amounts, currencies)
def test_to_decimal_has_exactly_the_currency_places(amount: int, currency: str) -> None:
    exponent = money.to_decimal(amount, currency).as_tuple().exponent
    assert exponent == -money.exponent(currency)


@pytest.mark.parametrize(
    ("text", "currency", "problem"),
    [
        ("12.345", "USD", "at most 2 decimal places"),
        ("1.5", "JPY", "at most 0 decimal places"),
        ("abc", "USD", "is not an amount"),
        ("-1", "USD", "cannot be negative"),
        ("NaN", "USD", "is not an amount"),
        ("1000000000", "USD", "too large"),
    ],
)
def test_parse_refuses_what_it_cannot_represent(text: str, currency: str, problem: str) -> None:
    with pytest.raises(MoneyError, match=problem):
        money.parse(text, currency)


def test_a_customer_types_amounts_the_way_they_were_shown() -> None:
    """In French a comma is the decimal mark: "12,50" is twelve euros fifty, not 1,250."""
    assert money.parse("1,234.50", "USD", "en_US") == 123450
    with languages.speaking("fr"):
        assert money.format_amount(123450, "EUR", "fr_FR") == "1\u202f234,50\xa0€"
        assert money.parse("1\u202f234,50", "EUR", "fr_FR") == 123450
        assert money.parse("12,5", "EUR", "fr_FR") == 1250
    with languages.speaking("es"):
        assert money.parse("1.234,50", "EUR", "es_ES") == 123450
        # A US business's amounts in Spanish keep the US marks.
        assert money.parse("1,234.50", "USD", "en_US") == 123450
    with languages.speaking("fr"), pytest.raises(MoneyError):
        money.parse("12,505", "EUR", "fr_FR")  # three places where euros have two


def test_parse_accepts_thousands_separators() -> None:
    assert money.parse("1,234.50", "USD") == 123450
    assert money.parse("5.120", "KWD") == 5120


@given(amounts, basis_points)
def test_percent_is_within_half_a_unit_of_exact(amount: int, bp: int) -> None:
    share = money.percent_of(amount, bp)
    exact = Decimal(amount) * bp / 10_000
    assert 0 <= share <= amount
    assert abs(Decimal(share) - exact) <= Decimal("0.5")


@given(amounts, amounts, basis_points)
def test_percent_never_decreases_as_the_amount_grows(a: int, b: int, bp: int) -> None:
    low, high = sorted((a, b))
    assert money.percent_of(low, bp) <= money.percent_of(high, bp)


def test_percent_rounds_half_up() -> None:
    assert money.percent_of(1, 5000) == 1  # 0.5 -> 1
    assert money.percent_of(21000, 825) == 1733  # 1732.5 -> 1733


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20).filter(any),
)
def test_allocate_adds_up_and_stays_fair(total: int, weights: list[int]) -> None:
    parts = money.allocate(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert part >= 0
        assert abs(Decimal(part) - Decimal(total) * weight / whole) < 1


def test_allocate_classic_three_way_split() -> None:
    assert money.allocate(100, [1, 1, 1]) == [34, 33, 33]


@given(amounts, currencies)
def test_chargeable_amounts_are_multiples_stripe_accepts(amount: int, currency: str) -> None:
    charged = money.chargeable(amount, currency)
    step = money.stripe_step(currency)
    assert charged % step == 0
    assert abs(charged - amount) <= step // 2


def test_formatting_uses_the_currency_and_locale() -> None:
    assert money.format_amount(1250, "USD") == "$12.50"
    assert money.format_amount(1250, "JPY", "ja_JP") == "￥1,250"
    assert money.format_amount(5120, "KWD", "en_US") == "KWD5.120"
    assert money.format_amount(123456, "EUR", "de_DE") == "1.234,56\xa0€"


def test_money_refuses_to_mix_currencies() -> None:
    assert Money(100, "USD") + Money(50, "USD") == Money(150, "USD")
    with pytest.raises(MoneyError, match="cannot combine USD with EUR"):
        Money(100, "USD") + Money(50, "EUR")


@pytest.mark.parametrize("code", ["US", "usdd", "XYZ", "12A"])
def test_unknown_currencies_are_refused(code: str) -> None:
    with pytest.raises(MoneyError):
        money.normalise_currency(code)


def test_money_module_never_uses_float() -> None:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(money))
    floats = [
        node
        for node in ast.walk(tree)
        if (isinstance(node, ast.Constant) and isinstance(node.value, float))
        or (isinstance(node, ast.Name) and node.id == "float")
    ]
    assert floats == []


@given(
    st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=8),
    st.data(),
)
def test_partial_payments_fill_oldest_first_and_add_up(
    capacities: list[int], data: st.DataObject
) -> None:
    amount = data.draw(st.integers(min_value=0, max_value=sum(capacities)))
    parts = money.fill(amount, capacities)
    assert sum(parts) == amount
    assert all(0 <= part <= cap for part, cap in zip(parts, capacities, strict=True))
    # Nothing goes to a later invoice while an earlier one is not full.
    first_short = next(
        (i for i, (p, c) in enumerate(zip(parts, capacities, strict=True)) if p < c), len(parts)
    )
    assert all(part == 0 for part in parts[first_short + 1 :])


@given(amounts, currencies, st.sampled_from([1800, 2000, 2500]))
def test_tips_make_a_chargeable_total_and_stay_near_the_percentage(
    amount: int, currency: str, bp: int
) -> None:
    from frontdesk.models import Business
    from frontdesk.services import payments

    business = Business(name="x", slug="x", currency=currency, tips_enabled=True)
    tip = payments.tip_for(business, amount, bp)
    step = money.stripe_step(currency)
    assert tip >= 0
    assert (amount + tip) % step == 0 or (amount % step != 0 and tip == 0)
    assert abs(Decimal(tip) - Decimal(amount) * bp / 10_000) <= step


def test_what_people_read_names_currencies_and_methods_as_written() -> None:
    with pytest.raises(Invalid) as caught:
        inputs.amount("12.345", "USD")
    assert caught.value.fields["amount"] == "USD amounts have at most 2 decimal places."
    assert rendering.method_name("us_bank_account") == "US bank account"
    assert rendering.method_name("card") == "Card"
