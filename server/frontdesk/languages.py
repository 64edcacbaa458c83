"""The languages customers read the portal, its emails and its PDFs in.

Words go through gettext catalogues (locales/<language>/LC_MESSAGES/messages.po, compiled to .mo
beside it by `scripts/catalogs`). The language of the work at hand (one portal request, one email,
one PDF) is held in a context variable, so a message written anywhere below, in a service's refusal
as in a template, comes out in the customer's language without being handed one. The dashboard
sets none and stays English; so do our logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.localedata import exists as babel_knows
from babel.support import NullTranslations, Translations

SHIPPED = Path(__file__).parent / "locales"

# English is the language the messages are written in: it needs no catalogue.
SOURCE = "en"

# The languages a business can choose as its customers' default, in the order offered.
OFFERED = {"en": "English", "es": "Español", "fr": "Français"}

# Scripts written right to left: a portal in one of these is laid out mirrored.
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur", "yi"})

_extra: list[Path] = []


def add_catalogues(directory: Path) -> None:
    """Catalogues beside the shipped ones (FRONTDESK_CATALOGUES), so a translator can try a
    language in a running portal before it ships. Read once per language per process."""
    if directory not in _extra:
        _extra.insert(0, directory)
        _catalogue.cache_clear()
        available.cache_clear()


@lru_cache(maxsize=1)
def available() -> tuple[str, ...]:
    """English and every language with a compiled catalogue."""
    found = {
        path.parent.parent.name
        for directory in (*_extra, SHIPPED)
        for path in directory.glob("*/LC_MESSAGES/messages.mo")
    }
    return (SOURCE, *sorted(found - {SOURCE}))


def name_of(language: str) -> str:
    """A language named in itself ("Español"), as a customer choosing one looks for it."""
    if language in OFFERED:
        return OFFERED[language]
    try:
        return Locale.parse(language).get_display_name(language) or language
    except (ValueError, UnknownLocaleError):
        return language


@lru_cache(maxsize=32)
def _catalogue(language: str) -> NullTranslations:
    if language == SOURCE:
        return NullTranslations()
    for directory in (*_extra, SHIPPED):
        if (directory / language / "LC_MESSAGES" / "messages.mo").exists():
            return Translations.load(str(directory), [language])
    return NullTranslations()


_current: ContextVar[str | None] = ContextVar("frontdesk_language", default=None)


def current() -> str:
    return _current.get() or SOURCE


def set_current(language: str) -> None:
    """The language for the rest of this request (its context is its own: see starlette's
    run_in_threadpool, which copies it)."""
    _current.set(language)


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Words, amounts and dates in `language` inside the block: an email or a PDF made for one
    customer outside any request of theirs. None: no customer's language at all, as the
    dashboard speaks (mail to the business's own people)."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


class InContext(str):
    """A message marked with NC_: its English as written, carrying the thing it describes."""

    __slots__ = ("context",)
    context: str


def gettext(message: str) -> str:
    if isinstance(message, InContext):
        return pgettext(message.context, message)
    return _catalogue(current()).gettext(message)


def pgettext(context: str, message: str) -> str:
    """A word translated as said of one kind of thing (`context`): "Paid" of an invoice is
    "Pagada" in Spanish, of a payment "Pagado"."""
    return str(_catalogue(current()).pgettext(context, message))


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalogue(current()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a message written where no language is known yet (a module's constant); it is
    translated where it is shown, with `gettext(message)`."""
    return message


def NC_(context: str, message: str) -> str:
    """N_ for a word whose translation depends on what it describes (`context`: "invoice",
    "payment"). The message keeps its context, so `gettext(message)` (and a template's
    `_(message)`) translate it in that context, and English readers see it unchanged."""
    marked = InContext(message)
    marked.context = context
    return marked


def direction(language: str) -> str:
    return "rtl" if language.split("-")[0] in RIGHT_TO_LEFT else "ltr"


def _primary(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-")[0].lower()


def supported(tag: str | None) -> str | None:
    """The language we have for a tag ("es-MX" → "es"), or None."""
    if not tag:
        return None
    primary = _primary(tag)
    return primary if primary in available() else None


def from_accept_language(header: str) -> str | None:
    """The first language in the browser's Accept-Language we have, by its q-values."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag))
    for _q, _position, tag in sorted(ranked):
        if found := supported(tag):
            return found
    return None


def of_customer(saved: str, default: str) -> str:
    """The language to write to a customer in (an email, a text, a PDF): the one they chose, else
    the one their portal is being read in right now (when they are the one acting), else their
    business's default."""
    return supported(saved) or _current.get() or supported(default) or SOURCE


def choose(*, saved: str | None, asked: str | None, accept: str, default: str) -> str:
    """The customer's language, in order: the one they saved in their profile, the one the page
    that embeds the portal asks for (the snippet's `lang`, a hosted page's `?lang=`), their
    browser's, and the business's default for its customers."""
    return (
        supported(saved)
        or supported(asked)
        or from_accept_language(accept)
        or supported(default)
        or SOURCE
    )


@lru_cache(maxsize=256)
def _formatting(language: str, locale: str) -> str:
    if language == _primary(locale):
        return locale
    territory = locale.replace("-", "_").partition("_")[2]
    combined = f"{language}_{territory}" if territory else language
    return combined if territory and babel_knows(combined) else language


def formatting_locale(locale: str) -> str:
    """The locale amounts and dates are written in: the business's (its currency's conventions,
    its territory) in the customer's language when one is being spoken — "1.234,56 €" and
    "1 dic 2026" for a Spanish reader. Outside the portal (the dashboard), the business's own."""
    language = _current.get()
    return locale if language is None else _formatting(language, locale)
