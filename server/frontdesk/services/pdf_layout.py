"""How our PDFs are laid out (pdfs.py and the signing certificate draw on it): fonts for any
script, the business's letterhead and logo, tables of lines and totals, and file names."""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align

from frontdesk import languages, money
from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Estimate, EstimateLine, Invoice, InvoiceLine
from frontdesk.rendering import format_day

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
GREY = (90, 98, 112)
INK = (29, 36, 48)
RULE = (213, 219, 228)
# DejaVu cut down to Latin letters and their marks, punctuation, currency signs and the
# right-to-left scripts (scripts/pdf_fonts.py): most documents need nothing else, and a font
# under a third the size is read and subset for each document in a third of the time. Any
# other letter comes from the whole of DejaVu, or for the scripts DejaVu lacks (Devanagari)
# from Noto: fallbacks in this order, by style.
COMMON = {"": "DejaVuSans-Common.ttf", "B": "DejaVuSans-Bold-Common.ttf"}
FALLBACK = {
    "DejaVuAll": {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"},
    "Devanagari": {"": "NotoSansDevanagari-Regular.ttf", "B": "NotoSansDevanagari-Bold.ttf"},
}
MARGIN = 18
# A table cell: its width in mm, its text and its alignment as a left-to-right page has it.
Cell = tuple[float, str, str]
MINUS = "\u2212"  # a real minus sign, as printed invoices use


@cache
def _covered(file: str) -> frozenset[int]:
    """The characters a font has, read from its character map alone, once per process."""
    with TTFont(FONTS / file, lazy=True) as font:
        return frozenset(font.getBestCmap())


def plain_name(name: str) -> str:
    """A file name every client takes, from a business's text: INV/2026/001 is INV-2026-001."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "document"


def disposition(name: str, *, inline: bool = False) -> str:
    """The Content-Disposition for a PDF named after a business's text (INV/2026/001, an Arabic
    name): browsers take the UTF-8 name; the plain one is for clients that cannot."""
    plain = plain_name(name)
    kind = "inline" if inline else "attachment"
    if plain == name:
        return f'{kind}; filename="{plain}.pdf"'
    return f"{kind}; filename=\"{plain}.pdf\"; filename*=UTF-8''{quote(name, safe='')}.pdf"


class Lettered(FPDF):
    """An A4 page (in mm) that draws text in any script: the common cut of DejaVu, the fallback
    fonts for other letters, and HarfBuzz laying each run out as a browser would (Arabic letters
    joined, Arabic and Hebrew right to left, Devanagari vowel signs in place; fpdf2 alone writes
    codepoints in order)."""

    def __init__(self) -> None:
        super().__init__(format="A4", unit="mm")
        for style, file in COMMON.items():
            self.add_font("DejaVu", style, str(FONTS / file))
        self.set_text_shaping(True)

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        """fpdf2 asks this for each character the common cut lacks. The first fallback font that
        has it is loaded then, so the many documents that never need one do not read and embed
        it."""
        for family, files in FALLBACK.items():
            if style in files and ord(char) in _covered(files[style]):
                if family.lower() + style not in self.fonts:
                    self.add_font(family, style, str(FONTS / files[style]))
                    self.set_fallback_fonts(self._fallbacks(), exact_match=False)
                break
        return super().get_fallback_font(char, style)

    def _fallbacks(self) -> list[str]:
        """The fallback families loaded so far, in FALLBACK's order."""
        return [name for name in FALLBACK if any(k.startswith(name.lower()) for k in self.fonts)]


