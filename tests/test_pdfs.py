"""The PDFs: an estimate's from the portal, the dashboard and its email, and text in any script
drawn as it is read (Arabic joined and right to left, Hebrew right to left, Devanagari from a font
that has it). PDFs are read back with the small reader below: fpdf2 writes one xref table, no
object streams, and each glyph's text in a ToUnicode map."""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont
from scripts import pdf_fonts
from sqlmodel import select

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import Business, Customer, Estimate, Initiator, OutboxItem
from frontdesk.services import audit, estimates, invoices, notices, pdf_layout, pdfs
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from frontdesk.tokens import Purpose
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_dashboard import Desk
from tests.test_jobs import free_port, start_smtp
from tests.test_portal_views import Portal

TODAY = date.today()
# Estimate numbers are text a business chooses; a "/" must survive links and file names.
NUMBER = "EST/2026/9"
ARABIC, HEBREW, DEVANAGARI = "فاتورة الصيانة", "חשבונית תחזוקה", "रखरखाव चालान"
CYRILLIC = "Счёт за ремонт"
DECOMPOSED = "Cafe\u0301 de\u0301cor"  # accents typed as marks after their letters


@dataclass(frozen=True)
class Glyph:
    font: str  # the embedded font's name, without its subset tag
    text: str  # what the glyph stands for, from the font's ToUnicode map
    gid: int  # the glyph in the embedded font; 0 is .notdef, the missing-glyph box


def pdf_objects(pdf: bytes) -> dict[int, tuple[bytes, bytes]]:
    """Each object's dictionary and its stream, inflated, found through the xref table."""
    xref = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    found = {}
    for number, offset in enumerate(re.findall(rb"(\d{10}) \d{5} n", pdf[xref:]), start=1):
        body = pdf[int(offset) :]
        head, _, rest = body[: body.index(b"endobj")].partition(b"\nstream\n")
        length = re.search(rb"/Length (\d+)", head)
        stream = rest[: int(length[1])] if rest and length else b""
        found[number] = (head, zlib.decompress(stream) if b"/FlateDecode" in head else stream)
    return found


def _ref(head: bytes, key: bytes) -> int:
    found = re.search(rb"/" + key + rb" \[?(\d+) 0 R", head)
    assert found, key
    return int(found[1])


ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
# Font changes, shown strings, text objects, and the graphics-state saves that scope the font.
TOKENS = re.compile(rb"/F(\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj|\bBT\b|\bq\b|\bQ\b", re.S)


def drawn(pdf: bytes) -> list[list[Glyph]]:
    """The glyphs of each text object (a cell's line), in the order drawn: left to right."""
    objects = pdf_objects(pdf)
    fonts = {}
    for head, _ in objects.values():
        for name, number in re.findall(rb"/F(\d+) (\d+) 0 R", head):
            font = objects[int(number)][0]
            cmap = objects[_ref(font, b"ToUnicode")][1].split(b"endcodespacerange")[1]
            texts = {
                int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
                for code, text in re.findall(rb"<([0-9A-F]+)> <([0-9A-F]+)>", cmap)
            }
            cid_font = objects[_ref(font, b"DescendantFonts")][0]
            gids = objects[_ref(cid_font, b"CIDToGIDMap")][1]
            base = re.search(rb"/BaseFont /(?:[A-Z]+\+)?(\S+)", font)
            assert base
            fonts[name] = (base[1].decode(), texts, gids)
    pages = [head for head, _ in objects.values() if re.search(rb"/Type /Page\b", head)]
    runs: list[list[Glyph]] = []
    font, saved = fonts[b"1"], []
    for token in TOKENS.finditer(b"".join(objects[_ref(p, b"Contents")][1] for p in pages)):
        if token[1]:
            font = fonts[token[1]]
        elif token[2] is not None:
            raw = re.sub(rb"\\(.)", lambda m: ESCAPES.get(m[1], m[1]), token[2], flags=re.S)
            name, texts, gids = font
            for at in range(0, len(raw), 2):
                code = int.from_bytes(raw[at : at + 2], "big")
                gid = int.from_bytes(gids[2 * code : 2 * code + 2], "big")
                runs[-1].append(Glyph(name, texts.get(code, ""), gid))
        elif token[0] == b"BT":
            runs.append([])
        elif token[0] == b"q":
            saved.append(font)
        else:
            font = saved.pop()
    return [run for run in runs if run]


def text(run: list[Glyph]) -> str:
    return "".join(glyph.text for glyph in run)


def line_with(runs: list[list[Glyph]], letter: str) -> list[Glyph]:
    """The one line drawing `letter` (a letter with no glyph is often not drawn at all)."""
    found = [run for run in runs if letter in text(run)]
    assert len(found) == 1, f"{len(found)} lines draw {letter!r}: {[text(r) for r in runs]}"
    return found[0]


