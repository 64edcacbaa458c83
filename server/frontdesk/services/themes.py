"""Theme packs, per-business overrides, sanitised custom CSS, and the stylesheet the portal adopts.

A theme pack's theme.css sets plain custom properties (`--accent: #2456d6`) on `:host`. The portal
stylesheet turns each into `--fd-accent: var(--frontdesk-accent, <value>)`, so a designer's
`--frontdesk-accent` on the host page wins, then the business's dashboard override, then the pack.
"""

from __future__ import annotations

import base64
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tinycss2
from sqlmodel import Session
from tinycss2.ast import (
    AtRule,
    Declaration,
    FunctionBlock,
    Node,
    ParseError,
    QualifiedRule,
    URLToken,
)

from frontdesk.models import Business
from frontdesk.services import audit
from frontdesk.services.errors import Invalid

MAX_LOGO_BYTES = 200_000
LOGO_TYPES = {"image/png", "image/jpeg", "image/webp"}

THEMES_DIR = Path(__file__).resolve().parents[3] / "themes"
PORTAL_CSS = Path(__file__).resolve().parents[1] / "static" / "portal.css"
VARIABLES = (
    "bg surface text muted border accent accent-text danger success warning "
    "font radius space shadow focus"
).split()
# The settings the dashboard's editor offers by name; a pack sets the rest.
EDITABLE = ("accent", "accent-text", "bg", "surface", "text", "font", "radius")
MAX_CUSTOM_CSS = 20_000
_ALLOWED_AT_RULES = {"media", "supports", "keyframes"}
# Functions that fetch or run something; url() is checked on its own.
_FORBIDDEN_FUNCTIONS = {"expression", "image-set", "-webkit-image-set", "src", "element", "paint"}
_FORBIDDEN_PROPERTIES = {"behavior", "-moz-binding"}


@dataclass(frozen=True)
class Theme:
    slug: str
    name: str
    author: str
    description: str
    values: dict[str, str]


