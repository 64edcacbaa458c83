"""Where the customer reading the portal is, and what language they read it in."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from starlette.requests import Request

from frontdesk import languages
from frontdesk.models import Business, Customer


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(request: Request, business: Business) -> str:
    """The zone the loader says the customer's browser is in (times are shown in it), or the
    business's when it says none we know."""
    said = request.headers.get("frontdesk-time-zone") or getattr(request.state, "time_zone", "")
    return said if said in _zones() else business.time_zone


def asked_language(request: Request) -> str:
    """The language the page asks for: the snippet's `lang` (a header on the loader's requests,
    the body of its first) or a hosted page's `?lang=`."""
    return (
        request.headers.get("frontdesk-language")
        or str(getattr(request.state, "language", None) or "")
        or request.query_params.get("lang", "")
    )


def speak(request: Request, business: Business | None, customer: Customer | None = None) -> str:
    """Choose the language this request answers in (languages.choose) and speak it; with no
    business (a portal that does not exist), the page's or the browser's."""
    chosen = languages.choose(
        saved=customer.language if customer else None,
        asked=asked_language(request),
        accept=request.headers.get("accept-language", ""),
        default=business.language if business else "",
    )
    languages.set_current(chosen)
    return chosen