def make_estimate(
    db: Database, business: Business, customer: Customer, number: str, *, send: bool = True
) -> Estimate:
    with db.session(business.id) as session:
        estimate = estimates.create(
            session,
            business=business,
            customer=customer,
            lines=[LineInput("Patio", 250000)],
            issue_date=TODAY,
            expires_on=TODAY + timedelta(days=30),
            send=send,
        )
        estimate.number = number
        session.add(estimate)
    return estimate


@pytest.fixture
def shop(db: Database) -> tuple[NewBusiness, Customer, Customer]:
    made = make_business(db)
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey")
        robin = make_customer(session, made.business, name="Robin")
    make_estimate(db, made.business, casey, NUMBER)
    make_estimate(db, made.business, casey, "EST-DRAFT", send=False)
    make_estimate(db, made.business, robin, "EST-ROBIN")
    return made, casey, robin


@pytest.fixture
def casey(
    live_server: LiveServer, settings: Settings, shop: tuple[NewBusiness, Customer, Customer]
) -> Iterator[Portal]:
    made, customer, _ = shop
    with Portal(live_server, settings, made.business, customer) as portal:
        yield portal


def test_the_portal_offers_the_estimate_pdf_through_a_short_lived_link(casey: Portal) -> None:
    detail = casey.get(f"/estimates/{quote(NUMBER, safe='')}")
    link = re.search(r'href="([^"]+/download/[^"]+)"', detail.text)
    assert detail.status_code == 200 and link
    pdf = httpx.get(html.unescape(link[1]))
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == (
        "attachment; filename=\"EST-2026-9.pdf\"; filename*=UTF-8''EST%2F2026%2F9.pdf"
    )
    assert pdf.content.startswith(b"%PDF-")
    lines = [text(run) for run in drawn(pdf.content)]
    assert {"Estimate", NUMBER, "Casey", "Patio"} <= set(lines)


@pytest.mark.parametrize(
    ("number", "status"), [(NUMBER, 200), ("EST-ROBIN", 404), ("EST-DRAFT", 404)]
)
def test_a_download_token_opens_only_the_customers_own_sent_estimates(
    casey: Portal,
    settings: Settings,
    live_server: LiveServer,
    shop: tuple[NewBusiness, Customer, Customer],
    number: str,
    status: int,
) -> None:
    _, customer, _ = shop
    token = tokens.mint(
        settings.secret_key,
        Purpose.DOWNLOAD,
        business_id=customer.business_id,
        customer_id=customer.id,
        link_version=customer.link_version,
        d=f"estimate:{number}",
    )
    answer = httpx.get(f"{live_server.url}/portal/{casey.key}/download/{token}")
    assert answer.status_code == status
    assert answer.content.startswith(b"%PDF") == (status == 200)


def test_the_dashboard_previews_the_estimate_pdf_drafts_included(
    live_server: LiveServer, db: Database, shop: tuple[NewBusiness, Customer, Customer]
) -> None:
    made, _, _ = shop
    with db.session(made.business.id) as session:
        draft = session.exec(select(Estimate).where(Estimate.number == "EST-DRAFT")).one()
    desk = Desk(live_server.url, made.owner.email)
    try:
        page = desk.get(f"/estimates/{draft.id}")
        link = re.search(r'href="[^"]*/dashboard(/estimates/[^"]+/pdf)"', page.text)
        assert page.status_code == 200 and link
        pdf = desk.get(link[1])
    finally:
        desk.close()
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == 'inline; filename="EST-DRAFT.pdf"'
    assert {"EST-DRAFT", "Draft", "Patio"} <= {text(run) for run in drawn(pdf.content)}


def test_the_estimate_email_carries_its_pdf_made_when_the_mail_goes(
    db: Database, settings: Settings, shop: tuple[NewBusiness, Customer, Customer]
) -> None:
    made, casey, _ = shop
    business = made.business
    with db.session(business.id) as session:
        draft = session.exec(select(Estimate).where(Estimate.number == "EST-DRAFT")).one()
        draft.number = "EST/2026/10"
        notices.send(
            session,
            business=business,
            document=draft,
            links=Links.from_settings(settings),
            actor=audit.Actor(Initiator.STAFF, made.owner.id),
        )
    with db.session(business.id) as session:
        [item] = [i for i in session.exec(select(OutboxItem)) if i.kind == "email"]
    # The item names the estimate; its PDF is made by whichever runner sends it, so a crash
    # between the commit and the send loses nothing.
    assert item.payload["attachment"] == f"estimate:{draft.id}"
    assert "the PDF is attached" in item.payload["text"]
    port = free_port()
    controller, inbox = start_smtp(port)
    try:
        smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        assert OutboxRunner(db, smtp).run_once() == 1
    finally:
        controller.stop()
    [message] = inbox.messages
    assert message["To"] == casey.email
    assert message["Subject"].startswith("Estimate EST/2026/10 from ")
    [part] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert part.get_filename() == "EST-2026-10.pdf"
    pdf = part.get_payload(decode=True)
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")
    assert {"EST/2026/10", "Awaiting approval", "Patio"} <= {text(run) for run in drawn(pdf)}


