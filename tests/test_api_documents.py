"""Documents through the integration API on a live server: sharing a file (multipart), reading,
listing, withdrawing, reminding; refusals that change nothing; and the hash check."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fpdf import FPDF
from PIL import Image
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import Business, Customer, Document, DocumentEvent, OutboxItem, utcnow
from frontdesk.services import attachments, documents
from frontdesk.services.attachment_files import MiB
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.security.state import state_of


def tiny_pdf(text: str = "Maintenance contract") -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


PDF = tiny_pdf()


class Api:
    def __init__(self, server: LiveServer, key: str) -> None:
        self.client = httpx.Client(
            base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
        )

    def share(
        self,
        fields: dict[str, str],
        file: tuple[str, bytes, str] | None = ("contract.pdf", PDF, "application/pdf"),
        key: str | None = None,
    ) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        # Without a file, httpx sends the fields form-encoded: the server reads either.
        files = {"file": file} if file else None
        return self.client.post("/documents", data=fields, files=files, headers=headers)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.client.post(path, json=body)


@pytest.fixture
def mine(db: Database) -> NewBusiness:
    return make_business(db, name="Acme Repairs")


@pytest.fixture
def other(db: Database) -> NewBusiness:
    return make_business(db)


@pytest.fixture
def api(live_server: LiveServer, mine: NewBusiness) -> Iterator[Api]:
    client = Api(live_server, mine.secret_api_key)
    yield client
    client.client.close()


@pytest.fixture
def theirs(live_server: LiveServer, other: NewBusiness) -> Iterator[Api]:
    client = Api(live_server, other.secret_api_key)
    yield client
    client.client.close()


def customer_of(db: Database, made: NewBusiness, **fields: Any) -> Customer:
    with db.session(made.business.id) as session:
        return make_customer(session, made.business, **fields)


def emails_to(db: Database, made: NewBusiness, address: str) -> int:
    with db.session(made.business.id) as session:
        items = session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
        return sum(1 for item in items if item.payload["to"] == address)


def errors_of(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["field"]: e["detail"] for e in response.json().get("errors", [])}


def test_a_document_is_shared_read_listed_reminded_and_withdrawn(
    api: Api, db: Database, mine: NewBusiness
) -> None:
    ann = customer_of(db, mine, external_id="crm-7", email="ann@example.com")
    expires = (date.today() + timedelta(days=365)).isoformat()
    created = api.share(
        {
            "customer": "external:crm-7",
            "title": "  Maintenance   contract ",
            "kind": "contract",
            "expires_on": expires,
            "requires_signature": "true",
        }
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    assert (doc["object"], doc["customer"], doc["title"]) == (
        "document",
        ann.id,
        "Maintenance contract",
    )
    assert (doc["kind"], doc["status"], doc["requires_signature"]) == ("contract", "shared", True)
    assert (doc["version"], doc["expires_on"], doc["signed_sha256"]) == (1, expires, None)
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest()
    [version] = doc["versions"]
    assert (version["version"], version["filename"], version["content_type"]) == (
        1,
        "contract.pdf",
        "application/pdf",
    )
    assert (version["sha256"], version["size"]) == (doc["sha256"], len(PDF))
    # The customer is told by email, the business's system by webhook.
    assert emails_to(db, mine, "ann@example.com") == 1
    with db.session(mine.business.id) as session:
        events = session.exec(select(OutboxItem).where(OutboxItem.kind == "event")).all()
        assert [e.payload["data"]["document"] for e in events] == [doc["id"]]
        assert events[0].payload["type"] == "document.shared"

    assert api.get(f"/documents/{doc['id']}").json() == doc
    other = customer_of(db, mine)
    api.share({"customer": other.id, "title": "Warranty", "kind": "warranty"})
    assert len(api.get("/documents").json()["data"]) == 2
    anns = api.get("/documents", customer="external:crm-7").json()
    assert [d["id"] for d in anns["data"]] == [doc["id"]]
    assert api.get("/documents", status="withdrawn").json()["data"] == []

    reminded = api.post(f"/documents/{doc['id']}/remind")
    assert reminded.status_code == 200, reminded.text
    assert reminded.json()["reminded_at"] is not None
    assert emails_to(db, mine, "ann@example.com") == 2

    withdrawn = api.post(f"/documents/{doc['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    listed = api.get("/documents", status="withdrawn").json()["data"]
    assert [d["id"] for d in listed] == [doc["id"]]
    # Neither can happen twice, nor a reminder about a withdrawn document.
    assert api.post(f"/documents/{doc['id']}/withdraw").status_code == 422
    assert api.post(f"/documents/{doc['id']}/remind").status_code == 422


def test_a_document_without_a_signature_takes_an_image(
    api: Api, db: Database, mine: NewBusiness
) -> None:
    bob = customer_of(db, mine)
    created = api.share(
        {"customer": bob.id, "title": "Insurance", "kind": "coi", "expires_on": ""},
        file=("coi.png", tiny_png(), "image/png"),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["kind"], body["requires_signature"], body["expires_on"]) == ("coi", False, None)
    assert body["versions"][0]["content_type"] == "image/png"
    # Only a document waiting for a signature can be reminded about.
    assert api.post(f"/documents/{body['id']}/remind").status_code == 422


def test_bad_input_is_refused_by_field_and_changes_nothing(
    api: Api, db: Database, mine: NewBusiness
) -> None:
    cy = customer_of(db, mine)
    good = {"customer": cy.id, "title": "Contract", "kind": "contract"}
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    before = state_of(db)
    cases: list[tuple[dict[str, str], tuple[str, bytes, str] | None, str]] = [
        ({**good, "kind": "estimate"}, ("c.pdf", PDF, "application/pdf"), "kind"),
        ({**good, "title": "   "}, ("c.pdf", PDF, "application/pdf"), "title"),
        ({**good, "customer": "cus_nobody"}, ("c.pdf", PDF, "application/pdf"), "customer"),
        ({**good, "expires_on": yesterday}, ("c.pdf", PDF, "application/pdf"), "expires_on"),
        ({**good, "expires_on": "soon"}, ("c.pdf", PDF, "application/pdf"), "expires_on"),
        (good, None, "file"),
        (good, ("notes.txt", b"just words", "text/plain"), "file"),
        (good, ("empty.pdf", b"", "application/pdf"), "file"),
        ({**good, "requires_signature": "true"}, ("photo.png", tiny_png(), "image/png"), "file"),
        ({**good, "surprise": "1"}, ("c.pdf", PDF, "application/pdf"), "surprise"),
    ]
    for fields, file, field in cases:
        refused = api.share(fields, file)
        assert field in errors_of(refused), (fields, file, refused.text)
    message = errors_of(
        api.share({**good, "requires_signature": "true"}, ("photo.png", tiny_png(), "image/png"))
    )["file"]
    assert message == "photo.png is not a PDF: only PDFs can be signed here."
    # JSON is not how a file is sent: every field is missing.
    as_json = api.post("/documents", {**good, "file": "Y29udHJhY3Q="})
    assert set(errors_of(as_json)) >= {"customer", "title", "kind", "file"}
    # Two files where one is taken: the form itself is refused.
    two_files = api.client.post(
        "/documents",
        data=good,
        files=[("file", ("a.pdf", PDF, "application/pdf")), ("file", ("b.pdf", PDF, "x/y"))],
    )
    assert two_files.status_code == 400, two_files.text
    assert state_of(db) == before


def test_files_up_to_10_mb_are_taken_and_bigger_ones_refused(
    api: Api, db: Database, mine: NewBusiness
) -> None:
    cy = customer_of(db, mine)
    fields = {"customer": cy.id, "title": "Plans", "kind": "other"}
    # Over the 1 MiB every other route takes: the upload's own allowance applies.
    two_mb = b"%PDF-1.4\n" + b"0" * 2 * MiB
    taken = api.share(fields, ("plans.pdf", two_mb, "application/pdf"))
    assert taken.status_code == 201, taken.text
    assert taken.json()["versions"][0]["size"] == len(two_mb)
    before = state_of(db)
    just_over = api.share(fields, ("big.pdf", b"%PDF-1.4\n" + b"0" * 10 * MiB, "application/pdf"))
    assert errors_of(just_over)["file"] == "big.pdf is 10.1 MB; files can be up to 10 MB."
    huge = api.share(fields, ("huge.pdf", b"%PDF-1.4\n" + b"0" * 12 * MiB, "application/pdf"))
    assert huge.status_code == 413, huge.text
    assert huge.headers["content-type"] == "application/problem+json"
    assert state_of(db) == before


def test_another_business_document_is_not_found(
    api: Api, theirs: Api, db: Database, other: NewBusiness
) -> None:
    their_customer = customer_of(db, other)
    their_doc = theirs.share(
        {
            "customer": their_customer.id,
            "title": "Theirs",
            "kind": "other",
            "requires_signature": "1",
        }
    ).json()
    before = state_of(db)
    for answer in (
        api.get(f"/documents/{their_doc['id']}"),
        api.post(f"/documents/{their_doc['id']}/withdraw"),
        api.post(f"/documents/{their_doc['id']}/remind"),
        api.get("/documents/doc_nothing"),
        api.get("/documents", customer=their_customer.id),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    # Nor can their customer be given a document.
    assert "customer" in errors_of(
        api.share({"customer": their_customer.id, "title": "Mine", "kind": "other"})
    )
    assert api.get("/documents").json()["data"] == []
    assert state_of(db) == before


def test_a_retry_with_the_same_idempotency_key_shares_once(
    api: Api, db: Database, mine: NewBusiness
) -> None:
    cy = customer_of(db, mine)
    fields = {"customer": cy.id, "title": "Contract", "kind": "contract"}
    first = api.share(fields, key="share-1")
    # httpx draws a new multipart boundary for each request: the retry's bytes differ.
    again = api.share(fields, key="share-1")
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other_file = api.share(
        fields, ("contract.pdf", tiny_pdf("Another"), "application/pdf"), "share-1"
    )
    assert "Idempotency-Key" in errors_of(other_file)
    with db.session(mine.business.id) as session:
        assert len(session.exec(select(Document)).all()) == 1


def _sign(db: Database, settings: Settings, made: NewBusiness, document_id: str) -> str:
    """Signs as the customer would in the portal; the signed PDF's SHA-256."""
    with db.session(made.business.id) as session:
        business = session.get(Business, made.business.id)
        document = documents.get(session, document_id=document_id)
        customer = session.get(Customer, document.customer_id)
        assert business is not None and customer is not None
        signed = documents.sign(
            session,
            business=business,
            customer=customer,
            document=document,
            signature=documents.Signature("Ann Signer", agreed=True, consents=True),
            who=documents.Who("customer", customer.id, "203.0.113.9", "pytest"),
            store=attachments.store_for(settings),
            links=Links.from_settings(settings),
            verify_url=f"{settings.base_url}/documents/verify",
            now=utcnow(),
        )
        assert signed.signed_sha256 is not None
        return signed.signed_sha256


