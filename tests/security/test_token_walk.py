"""Every route that takes a token refuses a tampered, truncated, expired, future-dated,
wrong-purpose, wrong-key, wrong-business or revoked one (link version bumped, customer disabled,
password changed, API key revoked), and takes the good one, so each refusal is the token's doing.

Each route of the app's route table is sorted below by what it takes; a route added later fails
`test_every_route_is_sorted_by_what_it_takes` until it is sorted here, and so walked.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner
from sqlmodel import select
from starlette.datastructures import UploadFile

from frontdesk import tokens
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    Payment,
    PaymentMethod,
    StaffRole,
    StaffUser,
    utcnow,
)
from frontdesk.services import (
    attachments,
    audit,
    booking,
    businesses,
    customers,
    portal,
    staff,
)
from frontdesk.services.links import Links
from frontdesk.tokens import Purpose
from tests.conftest import csrf_field
from tests.factories import PASSWORD, make_business, make_customer
from tests.flow import Flow
from tests.security.routes import every_route, fill

# Routes that take no token or key and answer anyone: nothing personal is behind them.
PUBLIC = {
    ("GET", "/healthz"),
    # Anyone may check a signed PDF: the answer holds only what the PDF's certificate shows.
    ("GET", "/documents/verify"),
    ("POST", "/documents/verify"),
    ("GET", "/widget/frontdesk.js"),
    ("GET", "/p/{slug}"),
    ("GET", "/portal/{key}/portal.css"),
    ("GET", "/portal/{key}/logo"),
    ("GET", "/portal/{key}/origin-check"),
    ("GET", "/portal/{key}/sign-in"),
    # Sign-in by email takes an address and then a code (tests/test_sign_in.py), not a token.
    ("POST", "/portal/{key}/sign-in"),
    ("POST", "/portal/{key}/sign-in/code"),
    # A visitor's booking form: it takes what they type and emails them a link (tests/
    # test_public_booking.py); the link is what books, and it is walked below.
    ("GET", "/portal/{key}/book-visit"),
    ("POST", "/portal/{key}/book-visit"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/reference"),
    ("GET", "/dashboard/sign-in"),
    ("POST", "/dashboard/sign-in"),
    ("POST", "/dashboard/sign-out"),
    # Only a redirect to /dashboard/customers, which checks the session.
    ("GET", "/dashboard/"),
    # Stripe's signature on the raw body (tests/test_payments_apply.py).
    ("POST", "/webhooks/stripe"),
    # PayPal's RSA signature, from a certificate on PayPal's hosts (tests/test_paypal_payments.py).
    ("POST", "/webhooks/paypal"),
    # The SMS provider's X-Twilio-Signature on the posted form (tests/test_texts.py).
    ("POST", "/webhooks/texts"),
    ("POST", "/webhooks/texts/status"),
    # Caddy's `ask`: no credential, answered only to loopback and private clients
    # (tests/test_domains.py).
    ("GET", "/internal/domains/allow"),
}
# Keys this server never had.
OTHER_KEYS = (secrets.token_urlsafe(48),)
ARRIVAL = {("POST", "/portal/{key}/session")}
DOWNLOAD = {("GET", "/portal/{key}/download/{token}")}
# The secure pay page, and the capture of a PayPal payment approved on it (a card payment's
# good link is answered 422 there: nothing to capture).
PAY_PAGE = {("GET", "/pay/{payment}"), ("POST", "/pay/{payment}/paypal")}
INVITE = {("GET", "/dashboard/join"), ("POST", "/dashboard/join")}
# An attached file's short-lived link, signed for one customer or the business's staff.
FILE_LINK = {("GET", "/files/{token}")}
# A visitor's booking request, signed into the link emailed to them.
BOOKING_LINK = {("GET", "/p/{slug}/book"), ("POST", "/p/{slug}/book")}


def sorts(method: str, path: str) -> str:
    route = (method, path)
    for name, group in (
        ("public", PUBLIC),
        ("arrival", ARRIVAL),
        ("download", DOWNLOAD),
        ("pay page", PAY_PAGE),
        ("invite", INVITE),
        ("file link", FILE_LINK),
        ("booking link", BOOKING_LINK),
    ):
        if route in group:
            return name
    if path.startswith("/portal/{key}/"):
        return "portal session"
    if path.startswith("/api/v1/"):
        return "api key"
    if path.startswith("/dashboard/"):
        return "staff session"
    return "unsorted"


def test_every_route_is_sorted_by_what_it_takes(flow: Flow) -> None:
    routes = every_route(list(flow.app.app.routes))  # type: ignore[union-attr]
    assert [route for route in routes if sorts(*route) == "unsorted"] == []
    named = PUBLIC | ARRIVAL | DOWNLOAD | PAY_PAGE | INVITE | FILE_LINK | BOOKING_LINK
    assert named <= set(routes), "a named route is gone: take it out of the lists"


@contextmanager
def signed_at(offset: int) -> Iterator[None]:
    """Tokens minted inside are dated `offset` seconds from now."""
    real = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(time.time()) + offset  # type: ignore[method-assign]
    try:
        yield
    finally:
        TimestampSigner.get_timestamp = real  # type: ignore[method-assign]


def damaged(good: str) -> dict[str, str]:
    middle = len(good) // 2
    return {
        "tampered": good[:middle] + ("A" if good[middle] != "A" else "B") + good[middle + 1 :],
        "truncated": good[:-6],
        "empty": "",
        "garbage": "not-a-token",
    }


def customer_variants(
    keys: tuple[str, ...],
    purpose: Purpose,
    customer: Customer,
    stranger: Customer,
    wrong_purpose: Purpose,
    **extra: Any,
) -> dict[str, str]:
    """Bad tokens of every stateless kind, for one customer and one purpose."""
    good = Links(keys).token(purpose, customer, **extra)
    lifetime = tokens.LIFETIME[purpose] or 0
    with signed_at(-lifetime - 60):
        expired = Links(keys).token(purpose, customer, **extra)
    with signed_at(3600):
        future = Links(keys).token(purpose, customer, **extra)
    variants = {
        **damaged(good),
        "future-dated": future,
        "wrong purpose": Links(keys).token(wrong_purpose, customer, **extra),
        "wrong key": Links((secrets.token_urlsafe(48),)).token(purpose, customer, **extra),
        "wrong business": Links(keys).token(purpose, stranger, **extra),
    }
    if lifetime:
        variants["expired"] = expired
    return variants


class Walk:
    """One business's routes, each called with a token of the kind it takes."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.keys = flow.settings.secret_key
        self.url = flow.app.url
        self.key = flow.business.publishable_key
        self.stranger = self._stranger()
        payment, _ = flow.start()
        self.payment_id = payment.id
        with flow.db.unscoped("the walk's business offers every section") as session:
            business = session.get(Business, flow.business.id)
            assert business is not None
            business.allow_booking = business.booking_public = True
        with flow.db.session(flow.business.id) as session:
            method = PaymentMethod(
                business_id=flow.business.id,
                customer_id=flow.customer.id,
                processor_id="pm_walk",
                last4="4242",
                consent_text="yes",
            )
            session.add(method)
            session.flush()
            self.method_id = method.id
            self.owner = session.exec(select(StaffUser)).one()
        self.desk = httpx.Client(base_url=self.url)
        # One client for the walk's calls: a new one per call costs 50 ms (it loads the CA
        # bundle), which over a thousand calls was most of the walk's time. Its cookie jar is
        # emptied after each call so that no answer's cookie rides along with the next token.
        self.bare = httpx.Client(base_url=self.url)
        self.csrf = self._csrf()
        self.routes = every_route(list(flow.app.app.routes))  # type: ignore[union-attr]

    def _stranger(self) -> Customer:
        other = make_business(self.flow.db)
        with self.flow.db.session(other.business.id) as session:
            return make_customer(session, other.business, name="Stranger Elsewhere")

    def _csrf(self) -> str:
        return csrf_field(self.desk.get("/dashboard/sign-in").text)

    def customer(self) -> Customer:
        with self.flow.db.session(self.flow.business.id) as session:
            found = session.get(Customer, self.flow.customer.id)
            assert found is not None
            return found

    def change_customer(self, change: Callable[[Customer], None]) -> None:
        with self.flow.db.session(self.flow.business.id) as session:
            found = session.get(Customer, self.flow.customer.id)
            assert found is not None
            change(found)

    def concrete(self, path: str, token: str = "") -> str:
        values = {
            "key": self.key,
            "number": "INV-A",
            "payment": self.payment_id,
            "setup": "seti_walk",
            "method": self.method_id,
            "change": "make-default",
            "place": "invoices",
            "token": token,
            "slug": self.flow.business.slug,
        }
        # API ids need no meaning: a refused key is refused before any lookup.
        return fill(path, values, default="x_1")

    def routes_of(self, kind: str) -> list[tuple[str, str]]:
        return [route for route in self.routes if sorts(*route) == kind]

    def call(self, method: str, path: str, token: str, kind: str) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf}
        params: dict[str, str] = {}
        data: dict[str, str] | None = {} if method != "GET" else None
        cookies = dict(self.desk.cookies)
        if kind == "portal session":
            headers["Authorization"] = f"Bearer {token}".strip()
        elif kind == "arrival":
            data = {"token": token}
        elif kind in ("pay page", "booking link"):
            params["t"] = token
        elif kind == "invite":
            if method == "GET":
                params["t"] = token
            else:
                data = {"token": token, "name": "Newcomer", "password": "a long new password 1"}
        elif kind == "staff session":
            cookies["fd_staff"] = token
        elif kind == "api key":
            headers["Authorization"] = f"Bearer {token}".strip()
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        try:
            return self.bare.request(
                method,
                self.concrete(path, token if kind in ("download", "file link") else ""),
                headers=headers,
                params=params,
                data=data,
            )
        finally:
            self.bare.cookies.clear()