class Document(Lettered):
    """An A4 page in the business's name, in the language being spoken: letterhead, parties,
    facts, priced lines and totals, page footer. In a right-to-left language the page is
    mirrored as a reader of it expects: letterhead, columns and totals start on the right."""

    def __init__(self, business: Business) -> None:
        super().__init__()
        self.business = business
        self.rtl = languages.direction(languages.current()) == "rtl"
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_title(business.name)
        self.set_creator("Frontdesk")
        self.add_page()

    def money(self, amount: int, currency: str) -> str:
        return money.format_amount(amount, currency, self.business.locale)

    def day(self, value: datetime) -> str:
        local = value.astimezone(ZoneInfo(self.business.time_zone)).date()
        return format_day(local, self.business.locale)

    def side(self, align: str) -> str:
        """An alignment as the reader's direction has it: a right-to-left page starts lines on
        the right and puts figures on the left."""
        return {"L": "R", "R": "L"}.get(align, align) if self.rtl else align

    def at(self, x: float, width: float) -> None:
        """Moves to a box `width` wide that starts `x` mm from the left edge of a left-to-right
        page, or to its mirror image on a right-to-left one."""
        self.set_x(self.w - x - width if self.rtl else x)

    def row(self, cells: Sequence[Cell], height: float, x: float = MARGIN) -> None:
        """One line of (width, text, alignment) cells from `x` in reading order, then down."""
        for width, text, align in cells:
            self.at(x, width)
            self.cell(width, height, text, align=self.side(align))
            x += width
        self.ln(height)

    def text_line(self, text: str, height: float) -> None:
        """A line across the page that starts where the reader starts."""
        self.set_x(MARGIN)
        self.cell(0, height, text, align=self.side("L"), new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, height: float) -> None:
        """Wrapped text across the page, starting on the reader's side."""
        self.set_x(MARGIN)
        self.multi_cell(0, height, text, align=self.side("L"))

    def letterhead(self, title: str, reference: str) -> None:
        """The business's name and logo, and the document's title (already in the customer's
        language) and reference."""
        found = logo(self.business)
        if found:
            self.image(io.BytesIO(found[0]), x=Align.R if self.rtl else MARGIN, y=16, h=14)
            self.set_y(33)
        self.set_font("DejaVu", "B", 15)
        self.set_text_color(*INK)
        self.text_line(self.business.name, 8)
        self.set_y(18)
        self.set_font("DejaVu", "B", 20)
        self.row([(72, title, "R")], 10, x=120)
        self.set_font("DejaVu", "", 10)
        self.set_text_color(*GREY)
        self.row([(72, reference, "R")], 6, x=120)
        self.set_y(max(self.get_y(), 45))

    def party(self, label: str, customer: Customer) -> None:
        self.set_font("DejaVu", "B", 9)
        self.set_text_color(*GREY)
        self.text_line(label.upper(), 5)
        self.set_font("DejaVu", "", 10)
        self.set_text_color(*INK)
        address = [
            customer.name,
            customer.address_line1,
            customer.address_line2,
            " ".join(p for p in (customer.city, customer.region, customer.postal_code) if p),
            customer.country,
            customer.email,
        ]
        for line in filter(None, address):
            self.text_line(line, 5)
        self.ln(4)

    def facts(self, pairs: list[tuple[str, str]]) -> None:
        for label, value in pairs:
            self.set_font("DejaVu", "B", 9)
            self.set_text_color(*GREY)
            self.at(MARGIN, 38)
            self.cell(38, 6, label, align=self.side("L"))
            self.set_font("DejaVu", "", 10)
            self.set_text_color(*INK)
            self.at(MARGIN + 38, self.epw - 38)
            self.cell(self.epw - 38, 6, value, align=self.side("L"))
            self.ln(6)
        self.ln(4)

    def headings(self, cells: Sequence[Cell]) -> None:
        """A table's column headings and the rule under them; the rows follow in ink."""
        self.set_font("DejaVu", "B", 9)
        self.set_text_color(*GREY)
        self.row(cells, 7)
        self.rule()
        self.set_text_color(*INK)
        self.set_font("DejaVu", "", 10)

    def wrapped_row(
        self,
        before: Sequence[Cell],
        wrapped: tuple[float, str],
        after: Sequence[Cell],
    ) -> None:
        """A table row whose one long cell (a description) wraps onto more lines; the cells
        before and after it stay on its first line."""
        y, x = self.get_y(), float(MARGIN)
        for width, text, align in before:
            self.at(x, width)
            self.cell(width, 6, text, align=self.side(align))
            x += width
        width = wrapped[0]
        self.at(x, width)
        self.multi_cell(width, 6, wrapped[1], align=self.side("L"), new_x="LMARGIN", new_y="NEXT")
        bottom = self.get_y()
        self.set_y(y)
        x += width
        for width, text, align in after:
            self.at(x, width)
            self.cell(width, 6, text, align=self.side(align))
            x += width
        self.set_y(max(bottom, y + 6) + 1)

    def line_table(
        self, lines: Sequence[InvoiceLine | EstimateLine], document: Invoice | Estimate
    ) -> None:
        """The priced lines, then the subtotal, tax and total."""
        widths, currency = (80, 16, 30, 24, 24), document.currency
        self.headings(
            list(
                zip(
                    widths,
                    (
                        gettext("Description"),
                        gettext("Qty"),
                        gettext("Unit price"),
                        gettext("Tax"),
                        gettext("Amount"),
                    ),
                    "LRRRR",
                    strict=True,
                )
            )
        )
        for line in lines:
            cells = (
                f"{line.quantity.normalize():f}",
                self.money(line.unit_amount, currency),
                self.money(line.tax_amount, currency),
                self.money(line.amount, currency),
            )
            after = [(width, value, "R") for width, value in zip(widths[1:], cells, strict=True)]
            self.wrapped_row([], (widths[0], line.description), after)
        self.rule()
        self.ln(2)
        self.total_row(gettext("Subtotal"), self.money(document.subtotal, currency))
        self.total_row(gettext("Tax"), self.money(document.tax_total, currency))
        self.total_row(gettext("Total"), self.money(document.total, currency), bold=True)

    def notes(self, text: str) -> None:
        if text:
            self.ln(6)
            self.set_font("DejaVu", "", 9)
            self.set_text_color(*GREY)
            self.paragraph(text, 5)

    def rule(self) -> None:
        self.set_draw_color(*RULE)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())

    def total_row(self, label: str, value: str, bold: bool = False) -> None:
        self.set_font("DejaVu", "B" if bold else "", 11 if bold else 10)
        self.row([(50, label, "L"), (32, value, "R")], 7, x=110)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*GREY)
        said = {"business": self.business.name, "page": self.page_no()}
        self.cell(0, 5, gettext("%(business)s · page %(page)s") % said, align="C")


def logo(business: Business) -> tuple[bytes, str] | None:
    """The business's logo and its media type. Logos are stored inline (PNG or JPEG data URLs),
    so neither a PDF render nor the portal ever fetches anything remote."""
    url = business.logo_url or ""
    for media_type in ("image/png", "image/jpeg"):
        prefix = f"data:{media_type};base64,"
        if url.startswith(prefix):
            try:
                return base64.b64decode(url.removeprefix(prefix), validate=True), media_type
            except (binascii.Error, ValueError):
                return None
    return None