def test_a_signed_pdf_is_verified_by_its_hash_with_any_key(
    api: Api, theirs: Api, db: Database, settings: Settings, mine: NewBusiness
) -> None:
    cy = customer_of(db, mine)
    doc = api.share(
        {
            "customer": cy.id,
            "title": "Roof contract",
            "kind": "contract",
            "requires_signature": "true",
        }
    ).json()
    # The file as sent is not the signed copy: it does not verify.
    unsigned = api.post("/documents/verify", {"sha256": doc["sha256"]})
    assert unsigned.json()["matches"] is False
    digest = _sign(db, settings, mine, doc["id"])
    shown = api.get(f"/documents/{doc['id']}").json()
    assert (shown["status"], shown["signer_name"], shown["signed_sha256"]) == (
        "signed",
        "Ann Signer",
        digest,
    )

    ours = api.post("/documents/verify", {"sha256": digest.upper()})
    assert ours.status_code == 200, ours.text
    answer = ours.json()
    assert answer["matches"] is True and answer["trail_holds"] is True
    assert (answer["business_name"], answer["title"], answer["signer_name"]) == (
        "Acme Repairs",
        "Roof contract",
        "Ann Signer",
    )
    assert (answer["sha256"], answer["signed_at"], answer["document"]) == (
        digest,
        shown["signed_at"],
        doc["id"],
    )
    # Another business's key learns what the PDF shows, and not which record it is.
    elsewhere = theirs.post("/documents/verify", {"sha256": digest}).json()
    assert elsewhere == {**answer, "document": None}

    with db.session(mine.business.id) as session:
        first = session.exec(select(DocumentEvent).where(DocumentEvent.seq == 1)).one()
        first.data = {**first.data, "title": "Something else"}
    assert api.post("/documents/verify", {"sha256": digest}).json()["trail_holds"] is False

    unknown = api.post("/documents/verify", {"sha256": "0" * 64}).json()
    assert unknown == {
        "object": "verification",
        "sha256": "0" * 64,
        "matches": False,
        "business_name": None,
        "title": None,
        "signer_name": None,
        "signed_at": None,
        "trail_holds": None,
        "document": None,
    }
    assert "sha256" in errors_of(api.post("/documents/verify", {"sha256": "not a hash"}))
