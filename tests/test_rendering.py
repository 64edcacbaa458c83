"""Our money and date filters print exactly what Babel prints for the same locale by name."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time
from babel.numbers import format_currency

from frontdesk import languages, money, rendering

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


def test_templates_say_things_in_the_language_spoken_and_escape_only_in_markup() -> None:
    said = (
        '{{ _("Due %(date)s", date=when) }} | '
        '{{ ngettext("%(num)d thing to do", "%(num)d things to do", 2) }}'
    )
    html = rendering.templates.env.from_string(
        f"{{% autoescape true %}}{said}{{% endautoescape %}}"
    )
    text = rendering.templates.env.from_string(
        f"{{% autoescape false %}}{said}{{% endautoescape %}}"
    )
    with languages.speaking("es"):
        assert html.render(when="<b>mañana</b>") == (
            "Vence el &lt;b&gt;mañana&lt;/b&gt; | 2 tareas pendientes"
        )
        assert text.render(when="<b>mañana</b>") == "Vence el <b>mañana</b> | 2 tareas pendientes"
    with languages.speaking("en"):
        assert html.render(when="Dec 7") == "Due Dec 7 | 2 things to do"
    # A placeholder the call does not fill is an error, not a half-translated screen.
    with pytest.raises(KeyError):
        rendering.templates.env.from_string('{{ _("Due %(date)s") }}').render()


def test_a_moment_is_written_in_the_language_spoken_whichever_came_first() -> None:
    # Formatted once per language: a Spanish reader's first sight of it is not an English one's.
    moment = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    with languages.speaking("es"):
        spanish = rendering.format_moment(moment, "UTC", "en_US")
    with languages.speaking("en"):
        english = rendering.format_moment(moment, "UTC", "en_US")
    assert english == "Dec 1, 2026, 3:30\u202fPM"  # a narrow no-break space, as CLDR writes it
    assert spanish.startswith("1 dic 2026") and spanish != english
