"""Entity tags for the portal's read views (frame.view): a view the customer already holds is
answered 304, without drawing it, while nothing it was drawn from has moved: the customer's and
the business's data versions (services/versions.py), the language, the date, the reader's zone,
what the session may do, the minute and the deployment."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from frontdesk import languages
from frontdesk.models import Business, Customer
from frontdesk.routes.portal import viewer
from frontdesk.services import businesses
from frontdesk.services.links import Limits

Build = Callable[[Session, Business, Customer], dict[str, Any]]


class Live:
    """A view's build that asks the processor (or tells the host page) each time it is shown:
    such a view is rendered every time, never answered 304."""

    def __init__(self, build: Build) -> None:
        self.build = build

    def __call__(self, session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        return self.build(session, business, customer)


# What a view shows from the clock (five-minute download links, slots still free, whether a
# visit can still be moved) is never older than this when an entity tag lets the widget keep it.
TAG_SECONDS = 60
# The request headers a view's answer depends on besides its URL (Origin: the CORS middleware).
VARY = "Authorization, Frontdesk-Language, Frontdesk-Time-Zone, Accept-Language"


@cache
def _deployment() -> str:
    """This deployment's code, templates and catalogues (the same in every worker): a new
    release draws views anew."""
    root, digest = Path(__file__).resolve().parents[2], hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".html", ".mo"}:
            found = path.stat()
            digest.update(f"{path.relative_to(root)}:{found.st_size}:{found.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def entity_tag(
    request: Request,
    business: Business,
    customer: Customer,
    build: Build,
    held: Limits,
) -> str:
    """The view as drawn for this session: its URL, the customer's and the business's data
    versions, the language, the business's date, the reader's zone, what the session may do,
    the minute and the deployment. Any of them changing draws it again. A `Live` view has none
    ("")."""
    if isinstance(build, Live):
        return ""
    now = request.app.state.clock()
    state = "\n".join(
        (
            _deployment(),
            request.url.path,
            request.url.query,
            customer.id,
            f"{customer.data_version}:{business.data_version}",
            languages.current(),
            businesses.today(business, now).isoformat(),
            viewer.zone(request, business),
            f"{held.read_only:d}{held.pay_only:d}",
            str(int(now.timestamp()) // TAG_SECONDS),
        )
    )
    return '"' + hashlib.sha256(state.encode()).hexdigest()[:32] + '"'


def kept(request: Request, tag: str) -> bool:
    """Does the request bring this tag (If-None-Match)?"""
    if not tag:
        return False
    said = request.headers.get("if-none-match", "")
    return tag in (one.strip().removeprefix("W/") for one in said.split(","))


def revalidated(tag: str) -> dict[str, str]:
    """A tagged answer's headers (none for a `Live` view's)."""
    if not tag:
        return {}
    # no-cache: the browser keeps the fragment but asks every time (If-None-Match on its own).
    return {"ETag": tag, "Cache-Control": "no-cache, private", "Vary": VARY}