def refused(kind: str, answer: httpx.Response) -> bool:
    if kind == "staff session":
        target = answer.headers.get("location", "") or answer.headers.get("hx-redirect", "")
        return answer.status_code == 401 or target.endswith("/dashboard/sign-in")
    if kind in ("pay page", "api key", "download"):
        return answer.status_code in (401, 404)
    if kind == "file link":
        return answer.status_code in (404, 410)
    if kind in ("invite", "booking link"):
        return answer.status_code == 400
    return answer.status_code in (401, 403)


def check(walk: Walk, kind: str, good: str | Callable[[], str], bad: dict[str, str]) -> int:
    """Every route of `kind` takes `good` and refuses each of `bad`; the number of calls made.
    A `good` that is a function gives a token per route (signing out spends a session)."""
    routes = walk.routes_of(kind)
    assert routes, kind
    calls = 0
    for method, path in routes:
        answer = walk.call(method, path, good() if callable(good) else good, kind)
        assert answer.status_code < 500 and not refused(kind, answer), (method, path, "good")
        calls += 1
        for name, token in bad.items():
            answer = walk.call(method, path, token, kind)
            assert refused(kind, answer), (method, path, name, answer.status_code)
            assert "Casey Customer" not in answer.text, (method, path, name)
            calls += 1
    return calls


