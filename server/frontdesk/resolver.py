"""Asking DNS what a name's records say, for custom domains: the two lookups they need, behind a
small interface so a deployment (and the tests) can name the servers to ask."""

from __future__ import annotations

from typing import Protocol

import dns.exception
import dns.resolver


class DnsUnavailable(Exception):
    """No DNS server answered: nothing can be concluded about the records."""


class Resolver(Protocol):
    def txt(self, name: str) -> list[str]:
        """The TXT values at `name` (none when it has none, or does not exist)."""
        ...

    def cname(self, name: str) -> str | None:
        """Where `name` points, lower case without the final dot (None for no CNAME)."""
        ...


class DnsResolver:
    """dnspython's resolver: the system's servers, or `servers` ("127.0.0.1:5353", "9.9.9.9")."""

    def __init__(self, servers: tuple[str, ...] = (), timeout: float = 3.0) -> None:
        self._resolver = dns.resolver.Resolver(configure=not servers)
        if servers:
            hosts = [
                server.rpartition(":") if ":" in server else ("", "", server) for server in servers
            ]
            self._resolver.nameservers = [host or port for host, _, port in hosts]
            self._resolver.nameserver_ports = {host: int(port) for host, _, port in hosts if host}
        # Short: an owner waits on "check now", and the daily re-check visits every domain.
        self._resolver.lifetime = timeout
        # Asked again on every check: a record the owner just fixed must show at once.
        self._resolver.cache = None

    def _answer(self, name: str, kind: str) -> dns.resolver.Answer | None:
        try:
            return self._resolver.resolve(name, kind, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as away:
            raise DnsUnavailable(str(away)) from None

    def txt(self, name: str) -> list[str]:
        found = self._answer(name, "TXT")
        if found is None:
            return []
        return [b"".join(record.strings).decode(errors="replace") for record in found]

    def cname(self, name: str) -> str | None:
        found = self._answer(name, "CNAME")
        if found is None:
            return None
        return str(found[0].target).rstrip(".").lower()
