"""Outbound webhooks: the business's endpoints, signed deliveries of its events, and their log.

An event is queued in the outbox with the change that caused it (events.emit). Fanning it out makes
one delivery per subscribed endpoint, each with its own outbox item, so one slow or broken receiver
never holds up another, and each retries on its own for three days.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlmodel import Session, col, select

from frontdesk import sealing
from frontdesk.models import (
    Business,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    new_id,
    utcnow,
)
from frontdesk.services import audit, outbox
from frontdesk.services.errors import Invalid, NotFound

EVENT_TYPES = (
    "invoice.paid",
    "invoice.reopened",
    "invoice.payment_failed",
    "invoice.late_fee_added",
    "payment.succeeded",
    "payment.refunded",
    "estimate.accepted",
    "estimate.rejected",
    "customer.updated",
    "payment_method.saved",
    "service_request.created",
    "service_request.updated",
    "message.created",
    "todo.created",
    "todo.completed",
    "document.shared",
    "document.signed",
    "subscription.created",
    "subscription.updated",
    "subscription.paused",
    "subscription.canceled",
    "invoice.upcoming",
    "autopay.enrolled",
    "autopay.revoked",
    "autopay.failed",
    "appointment.booked",
    "appointment.rescheduled",
    "appointment.canceled",
)
SIGNATURE_HEADER = "Frontdesk-Signature"
RETRY_FOR = timedelta(days=3)
TIMEOUT_SECONDS = 10.0
# One client for every delivery: making one loads the CA bundle (about 50 ms of CPU), which a
# busy outbox would pay per event. httpx clients are safe to share between threads; its cookie
# jar takes no cookies, so nothing one endpoint sets is sent with another business's events.
_HTTP = httpx.Client(
    timeout=TIMEOUT_SECONDS,
    follow_redirects=False,
    cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
)
SECRET_PREFIX = "whsec_"


def event(business: Business, type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The event as receivers see it; its id lets them ignore a repeat delivery."""
    return {
        "id": new_id("evt"),
        "object": "event",
        "type": type,
        "created": utcnow().isoformat(timespec="seconds"),
        "business": business.id,
        "data": data,
    }


def sign(secret: str, body: str, timestamp: int) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, the value of the Frontdesk-Signature header."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: str, header: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (embed-snippets/webhooks/ has the same in Python, Node and PHP)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def private_address(host: str) -> bool:
    """Loopback, private, link-local or otherwise not on the public internet."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith(".localhost")
    return not address.is_global


def resolves_privately(host: str) -> bool:
    """Whether any address the name resolves to is private (checked again at each delivery, so a
    name that later points inside is refused too)."""
    if private_address(host):
        return True
    try:
        found = socket.getaddrinfo(host, None)
    except OSError:
        return False  # the delivery itself reports that the name does not resolve
    return any(private_address(str(entry[4][0])) for entry in found)


def _check(url: str, events: list[str], allow_private: bool) -> dict[str, str]:
    errors = {}
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        errors["url"] = "Enter the full address of your endpoint, like https://example.com/hooks."
    elif not allow_private and private_address(parts.hostname):
        errors["url"] = "Use a public address: we do not post to private networks."
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        errors["events"] = f"Unknown event types: {', '.join(unknown)}."
    return errors


def create_endpoint(
    session: Session,
    *,
    business: Business,
    secret_keys: tuple[str, ...],
    url: str,
    events: list[str],
    description: str = "",
    allow_private: bool = False,
    actor: audit.Actor | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, which is shown to the business only now."""
    errors = _check(url, events, allow_private)
    if errors:
        raise Invalid("The endpoint needs fixing.", errors)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        business_id=business.id,
        url=url,
        events=sorted(set(events)),
        description=description,
        sealed_secret=sealing.seal(secret_keys, secret),
    )
    session.add(endpoint)
    session.flush()
    if actor:
        actor.record(
            session,
            business.id,
            "webhook_endpoint.created",
            "webhook_endpoint",
            endpoint.id,
            url=url,
        )
    return endpoint, secret


def endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(
        session.exec(
            select(WebhookEndpoint)
            .where(col(WebhookEndpoint.deleted_at).is_(None))
            .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
        ).all()
    )


