"""The portal's tabs: each section's label and link, worked out once per language, address,
business and set of sections rather than again for every view (the nav comes with each one)."""

from __future__ import annotations

from typing import NamedTuple

from starlette.requests import Request

from frontdesk import languages
from frontdesk.languages import N_, gettext
from frontdesk.models import Business

LABELS = {
    "home": N_("Home"),
    "invoices": N_("Invoices"),
    "estimates": N_("Estimates"),
    "payments": N_("Payments"),
    "profile": N_("Profile"),
    "service_requests": N_("Requests"),
    "todos": N_("To-dos"),
    "messages": N_("Messages"),
    "documents": N_("Documents"),
    "subscriptions": N_("Plans"),
    "appointments": N_("Appointments"),
}
# Tabs drawn for (language, base address, business key, sections). The Host header is the
# visitor's to choose, so the table is emptied when full rather than grown without end.
KEPT = 1024


class Tab(NamedTuple):
    section: str
    label: str
    href: str


_drawn: dict[tuple[str, str, str, tuple[str, ...]], tuple[Tab, ...]] = {}


def tabs(request: Request, business: Business, sections: list[str]) -> tuple[Tab, ...]:
    """Home and each of the sections, in the language being spoken, linking to their views."""
    said = (languages.current(), str(request.base_url), business.publishable_key, tuple(sections))
    found = _drawn.get(said)
    if found is None:
        found = tuple(
            Tab(name, gettext(LABELS[name]), str(request.url_for(f"portal_{name}", key=said[2])))
            for name in ("home", *sections)
        )
        if len(_drawn) >= KEPT:
            _drawn.clear()
        _drawn[said] = found
    return found
