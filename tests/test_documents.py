"""Documents over real HTTP and a real database: the business shares a contract, the customer
signs it in the portal, the signed copy verifies on the public page, and everything that should
be refused (signing twice, someone else's document, a broken trail, racing signers) changes
nothing."""

from __future__ import annotations

import hashlib
import html
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fpdf import FPDF
from pypdf import PdfReader
from sqlmodel import col, select
from starlette.datastructures import Headers, UploadFile

from frontdesk import jobs
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import (
    Customer,
    Document,
    DocumentEvent,
    Estimate,
    OutboxItem,
    SignatureConsent,
)
from frontdesk.services import attachments, documents, estimates
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.documents import chain
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_host_events import told
from tests.test_pdfs import make_estimate
from tests.test_portal_views import Portal

NOW = datetime(2031, 3, 11, 15, 0, tzinfo=UTC)


def contract_pdf(text: str = "Lawn care contract: weekly mowing, April to October.") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def upload(data: bytes, name: str = "contract.pdf") -> UploadFile:
    headers = Headers({"content-type": "application/pdf"})
    return UploadFile(io.BytesIO(data), size=len(data), filename=name, headers=headers)


@dataclass
class Office:
    server: LiveServer
    settings: Settings
    db: Database
    made: NewBusiness
    casey: Customer
    robin: Customer

    def share(self, customer: Customer, title: str = "Service contract", **kw: object) -> str:
        with self.db.session(self.made.business.id) as session:
            found = documents.share(
                session,
                business=self.made.business,
                customer=customer,
                shared=documents.Shared(
                    title=title, kind="contract", requires_signature=bool(kw.get("sign", True))
                ),
                upload=upload(kw.get("data", contract_pdf())),  # type: ignore[arg-type]
                actor=documents.staff_actor(self.made.owner.id, "203.0.113.9"),
                store=attachments.store_for(self.settings),
                links=Links(self.settings.secret_key, self.server.url),
                now=NOW,
                today=NOW.date(),
            )
            return found.id

    def document(self, document_id: str) -> Document:
        with self.db.session(self.made.business.id) as session:
            found = session.get(Document, document_id)
            assert found is not None
            return found

    def trail(self, document_id: str) -> list[str]:
        with self.db.session(self.made.business.id) as session:
            return [e.kind for e in chain.events(session, self.document(document_id))]

    def outbox(self, kind: str) -> list[OutboxItem]:
        with self.db.session(self.made.business.id) as session:
            return list(session.exec(select(OutboxItem).where(OutboxItem.kind == kind)))

    def portal(self, customer: Customer) -> Portal:
        return Portal(self.server, self.settings, self.made.business, customer)

    def signed_bytes(self, document_id: str) -> bytes:
        with self.db.session(self.made.business.id) as session:
            found = session.get(Document, document_id)
            assert found is not None
            data, _ = documents.signed_copy(
                session, document=found, store=attachments.store_for(self.settings)
            )
            return data


@pytest.fixture
def office(db: Database, settings: Settings) -> Iterator[Office]:
    from frontdesk.app import create_app

    made = make_business(db, time_zone="America/New_York")
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey Jones")
        robin = make_customer(session, made.business, name="Robin")
    app = create_app(settings, db)
    app.state.clock = lambda: NOW
    server = LiveServer(app).start()
    yield Office(server, settings, db, made, casey, robin)
    server.stop()


SIGN = {"typed_name": "Casey Jones", "agreed": "yes", "consents": "yes"}


def test_when_a_document_was_shared_is_told_in_the_readers_zone(office: Office) -> None:
    """As the portal's visits are: a reader in Tokyo is not told a New York office's clock."""
    document_id = office.share(office.casey)
    with office.portal(office.casey) as casey:
        # Babel puts a narrow no-break space before AM.
        for zone, shown in (
            ("Asia/Tokyo", "Mar 12, 2031, 12:00\u202fAM"),
            ("", "Mar 11, 2031, 11:00\u202fAM"),
        ):
            asked = {"Frontdesk-Time-Zone": zone} if zone else {}
            listed = casey.client.get("/documents", headers=asked)
            assert shown in html.unescape(listed.text)
            opened = casey.client.get(f"/documents/{document_id}", headers=asked)
            assert shown in html.unescape(opened.text)