def get_endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None:
        raise NotFound("no such webhook endpoint")
    return endpoint


def delete_endpoint(
    session: Session, endpoint_id: str, actor: audit.Actor | None = None
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, endpoint_id)
    # Kept (soft-deleted) so its delivery log stays readable.
    endpoint.deleted_at = utcnow()
    endpoint.enabled = False
    if actor:
        actor.record(
            session,
            endpoint.business_id,
            "webhook_endpoint.deleted",
            "webhook_endpoint",
            endpoint.id,
        )
    return endpoint


def secret_of(endpoint: WebhookEndpoint, secret_keys: tuple[str, ...]) -> str:
    return sealing.unseal(secret_keys, endpoint.sealed_secret)


def fan_out(session: Session, *, business: Business, event: dict[str, Any]) -> int:
    """One delivery per enabled endpoint that wants this type; a repeat fan-out adds none."""
    body = json.dumps(event, separators=(",", ":"), sort_keys=True)
    made = 0
    for endpoint in endpoints(session):
        if not endpoint.enabled or (endpoint.events and event["type"] not in endpoint.events):
            continue
        already = session.exec(
            select(WebhookDelivery.id).where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.event_id == event["id"],
            )
        ).first()
        if already:
            continue
        delivery = WebhookDelivery(
            business_id=business.id,
            endpoint_id=endpoint.id,
            event_id=event["id"],
            event_type=event["type"],
            body=body,
        )
        session.add(delivery)
        _queue(session, business=business, delivery=delivery)
        made += 1
    return made


def _queue(session: Session, *, business: Business, delivery: WebhookDelivery) -> None:
    outbox.enqueue(
        session,
        business=business,
        kind="webhook",
        payload={"delivery": delivery.id},
        max_attempts=outbox.attempts_within(RETRY_FOR),
    )


def deliveries(session: Session, *, endpoint_id: str, limit: int = 50) -> list[WebhookDelivery]:
    get_endpoint(session, endpoint_id)
    return list(
        session.exec(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id).desc())
            .limit(limit)
        ).all()
    )


def redeliver(
    session: Session, *, business: Business, delivery_id: str, actor: audit.Actor | None = None
) -> WebhookDelivery:
    """Send a delivery again by hand (after fixing the receiver), with fresh retries."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("no such delivery")
    get_endpoint(session, delivery.endpoint_id)
    delivery.status = DeliveryStatus.PENDING
    _queue(session, business=business, delivery=delivery)
    if actor:
        actor.record(session, business.id, "webhook.redelivered", "webhook_delivery", delivery.id)
    return delivery


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the outbox retries with backoff."""


@dataclass(frozen=True)
class Request:
    url: str
    body: str
    secret: str


def prepare(session: Session, *, delivery_id: str, secret_keys: tuple[str, ...]) -> Request | None:
    """What to send, or None when there is nothing to do (delivered, or endpoint gone)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} is gone")
    if delivery.status != DeliveryStatus.PENDING:
        return None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None or not endpoint.enabled:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = "The endpoint was removed or turned off."
        return None
    return Request(endpoint.url, delivery.body, secret_of(endpoint, secret_keys))


def post(request: Request, *, allow_private: bool = False) -> tuple[int | None, str]:
    """Send once, outside any transaction: the status code (None if none came) and an error."""
    host = urlsplit(request.url).hostname or ""
    if not allow_private and resolves_privately(host):
        return None, f"{host} resolves to a private address; we do not post there."
    signature = sign(request.secret, request.body, int(time.time()))
    try:
        response = _HTTP.post(
            request.url,
            content=request.body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Frontdesk-Webhooks/1",
                SIGNATURE_HEADER: signature,
            },
        )
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    if response.is_success:
        return response.status_code, ""
    return response.status_code, f"The endpoint answered {response.status_code}."


def record(
    session: Session, *, delivery_id: str, status_code: int | None, error: str, final: bool
) -> None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} is gone")
    delivery.attempts += 1
    delivery.last_attempt_at = utcnow()
    delivery.last_status_code = status_code
    delivery.last_error = error
    if not error:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = utcnow()
    elif final:
        delivery.status = DeliveryStatus.FAILED