@pytest.fixture
def walk(flow: Flow) -> Iterator[Walk]:
    made = Walk(flow)
    yield made
    made.desk.close()
    made.bare.close()


def test_customer_tokens_are_refused_on_every_route_that_takes_one(walk: Walk) -> None:
    keys, customer, stranger = walk.keys, walk.customer(), walk.stranger
    kinds: dict[str, tuple[Purpose, Purpose, dict[str, Any]]] = {
        "portal session": (Purpose.PORTAL_SESSION, Purpose.EMBED, {"s": "ses_walk"}),
        "arrival": (Purpose.EMBED, Purpose.PORTAL_SESSION, {}),
        "download": (Purpose.DOWNLOAD, Purpose.PORTAL_SESSION, {"d": "invoice:INV-A"}),
        "pay page": (Purpose.PAY_PAGE, Purpose.PAYMENT_ACTION, {"p": walk.payment_id}),
    }

    def good(kind: str) -> str:
        purpose, _, extra = kinds[kind]
        if kind == "portal session":
            extra = {**extra, "s": portal.new_session_id()}
        return Links(keys).token(purpose, walk.customer(), **extra)

    calls = 0
    for kind, (purpose, wrong, extra) in kinds.items():
        bad = customer_variants(keys, purpose, customer, stranger, wrong, **extra)
        calls += check(walk, kind, partial(good, kind), bad)

    # Signed out of: that session's token is refused on every route that takes one.
    gone = good("portal session")
    assert walk.call("POST", "/portal/{key}/sign-out", gone, "portal session").status_code == 200
    calls += check(walk, "portal session", partial(good, "portal session"), {"signed out": gone})

    # Revoked: the business replaces the customer's links, then turns their access off.
    before = {kind: good(kind) for kind in kinds}
    with walk.flow.db.session(walk.flow.business.id) as session:
        customers.revoke_links(
            session,
            business=walk.flow.business,
            customer=customers.get(session, business=walk.flow.business, customer_id=customer.id),
            actor=audit.Actor(Initiator.STAFF, walk.owner.id),
            renewed=True,
        )
    for kind in kinds:
        calls += check(walk, kind, partial(good, kind), {"link version bumped": before[kind]})
    current = {kind: good(kind) for kind in kinds}
    walk.change_customer(lambda row: setattr(row, "portal_enabled", False))
    for kind in kinds:
        for method, path in walk.routes_of(kind):
            answer = walk.call(method, path, current[kind], kind)
            assert refused(kind, answer), (method, path, "customer disabled")
            calls += 1
    assert calls > 250


