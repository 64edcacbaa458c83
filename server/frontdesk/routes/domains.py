"""The `ask` endpoint of Caddy's on-demand TLS: may a certificate be obtained for this host? Yes
only for a business's verified address. Caddy calls it on loopback (or a private network);
anyone else is told nothing, so the list of addresses cannot be probed from outside."""

from __future__ import annotations

import ipaddress

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from frontdesk.services import domains


def _inside(request: Request) -> bool:
    try:
        client = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    return client.is_loopback or client.is_private


async def domains_allow(request: Request) -> Response:
    if not _inside(request):
        return PlainTextResponse("Not found", status_code=404)
    host = request.query_params.get("domain", "").strip().lower().rstrip(".")
    business, _ = await run_in_threadpool(domains.for_host, request.app.state.db, host)
    if business is None:
        return PlainTextResponse("no", status_code=404)
    return PlainTextResponse("yes")


routes = [Route("/internal/domains/allow", domains_allow, name="domains_allow")]
