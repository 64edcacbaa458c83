"""The signed PDF: the document as the business sent it, then a certificate page saying who signed,
when and how they were identified, with the hashes that let anyone check the file later."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast
from zoneinfo import ZoneInfo

from fpdf.enums import MethodReturnValue
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject

from frontdesk.services.errors import Invalid
from frontdesk.services.pdf_layout import GREY, INK, RULE, Lettered

# A browser's user agent is text the signer controls; a few hundred characters say all there is.
USER_AGENT_LIMIT = 300
LABEL_WIDTH = 54  # mm: fits "Document as sent — SHA-256" at the label size
LINE = 5.0  # mm


@dataclass(frozen=True)
class Certificate:
    business_name: str
    document_title: str
    reference: str  # the document's public id, e.g. "doc_8f3a..."
    version: int  # which version of the document was signed (1, 2, ... when replaced)
    sent_sha256: str  # SHA-256 hex of the original PDF as the business sent it
    signer_name: str  # the name the customer typed
    signer_email: str
    identified_by: str  # e.g. "Signed in with a link emailed to ann@example.com"
    consent_text_sha256: str
    consented_at: datetime  # aware UTC
    signed_at: datetime  # aware UTC
    signer_time_zone: str  # IANA name reported by the browser, may be ""
    shown_time_zone: str  # the business's IANA zone: times on the page are shown in it
    ip: str
    user_agent: str
    chain_head: str  # SHA-256 hex of the last audit event before sealing
    trail: Sequence[tuple[datetime, str]]  # (aware UTC time, "Shared by Owner"), oldest first
    verify_url: str  # where anyone can check the PDF, printed on the page

    def __post_init__(self) -> None:
        # A naive time would be read in the server's zone and printed wrong on a legal record.
        moments = [self.consented_at, self.signed_at, *(when for when, _ in self.trail)]
        if any(when.utcoffset() is None for when in moments):
            raise ValueError("certificate times must be timezone-aware")


class _Page(Lettered):
    """The certificate page(s), lettered as pdf_layout.Document is (built around a Business)."""

    def __init__(self, certificate: Certificate) -> None:
        super().__init__()
        self.certificate = certificate
        self.zone = ZoneInfo(certificate.shown_time_zone)
        self.set_auto_page_break(auto=True, margin=24)
        self.set_margins(18, 18, 18)
        self.set_creation_date(certificate.signed_at)
        self.set_creator("Frontdesk")
        self.add_page()

    def moment(self, value: datetime) -> str:
        """In the business's zone with its offset, so the reader never has to guess the zone."""
        local = value.astimezone(self.zone)
        offset = local.strftime("%z")  # +0100: written +01:00, as ISO 8601 does
        return f"{local:%Y-%m-%d %H:%M:%S} UTC{offset[:3]}:{offset[3:]}"

    def section(self, title: str) -> None:
        self.ensure(LINE * 4)
        self.ln(3)
        self.set_font("DejaVu", "B", 10.5)
        self.set_text_color(*INK)
        self.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        self.rule()
        self.ln(1.5)

    def row(self, label: str, value: str, *, hex_digits: bool = False) -> None:
        """A label and its value; long values wrap under themselves, never under the label."""
        self.value_font(hex_digits)
        self.ensure(max(self.height(0, LINE, value), LINE) + 1)
        y = self.get_y()
        self.set_font("DejaVu", "B", 8.5)
        self.set_text_color(*GREY)
        self.multi_cell(LABEL_WIDTH, LINE, label, new_x="RIGHT", new_y="TOP")
        label_bottom = self.get_y()
        self.set_xy(18 + LABEL_WIDTH, y)
        self.value_font(hex_digits)
        self.multi_cell(0, LINE, value, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), label_bottom) + 1)

    def value_font(self, hex_digits: bool) -> None:
        # Hashes are read and compared character by character: fixed width keeps columns aligned.
        # Courier is a PDF core font (no embedding) and covers the 0-9a-f they are written in.
        if hex_digits:
            self.set_font("Courier", "", 8.5)
        else:
            self.set_font("DejaVu", "", 9.5)
        self.set_text_color(*INK)

    def trail(self, events: Sequence[tuple[datetime, str]]) -> None:
        time_width = 52
        self.set_font("DejaVu", "B", 8)
        self.set_text_color(*GREY)
        self.cell(time_width, 6, f"Time ({self.certificate.shown_time_zone})")
        self.cell(0, 6, "Event", new_x="LMARGIN", new_y="NEXT")
        for when, event in events:
            self.set_font("DejaVu", "", 8.5)
            self.set_text_color(*INK)
            width = self.epw - time_width
            self.ensure(max(self.height(width, 4.5, event), 4.5) + 1)
            y = self.get_y()
            self.set_text_color(*GREY)
            self.cell(time_width, 4.5, self.moment(when))
            self.set_text_color(*INK)
            self.multi_cell(width, 4.5, event, align="L", new_x="LMARGIN", new_y="NEXT")
            self.set_y(max(self.get_y(), y + 4.5) + 0.8)

    def height(self, width: float, line: float, text: str) -> float:
        """How tall `text` will be in the current font once wrapped to `width`."""
        measured = self.multi_cell(width, line, text, dry_run=True, output=MethodReturnValue.HEIGHT)
        return float(cast(float, measured))

    def ensure(self, height: float) -> None:
        """Start a new page rather than split a row from its label or a title from its rows."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def rule(self) -> None:
        self.set_draw_color(*RULE)
        self.line(18, self.get_y(), 192, self.get_y())

    def footer(self) -> None:
        self.set_y(-20)
        self.rule()
        self.ln(1.5)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*GREY)
        check = (
            f"Check this document at {self.certificate.verify_url}: any change to this file, "
            "even one byte, makes the check fail."
        )
        self.multi_cell(0, 4, check, new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 4, f"Certificate page {self.page_no()}", align="R")


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate page(s) alone, as a PDF."""
    c = certificate
    pdf = _Page(c)
    pdf.set_font("DejaVu", "B", 18)
    pdf.set_text_color(*INK)
    pdf.cell(0, 10, "Certificate of signature", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(0, 6.5, c.business_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(
        0,
        4.5,
        "This page was added to the document when it was signed. The pages before it are the "
        "document exactly as it was sent.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.section("Document")
    pdf.row("Title", c.document_title)
    pdf.row("Reference", c.reference)
    pdf.row("Version", str(c.version))
    pdf.row("Document as sent — SHA-256", c.sent_sha256, hex_digits=True)
    pdf.section("Signer")
    pdf.row("Name", c.signer_name)
    pdf.row("Email", c.signer_email)
    pdf.row("Identified", c.identified_by)
    pdf.section("Consent and signature")
    pdf.row("Consent given", pdf.moment(c.consented_at))
    pdf.row("Consent text SHA-256", c.consent_text_sha256, hex_digits=True)
    pdf.row("Signed", f"{pdf.moment(c.signed_at)} ({c.shown_time_zone})")
    pdf.row("Signed (UTC)", f"{c.signed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC")
    pdf.row("Signer's time zone", c.signer_time_zone or "not reported")
    pdf.row("IP address", c.ip)
    agent = c.user_agent
    if len(agent) > USER_AGENT_LIMIT:
        agent = agent[: USER_AGENT_LIMIT - 1] + "…"
    pdf.row("User agent", agent)
    pdf.section("Audit trail")
    pdf.trail(c.trail)
    pdf.ln(2)
    pdf.row("Audit chain head — SHA-256", c.chain_head, hex_digits=True)
    return bytes(pdf.output())


def _pdf_date(value: datetime) -> str:
    return f"D:{value.astimezone(UTC):%Y%m%d%H%M%S}Z"


def sealed(original: bytes, certificate: Certificate) -> bytes:
    """The original's pages followed by the certificate page(s). The same inputs give the same
    bytes (fixed creation/modification dates taken from certificate.signed_at, a fixed /ID
    derived from sent_sha256 + signed_at, no random ids), so a hash recorded at signing can be
    recomputed."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(original)))
    writer.append(PdfReader(io.BytesIO(certificate_pdf(certificate))))
    signed = _pdf_date(certificate.signed_at)
    writer.add_metadata(
        {
            "/Title": certificate.document_title,
            "/Producer": "Frontdesk",
            "/Creator": "Frontdesk",
            "/CreationDate": signed,
            "/ModDate": signed,
            "/FrontdeskReference": certificate.reference,
            "/FrontdeskVersion": str(certificate.version),
        }
    )
    # The trailer /ID: the first half names the document as sent, the second this signed copy
    # (PDF 32000-1 §14.4). pypdf has no public setter; without one it writes none, which is also
    # deterministic, but readers and archives expect an /ID.
    sent, at = certificate.sent_sha256, certificate.signed_at.astimezone(UTC).isoformat()
    permanent = hashlib.sha256(f"frontdesk:{sent}".encode()).digest()[:16]
    this_copy = hashlib.sha256(f"frontdesk:{sent}:{at}".encode()).digest()[:16]
    writer._ID = ArrayObject([ByteStringObject(permanent), ByteStringObject(this_copy)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_count(data: bytes, field: str = "file") -> int:
    """Pages of a PDF we can sign: raises frontdesk.services.errors.Invalid(message,
    {field: message}) with a readable message when `data` is not a PDF, is damaged, is
    encrypted/password protected, or has no pages. Used when the business marks a document
    'needs signature'."""

    def invalid(message: str) -> Invalid:
        return Invalid(message, {field: message})

    # Readers accept the header anywhere in the first 1024 bytes (PDF 32000-1, annex H.3).
    if b"%PDF-" not in data[:1024]:
        raise invalid("This file is not a PDF.")
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        if not encrypted:
            pages = len(reader.pages)
            # Sealing copies every page; doing it now finds the damage pypdf reads lazily.
            PdfWriter().append(reader)
    # pypdf on a damaged file can raise nearly anything (its fuzzing finds KeyError, IndexError,
    # RecursionError...); to the business each of them means the same thing.
    except Exception as error:
        raise invalid(
            "This PDF is damaged and cannot be read. Save or export it again, then upload it."
        ) from error
    if encrypted:
        raise invalid(
            "This PDF is password protected. Save a copy without a password, then upload that."
        )
    if pages == 0:
        raise invalid("This PDF has no pages.")
    return pages
