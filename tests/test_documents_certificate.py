"""The signed PDF: the original's pages untouched, then the certificate page(s), the same bytes
each time for the same signature; and which uploads page_count refuses for signing."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from frontdesk.services.documents.certificate import Certificate, page_count, sealed
from frontdesk.services.errors import Invalid

SIGNED_AT = datetime(2026, 3, 12, 13, 5, 9, tzinfo=UTC)  # 14:05:09 in Paris (UTC+01:00)
ARABIC_TITLE = "عقد الصيانة"
HOSTILE = "<script>alert(1)</script> {{7*7}}"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) " + "Gecko/20100101 " * 60  # ~930 characters


def make_original() -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 5, tzinfo=UTC))
    pdf.set_font("helvetica", size=14)
    for text in ("Page one: the maintenance contract", "Page two: the warranty terms"):
        pdf.add_page()
        pdf.cell(0, 10, text)
    return bytes(pdf.output())


ORIGINAL = make_original()
SENT_SHA256 = hashlib.sha256(ORIGINAL).hexdigest()
CERTIFICATE = Certificate(
    business_name=f"Acme Repairs {HOSTILE}",
    document_title=f"{ARABIC_TITLE} {HOSTILE}",
    reference="doc_8f3a91c2",
    version=2,
    sent_sha256=SENT_SHA256,
    signer_name="Ann Ünal",
    signer_email="ann@example.com",
    identified_by="Signed in with a link emailed to ann@example.com",
    consent_text_sha256=hashlib.sha256(b"I agree to sign electronically").hexdigest(),
    consented_at=SIGNED_AT - timedelta(minutes=2),
    signed_at=SIGNED_AT,
    signer_time_zone="",
    shown_time_zone="Europe/Paris",
    ip="203.0.113.9",
    user_agent=USER_AGENT,
    chain_head=hashlib.sha256(b"last audit event").hexdigest(),
    # Enough events that the certificate needs a second page.
    trail=[
        (SIGNED_AT - timedelta(hours=60 - n), f"Viewed by Ann Ünal, event {n}") for n in range(60)
    ],
    verify_url="https://acme.example.com/verify/doc_8f3a91c2",
)


@pytest.fixture(scope="module")
def signed() -> bytes:
    return sealed(ORIGINAL, CERTIFICATE)


@pytest.fixture(scope="module")
def certificate_text(signed: bytes) -> str:
    pages = PdfReader(io.BytesIO(signed)).pages[2:]
    return "\n".join(page.extract_text() for page in pages)


def test_the_original_pages_come_first_unchanged(signed: bytes) -> None:
    original, result = PdfReader(io.BytesIO(ORIGINAL)), PdfReader(io.BytesIO(signed))
    for before, after in zip(original.pages, result.pages[:2], strict=True):
        assert after.get_contents().get_data() == before.get_contents().get_data()
        assert after.mediabox == before.mediabox
    assert result.pages[0].extract_text() == "Page one: the maintenance contract"
    assert result.pages[1].extract_text() == "Page two: the warranty terms"


def test_a_long_audit_trail_flows_onto_more_certificate_pages_each_with_the_check_line(
    signed: bytes,
) -> None:
    pages = PdfReader(io.BytesIO(signed)).pages
    assert len(pages) >= 4, "60 trail events should need a second certificate page"
    for page in pages[2:]:
        text = " ".join(page.extract_text().split())
        assert (
            "Check this document at https://acme.example.com/verify/doc_8f3a91c2: any change to "
            "this file, even one byte, makes the check fail." in text
        )
    assert "Certificate of signature" in pages[2].extract_text()


def test_the_certificate_records_the_signer_the_hashes_and_the_trail(
    certificate_text: str,
) -> None:
    for expected in (
        "Certificate of signature",
        "Ann Ünal",
        "ann@example.com",
        "Signed in with a link emailed to ann@example.com",
        "doc_8f3a91c2",
        SENT_SHA256,
        CERTIFICATE.consent_text_sha256,
        CERTIFICATE.chain_head,
        "203.0.113.9",
        "Viewed by Ann Ünal, event 0",
        "Viewed by Ann Ünal, event 59",
    ):
        assert expected in certificate_text, expected


def test_times_are_shown_in_the_business_zone_with_the_offset_and_in_utc(
    certificate_text: str,
) -> None:
    assert "2026-03-12 14:05:09 UTC+01:00 (Europe/Paris)" in certificate_text
    assert "2026-03-12 13:05:09 UTC" in certificate_text
    assert "2026-03-12 14:03:09 UTC+01:00" in certificate_text  # consent
    assert "Signer's time zone not reported" in certificate_text


def test_times_from_the_clock_show_whole_seconds() -> None:
    """Times as the clock gives them carry microseconds: the page shows seconds."""
    precise = dataclasses.replace(CERTIFICATE, signed_at=SIGNED_AT.replace(microsecond=803527))
    pages = PdfReader(io.BytesIO(sealed(ORIGINAL, precise))).pages[2:]
    text = "\n".join(page.extract_text() for page in pages)
    assert "2026-03-12 14:05:09 UTC+01:00 (Europe/Paris)" in text and "803527" not in text


def test_hostile_names_are_drawn_as_plain_text(certificate_text: str) -> None:
    assert f"Acme Repairs {HOSTILE}" in certificate_text
    assert ARABIC_TITLE in certificate_text


def test_the_user_agent_is_cut_to_300_characters(certificate_text: str) -> None:
    agent = certificate_text.split("User agent", 1)[1].split("Audit trail", 1)[0]
    drawn = "".join(agent.split())
    assert drawn.endswith("…")
    assert len(drawn) < len("".join(USER_AGENT.split()))
    assert 240 <= len(drawn) <= 300


def test_the_metadata_and_trailer_id_come_from_the_signature(signed: bytes) -> None:
    reader = PdfReader(io.BytesIO(signed))
    meta = reader.metadata
    assert meta is not None
    assert meta["/Title"] == CERTIFICATE.document_title
    assert meta["/Producer"] == "Frontdesk"
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20260312130509Z"
    assert meta["/FrontdeskReference"] == "doc_8f3a91c2"
    first, second = reader.trailer["/ID"]
    assert len(first) == len(second) == 16 and first != second


def test_the_same_signature_gives_the_same_bytes_and_another_time_other_bytes(
    signed: bytes,
) -> None:
    assert sealed(ORIGINAL, CERTIFICATE) == signed
    later = dataclasses.replace(CERTIFICATE, signed_at=SIGNED_AT + timedelta(seconds=1))
    assert sealed(ORIGINAL, later) != signed


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(CERTIFICATE, signed_at=datetime(2026, 3, 12, 13, 5, 9))


def test_page_count_accepts_a_good_pdf() -> None:
    assert page_count(ORIGINAL) == 2


def encrypted(data: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def no_pages() -> bytes:
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello", "This file is not a PDF."),
        (ORIGINAL[: len(ORIGINAL) // 2], "This PDF is damaged"),
        (encrypted(ORIGINAL), "This PDF is password protected"),
        (no_pages(), "This PDF has no pages."),
    ],
    ids=["not-a-pdf", "truncated", "encrypted", "no-pages"],
)
def test_page_count_refuses_what_cannot_be_signed(data: bytes, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        page_count(data, field="upload")
    assert refused.value.message.startswith(message)
    assert refused.value.fields == {"upload": refused.value.message}
