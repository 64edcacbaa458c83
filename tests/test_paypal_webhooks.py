"""PayPal's webhook signatures: events the stand-in sends, signed as PayPal signs them, verify;
forged, changed, misdirected or badly certified ones are refused."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from frontdesk.processors import BadSignature, Unavailable
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.processors.paypal_standin.certs import Signer, issue
from frontdesk.processors.paypal_webhooks import SIGNER, Verifier, signed_message
from frontdesk.settings import load
from tests.paypal_bed import CLIENT, SECRET, WEBHOOK_ID, Bed, Delivery, Listener, listening
from tests.paypal_bed import standin as standin_bed


@dataclass
class World:
    bed: Bed
    listener: Listener
    paypal: PayPalProcessor

    def paid(self, email: str = "buyer@example.com", key: str = "checkout-1") -> str:
        """A paid order's capture id."""
        order = self.paypal.create_order(
            amount=2550,
            currency="USD",
            custom_id=key,
            invoice_id=f"INV-{key}",
            description="INV-1",
            key=key,
        )
        self.bed.approve(order.id, email=email)
        return self.paypal.capture_order(order.id, key=f"{key}:capture").id


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with (
        listening() as listener,
        standin_bed(tmp_path, listener.url) as bed,
        PayPalProcessor(bed.url, CLIENT, SECRET) as paypal,
    ):
        yield World(bed, listener, paypal)


@pytest.fixture
def verifier(world: World) -> Verifier:
    return Verifier(WEBHOOK_ID, standin_base=world.bed.url)


@pytest.fixture
def completed(world: World) -> Delivery:
    world.paid()
    return world.listener.wait_for("PAYMENT.CAPTURE.COMPLETED")


def now() -> datetime:
    return datetime.now(UTC)


def test_every_event_the_standin_sends_verifies(world: World, verifier: Verifier) -> None:
    capture_id = world.paid()
    pending_id = world.paid(email="pending@example.com", key="checkout-2")
    world.bed.settle(pending_id, "DECLINED")
    world.paypal.refund(capture_id, amount=500, currency="USD", key="refund-1")
    expected = {
        "CHECKOUT.ORDER.APPROVED": "checkout-order",
        "PAYMENT.CAPTURE.COMPLETED": "capture",
        "PAYMENT.CAPTURE.PENDING": "capture",
        "PAYMENT.CAPTURE.DENIED": "capture",
        "PAYMENT.CAPTURE.REFUNDED": "refund",
    }
    for event_type, kind in expected.items():
        delivery = world.listener.wait_for(event_type)
        assert delivery.headers["paypal-auth-algo"] == "SHA256withRSA"
        event = verifier.verify(delivery.body, delivery.headers, now=now())
        assert (event.type, event.object_kind) == (event_type, kind)
    completed = world.listener.wait_for("PAYMENT.CAPTURE.COMPLETED")
    assert verifier.verify(completed.body, completed.headers, now=now()).object_id == capture_id
    denied = world.listener.wait_for("PAYMENT.CAPTURE.DENIED")
    assert verifier.verify(denied.body, denied.headers, now=now()).object_id == pending_id


def test_the_signature_is_paypals_message_signed_with_the_served_certificate(
    completed: Delivery,
) -> None:
    """Checked here without our verifier, from PayPal's description of the scheme."""
    headers = completed.headers
    leaf = x509.load_pem_x509_certificates(httpx.get(headers["paypal-cert-url"]).content)[0]
    message = "|".join(
        [
            headers["paypal-transmission-id"],
            headers["paypal-transmission-time"],
            WEBHOOK_ID,
            str(zlib.crc32(completed.body)),
        ]
    )
    key = leaf.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    signature = base64.b64decode(headers["paypal-transmission-sig"])
    key.verify(signature, message.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_a_forged_signature_is_refused(completed: Delivery, verifier: Verifier) -> None:
    signature = bytearray(base64.b64decode(completed.headers["paypal-transmission-sig"]))
    signature[10] ^= 1
    forged = {**completed.headers, "paypal-transmission-sig": base64.b64encode(signature).decode()}
    with pytest.raises(BadSignature, match="does not match"):
        verifier.verify(completed.body, forged, now=now())


def test_a_changed_body_is_refused(completed: Delivery, verifier: Verifier) -> None:
    changed = completed.body.replace(b'"25.50"', b'"2550.00"')
    assert changed != completed.body
    with pytest.raises(BadSignature, match="does not match"):
        verifier.verify(changed, completed.headers, now=now())


def test_an_event_for_another_webhook_is_refused(completed: Delivery, world: World) -> None:
    other = Verifier("8PT597110X687430LKGECATA", standin_base=world.bed.url)
    with pytest.raises(BadSignature, match="does not match"):
        other.verify(completed.body, completed.headers, now=now())


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/v1/notifications/certs/CERT-1",
        "http://api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
        "https://api.paypal.com@evil.example/v1/notifications/certs/CERT-1",
        "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
        "https://api.paypal.com/v1/oauth2/token",
    ],
)
def test_a_certificate_from_anywhere_else_is_refused_unfetched(
    url: str, completed: Delivery, verifier: Verifier
) -> None:
    # evil.example has no address here: a fetch would end in Unavailable, not BadSignature.
    with pytest.raises(BadSignature):
        verifier.verify(completed.body, {**completed.headers, "paypal-cert-url": url}, now=now())


