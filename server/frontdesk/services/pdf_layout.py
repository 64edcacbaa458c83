"""How our PDFs are laid out (pdfs.py and the signing certificate draw on it): fonts for any
script, the business's letterhead and logo, tables of lines and totals, and file names."""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fpdf import FPDF

from frontdesk import money
from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Estimate, EstimateLine, Invoice, InvoiceLine
from frontdesk.rendering import format_day

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
GREY = (90, 98, 112)
INK = (29, 36, 48)
RULE = (213, 219, 228)
# For the scripts DejaVu lacks (Devanagari), by style.
FALLBACK = {"": "NotoSansDevanagari-Regular.ttf", "B": "NotoSansDevanagari-Bold.ttf"}
MINUS = "\u2212"  # a real minus sign, as printed invoices use


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


class Document(FPDF):
    """An A4 page in the business's name, in the language being spoken: letterhead, parties,
    facts, priced lines and totals, page footer."""

    def __init__(self, business: Business) -> None:
        super().__init__(format="A4", unit="mm")
        self.business = business
        # DejaVu covers accents and most scripts; the PDF core fonts stop at Latin-1.
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        # HarfBuzz lays out each run as a browser would: Arabic letters joined, Arabic and Hebrew
        # right to left, Devanagari vowel signs in place (fpdf2 alone writes codepoints in order).
        self.set_text_shaping(True)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)
        self.set_title(business.name)
        self.set_creator("Frontdesk")
        self.add_page()

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        """fpdf2 asks this for each character DejaVu lacks. The fallback font is loaded then, so
        the many documents that never need it do not parse and embed it."""
        if "devanagari" + style not in self.fonts and style in FALLBACK:
            self.add_font("Devanagari", style, str(FONTS / FALLBACK[style]))
            self.set_fallback_fonts(["Devanagari"], exact_match=False)
        return super().get_fallback_font(char, style)

    def money(self, amount: int, currency: str) -> str:
        return money.format_amount(amount, currency, self.business.locale)

    def day(self, value: datetime) -> str:
        local = value.astimezone(ZoneInfo(self.business.time_zone)).date()
        return format_day(local, self.business.locale)

    def letterhead(self, title: str, reference: str) -> None:
        """The business's name and logo, and the document's title (already in the customer's
        language) and reference."""
        found = logo(self.business)
        if found:
            self.image(io.BytesIO(found[0]), x=18, y=16, h=14)
            self.set_y(33)
        self.set_font("DejaVu", "B", 15)
        self.set_text_color(*INK)
        self.cell(0, 8, self.business.name, new_x="LMARGIN", new_y="NEXT")
        self.set_xy(120, 18)
        self.set_font("DejaVu", "B", 20)
        self.cell(72, 10, title, align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_x(120)
        self.set_font("DejaVu", "", 10)
        self.set_text_color(*GREY)
        self.cell(72, 6, reference, align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), 45))

    def party(self, label: str, customer: Customer) -> None:
        self.set_font("DejaVu", "B", 9)
        self.set_text_color(*GREY)
        self.cell(0, 5, label.upper(), new_x="LMARGIN", new_y="NEXT")
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
            self.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def facts(self, pairs: list[tuple[str, str]]) -> None:
        for label, value in pairs:
            self.set_font("DejaVu", "B", 9)
            self.set_text_color(*GREY)
            self.cell(38, 6, label)
            self.set_font("DejaVu", "", 10)
            self.set_text_color(*INK)
            self.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def line_table(
        self, lines: Sequence[InvoiceLine | EstimateLine], document: Invoice | Estimate
    ) -> None:
        """The priced lines, then the subtotal, tax and total."""
        widths, currency = (86, 18, 26, 22, 22), document.currency
        self.set_font("DejaVu", "B", 9)
        self.set_text_color(*GREY)
        for width, heading, align in zip(
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
        ):
            self.cell(width, 7, heading, align=align)
        self.ln()
        self.rule()
        self.set_text_color(*INK)
        self.set_font("DejaVu", "", 10)
        for line in lines:
            cells = (
                f"{line.quantity.normalize():f}",
                self.money(line.unit_amount, currency),
                self.money(line.tax_amount, currency),
                self.money(line.amount, currency),
            )
            y = self.get_y()
            self.multi_cell(widths[0], 6, line.description, new_x="RIGHT", new_y="TOP")
            bottom = self.get_y()
            self.set_xy(18 + widths[0], y)
            for width, value in zip(widths[1:], cells, strict=True):
                self.cell(width, 6, value, align="R")
            self.set_y(max(bottom, y + 6) + 1)
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
            self.multi_cell(0, 5, text)

    def rule(self) -> None:
        self.set_draw_color(*RULE)
        self.line(18, self.get_y(), 192, self.get_y())

    def total_row(self, label: str, value: str, bold: bool = False) -> None:
        self.set_font("DejaVu", "B" if bold else "", 11 if bold else 10)
        self.set_x(110)
        self.cell(50, 7, label)
        self.cell(32, 7, value, align="R", new_x="LMARGIN", new_y="NEXT")

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
