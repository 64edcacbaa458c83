"""Our money and date filters print exactly what Babel prints for the same locale by name."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time
from babel.numbers import format_currency

from frontdesk import money, rendering

LOCALES = ["en_US", "de_DE", "fr_CH", "ja_JP", "en_IN", "ar_EG", "nl_NL", "es_MX"]
CURRENCIES = ["USD", "EUR", "JPY", "BHD", "ISK", "INR", "CHF"]
AMOUNTS = [0, 1, 99, 1250, 123456, 99_999_999, -1250]


@pytest.mark.parametrize("locale", LOCALES)
def test_money_prints_as_babel_prints_it(locale: str) -> None:
    for currency in CURRENCIES:
        for amount in AMOUNTS:
            value = money.to_decimal(amount, currency)
            expected = format_currency(value, currency, locale=locale)
            assert rendering.format_money(amount, currency, locale) == expected, (amount, currency)
            # Asked twice, from the formatter already built for this locale and currency.
            assert money.format_amount(amount, currency.lower(), locale) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_days_and_moments_print_as_babel_prints_them(locale: str) -> None:
    day = date(2026, 11, 22)
    assert rendering.format_day(day, locale) == format_date(day, "medium", locale=locale)
    for zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        moment = datetime(2026, 3, 8, 7, 17, 42, tzinfo=UTC)
        local = moment.astimezone(ZoneInfo(zone))
        expected = (
            f"{format_date(local, 'medium', locale=locale)}, "
            f"{format_time(local, 'short', locale=locale)}"
        )
        assert rendering.format_moment(moment, zone, locale) == expected