def test_staff_sessions_and_invitations_are_refused_when_bad(walk: Walk) -> None:
    keys, owner = walk.keys, walk.owner

    def session_token() -> str:
        with walk.flow.db.unscoped("the test reads the owner back") as session:
            user = session.get(StaffUser, owner.id)
            assert user is not None
            return staff.session_token(keys, user)

    good = session_token()
    with signed_at(-(tokens.LIFETIME[Purpose.STAFF_SESSION] or 0) - 60):
        expired = session_token()
    with signed_at(3600):
        future = session_token()
    bad = {
        **damaged(good),
        "expired": expired,
        "future-dated": future,
        "wrong purpose": tokens.sign(keys, Purpose.STAFF_INVITE, {"u": owner.id}),
        "wrong key": tokens.sign(OTHER_KEYS, Purpose.STAFF_SESSION, {"u": owner.id}),
        "unsigned fingerprint": tokens.sign(keys, Purpose.STAFF_SESSION, {"u": owner.id}),
    }
    check(walk, "staff session", good, bad)
    # A password change ends every session signed before it; so does being turned off.
    with walk.flow.db.session(walk.flow.business.id) as session:
        user = session.get(StaffUser, owner.id)
        assert user is not None
        user.password_hash = staff.hash_password(PASSWORD + " changed")
    check(walk, "staff session", session_token(), {"password changed": good})
    fresh = session_token()
    with walk.flow.db.session(walk.flow.business.id) as session:
        user = session.get(StaffUser, owner.id)
        assert user is not None
        user.disabled = True
    for method, path in walk.routes_of("staff session"):
        assert refused("staff session", walk.call(method, path, fresh, "staff session"))

    with walk.flow.db.session(walk.flow.business.id) as session:
        link = staff.invite(
            session,
            business=walk.flow.business,
            secret_keys=keys,
            base_url="",
            email="new@example.com",
            role=StaffRole.MANAGER,
            invited_by=session.get(StaffUser, owner.id),  # type: ignore[arg-type]
            actor=audit.Actor(Initiator.STAFF, owner.id),
        )
    invite = link.split("t=", 1)[1]
    claims = tokens.unsign(keys, Purpose.STAFF_INVITE, invite)
    joined = walk.call("GET", "/dashboard/join", invite, "invite")
    assert joined.status_code == 200, joined.text[-3000:]
    with signed_at(-(tokens.LIFETIME[Purpose.STAFF_INVITE] or 0) - 60):
        stale = tokens.sign(keys, Purpose.STAFF_INVITE, claims)
    invite_bad = {
        **damaged(invite),
        "expired": stale,
        "wrong purpose": fresh,
        "wrong key": tokens.sign(OTHER_KEYS, Purpose.STAFF_INVITE, claims),
    }
    for method, path in walk.routes_of("invite"):
        for name, token in invite_bad.items():
            assert refused("invite", walk.call(method, path, token, "invite")), (path, name)


def test_api_keys_are_refused_when_bad_or_revoked(walk: Walk) -> None:
    business = walk.flow.business
    with walk.flow.db.session(business.id) as session:
        row, key = businesses.create_api_key(session, business=business, name="walk")
    bad = {**damaged(key), "publishable key": business.publishable_key}
    calls = 0
    for method, path in walk.routes_of("api key"):
        for name, token in bad.items():
            answer = walk.call(method, path, token, "api key")
            assert answer.status_code == 401, (method, path, name)
            calls += 1
    with walk.flow.db.session(business.id) as session:
        businesses.revoke_api_key(session, row.id)
    for method, path in walk.routes_of("api key"):
        assert walk.call(method, path, key, "api key").status_code == 401, (method, path)
    assert calls > 100