def test_the_customer_signs_and_the_signed_copy_verifies(office: Office) -> None:
    document_id = office.share(office.casey)
    with office.portal(office.casey) as casey:
        assert "1 document to sign" in casey.get("/home").text
        listed = casey.get("/documents")
        assert "Service contract" in listed.text and "Needs your signature" in listed.text
        opened = casey.get(f"/documents/{document_id}")
        assert "I agree to sign electronically." in opened.text
        signed = casey.client.post(
            f"/documents/{document_id}/sign",
            data=SIGN,
            headers={"Frontdesk-Time-Zone": "Europe/Paris", "User-Agent": "Casey's browser"},
        )
        assert signed.status_code == 200, signed.text
        assert "Download signed copy" in signed.text
        [event] = told(signed)
        assert event["type"] == "document-signed" and event["object"]["id"] == document_id
        again = casey.client.post(f"/documents/{document_id}/sign", data=SIGN)
        assert again.status_code == 422 and "already signed" in again.text
    found = office.document(document_id)
    assert found.status == "signed" and found.signer_name == "Casey Jones"
    assert office.trail(document_id) == ["shared", "viewed", "consented", "signed", "sealed"]
    sealed = office.signed_bytes(document_id)
    assert hashlib.sha256(sealed).hexdigest() == found.signed_sha256
    pages = PdfReader(io.BytesIO(sealed)).pages
    assert "Lawn care contract" in pages[0].extract_text()
    certificate = "".join(page.extract_text() for page in pages[1:])
    assert "Casey Jones" in certificate and found.sha256 in certificate
    assert "Europe/Paris" in certificate and "Casey's browser" in certificate
    with office.db.session(office.made.business.id) as session:
        [given] = session.exec(select(SignatureConsent)).all()
        assert given.sha256 == hashlib.sha256(given.text.encode()).hexdigest()
    # Both sides get the signed copy; the business's system hears of it once.
    emails = [item.payload for item in office.outbox("email")]
    attached = [email["to"] for email in emails if email["attachment"] == f"document:{found.id}"]
    assert sorted(attached) == sorted([office.casey.email, office.made.owner.email])
    kinds = [item.payload["type"] for item in office.outbox("event")]
    assert kinds.count("document.signed") == 1 and kinds.count("document.shared") == 1

    page = httpx.Client(base_url=office.server.url)
    match = page.post("/documents/verify", files={"file": ("signed.pdf", sealed)})
    assert "This document is unaltered" in match.text and "Casey Jones" in match.text
    changed = bytearray(sealed)
    changed[len(changed) // 2] ^= 1
    altered = page.post("/documents/verify", files={"file": ("signed.pdf", bytes(changed))})
    assert "No match" in altered.text and "Casey Jones" not in altered.text
    typed = page.post("/documents/verify", data={"sha256": "not a hash"})
    assert typed.status_code == 422 and "64 characters" in typed.text
    # An event changed after signing: the copy still matches, and the page says the trail broke.
    with office.db.session(office.made.business.id) as session:
        event_row = session.exec(select(DocumentEvent).where(DocumentEvent.kind == "viewed")).one()
        event_row.ip = "198.51.100.1"
    tampered = page.post("/documents/verify", data={"sha256": found.signed_sha256})
    assert "audit trail was altered" in tampered.text
    page.close()


def test_bad_signing_input_is_shown_and_changes_nothing(office: Office) -> None:
    document_id = office.share(office.casey)
    with office.portal(office.casey) as casey:
        missing = casey.client.post(
            f"/documents/{document_id}/sign", data={"typed_name": "Casey J", "agreed": "yes"}
        )
        assert missing.status_code == 422
        assert "Agree to sign electronically first" in missing.text
        assert 'value="Casey J"' in missing.text
        blank = casey.client.post(f"/documents/{document_id}/sign", data={"consents": "yes"})
        assert "Type your full name" in blank.text and "Tick the box" in blank.text
    with office.db.session(office.made.business.id) as session:
        assert session.exec(select(SignatureConsent)).all() == []
    assert office.document(document_id).status == "shared"
    assert office.trail(document_id) == ["shared", "viewed"]


def test_a_customer_reaches_only_their_own_documents(office: Office) -> None:
    theirs = office.share(office.robin, "Robin's warranty")
    with office.portal(office.casey) as casey:
        assert "Robin's warranty" not in casey.get("/documents").text
        assert casey.get(f"/documents/{theirs}").status_code == 404
        refused = casey.client.post(f"/documents/{theirs}/sign", data=SIGN)
        assert refused.status_code == 404
    assert office.document(theirs).status == "shared"


def test_withdrawn_consent_must_be_given_again_before_signing(office: Office) -> None:
    first, second = office.share(office.casey), office.share(office.casey, "Second contract")
    with office.portal(office.casey) as casey:
        assert casey.client.post(f"/documents/{first}/sign", data=SIGN).status_code == 200
        opened = casey.get(f"/documents/{second}")
        assert "I agree to sign electronically." not in opened.text
        withdrawn = casey.client.post(f"/documents/{second}/consent/withdraw", data={})
        assert withdrawn.status_code == 200 and "paper copies" in withdrawn.text
        without = {"typed_name": "Casey Jones", "agreed": "yes"}
        refused = casey.client.post(f"/documents/{second}/sign", data=without)
        assert refused.status_code == 422 and "Agree to sign electronically" in refused.text
    assert office.document(second).status == "shared"


def test_a_broken_trail_stops_signing(office: Office) -> None:
    document_id = office.share(office.casey)
    with office.db.session(office.made.business.id) as session:
        [shared] = session.exec(select(DocumentEvent)).all()
        shared.data = {**shared.data, "title": "Something else"}
    with office.portal(office.casey) as casey:
        refused = casey.client.post(f"/documents/{document_id}/sign", data=SIGN)
        assert refused.status_code == 422 and "does not check out" in refused.text
    assert office.document(document_id).status == "shared"


def test_only_a_pdf_can_be_shared_for_signing(office: Office) -> None:
    with pytest.raises(Invalid) as refused:
        office.share(office.casey, data=b"\x89PNG\r\n\x1a\n not really")
    assert "file" in refused.value.fields
    with office.db.session(office.made.business.id) as session:
        assert session.exec(select(Document)).all() == []


def test_two_signers_at_once_sign_once(office: Office) -> None:
    """The same customer signing from two tabs at the same moment: one signature, one sealed
    copy, one webhook; the other is told it is already signed."""
    document_id = office.share(office.casey)
    portals = [office.portal(office.casey), office.portal(office.casey)]
    barrier, answers = threading.Barrier(2), [0, 0]

    def sign(index: int) -> None:
        barrier.wait()
        answers[index] = (
            portals[index].client.post(f"/documents/{document_id}/sign", data=SIGN).status_code
        )

    threads = [threading.Thread(target=sign, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for portal in portals:
        portal.client.close()
    assert sorted(answers) == [200, 422]
    assert office.trail(document_id).count("signed") == 1
    kinds = [item.payload["type"] for item in office.outbox("event")]
    assert kinds.count("document.signed") == 1
    with office.db.session(office.made.business.id) as session:
        holds = chain.broken_at(chain.events(session, office.document(document_id)))
        assert holds is None
        consents = session.exec(select(SignatureConsent).order_by(col(SignatureConsent.at)))
        assert len(consents.all()) == 1


def test_an_approved_estimate_is_filed_as_a_signed_pdf_once(office: Office) -> None:
    business = office.made.business
    estimate = make_estimate(office.db, business, office.casey, "EST-2001")
    with office.db.session(business.id) as session:
        found = session.get(Estimate, estimate.id)
        assert found is not None
        estimates.decide(
            session,
            business=business,
            customer=office.casey,
            estimate=found,
            decision=estimates.Decision(True, "Casey Jones", accepted_terms=True),
            ip="198.51.100.7",
            today=found.issue_date,
        )
    filing = {documents.FILE_ESTIMATE: jobs.file_estimate}
    assert OutboxRunner(office.db, office.settings, filing).run_once(NOW + timedelta(hours=1))
    with office.db.session(business.id) as session:
        [item] = session.exec(select(OutboxItem).where(OutboxItem.kind == "file_estimate")).all()
    assert item.status == "done"
    # A job run twice (a crash after filing, before the item was marked) files it once.
    jobs.file_estimate(item, jobs.JobContext(office.settings, office.db))
    with office.db.session(business.id) as session:
        [filed] = session.exec(select(Document)).all()
    assert filed.title == "Estimate EST-2001" and filed.status == "signed"
    with office.portal(office.casey) as casey:
        assert "Approved estimate" in casey.get("/documents").text
    sealed = office.signed_bytes(filed.id)
    certificate = PdfReader(io.BytesIO(sealed)).pages[-1].extract_text()
    assert "Casey Jones" in certificate and "198.51.100.7" in certificate
    page = httpx.post(f"{office.server.url}/documents/verify", files={"file": ("e.pdf", sealed)})
    assert "This document is unaltered" in page.text


def test_a_business_that_turns_documents_off_hides_them(office: Office) -> None:
    document_id = office.share(office.casey)
    with office.db.session(office.made.business.id) as session:
        business = session.get(type(office.made.business), office.made.business.id)
        assert business is not None
        business.allow_documents = False
    with office.portal(office.casey) as casey:
        home = casey.get("/home").text
        assert "to sign" not in home and ">Documents<" not in home
        assert casey.get("/documents").status_code == 404
        assert casey.get(f"/documents/{document_id}").status_code == 404
        assert casey.client.post(f"/documents/{document_id}/sign", data=SIGN).status_code == 404
    assert office.document(document_id).status == "shared"


def test_a_document_replaced_while_open_is_read_again_before_signing(office: Office) -> None:
    document_id = office.share(office.casey)
    with office.portal(office.casey) as casey:
        assert 'name="version" value="1"' in casey.get(f"/documents/{document_id}").text
        with office.db.session(office.made.business.id) as session:
            documents.replace(
                session,
                business=office.made.business,
                document=office.document(document_id),
                upload=upload(contract_pdf("Lawn care contract, revised: fortnightly mowing.")),
                actor=documents.staff_actor(office.made.owner.id, ""),
                store=attachments.store_for(office.settings),
                links=Links(office.settings.secret_key, office.server.url),
                now=NOW,
            )
        stale = casey.client.post(f"/documents/{document_id}/sign", data={**SIGN, "version": "1"})
        assert stale.status_code == 422 and "updated this document" in stale.text
        assert 'name="version" value="2"' in stale.text and "Version 2" in stale.text
        fresh = casey.client.post(f"/documents/{document_id}/sign", data={**SIGN, "version": "2"})
        assert fresh.status_code == 200, fresh.text
    sealed = office.signed_bytes(document_id)
    assert "revised" in PdfReader(io.BytesIO(sealed)).pages[0].extract_text()
