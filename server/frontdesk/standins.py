"""What the local stand-ins for outside services (the Stripe sandbox, the texts stand-in) share:
a thread that posts, in order, what they queued for our server (webhooks, status reports), each
tried again a few times with a growing wait as the real services do, and counted as delivered in
their saved state so a restarted stand-in does not send it again."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import Any, Protocol

import httpx

log = logging.getLogger("frontdesk.standins")


class Queued(Protocol):
    """A stand-in's saved state: what it queued is `delivered` items in, under `lock`."""

    lock: threading.RLock
    delivered: int

    def save(self) -> None: ...


class Deliveries(ABC):
    def __init__(self, state: Queued, *, attempts: int, first_wait: float, name: str) -> None:
        self.state, self.attempts, self.first_wait = state, attempts, first_wait
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @abstractmethod
    def queued(self) -> list[dict[str, Any]]:
        """Everything ever queued, in order (read under the state's lock)."""

    @abstractmethod
    def post(self, client: httpx.Client, item: dict[str, Any]) -> httpx.Response:
        """Send one item to our server."""

    @abstractmethod
    def describe(self, item: dict[str, Any]) -> str:
        """The item in a log line, when it is given up on."""

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                with self.state.lock:
                    pending = self.queued()[self.state.delivered :]
                for item in pending:
                    self._deliver(client, item)
                    with self.state.lock:
                        self.state.delivered += 1
                        self.state.save()
                self._stop.wait(0.05)

    def _deliver(self, client: httpx.Client, item: dict[str, Any]) -> None:
        for attempt in range(self.attempts):
            try:
                if self.post(client, item).status_code < 300:
                    return
            except httpx.HTTPError:
                pass
            if self._stop.wait(min(self.first_wait * 2**attempt, 2)):
                return
        log.warning("%s gave up on %s", self._thread.name, self.describe(item))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