def test_a_payment_of_another_customer_is_not_reachable_by_pay_page_token(walk: Walk) -> None:
    with walk.flow.db.session(walk.flow.business.id) as session:
        other = make_customer(session, walk.flow.business, name="Other Customer")
        payment = session.get(Payment, walk.payment_id)
        assert payment is not None
    token = Links(walk.keys).pay_page(other, walk.payment_id)
    assert walk.call("GET", "/pay/{payment}", token, "pay page").status_code == 404


def test_file_links_are_refused_when_bad_or_revoked(walk: Walk) -> None:
    flow, keys = walk.flow, walk.keys
    store = attachments.store_for(flow.settings)
    pdf = UploadFile(file=io.BytesIO(b"%PDF-1.4\n%%EOF\n"), filename="quote.pdf")
    with flow.db.session(flow.business.id) as session:
        [row] = attachments.receive(
            session,
            business=flow.business,
            customer_id=flow.customer.id,
            owner_kind="message",
            owner_id="msg_walk",
            files=[pdf],
            by=attachments.Party.staff(walk.owner.id),
            max_files=3,
            store=store,
        )

    def good() -> str:
        with flow.db.session(flow.business.id) as session:
            return attachments.token(
                session,
                attachment=row,
                audience=attachments.Party.customer(flow.customer.id),
                secret_keys=keys,
                now=utcnow(),
            )

    def signed(with_keys: tuple[str, ...] = keys, purpose: Purpose = Purpose.ATTACHMENT) -> str:
        payload = tokens.unsign(keys, Purpose.ATTACHMENT, good())
        return tokens.sign(with_keys, purpose, payload)

    def stranger() -> str:
        payload = tokens.unsign(keys, Purpose.ATTACHMENT, good())
        stranger = walk.stranger
        return tokens.sign(
            keys, Purpose.ATTACHMENT, {**payload, "b": stranger.business_id, "p": stranger.id}
        )

    with signed_at(-(tokens.LIFETIME[Purpose.ATTACHMENT] or 0) - 60):
        expired = good()
    with signed_at(3600):
        future = good()
    bad = {
        **damaged(good()),
        "expired": expired,
        "future-dated": future,
        "wrong purpose": signed(purpose=Purpose.DOWNLOAD),
        "wrong key": signed(with_keys=OTHER_KEYS),
        "wrong business": stranger(),
    }
    calls = check(walk, "file link", good, bad)
    before = good()
    walk.change_customer(lambda customer: setattr(customer, "link_version", 99))
    calls += check(walk, "file link", good, {"link version bumped": before})
    current = good()
    walk.change_customer(lambda customer: setattr(customer, "portal_enabled", False))
    answer = walk.call("GET", "/files/{token}", current, "file link")
    assert refused("file link", answer), "customer disabled"
    assert calls >= 10


def test_booking_links_are_refused_when_bad(walk: Walk) -> None:
    flow, keys = walk.flow, walk.keys
    with flow.db.session(flow.business.id) as session:
        service = booking.create_service(
            session,
            business=flow.business,
            name="Walk",
            duration_min=30,
            actor=audit.Actor(Initiator.STAFF, walk.owner.id),
        )
    asked = {
        "service_id": service.id,
        "starts_at": "2026-11-02T15:00:00+00:00",
        "name": "Walker",
        "email": "walker@example.com",
        "address_line1": "1 Main St",
        "postal_code": "10001",
        "b": flow.business.id,
        "n": "walk",
    }
    good = tokens.sign(keys, Purpose.BOOKING_REQUEST, asked)
    with signed_at(-(tokens.LIFETIME[Purpose.BOOKING_REQUEST] or 0) - 60):
        expired = tokens.sign(keys, Purpose.BOOKING_REQUEST, asked)
    with signed_at(3600):
        future = tokens.sign(keys, Purpose.BOOKING_REQUEST, asked)
    bad = {
        **damaged(good),
        "expired": expired,
        "future-dated": future,
        "wrong purpose": tokens.sign(keys, Purpose.PAY_PAGE, asked),
        "wrong key": tokens.sign(OTHER_KEYS, Purpose.BOOKING_REQUEST, asked),
        "wrong business": tokens.sign(
            keys, Purpose.BOOKING_REQUEST, {**asked, "b": walk.stranger.business_id}
        ),
    }
    assert check(walk, "booking link", good, bad) >= 16
