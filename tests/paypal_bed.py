"""The PayPal test bed: the stand-in on loopback with its state in a file, a payer who answers
its approval page over HTTP, and a webhook listener that keeps what it was sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.processors.paypal_standin import Store, create_app
from tests.conftest import LiveServer

CLIENT, SECRET, WEBHOOK_ID = "standin-client", "standin-secret", "1JE4291016473214C"


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]


@dataclass
class Listener:
    """Our side of PayPal's webhooks, reduced to keeping every delivery."""

    deliveries: list[Delivery] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            delivery = Delivery(await request.body(), dict(request.headers))
            with self.arrived:
                self.deliveries.append(delivery)
                self.arrived.notify_all()
            return Response(status_code=200)

        return Starlette(routes=[Route("/webhooks/paypal", receive, methods=["POST"])])

    def wait_for(self, event_type: str, timeout: float = 10) -> Delivery:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for delivery in self.deliveries:
                    if f'"event_type": "{event_type}"' in delivery.body.decode():
                        return delivery
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no {event_type} arrived"
                self.arrived.wait(remaining)


@dataclass
class Bed:
    server: LiveServer
    store: Store
    path: Path
    webhook_url: str

    @property
    def url(self) -> str:
        return self.server.url

    def app(self) -> Starlette:
        return create_app(
            client_id=CLIENT,
            secret=SECRET,
            base_url=self.url,
            webhook_url=self.webhook_url,
            webhook_id=WEBHOOK_ID,
            store=self.store,
        )

    def restart(self) -> None:
        """Stopped and started again on the same port, knowing only what its file kept."""
        self.server.stop()
        self.store = Store.open(self.path)
        self.server.start(self.app())

    def approve(self, order_id: str, choice: str = "approve", email: str = "") -> httpx.Response:
        """The payer's answer on the approval page."""
        form = {"token": order_id, "choice": choice, "email": email or "buyer@example.com"}
        return httpx.post(f"{self.url}/checkoutnow", data=form)

    def settle(self, capture_id: str, outcome: str) -> httpx.Response:
        url = f"{self.url}/standin/captures/{capture_id}/settle"
        return httpx.post(url, data={"outcome": outcome})


@contextmanager
def standin(tmp_path: Path, webhook_url: str = "") -> Iterator[Bed]:
    path = tmp_path / "paypal-standin.json"
    bed = Bed(LiveServer(), Store.open(path), path, webhook_url)
    bed.server.start(bed.app())
    try:
        yield bed
    finally:
        bed.server.stop()


@contextmanager
def listening() -> Iterator[Listener]:
    listener = Listener()
    server = LiveServer(listener.app()).start()
    listener.url = f"{server.url}/webhooks/paypal"
    try:
        yield listener
    finally:
        server.stop()
