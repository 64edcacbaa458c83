"""The integration API on a live server: keys, isolation, idempotency, limits and errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from frontdesk import tokens
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import (
    AuditEvent,
    AuthorKind,
    Customer,
    Invoice,
    InvoiceStatus,
    Message,
    ServiceRequest,
    utcnow,
)
from frontdesk.routes.api import OPERATIONS
from frontdesk.services.businesses import NewBusiness
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice


@pytest.fixture
def two(db: Database) -> tuple[NewBusiness, NewBusiness]:
    return make_business(db), make_business(db)


class Api:
    def __init__(self, server: LiveServer, key: str) -> None:
        self.client = httpx.Client(
            base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
        )

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params)

    def post(self, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.client.post(path, json=body, headers=headers)

    def patch(self, path: str, body: Any) -> httpx.Response:
        return self.client.patch(path, json=body)


@pytest.fixture
def api(live_server: LiveServer, two: tuple[NewBusiness, NewBusiness]) -> Iterator[Api]:
    client = Api(live_server, two[0].secret_api_key)
    yield client
    client.client.close()


def test_a_portal_session_is_an_embed_token_for_that_customer(
    api: Api, db: Database, settings: Settings, two: tuple[NewBusiness, NewBusiness]
) -> None:
    mine = two[0]
    with db.session(mine.business.id) as session:
        customer = make_customer(session, mine.business, external_id="crm-77")
    for reference in (customer.id, "external:crm-77"):
        response = api.post(f"/customers/{reference}/portal-sessions")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["customer"] == customer.id
        claims = tokens.read(settings.secret_key, tokens.Purpose.EMBED, body["token"])
        assert (claims.business_id, claims.customer_id) == (mine.business.id, customer.id)


def test_customers_are_created_found_by_external_id_updated_and_listed(api: Api) -> None:
    created = api.post(
        "/customers",
        {
            "name": "Ada Lovelace",
            "email": "ADA@example.com",
            "external_id": "crm-1",
            "address": {"line1": "1 Analytical Way", "city": "London", "country": "GB"},
        },
    )
    assert created.status_code == 201, created.text
    ada = created.json()
    assert (ada["email"], ada["balance"], ada["address"]["city"]) == (
        "ada@example.com",
        0,
        "London",
    )
    assert api.get("/customers/external:crm-1").json()["id"] == ada["id"]
    updated = api.patch(f"/customers/{ada['id']}", {"phone": "+44 20 7946 0000"})
    assert updated.json()["phone"] == "+44 20 7946 0000"
    assert updated.json()["name"] == "Ada Lovelace"
    for i in range(4):
        api.post("/customers", {"name": f"C{i}", "email": f"c{i}@example.com"})
    seen, cursor = [], None
    while True:
        page = api.get("/customers", limit=2, **({"starting_after": cursor} if cursor else {}))
        body = page.json()
        seen += [c["id"] for c in body["data"]]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    assert api.get("/customers", email="ada@example.com").json()["data"][0]["id"] == ada["id"]


def test_invoices_with_lines_are_priced_on_the_server(api: Api) -> None:
    customer = api.post("/customers", {"name": "Bo", "email": "bo@example.com"}).json()
    due = (date.today() + timedelta(days=14)).isoformat()
    response = api.post(
        "/invoices",
        {
            "customer": customer["id"],
            "external_id": "qb-9",
            "due_date": due,
            "lines": [
                {"description": "Mowing", "quantity": "2", "unit_amount": 2500, "tax_rate_bp": 800},
                {"description": "Edging", "unit_amount": 1000},
            ],
        },
    )
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert (invoice["subtotal"], invoice["tax_total"], invoice["total"]) == (6000, 400, 6400)
    assert invoice["status"] == "draft"
    sent = api.post("/invoices/external:qb-9/send").json()
    assert (sent["status"], sent["amount_due"]) == ("unpaid", 6400)
    assert api.get(f"/customers/{customer['id']}").json()["balance"] == 6400
    assert api.get("/invoices", customer=customer["id"]).json()["data"][0]["id"] == invoice["id"]
    voided = api.post(f"/invoices/{invoice['id']}/void").json()
    assert voided["status"] == "void"
    assert api.get(f"/customers/{customer['id']}").json()["balance"] == 0


def test_estimates_are_created_and_sent(api: Api) -> None:
    customer = api.post("/customers", {"name": "Cy", "email": "cy@example.com"}).json()
    response = api.post(
        "/estimates",
        {
            "customer": f"{customer['id']}",
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
            "lines": [{"description": "New patio", "unit_amount": 450000}],
            "send": True,
        },
    )
    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["total"]) == ("sent", 450000)


def test_bad_input_gets_field_errors_and_changes_nothing(api: Api, db: Database, two: Any) -> None:
    response = api.post("/customers", {"name": "", "email": "nope", "colour": "red"})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "colour"} <= fields
    assert api.post("/customers", {"name": "X", "email": "not-an-email"}).status_code == 422
    assert api.post("/customers", {"name": "X\u0000", "email": "x@example.com"}).status_code == 422
    broken = api.client.post("/customers", content=b"{not json", headers={})
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"] == "body"
    assert api.get("/customers", limit=0).status_code == 422
    assert api.get("/customers", starting_after="garbage!").status_code == 422
    with db.session(two[0].business.id) as session:
        assert session.exec(select(Customer)).all() == []


def test_idempotent_replays_create_nothing_twice(api: Api, db: Database, two: Any) -> None:
    body = {"name": "Dee", "email": "dee@example.com"}
    first = api.post("/customers", body, key="create-dee")
    again = api.post("/customers", body, key="create-dee")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api.post("/customers", {**body, "name": "Dee Two"}, key="create-dee")
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    with db.session(two[0].business.id) as session:
        assert len(session.exec(select(Customer)).all()) == 1


def test_concurrent_requests_with_one_key_create_one_record(
    api: Api, db: Database, two: Any
) -> None:
    body = {"name": "Eve", "email": "eve@example.com"}
    results: list[httpx.Response] = []
    barrier = threading.Barrier(6)

    def send() -> None:
        barrier.wait()
        results.append(api.post("/customers", body, key="eve-once"))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [r.status_code for r in results] == [201] * 6
    assert len({r.json()["id"] for r in results}) == 1
    with db.session(two[0].business.id) as session:
        assert len(session.exec(select(Customer)).all()) == 1


def test_one_business_key_never_reaches_another_business_records(
    api: Api, db: Database, two: tuple[NewBusiness, NewBusiness]
) -> None:
    theirs = two[1].business
    with db.session(theirs.id) as session:
        customer = make_customer(session, theirs, external_id="shared-ref")
        invoice = make_invoice(session, theirs, customer, external_id="inv-ref")
        asked = ServiceRequest(
            business_id=theirs.id, customer_id=customer.id, number="REQ-1001", description="x"
        )
        session.add(asked)
        session.flush()
        message = Message(
            business_id=theirs.id,
            customer_id=customer.id,
            author_kind=AuthorKind.CUSTOMER,
            body="x",
            client_nonce="n1",
        )
        session.add(message)
    ids = {
        "customer": customer.id,
        "invoice": invoice.id,
        "service_request": asked.id,
        "estimate": "external:inv-ref",
        "payment": "pay_x",
        "endpoint": "we_x",
        "delivery": "whd_x",
        # Another business's real document: tests/test_api_documents.py.
        "document": "doc_x",
        # Another business's real plan: tests/test_api_subscriptions.py.
        "subscription": "sub_x",
        # Another business's real service and appointment: tests/test_api_booking.py.
        "booking_service": "svc_x",
        "appointment": "apt_x",
    }
    walked = 0
    for op in OPERATIONS:
        names = re.findall(r"{(\w+)}", op.path)
        if not names:
            continue
        path = op.path.format(**{name: ids[name] for name in names})
        response = api.client.request(op.method, path, json={} if op.body else None)
        assert response.status_code in (404, 422), (op.method, path, response.text)
        if response.status_code == 422:
            # Bodies are checked before records are looked up; a valid one must still find nothing.
            assert customer.id not in response.text
        walked += 1
    assert walked >= 15
    for reference in (customer.id, "external:shared-ref"):
        assert api.get(f"/customers/{reference}").status_code == 404
    assert api.get("/invoices/external:inv-ref").status_code == 404
    assert api.get("/customers").json()["data"] == []
    assert api.get("/invoices").json()["data"] == []
    with db.session(theirs.id) as session:
        assert session.get(Invoice, invoice.id).status == InvoiceStatus.OPEN  # type: ignore[union-attr]
        assert session.get(ServiceRequest, asked.id).status == "new"  # type: ignore[union-attr]
        assert len(session.exec(select(Message)).all()) == 1


@pytest.mark.parametrize("key", ["", "sk_wrong", "pk_not_a_secret"])
def test_every_operation_refuses_a_missing_or_wrong_key(live_server: LiveServer, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    for op in OPERATIONS:
        path = re.sub(r"{\w+}", "x", op.path)
        response = httpx.request(
            op.method, f"{live_server.url}/api/v1{path}", headers=headers, json={}
        )
        assert response.status_code == 401, (op.method, path)
        assert response.json()["title"] == "Unauthorized"


def test_bodies_over_one_mebibyte_are_refused(api: Api) -> None:
    big = {"name": "x", "email": "x@example.com", "phone": "1" * (1024 * 1024)}
    response = api.post("/customers", big)
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is over 1 MiB."

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 65536

    streamed = api.client.post("/customers", content=chunks())
    assert streamed.status_code == 413


def test_each_key_is_rate_limited_and_recovers(
    db: Database, settings: Settings, two: tuple[NewBusiness, NewBusiness]
) -> None:
    limited = settings.model_copy(update={"api_rate_burst": 3, "api_rate_per_second": 2.0})
    app = create_app(limited, db)
    # The buckets refill by the app's clock, held still here: on a busy machine the wall clock
    # could refill one between the fourth request and the fifth.
    now = [utcnow()]
    app.state.clock = lambda: now[0]
    server = LiveServer(app).start()
    try:
        mine, theirs = Api(server, two[0].secret_api_key), Api(server, two[1].secret_api_key)
        codes = [mine.get("/customers").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = mine.get("/customers")
        assert refused.headers["Retry-After"] == "1"
        assert theirs.get("/customers").status_code == 200  # another key has its own allowance
        now[0] += timedelta(seconds=0.6)  # two a second: one request's worth
        assert mine.get("/customers").status_code == 200
    finally:
        mine.client.close()
        theirs.client.close()
        server.stop()


def test_the_openapi_document_and_reference_are_served(live_server: LiveServer) -> None:
    document = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    assert len(document["paths"]) >= 20
    page = httpx.get(f"{live_server.url}/api/v1/reference")
    assert page.status_code == 200
    assert "POST /api/v1/customers/{customer}/charges" in page.text
    assert "Frontdesk-Signature" in page.text


def test_turning_portal_access_off_ends_the_customers_sessions_and_is_audited(
    api: Api, live_server: LiveServer, db: Database, two: tuple[NewBusiness, NewBusiness]
) -> None:
    mine = two[0]
    with db.session(mine.business.id) as session:
        customer = make_customer(session, mine.business)
    embed = api.post(f"/customers/{customer.id}/portal-sessions").json()["token"]
    portal = f"{live_server.url}/portal/{mine.business.publishable_key}"
    opened = httpx.post(f"{portal}/session", data={"token": embed})
    assert opened.status_code == 200, opened.text
    bearer = {"Authorization": f"Bearer {opened.headers['Frontdesk-Session']}"}
    assert httpx.get(f"{portal}/home", headers=bearer).status_code == 200

    turned = api.patch(f"/customers/{customer.id}", {"portal_enabled": False})
    assert turned.status_code == 200, turned.text
    assert httpx.get(f"{portal}/home", headers=bearer).status_code == 403
    assert api.post(f"/customers/{customer.id}/portal-sessions").status_code == 403
    assert api.patch(f"/customers/{customer.id}", {"portal_enabled": False}).status_code == 200
    # Turned on again, the customer starts afresh: what they held before is dead, as when the
    # dashboard turns access off, while a new token opens a session.
    assert api.patch(f"/customers/{customer.id}", {"portal_enabled": True}).status_code == 200
    assert httpx.get(f"{portal}/home", headers=bearer).status_code == 401
    assert httpx.post(f"{portal}/session", data={"token": embed}).status_code == 401
    fresh = api.post(f"/customers/{customer.id}/portal-sessions").json()["token"]
    assert httpx.post(f"{portal}/session", data={"token": fresh}).status_code == 200
    with db.session(mine.business.id) as session:
        trail = session.exec(
            select(AuditEvent.action, AuditEvent.actor_type).where(
                AuditEvent.target_id == customer.id, AuditEvent.actor_type == "api"
            )
        ).all()
    # Each change recorded once, as the API key's: the repeated request changed nothing.
    assert sorted(trail) == [
        ("customer.portal_disabled", "api"),
        ("customer.portal_enabled", "api"),
    ]