@pytest.fixture
def scripts(db: Database) -> list[list[Glyph]]:
    """An invoice to an Arabic name, with a Hebrew, a Devanagari, a Cyrillic and a decomposed
    line (accents typed apart), as drawn."""
    business = make_business(db).business
    with db.session(business.id) as session:
        customer = make_customer(session, business, name=ARABIC)
        invoice = invoices.create(
            session,
            business=business,
            customer=customer,
            lines=[
                LineInput(HEBREW, 12000),
                LineInput(DEVANAGARI, 8000),
                LineInput(CYRILLIC, 3000),
                LineInput(DECOMPOSED, 1000),
            ],
            issue_date=TODAY,
            due_date=TODAY + timedelta(days=14),
            send=True,
        )
        session.flush()
        pdf = pdfs.invoice_pdf(
            business,
            customer,
            invoices.views(session, [invoice])[0],
            invoices.lines(session, invoice=invoice),
            invoices.applied(session, invoice=invoice),
        )
    return drawn(pdf)


def test_arabic_letters_are_joined_and_read_right_to_left(scripts: list[list[Glyph]]) -> None:
    name = line_with(scripts, "ف")
    # Alef and teh marbuta each stand alone in one place and join the letter before them in
    # another: one letter, two contextual forms. Unshaped, a letter has one glyph wherever it is.
    for letter in "اة":
        forms = {glyph.gid for glyph in name if glyph.text == letter}
        assert len(forms) == 2, (letter, forms)
    assert text(name) == ARABIC[::-1]


def test_hebrew_is_drawn_right_to_left(scripts: list[list[Glyph]]) -> None:
    # Drawn left to right, the last letter comes first.
    assert text(line_with(scripts, "ח")) == HEBREW[::-1]


def test_devanagari_is_drawn_from_a_font_that_has_it(scripts: list[list[Glyph]]) -> None:
    line = line_with(scripts, "र")
    assert text(line) == DEVANAGARI
    letters = [glyph for glyph in line if glyph.text != " "]
    assert {glyph.font for glyph in letters} == {"NotoSansDevanagari"}
    assert all(glyph.gid != 0 for glyph in letters)  # no missing-glyph box


def test_letters_beyond_the_common_cut_come_from_the_whole_of_dejavu(
    scripts: list[list[Glyph]],
) -> None:
    line = line_with(scripts, "ё")
    assert text(line) == CYRILLIC
    letters = [glyph for glyph in line if glyph.text != " "]
    assert {glyph.font for glyph in letters} == {"DejaVuSansBook"}
    assert all(glyph.gid != 0 for glyph in letters)  # no missing-glyph box


def test_an_accent_typed_apart_stays_with_its_letter(scripts: list[list[Glyph]]) -> None:
    """A combining mark drawn from another font than its letter could not be placed over it."""
    line = line_with(scripts, "\u0301")
    assert text(line) == DECOMPOSED
    assert {glyph.font for glyph in line} == {"DejaVuSansCommonBook"}


def test_the_common_cut_is_what_its_script_makes(tmp_path: Path) -> None:
    """The same characters under the same names (fontTools may write the bytes differently)."""
    for whole, common in pdf_fonts.CUTS.items():
        pdf_fonts.cut(pdf_layout.FONTS / whole, tmp_path / common)
        made, kept = (TTFont(path) for path in (tmp_path / common, pdf_layout.FONTS / common))
        assert made.getBestCmap() == kept.getBestCmap()
        assert made["name"].getBestFullName() == kept["name"].getBestFullName()
        assert "Common" in kept["name"].getBestFullName()


def test_every_language_s_wording_is_in_the_common_cut() -> None:
    """Our own words never need a fallback font: only the business's and customers' text can."""
    with TTFont(pdf_layout.FONTS / pdf_layout.COMMON[""], lazy=True) as font:
        has = set(font.getBestCmap())
    for catalogue in (pdf_layout.FONTS.parent.parent / "locales").glob("*/LC_MESSAGES/*.po"):
        with catalogue.open("rb") as po:
            said = "".join(str(m.string) + str(m.id) for m in read_po(po) if m.id)
        missing = {c for c in said if ord(c) not in has and c not in "\n\t"}
        assert not missing, (catalogue.parent.parent.name, sorted(missing))


def test_a_document_in_latin_letters_embeds_no_fallback_font(
    db: Database, shop: tuple[NewBusiness, Customer, Customer]
) -> None:
    made, casey, _ = shop
    with db.session(made.business.id) as session:
        estimate = session.exec(select(Estimate).where(Estimate.number == NUMBER)).one()
        pdf = pdfs.estimate_pdf(
            made.business, casey, estimate, estimates.lines(session, estimate=estimate)
        )
    # Font dictionaries are not compressed: every embedded font is named in the file as it is.
    embedded = set(re.findall(rb"/FontName /[A-Z]+\+(\S+)", pdf))
    assert embedded == {b"DejaVuSansCommonBook", b"DejaVuSansCommonBold"}, embedded
