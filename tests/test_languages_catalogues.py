"""Every word a customer reads goes through the catalogues, and every catalogue we ship has every
message: a template with literal English, or a message no translator has seen, fails here and
names the file and line."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from jinja2 import nodes

import frontdesk
from frontdesk import languages
from frontdesk.rendering import templates

pytestmark = pytest.mark.one_backend

PACKAGE = Path(frontdesk.__file__).parent
TEMPLATES = PACKAGE / "templates"
MAPPING = PACKAGE.parent / "babel.cfg"

# What staff alone read (the dashboard stays English for now): a folder named dashboard, the API's
# reference, and the dashboard's views of messages, texts and to-dos kept beside the portal's.
STAFF_ONLY = {
    "fragments/messages/conversation.html",
    "fragments/messages/inbox.html",
    "fragments/messages/inbox_unread.html",
    "fragments/messages/staff_thread.html",
    "fragments/texts/customer.html",
    "fragments/texts/dashboard.html",
    "fragments/texts/rows.html",
    "fragments/todos/dashboard.html",
}

# Names that are the same in every language.
NAMES = {"Frontdesk", "PayPal", "Stripe", "Apple Pay", "Google Pay"}

# Attributes a person reads or hears (a tooltip, a screen reader's label, a confirmation, a
# table cell's label that the stylesheet shows on a phone).
READ_ATTRIBUTES = {
    "title",
    "alt",
    "placeholder",
    "aria-label",
    "hx-confirm",
    "hx-prompt",
    "data-label",
}

JINJA = re.compile(r"{#.*?#}|{%-?\s*trans\b.*?endtrans\s*-?%}|{{.*?}}|{%.*?%}", re.S)
LETTERS = re.compile(r"[^\W\d_]{2,}")


def customer_templates() -> Iterator[str]:
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if "dashboard" in path.relative_to(TEMPLATES).parts[:-1] or name.startswith("pages/api/"):
            continue
        if name not in STAFF_ONLY:
            yield name


def words(text: str) -> str:
    for name in NAMES:
        text = text.replace(name, "")
    return text.strip() if LETTERS.search(text) else ""


class LiteralText(HTMLParser):
    """Text and read attributes left in a template once its Jinja is taken out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.skipping += 1
        for name, value in attrs:
            shown = name in READ_ATTRIBUTES or (name == "value" and ("type", "submit") in attrs)
            if shown and value and words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.skipping = max(0, self.skipping - 1)

    def handle_data(self, data: str) -> None:
        if not self.skipping and words(data):
            leading = data[: len(data) - len(data.lstrip())]
            self.found.append((self.getpos()[0] + leading.count("\n"), words(data)))


def printed_literals(source: str) -> Iterator[tuple[int, str]]:
    """Strings a template prints straight from an expression, as text or in an attribute a
    person reads: {{ "You" if mine else name }}. (Not hx-trigger="{{ 'load, ' if ... }}".)"""
    for expression in re.finditer(r"{{.*?}}", source, re.S):
        before = source[: expression.start()]
        in_tag = before.rfind("<") > before.rfind(">")
        attribute = re.search(r"([\w:-]+)=\"[^\"]*$", before) if in_tag else None
        if in_tag and not (attribute and attribute.group(1) in READ_ATTRIBUTES):
            continue
        line = before.count("\n") + 1
        for output in templates.env.parse(expression.group()).find_all(nodes.Output):
            for node in output.nodes:
                for const in _printed(node):
                    if isinstance(const.value, str) and words(const.value):
                        yield line, repr(const.value)


def _printed(node: nodes.Node) -> Iterator[nodes.Const]:
    """The constants an expression's value can be (not its arguments: url_for('static'))."""
    if isinstance(node, nodes.Const):
        yield node
    elif isinstance(node, nodes.CondExpr):
        yield from _printed(node.expr1)
        if node.expr2 is not None:
            yield from _printed(node.expr2)
    elif isinstance(node, nodes.Filter) and node.node is not None:
        yield from _printed(node.node)


def untranslated(name: str) -> list[str]:
    source = (TEMPLATES / name).read_text()
    # Jinja taken out keeps its line breaks, so a finding's line is the template's.
    bare = JINJA.sub(lambda m: "\n" * m.group().count("\n") + "\x00", source)
    parser = LiteralText()
    parser.feed(bare.replace("\x00", " "))
    found = [f"{name}:{line}: {text}" for line, text in parser.found]
    found += [f"{name}:{line}: {text}" for line, text in printed_literals(source)]
    return found


def test_customer_facing_templates_have_no_untranslated_text() -> None:
    found = [finding for name in customer_templates() for finding in untranslated(name)]
    assert not found, "\n".join(found)


def test_the_finder_finds_text_attributes_and_printed_literals() -> None:
    """The check above would pass on an empty search: this is what it must catch."""
    (TEMPLATES / "_probe.html").write_text(
        '<p>{{ _("Fine") }}</p>\n<p title="Hover me">{{ "You" if x else y }}</p>\nPay now\n'
    )
    try:
        found = untranslated("_probe.html")
    finally:
        (TEMPLATES / "_probe.html").unlink()
    assert found == [
        '_probe.html:2: title="Hover me"',
        "_probe.html:3: Pay now",
        "_probe.html:2: 'You'",
    ]


# What scripts/catalogs extracts: babel's default keywords (pgettext among them) and our markers.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
    "NC_": ((1, "c"), 2),
}


def extracted() -> set[tuple[str | None, str]]:
    """Every message with its context (None for most: a word said of one kind of thing has one)."""
    with MAPPING.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        PACKAGE, method_map, options_map, keywords=KEYWORDS
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


@pytest.mark.parametrize("language", sorted(set(languages.OFFERED) - {languages.SOURCE}))
def test_every_message_is_translated_and_compiled(language: str) -> None:
    directory = languages.SHIPPED / language / "LC_MESSAGES"
    with (directory / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    missing = sorted(
        f"{message} ({context})" if context else message
        for context, message in extracted()
        if not (
            (entry := catalogue.get(message, context=context))
            and not entry.fuzzy
            and all(entry.string if isinstance(entry.string, tuple) else [entry.string])
        )
    )
    assert not missing, (
        f"{language}: {len(missing)} messages untranslated (./scripts/catalogs):\n"
        + "\n".join(missing)
    )
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    with (directory / "messages.mo").open("rb") as shipped:
        assert messages(read_mo(shipped)) == messages(read_mo(compiled)), (
            f"{directory / 'messages.mo'} is older than its .po: ./scripts/catalogs compile"
        )


def messages(catalogue: Catalog) -> dict[object, object]:
    def whole(text: object) -> object:  # a plural reads back from a .mo as a list
        return tuple(text) if isinstance(text, list | tuple) else text

    return {
        (entry.context, whole(entry.id)): whole(entry.string) for entry in catalogue if entry.id
    }