def test_paypals_own_hosts_are_where_certificates_come_from() -> None:
    verifier = Verifier(WEBHOOK_ID)
    for host in ("api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com"):
        assert verifier.anchor(f"https://{host}/v1/notifications/certs/CERT-1") == "paypal"
    assert verifier.anchor("https://api-m.sandbox.paypal.com/v1/notifications/certs/X") == "paypal"


def test_without_a_standin_its_certificates_are_refused(completed: Delivery) -> None:
    production = Verifier(WEBHOOK_ID)
    with pytest.raises(BadSignature, match="not on PayPal's hosts"):
        production.verify(completed.body, completed.headers, now=now())


def forged_signer(
    world: World, cert: x509.Certificate, chain: str, key: rsa.RSAPrivateKey
) -> Signer:
    """The stand-in signing with someone else's certificate, served on its own host, while the
    root it serves stays its own."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    genuine = world.bed.store.signing()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode() + chain
    return replace(genuine, cert_id="CERT-forged", cert=cert_pem, key=pem)


@pytest.mark.parametrize("issuer", ["itself", "another root"])
def test_a_certificate_not_from_the_trusted_root_is_refused(
    issuer: str, completed: Delivery, world: World, verifier: Verifier
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if issuer == "itself":
        cert, chain = issue(SIGNER, key, None, now()), ""
    else:
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root = issue("Someone else's root", root_key, None, now())
        cert = issue(SIGNER, key, ("Someone else's root", root_key), now())
        chain = root.public_bytes(serialization.Encoding.PEM).decode()
    signer = forged_signer(world, cert, chain, key)
    world.bed.store.signer = signer
    headers = dict(completed.headers)
    message = signed_message(
        headers["paypal-transmission-id"],
        headers["paypal-transmission-time"],
        WEBHOOK_ID,
        completed.body,
    )
    headers["paypal-transmission-sig"] = signer.sign(message)
    headers["paypal-cert-url"] = f"{world.bed.url}/v1/notifications/certs/CERT-forged"
    with pytest.raises(BadSignature, match="is not PayPal's now"):
        verifier.verify(completed.body, headers, now=now())


def test_a_certificate_is_trusted_only_while_it_is_valid(
    completed: Delivery, verifier: Verifier
) -> None:
    leaf = x509.load_pem_x509_certificates(httpx.get(completed.headers["paypal-cert-url"]).content)[
        0
    ]
    verifier.verify(completed.body, completed.headers, now=leaf.not_valid_after_utc)
    for moment in (
        leaf.not_valid_after_utc + timedelta(seconds=1),
        leaf.not_valid_before_utc - timedelta(seconds=1),
    ):
        with pytest.raises(BadSignature, match="is not PayPal's now"):
            verifier.verify(completed.body, completed.headers, now=moment)


def test_certificates_are_fetched_once(
    completed: Delivery, world: World, verifier: Verifier
) -> None:
    verifier.verify(completed.body, completed.headers, now=now())
    world.bed.server.stop()
    verifier.verify(completed.body, completed.headers, now=now())
    elsewhere = completed.headers["paypal-cert-url"].replace("CERT-", "CERT-other-")
    with pytest.raises(Unavailable):  # PayPal will send it again: it is not refused for good
        verifier.verify(
            completed.body, {**completed.headers, "paypal-cert-url": elsewhere}, now=now()
        )


@pytest.mark.parametrize(
    ("header", "value"),
    [("paypal-auth-algo", "SHA1withRSA"), ("paypal-transmission-sig", "not base64!")],
)
def test_other_algorithms_and_garbled_signatures_are_refused(
    header: str, value: str, completed: Delivery, verifier: Verifier
) -> None:
    with pytest.raises(BadSignature):
        verifier.verify(completed.body, {**completed.headers, header: value}, now=now())


def test_missing_headers_are_refused(completed: Delivery, verifier: Verifier) -> None:
    headers = {k: v for k, v in completed.headers.items() if k != "paypal-transmission-id"}
    with pytest.raises(BadSignature, match="missing"):
        verifier.verify(completed.body, headers, now=now())


def test_without_a_webhook_id_nothing_is_verified(completed: Delivery, world: World) -> None:
    with pytest.raises(Unavailable):
        Verifier("", standin_base=world.bed.url).verify(
            completed.body, completed.headers, now=now()
        )


def test_the_standin_is_trusted_only_when_it_is_the_configured_base() -> None:
    common = {"paypal_client_id": "id", "paypal_secret": "s", "paypal_webhook_id": "W"}
    standin = load(environment="test", paypal_base_url="http://127.0.0.1:8004/", **common)
    live = load(environment="test", paypal_base_url="https://api-m.sandbox.paypal.com", **common)
    unset = load(environment="test")
    with PayPalProcessor.from_settings(standin) as paypal:  # type: ignore[union-attr]
        assert paypal.verifier is not None
        assert paypal.verifier.standin_base == "http://127.0.0.1:8004"
    with PayPalProcessor.from_settings(live) as paypal:  # type: ignore[union-attr]
        assert paypal.verifier is not None and paypal.verifier.standin_base == ""
    assert PayPalProcessor.from_settings(unset) is None