def values_in(css: str, where: str) -> dict[str, str]:
    """The values a pack's theme.css sets; ValueError saying what is wrong with it, and where."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    if len(rules) != 1 or not isinstance(rules[0], QualifiedRule):
        raise ValueError(f"{where}: expected exactly one `:host {{ ... }}` rule")
    if tinycss2.serialize(rules[0].prelude).strip() != ":host":
        raise ValueError(f"{where}: the rule must be `:host`")
    values = {}
    for item in tinycss2.parse_blocks_contents(
        rules[0].content, skip_whitespace=True, skip_comments=True
    ):
        if not isinstance(item, Declaration) or not item.name.startswith("--"):
            raise ValueError(f"{where}: only custom properties (--name: value) belong in a theme")
        values[item.name[2:]] = tinycss2.serialize(item.value).strip()
    unknown = sorted(set(values) - set(VARIABLES))
    missing = [name for name in VARIABLES if name not in values]
    problems = [
        f"{how} {', '.join('--' + name for name in names)}"
        for how, names in (("not theme values:", unknown), ("missing", missing))
        if names
    ]
    if problems:
        raise ValueError(f"{where}: {'; '.join(problems)}")
    return values


@cache
def packs() -> dict[str, Theme]:
    """Every theme folder under themes/, by slug; read once per process."""
    found = {}
    for folder in sorted(p for p in THEMES_DIR.iterdir() if (p / "theme.css").exists()):
        meta = tomllib.loads((folder / "theme.toml").read_text())
        values = values_in((folder / "theme.css").read_text(), f"themes/{folder.name}")
        found[folder.name] = Theme(
            folder.name, meta["name"], meta.get("author", ""), meta.get("description", ""), values
        )
    return found


def _check_value(name: str, value: str) -> str:
    tokens = tinycss2.parse_component_value_list(value)
    if any(_unsafe(token, allowed_host=None) for token in tokens) or any(c in value for c in ";{}"):
        raise Invalid("bad theme value", {name: "Use a plain colour, length or font list."})
    return value.strip()


def from_file(path: Path) -> dict[str, str]:
    """A designer's theme.css, checked as a pack's is and its values as the editor's are;
    ValueError saying what to fix."""
    try:
        css = path.read_text()
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    try:
        return validate_overrides(values_in(css, str(path)))
    except Invalid as invalid:
        problems = "; ".join(f"--{name}: {problem}" for name, problem in invalid.fields.items())
        raise ValueError(f"{path}: {problems}") from None


def validate_overrides(overrides: dict[str, str]) -> dict[str, str]:
    unknown = set(overrides) - set(VARIABLES)
    if unknown:
        raise Invalid("unknown theme setting", {k: "Not a theme setting." for k in unknown})
    return {name: _check_value(name, value) for name, value in overrides.items() if value.strip()}


def _unsafe(node: Node, allowed_host: str | None) -> str | None:
    """Why this token may not appear in custom CSS, or None when it is fine."""
    if isinstance(node, URLToken):
        return _check_url(node.value, allowed_host)
    if isinstance(node, FunctionBlock):
        name = node.lower_name
        if name in _FORBIDDEN_FUNCTIONS:
            return f"{name}() is not allowed"
        if name == "url":
            strings = [t.value for t in node.arguments if getattr(t, "type", "") == "string"]
            return _check_url(strings[0] if strings else "", allowed_host)
        return _first_problem(node.arguments, allowed_host)
    if isinstance(node, ParseError):
        return f"the CSS does not parse ({node.message})"
    content = getattr(node, "content", None)
    if isinstance(content, list):
        return _first_problem(content, allowed_host)
    return None


def _first_problem(nodes: Iterable[Node], allowed_host: str | None) -> str | None:
    for node in nodes:
        problem = _unsafe(node, allowed_host)
        if problem:
            return problem
    return None


def _check_url(url: str, allowed_host: str | None) -> str | None:
    if url.startswith("data:image/") and not url.startswith("data:image/svg"):
        return None
    parts = urlsplit(url)
    if allowed_host and parts.scheme == "https" and parts.netloc == allowed_host:
        return None
    return "url() may only point at data: images or the portal's own host"


def sanitise_custom_css(css: str, *, portal_host: str) -> str:
    """The custom CSS, normalised, or Invalid saying what is not allowed and why."""
    if len(css) > MAX_CUSTOM_CSS:
        raise Invalid(
            "too long", {"custom_css": f"Keep custom CSS under {MAX_CUSTOM_CSS} characters."}
        )
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    problem = _check_rules(rules, portal_host)
    if problem:
        raise Invalid("custom CSS refused", {"custom_css": problem})
    return str(tinycss2.serialize(rules)).strip()


def _check_rules(rules: list[Node], portal_host: str) -> str | None:
    for rule in rules:
        if isinstance(rule, ParseError):
            return f"the CSS does not parse ({rule.message})"
        if isinstance(rule, AtRule):
            if rule.lower_at_keyword not in _ALLOWED_AT_RULES:
                return f"@{rule.lower_at_keyword} is not allowed"
            inner = tinycss2.parse_rule_list(
                rule.content or [], skip_whitespace=True, skip_comments=True
            )
            problem = _check_rules(inner, portal_host) or _first_problem(rule.prelude, portal_host)
            if problem:
                return problem
            continue
        if isinstance(rule, QualifiedRule):
            selector = tinycss2.serialize(rule.prelude).lower()
            if ":host" in selector or "::slotted" in selector:
                return "custom CSS styles the portal's insides; :host and ::slotted are not allowed"
            for item in tinycss2.parse_blocks_contents(
                rule.content, skip_whitespace=True, skip_comments=True
            ):
                if isinstance(item, ParseError):
                    return f"the CSS does not parse ({item.message})"
                if isinstance(item, Declaration):
                    if item.lower_name in _FORBIDDEN_PROPERTIES:
                        return f"{item.lower_name} is not allowed"
                    problem = _first_problem(item.value, portal_host)
                    if problem:
                        return problem
                elif isinstance(item, (QualifiedRule, AtRule)):
                    return "nested rules are not allowed in custom CSS"
    return None


def draft(business: Business, params: Mapping[str, Any], *, portal_host: str) -> Business:
    """The theme a form or a preview address asks for (pack, editable values, custom CSS), checked
    as publishing checks it, on a detached copy of `business`: changing the session's own row
    would publish it. An address without any of them edits nothing: the published theme."""
    if not any(name in params for name in ("theme", *EDITABLE, "custom_css")):
        return Business(**business.model_dump())
    pack = str(params.get("theme", "default"))
    if pack not in packs():
        raise Invalid("Choose a theme.", {"theme": "Choose one of the themes listed."})
    overrides = validate_overrides({name: str(params.get(name, "")) for name in EDITABLE})
    shown = Business(**business.model_dump())
    shown.theme, shown.theme_overrides = pack, overrides
    css = str(params.get("custom_css", ""))
    shown.custom_css = sanitise_custom_css(css, portal_host=portal_host)
    return shown


_HEX = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})")


def picker_colour(value: str) -> str:
    """`value` as a colour picker takes it (#rrggbb), or "" when it is not a hex colour."""
    value = value.strip().lower()
    if not _HEX.fullmatch(value):
        return ""
    return value if len(value) == 7 else "#" + "".join(c * 2 for c in value[1:])


def values_for(business: Business) -> dict[str, str]:
    theme = packs().get(business.theme) or packs()["default"]
    return {**theme.values, **business.theme_overrides}


def stylesheet(business: Business) -> str:
    """Everything the portal adopts: its own CSS, the theme's values, the business's CSS."""
    properties = ";".join(
        f"--fd-{name}:var(--frontdesk-{name},{value})"
        for name, value in values_for(business).items()
    )
    return f"{_portal_css()}\n:host{{{properties}}}\n{business.custom_css}\n"


@cache
def _portal_css() -> str:
    return PORTAL_CSS.read_text()


@dataclass(frozen=True)
class Logo:
    """An uploaded logo: its declared type and its bytes."""

    content_type: str
    data: bytes


def publish(
    session: Session, business: Business, shown: Business, logo: Logo | None, actor: audit.Actor
) -> None:
    """The theme `shown` (pack, overrides, checked CSS) and the logo become the live portal's,
    on its next load. The logo is kept inline, so the portal needs no file storage."""
    if logo is not None:
        if logo.content_type not in LOGO_TYPES:
            raise Invalid("The logo needs fixing.", {"logo": "Use a PNG, JPEG or WebP image."})
        if len(logo.data) > MAX_LOGO_BYTES:
            raise Invalid("The logo needs fixing.", {"logo": "Use an image under 200 KB."})
        encoded = base64.b64encode(logo.data).decode()
        business.logo_url = f"data:{logo.content_type};base64,{encoded}"
    business.theme, business.theme_overrides = shown.theme, shown.theme_overrides
    business.custom_css = shown.custom_css
    actor.record(
        session, business.id, "settings.theme_published", "business", business.id, theme=shown.theme
    )
