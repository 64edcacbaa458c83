"""Who the client is, behind proxies we trust: `X-Forwarded-For` (or `Forwarded: for=`) is read
only when the connection comes from one of `FRONTDESK_TRUSTED_PROXIES`, walking the chain from
the nearest hop and skipping trusted proxies, so a client cannot name itself. From anyone else
the headers are ignored. Limits and audit records then count real clients, not the balancer."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FOR = re.compile(r'for="?\[?([^\]";,]+)', re.IGNORECASE)


def networks(trusted: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted if entry)


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


class ForwardedMiddleware:
    def __init__(self, app: ASGIApp, trusted: Iterable[str]) -> None:
        self.app = app
        self.trusted = networks(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and _trusted(client[0], self.trusted):
            chain: list[str] = []
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    chain += [hop.strip() for hop in value.decode("latin-1").split(",")]
                elif name == b"forwarded":
                    chain += _FOR.findall(value.decode("latin-1"))
            for hop in reversed(chain):
                if hop and not _trusted(hop, self.trusted):
                    scope = {**scope, "client": (hop, 0)}
                    break
        await self.app(scope, receive, send)
