"""Checking that a webhook came from PayPal: its RSA-SHA256 signature over
`transmission_id|transmission_time|webhook_id|crc32(body)`, made with the certificate named by
PAYPAL-CERT-URL, which must be PayPal's own (or, outside production, our stand-in's).

https://developer.paypal.com/api/rest/webhooks/rest/ (verifying locally, without the postback,
which also works for the simulator's events). The certificate's URL comes with the request, so
anyone can name their own: it is fetched only from PayPal's hosts, and its chain must end at a
public root (PayPal's) or at the stand-in's root, for the name PayPal signs with.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import urlsplit

import certifi
import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from frontdesk.processors import BadSignature, Event, Unavailable

# Where PayPal serves its signing certificates from, live and in its own sandbox.
PAYPAL_HOSTS = frozenset(
    {"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"}
)
CERT_PATH = "/v1/notifications/certs/"
# The name on PayPal's signing certificate; the stand-in's is issued for it too.
SIGNER = "messageverificationcerts.paypal.com"
ALGORITHM = "SHA256withRSA"
# Where the stand-in serves the root its signing certificate chains to.
STANDIN_ROOT_PATH = "/standin/root.pem"
MAX_CERT_BYTES = 64 * 1024
CACHED_CERTS = 16

Fetch = Callable[[str], bytes]


def signed_message(
    transmission_id: str, transmission_time: str, webhook_id: str, body: bytes
) -> bytes:
    """What PayPal signs: the CRC32 of the raw body as an unsigned decimal."""
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()


def _fetch(url: str) -> bytes:
    try:
        # No redirects: the host was checked, the place it might send us to was not.
        answer = httpx.get(url, timeout=10, follow_redirects=False)
    except httpx.HTTPError as error:
        raise Unavailable(f"PayPal's certificate could not be fetched: {error}") from None
    if answer.status_code >= 500 or answer.status_code == 429:
        raise Unavailable(f"PayPal's certificate server answered {answer.status_code}")
    if answer.status_code != 200 or len(answer.content) > MAX_CERT_BYTES:
        raise BadSignature(f"no certificate at {url} ({answer.status_code})")
    return answer.content


def _certificates(pem: bytes, url: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise BadSignature(f"what {url} serves is not a certificate") from None


class Verifier:
    """Verifies PayPal webhooks sent to one webhook (`webhook_id`, as PayPal lists it).

    `standin_base`, outside production only, is our stand-in's address: certificates from there
    are trusted when they chain to the root it serves."""

    def __init__(self, webhook_id: str, *, standin_base: str = "", fetch: Fetch = _fetch) -> None:
        self.webhook_id, self.standin_base, self.fetch = webhook_id, standin_base.rstrip("/"), fetch
        self._lock = threading.Lock()
        self._chains: OrderedDict[str, list[x509.Certificate]] = OrderedDict()
        self._stores: dict[str, Store] = {}

    def verify(self, payload: bytes, headers: Mapping[str, str], *, now: datetime) -> Event:
        """The event, if PayPal signed exactly this body for our webhook; BadSignature if not,
        Unavailable when the certificate cannot be fetched now (PayPal will send it again)."""
        if not self.webhook_id:
            raise Unavailable("no PayPal webhook id is configured")
        given = {name.lower(): value for name, value in headers.items()}
        if given.get("paypal-auth-algo") != ALGORITHM:
            raise BadSignature(f"signed with {given.get('paypal-auth-algo')!r}, not {ALGORITHM}")
        try:
            signature = base64.b64decode(given["paypal-transmission-sig"], validate=True)
            message = signed_message(
                given["paypal-transmission-id"],
                given["paypal-transmission-time"],
                self.webhook_id,
                payload,
            )
            url = given["paypal-cert-url"]
        except KeyError as missing:
            raise BadSignature(f"the {missing} header is missing") from None
        except binascii.Error:
            raise BadSignature("the signature is not base64") from None
        leaf = self._trusted_leaf(url, now)
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise BadSignature("the certificate's key is not RSA")
        try:
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise BadSignature("the signature does not match this body and webhook") from None
        return _event(payload)

    def anchor(self, url: str) -> str:
        """Whose roots a certificate at `url` must chain to ("paypal" or "standin"); BadSignature
        for any other place."""
        parts = urlsplit(url)
        if not parts.path.startswith(CERT_PATH) or parts.query or parts.fragment:
            raise BadSignature(f"{url!r} is not a certificate address")
        if self.standin_base and url.startswith(self.standin_base + CERT_PATH):
            return "standin"
        if (
            parts.scheme == "https"
            and parts.hostname in PAYPAL_HOSTS
            and parts.netloc == parts.hostname  # no port, no user name before an @
        ):
            return "paypal"
        raise BadSignature(f"the certificate at {url!r} is not on PayPal's hosts")

    def _trusted_leaf(self, url: str, now: datetime) -> x509.Certificate:
        store = self._store(self.anchor(url))
        leaf, *intermediates = self._chain(url)
        verifier = (
            PolicyBuilder().store(store).time(now).build_server_verifier(x509.DNSName(SIGNER))
        )
        try:
            verifier.verify(leaf, intermediates)
        except VerificationError as error:
            raise BadSignature(f"the certificate at {url} is not PayPal's now: {error}") from None
        return leaf

    def _chain(self, url: str) -> list[x509.Certificate]:
        with self._lock:
            if url in self._chains:
                self._chains.move_to_end(url)
                return self._chains[url]
        chain = _certificates(self.fetch(url), url)
        if not chain:
            raise BadSignature(f"no certificate at {url}")
        with self._lock:
            self._chains[url] = chain
            while len(self._chains) > CACHED_CERTS:
                self._chains.popitem(last=False)
        return chain

    def _store(self, anchor: str) -> Store:
        with self._lock:
            if anchor in self._stores:
                return self._stores[anchor]
        if anchor == "paypal":
            with open(certifi.where(), "rb") as bundle:
                roots = x509.load_pem_x509_certificates(bundle.read())
        else:
            url = self.standin_base + STANDIN_ROOT_PATH
            roots = _certificates(self.fetch(url), url)
        store = Store(roots)
        with self._lock:
            self._stores[anchor] = store
        return store


def _event(payload: bytes) -> Event:
    try:
        raw = json.loads(payload)
        resource = raw.get("resource") or {}
        return Event(
            id=str(raw["id"]),
            type=str(raw["event_type"]),
            # On a platform's behalf the payee names the business's PayPal account.
            account=(resource.get("payee") or {}).get("merchant_id"),
            object_id=str(resource["id"]),
            object_kind=str(raw.get("resource_type", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BadSignature("a signed body that is not a PayPal event") from None
