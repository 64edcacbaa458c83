"""A DNS server on loopback (UDP) that answers from a table the test fills: real queries from
dnspython's resolver over a real socket, so the records a custom domain needs can be made, changed
and taken away as an owner would at their DNS provider."""

from __future__ import annotations

import contextlib
import socket
import threading

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class DnsServer:
    def __init__(self) -> None:
        # (name, "TXT" | "CNAME") -> values; a name absent from every key does not exist.
        self.records: dict[tuple[str, str], list[str]] = {}
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, name="test-dns", daemon=True)
        self._thread.start()

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        reply = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        kind = dns.rdatatype.to_text(question.rdtype)
        values = self.records.get((name, kind), [])
        if values:
            texts = [f'"{v}"' if kind == "TXT" else f"{v}." for v in values]
            reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", kind, *texts))
        elif not any(known == name for known, _ in self.records):
            reply.set_rcode(dns.rcode.NXDOMAIN)
        return reply.to_wire()

    def _serve(self) -> None:
        while True:
            try:
                wire, client = self.socket.recvfrom(4096)
                if not wire:
                    return  # shut down
                self.socket.sendto(self._answer(wire), client)
            except OSError:
                return  # closed

    def close(self) -> None:
        # Closing alone does not wake a thread blocked in recvfrom; shutting down does.
        with contextlib.suppress(OSError):  # closed already
            self.socket.shutdown(socket.SHUT_RDWR)
        self.socket.close()
        self._thread.join(timeout=5)
