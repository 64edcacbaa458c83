"""Outbound webhooks: a receiver on loopback gets each event once, signed as documented."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import (
    DeliveryStatus,
    OutboxItem,
    OutboxStatus,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from frontdesk.services import businesses, events, outbox, webhooks
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.errors import Invalid
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business


class Receiver:
    """A business's webhook receiver that fails the first `failures` deliveries of each event."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: dict[str, int] = {}
        self.accepted: list[tuple[str, bytes]] = []
        self.server = LiveServer(Starlette(routes=[Route("/hooks", self.hook, methods=["POST"])]))

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        event_id = json.loads(body)["id"]
        self.calls[event_id] = self.calls.get(event_id, 0) + 1
        if self.calls[event_id] <= self.failures:
            return Response("not now", status_code=503)
        self.accepted.append((request.headers["Frontdesk-Signature"], body))
        return Response("ok")

    @property
    def url(self) -> str:
        return f"{self.server.url}/hooks"


@contextmanager
def started(receiver: Receiver) -> Iterator[Receiver]:
    receiver.server.start()
    try:
        yield receiver
    finally:
        receiver.server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with started(Receiver(failures=2)) as running:
        yield running


def documented_check(secret: str, header: str, body: bytes) -> bool:
    """The algorithm as the reference page states it, written independently of our code."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def endpoint_for(
    db: Database, settings: Settings, made: NewBusiness, url: str, kinds: list[str]
) -> str:
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        _, secret = webhooks.create_endpoint(
            session,
            business=business,
            secret_keys=settings.secret_key,
            url=url,
            events=kinds,
            allow_private=True,  # the receiver is on loopback
        )
    return secret


def emit(db: Database, made: NewBusiness, kind: str, data: dict[str, object]) -> None:
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        events.emit(session, business=business, type=kind, data=data)


def drain(runner: OutboxRunner, rounds: int = 8) -> None:
    """Run the outbox as time passes: each round is far enough ahead for every retry."""
    for round_ in range(rounds):
        runner.run_once(now=utcnow() + timedelta(hours=6 * round_))


def test_each_event_arrives_once_after_two_failures(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    made = make_business(db)
    secret = endpoint_for(db, settings, made, receiver.url, ["invoice.paid", "payment.refunded"])
    emit(db, made, "invoice.paid", {"invoice": "inv_1"})
    emit(db, made, "payment.refunded", {"payment": "pay_1"})
    emit(db, made, "customer.updated", {"customer": "cus_1"})  # not subscribed
    drain(OutboxRunner(db, settings))
    assert sorted(receiver.calls.values()) == [3, 3]
    assert len(receiver.accepted) == 2
    kinds = sorted(json.loads(body)["type"] for _, body in receiver.accepted)
    assert kinds == ["invoice.paid", "payment.refunded"]
    for header, body in receiver.accepted:
        assert documented_check(secret, header, body)
        assert not documented_check("whsec_wrong", header, body)
    with db.session(made.business.id) as session:
        deliveries = session.exec(select(WebhookDelivery)).all()
        items = session.exec(select(OutboxItem)).all()
    assert [(d.status, d.attempts) for d in deliveries] == [(DeliveryStatus.SUCCEEDED, 3)] * 2
    assert {item.status for item in items} == {OutboxStatus.DONE}


def test_a_dead_receiver_is_retried_for_three_days_then_redelivered_by_hand(
    db: Database, settings: Settings
) -> None:
    made = make_business(db)
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        webhooks.create_endpoint(
            session,
            business=business,
            secret_keys=settings.secret_key,
            url="http://127.0.0.1:9/nothing-listens",
            events=[],
            allow_private=True,
        )
    emit(db, made, "estimate.accepted", {"estimate": "est_1"})
    runner = OutboxRunner(db, settings)
    drain(runner, rounds=40)
    with db.session(made.business.id) as session:
        [delivery] = session.exec(select(WebhookDelivery)).all()
        [item] = session.exec(select(OutboxItem).where(OutboxItem.kind == "webhook")).all()
    assert delivery.status == DeliveryStatus.FAILED
    assert item.status == OutboxStatus.DEAD
    span = sum((outbox.backoff(n) for n in range(1, item.max_attempts)), timedelta(0))
    assert timedelta(days=2, hours=18) <= span <= timedelta(days=3)
    assert delivery.attempts == item.max_attempts
    assert "ConnectError" in delivery.last_error

    with started(Receiver()) as ok:
        with db.session(made.business.id) as session:
            endpoint = session.exec(select(WebhookEndpoint)).one()
            endpoint.url = ok.url
            business = businesses.get(session, made.business.id)
            webhooks.redeliver(session, business=business, delivery_id=delivery.id)
        drain(runner, rounds=2)
        assert len(ok.accepted) == 1
    with db.session(made.business.id) as session:
        assert session.get(WebhookDelivery, delivery.id).status == DeliveryStatus.SUCCEEDED  # type: ignore[union-attr]


def test_production_refuses_endpoints_on_private_networks(
    db: Database, settings: Settings, receiver: Receiver
) -> None:
    made = make_business(db)
    production = settings.model_copy(update={"environment": "production"})
    assert not production.webhooks_may_reach_private_hosts
    assert settings.webhooks_may_reach_private_hosts  # tests post to loopback
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        for url in (
            "http://127.0.0.1/x",
            "http://10.0.0.8/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest",
            "http://localhost:8000/x",
        ):
            with pytest.raises(Invalid):
                webhooks.create_endpoint(
                    session, business=business, secret_keys=settings.secret_key, url=url, events=[]
                )
        webhooks.create_endpoint(
            session,
            business=business,
            secret_keys=settings.secret_key,
            url="https://hooks.example.com/frontdesk",
            events=[],
        )
    # A public-looking name that resolves inside is caught when sending, not only when saved.
    request = webhooks.Request(receiver.url.replace("127.0.0.1", "localhost"), "{}", "whsec_x")
    status, error = webhooks.post(request)
    assert status is None and "private address" in error
    assert receiver.calls == {}
