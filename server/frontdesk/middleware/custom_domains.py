"""A business's own address (account.theirbusiness.com) shows that business's hosted portal and
what it loads, and nothing else: its page at `/`, the loader, our static files, its own portal
fragments and the secure pay page. The API, the dashboard and every other business stay on our
own address. A name that was added but is not verified (or no longer is) serves nothing; a host
that is nobody's address is ours, as before."""

from __future__ import annotations

import ipaddress

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from frontdesk.services import domains

# What the hosted page loads, besides its own business's fragments.
LOADED = ("/widget/", "/static/", "/pay/")
NOTHING_HERE = PlainTextResponse("This address does not show an account portal.", status_code=404)


def _host(scope: Scope) -> str:
    host = Headers(scope=scope).get("host", "").lower()
    if host.startswith("["):  # an IPv6 literal: never anyone's address
        return ""
    return host.rsplit(":", 1)[0].rstrip(".")


def _named(host: str) -> bool:
    """A DNS name, which a business's address always is (not an address, not localhost)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." in host
    return False


class CustomDomainMiddleware:
    def __init__(self, app: ASGIApp, *, platform_host: str) -> None:
        self.app, self.platform_host = app, platform_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = _host(scope) if scope["type"] == "http" else ""
        if not host or host == self.platform_host or not _named(host):
            await self.app(scope, receive, send)
            return
        business, known = await run_in_threadpool(domains.for_host, scope["app"].state.db, host)
        if business is None:
            if known:
                await NOTHING_HERE(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/":
            hosted = f"/p/{business.slug}"
            scope = {**scope, "path": hosted, "raw_path": hosted.encode()}
        elif not (
            path.startswith(f"/portal/{business.publishable_key}/") or path.startswith(LOADED)
        ):
            await NOTHING_HERE(scope, receive, send)
            return
        await self.app(scope, receive, send)
