"""Documents in the dashboard over real HTTP: sharing one from the customer's page, the list and
a document's page (versions, signed copy, audit trail), replacing, reminding, withdrawing; bad
input refused with nothing kept, another business's document not found, and a trail edited in
the database reported as altered."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fpdf import FPDF
from PIL import Image
from sqlmodel import col, select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import (
    Attachment,
    Customer,
    Document,
    DocumentEvent,
    DocumentStatus,
    DocumentVersion,
    OutboxItem,
)
from frontdesk.services import attachments, businesses, documents
from frontdesk.services.attachment_files import MAX_FILE_BYTES
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_dashboard import Desk, add_manager

# 03:00 UTC on the 11th is 11 PM on the 10th in New York, where the business is.
NOW = datetime(2031, 3, 11, 3, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"


def make_pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(NOW)
    pdf.set_font("helvetica", size=14)
    pdf.add_page()
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def make_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


CONTRACT = make_pdf("The maintenance contract")
CONTRACT_V2 = make_pdf("The maintenance contract, corrected")


@dataclass
class Shop:
    server: LiveServer
    settings: Settings
    db: Database
    made: NewBusiness
    casey: Customer

    def desk(self, email: str = "") -> Desk:
        return Desk(self.server.url, email or self.made.owner.email)

    def rows(self, model: type[Document | DocumentVersion | DocumentEvent | Attachment]) -> int:
        with self.db.session(self.made.business.id) as session:
            return len(session.exec(select(model)).all())

    def emails_to(self, address: str) -> list[OutboxItem]:
        with self.db.session(self.made.business.id) as session:
            return [
                item
                for item in session.exec(
                    select(OutboxItem)
                    .where(OutboxItem.kind == "email")
                    .order_by(col(OutboxItem.created_at))
                )
                if item.payload["to"] == address
            ]

    def only_document(self) -> Document:
        with self.db.session(self.made.business.id) as session:
            [found] = session.exec(select(Document)).all()
            return found


@pytest.fixture
def shop(db: Database, settings: Settings) -> Iterator[Shop]:
    made = make_business(db, name="Greenleaf Gardens", time_zone="America/New_York")
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey")
    app = create_app(settings, db)
    app.state.clock = lambda: NOW
    server = LiveServer(app).start()
    yield Shop(server, settings, db, made, casey)
    server.stop()


@pytest.fixture
def desk(shop: Shop) -> Iterator[Desk]:
    signed_in = shop.desk()
    yield signed_in
    signed_in.close()


def send(
    desk: Desk, path: str, fields: dict[str, str], file: tuple[str, bytes, str] | None
) -> httpx.Response:
    """A form with a file input, posted as htmx posts it (multipart, CSRF header)."""
    upload = file or ("", b"", "application/octet-stream")
    headers = {"HX-Request": "true", "X-CSRF-Token": desk.csrf}
    return desk.client.post(path, data=fields, files={"file": upload}, headers=headers)


def share(
    desk: Desk,
    customer: Customer,
    file: tuple[str, bytes, str] | None = ("contract.pdf", CONTRACT, "application/pdf"),
    **fields: str,
) -> httpx.Response:
    typed = {"title": "Maintenance contract", "kind": "contract", "requires_signature": "yes"}
    return send(desk, f"/customers/{customer.id}/documents", {**typed, **fields}, file)


def file_links(page: str) -> list[str]:
    return re.findall(r'href="(?:http://[^/"]+)?(/files/[^"]+)"', page)


def test_a_shared_document_is_on_the_customer_page_the_list_and_its_own_page(
    shop: Shop, desk: Desk
) -> None:
    customer_page = desk.get(f"/customers/{shop.casey.id}")
    assert f"/dashboard/customers/{shop.casey.id}/documents" in customer_page.text

    shared = share(desk, shop.casey, expires_on="2032-01-31")
    assert shared.status_code == 200, shared.text
    assert shared.text.startswith('<section id="documents"')  # the card, as htmx swaps it
    assert "Shared “Maintenance contract” with Casey; they have an email." in shared.text
    [told] = shop.emails_to(shop.casey.email)
    assert "review and sign" in told.payload["text"]

    card = desk.get(f"/customers/{shop.casey.id}/documents").text
    row = card.split("<tbody>")[1]
    for shown in ("Maintenance contract", "Contract", "Awaiting signature", "Mar 10, 2031"):
        assert shown in row, shown
    document = shop.only_document()
    assert f"/dashboard/documents/{document.id}" in row

    listed = desk.get("/documents").text
    assert "Maintenance contract" in listed and "Casey" in listed
    assert "Maintenance contract" in desk.get("/documents", view="waiting").text
    assert "Maintenance contract" not in desk.get("/documents", view="signed").text

    page = desk.get(f"/documents/{document.id}").text
    assert "Jan 31, 2032" in page and document.sha256 in page
    assert "The audit trail holds" in page and "Shared with the customer" in page
    assert "Remind Casey to sign" in page and "Replace the file" in page
    [link] = file_links(page)
    downloaded = httpx.get(shop.server.url + link)
    assert downloaded.status_code == 200 and downloaded.content == CONTRACT


# Each refused upload: what is sent, the field its message is under, and the message.
REFUSED = {
    "no title": ({"title": "  "}, None, "Give the document a title"),
    "not a PDF to sign": ({}, ("photo.png", make_png(), "image/png"), "photo.png is not a PDF"),
    "expired": ({"expires_on": "2031-03-09"}, None, "This expiry date has passed"),
    "too big": (
        {},
        ("big.pdf", b"%PDF-1.4\n" + b"0" * MAX_FILE_BYTES, "application/pdf"),
        "big.pdf is 10.1 MB; files can be up to 10 MB.",
    ),
    "no file": ({}, ("", b"", "application/octet-stream"), "Choose the file to share."),
}


def stored_files(shop: Shop) -> list[str]:
    kept = shop.settings.data_dir / "attachments"
    return [str(path) for path in kept.rglob("*") if path.is_file()]


def test_a_refused_upload_says_why_keeps_what_was_typed_and_keeps_nothing(
    shop: Shop, desk: Desk
) -> None:
    # One test for every case: each would otherwise pay for a business, a server and a sign-in.
    for case, (fields, file, message) in REFUSED.items():
        typed = {"kind": "coi", "expires_on": "2031-12-31", **fields}
        sent = file or ("coi.pdf", CONTRACT, "application/pdf")
        refused = share(desk, shop.casey, sent, **typed)
        assert refused.status_code == 422, case
        assert message in refused.text, case
        assert 'aria-invalid="true"' in refused.text, case
        assert f'value="{typed["expires_on"]}"' in refused.text, case
        assert '<option value="coi" selected>' in refused.text, case
        assert 'name="requires_signature" value="yes" checked' in refused.text, case
        for model in (Document, DocumentVersion, DocumentEvent, Attachment):
            assert shop.rows(model) == 0, f"{case}: {model.__name__}"
        assert stored_files(shop) == [], case
    assert shop.emails_to(shop.casey.email) == []
    # What was looked for above does show when something is kept.
    assert share(desk, shop.casey).status_code == 200
    assert len(stored_files(shop)) == 1 and shop.rows(Document) == 1


def test_replacing_keeps_version_one_and_shows_version_two(shop: Shop, desk: Desk) -> None:
    share(desk, shop.casey)
    document = shop.only_document()
    refused = send(
        desk, f"/documents/{document.id}/replace", {}, ("new.png", make_png(), "image/png")
    )
    assert refused.status_code == 422 and "new.png is not a PDF" in refused.text
    assert shop.rows(DocumentVersion) == 1

    replaced = send(
        desk, f"/documents/{document.id}/replace", {}, ("v2.pdf", CONTRACT_V2, "application/pdf")
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.text.startswith('<section id="document"')
    assert "Version 2 is the one the customer sees now" in replaced.text
    assert "Replaced with a new version" in replaced.text and "(version 2)" in replaced.text
    versions = replaced.text.split('id="versions-title"')[1].split("</table>")[0]
    assert '2 <span class="muted small">(current)</span>' in versions
    assert "contract.pdf" in versions and "v2.pdf" in versions
    newest, oldest = (httpx.get(shop.server.url + link) for link in file_links(versions))
    assert newest.content == CONTRACT_V2 and oldest.content == CONTRACT
    assert shop.only_document().sha256 == hashlib.sha256(CONTRACT_V2).hexdigest()
    assert "The audit trail holds" in replaced.text


def test_a_manager_withdraws_a_document_and_nothing_more_can_be_done_to_it(
    shop: Shop, desk: Desk
) -> None:
    share(desk, shop.casey)
    document = shop.only_document()
    actions = r'hx-post="[^"]*/documents/[^"]*"'
    assert len(re.findall(actions, desk.get(f"/documents/{document.id}").text)) == 3
    manager = shop.desk(add_manager(shop.db, shop.made))
    try:
        withdrawn = manager.post(f"/documents/{document.id}/withdraw")
        again = manager.post(f"/documents/{document.id}/withdraw")
    finally:
        manager.close()
    assert withdrawn.status_code == 200, withdrawn.text
    assert "Withdrawn: the customer no longer sees it." in withdrawn.text
    assert re.findall(actions, withdrawn.text) == []  # nothing more to do
    assert again.status_code == 422 and "already withdrawn" in again.text
    assert shop.only_document().status == DocumentStatus.WITHDRAWN
    assert "Maintenance contract" in desk.get("/documents", view="withdrawn").text
    assert "Maintenance contract" not in desk.get("/documents", view="waiting").text
    with shop.db.session(shop.made.business.id) as session:
        casey = session.get(Customer, shop.casey.id)
        assert casey is not None and documents.for_customer(session, customer=casey) == []


def test_a_reminder_emails_the_customer_and_only_while_a_signature_is_awaited(
    shop: Shop, desk: Desk
) -> None:
    share(desk, shop.casey)
    document = shop.only_document()
    reminded = desk.post(f"/documents/{document.id}/remind")
    assert reminded.status_code == 200, reminded.text
    assert "Reminder sent" in reminded.text and "Last reminder" in reminded.text
    _shared, reminder = shop.emails_to(shop.casey.email)
    assert "waiting for your signature on “Maintenance contract”" in reminder.payload["text"]

    share(desk, shop.casey, title="Warranty", kind="warranty", requires_signature="")
    with shop.db.session(shop.made.business.id) as session:
        [warranty] = session.exec(select(Document).where(Document.kind == "warranty")).all()
    page = desk.get(f"/documents/{warranty.id}").text
    assert "Remind Casey" not in page
    refused = desk.post(f"/documents/{warranty.id}/remind")
    assert refused.status_code == 422 and "Only a document waiting for a signature" in refused.text
    assert len(shop.emails_to(shop.casey.email)) == 3  # two shared, one reminder


def test_a_signed_document_offers_its_signed_copy(shop: Shop, desk: Desk) -> None:
    share(desk, shop.casey)
    with shop.db.session(shop.made.business.id) as session:
        business = businesses.get(session, shop.made.business.id)
        casey = session.get(Customer, shop.casey.id)
        [found] = session.exec(select(Document)).all()
        assert casey is not None
        signed = documents.sign(
            session,
            business=business,
            customer=casey,
            document=found,
            signature=documents.Signature("Casey Q. Customer", agreed=True, consents=True),
            who=documents.Who("customer", casey.id, "198.51.100.7", "test browser"),
            store=attachments.store_for(shop.settings),
            links=Links.from_settings(shop.settings),
            verify_url="http://127.0.0.1/verify",
            now=NOW,
        )
        signed_sha256 = signed.signed_sha256
    page = desk.get(f"/documents/{found.id}").text
    signed_card = page.split('id="signed-title"')[1].split("</section>")[0]
    assert "Casey Q. Customer" in signed_card and f"{signed_sha256}" in signed_card
    # In the business's zone (03:00 UTC is 11 PM on the 10th there); CLDR puts a narrow
    # no-break space before "PM".
    assert "Mar 10, 2031, 11:00\u202fPM" in signed_card
    [link] = file_links(signed_card)
    copy = httpx.get(shop.server.url + link).content
    assert hashlib.sha256(copy).hexdigest() == signed_sha256
    assert "Signed by the customer" in page and "198.51.100.7" in page
    assert "Replace the file" not in page and "Remind Casey" not in page
    assert "Maintenance contract" in desk.get("/documents", view="signed").text
    card = desk.get(f"/customers/{shop.casey.id}/documents").text
    assert "by Casey Q. Customer" in card


def test_an_edited_trail_event_turns_the_banner_to_altered(shop: Shop, desk: Desk) -> None:
    share(desk, shop.casey)
    document = shop.only_document()
    desk.post(f"/documents/{document.id}/remind")
    assert "The audit trail holds" in desk.get(f"/documents/{document.id}").text
    with shop.db.session(shop.made.business.id) as session:
        first = session.exec(select(DocumentEvent).where(DocumentEvent.seq == 1)).one()
        first.ip = "203.0.113.66"  # as if someone rewrote where it came from
    page = desk.get(f"/documents/{document.id}").text
    assert "The audit trail was altered at event 1" in page
    assert "The audit trail holds" not in page


def test_another_business_document_is_not_found(shop: Shop, desk: Desk, db: Database) -> None:
    other = make_business(db)
    with db.session(other.business.id) as session:
        theirs = make_customer(session, other.business)
    outsider = Desk(shop.server.url, other.owner.email)
    try:
        share(outsider, theirs)
    finally:
        outsider.close()
    with db.session(other.business.id) as session:
        [foreign] = session.exec(select(Document)).all()
    assert desk.get(f"/documents/{foreign.id}").status_code == 404
    for action in ("remind", "withdraw"):
        assert desk.post(f"/documents/{foreign.id}/{action}").status_code == 404, action
    replaced = send(
        desk, f"/documents/{foreign.id}/replace", {}, ("v2.pdf", CONTRACT_V2, "application/pdf")
    )
    assert replaced.status_code == 404
    assert share(desk, theirs).status_code == 404  # nor can a document go to their customer
    assert desk.get(f"/customers/{theirs.id}/documents").status_code == 404
    assert "Maintenance contract" not in desk.get("/documents").text
    with db.session(other.business.id) as session:
        [after] = session.exec(select(Document)).all()
        assert after.status == DocumentStatus.SHARED and after.version == 1


def test_a_hostile_title_renders_as_text(shop: Shop, desk: Desk) -> None:
    share(desk, shop.casey, title=HOSTILE)
    document = shop.only_document()
    pages = [
        desk.get(f"/customers/{shop.casey.id}/documents").text,
        desk.get("/documents").text,
        desk.get(f"/documents/{document.id}").text,
    ]
    for page in pages:
        assert HOSTILE not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
