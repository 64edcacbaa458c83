"""The Jinja2 environment shared by pages, fragments and emails, with our filters."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from starlette.templating import Jinja2Templates

from frontdesk import languages, money
from frontdesk.languages import N_, gettext
from frontdesk.urls import template_url_for

TEMPLATES_DIR = Path(__file__).parent / "templates"


def format_money(amount: int, currency: str, locale: str = "en_US") -> str:
    return money.format_amount(amount, currency, locale)


def format_day(value: date, locale: str = "en_US") -> str:
    return _day(value, languages.formatting_locale(locale))


# Due dates repeat on every request like amounts do (see money.format_amount).
@lru_cache(maxsize=4096)
def _day(value: date, locale: str) -> str:
    return format_date(value, format="medium", locale=money.babel_locale(locale))


def format_moment(value: datetime, time_zone: str = "UTC", locale: str = "en_US") -> str:
    """Date and time in a zone (the portal's reader's, the business's elsewhere), to the minute:
    "Nov 22, 2026, 8:17 AM"."""
    return _moment(value, time_zone, languages.formatting_locale(locale))


# The same moments (a visit's start, a payment's time) are shown on request after request, and
# Babel takes some 15 µs to format one.
@lru_cache(maxsize=4096)
def _moment(value: datetime, time_zone: str, locale: str) -> str:
    local = value.astimezone(ZoneInfo(time_zone))
    parsed = money.babel_locale(locale)
    day = format_date(local, "medium", locale=parsed)
    return f"{day}, {format_time(local, 'short', locale=parsed)}"


def format_clock(value: datetime, time_zone: str = "UTC", locale: str = "en_US") -> str:
    """The time of day in the business's zone: "9:30 AM" (a day's slots, under the day)."""
    local = value.astimezone(ZoneInfo(time_zone))
    return format_time(local, "short", locale=money.babel_locale(locale))


def format_weekday(value: date, locale: str = "en_US") -> str:
    """A day with its weekday, as a booking picks one: "Tue, Dec 8" ("mar. 8 déc.")."""
    return format_skeleton("MMMEd", value, locale=money.babel_locale(locale))


# How people name each way of paying (the stored names are Stripe's).
METHOD_NAMES = {
    "card": N_("Card"),
    "us_bank_account": N_("US bank account"),
    "cash": N_("Cash"),
    "cheque": N_("Cheque"),
    "paypal": "PayPal",
}


def method_name(method: str) -> str:
    return gettext(METHOD_NAMES.get(method, method.replace("_", " ").capitalize()))


def url_part(value: str) -> str:
    """Text a business chose (INV/2026/001) as one part of a link: a path segment, a query
    value or the item of a deep link (#invoice/INV%2F2026%2F001)."""
    return quote(value, safe="")


templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        # Templates ship with the package: checking their files' times on every render is waste.
        auto_reload=False,
        # A missing variable is a bug in the handler, not an empty string on a customer's screen.
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
)
# New-style gettext: `_("Pay %(amount)s", amount=...)` escapes what it is given, and a missing
# placeholder is an error, not a silently English screen. `pgettext("invoice", "Paid")` is a word
# whose translation depends on the thing it describes (languages.pgettext).
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    languages.gettext, languages.ngettext, newstyle=True, pgettext=languages.pgettext
)


@pass_eval_context
def _gettext(context: EvalContext, message: str, /, **variables: Any) -> str:
    said = languages.gettext(message)
    return (Markup(said) if context.autoescape else said) % variables


@pass_eval_context
def _ngettext(
    context: EvalContext, singular: str, plural: str, count: int, /, **variables: Any
) -> str:
    said = languages.ngettext(singular, plural, count)
    return (Markup(said) if context.autoescape else said) % {"num": count, **variables}


# The same new-style gettext, called straight: Jinja's own `_` looks `gettext` up and calls it
# through the template's context, which calls ours through it again, and a home fragment says
# some twenty things.
templates.env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
templates.env.filters.update(
    money=format_money,
    day=format_day,
    moment=format_moment,
    clock=format_clock,
    weekday=format_weekday,
    part=url_part,
    method=method_name,
)
templates.env.globals.update(
    url_for=template_url_for,
    # Marks a label handed to a macro that translates it where it is shown.
    N_=N_,
    language_name=languages.name_of,
    # `lang` and `dir` for a fragment's outermost element: the language being spoken.
    language=languages.current,
    direction=lambda: languages.direction(languages.current()),
)
