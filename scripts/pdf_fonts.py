"""The cut of DejaVu that PDFs are drawn in (services/pdf_layout.py): DejaVu Sans and its bold
cut down to Latin letters and their marks, punctuation, currency signs and the right-to-left
scripts. Most documents need nothing else, and a font under a third the size is read and subset
for each document in a third of the time; any other letter comes from the whole font, read only
by a document that holds one. Run it after replacing DejaVu:

    .venv/bin/python scripts/pdf_fonts.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FONTS = Path(__file__).resolve().parents[1] / "server" / "frontdesk" / "static" / "fonts"
# Basic Latin, Latin-1, Latin Extended-A and B and Additional (every European Latin alphabet,
# Vietnamese, Yoruba), general punctuation (dashes, quotes, the narrow no-break space French
# money uses), currency signs, letterlike symbols (№, ™) and the minus sign.
LATIN = [(0x20, 0x7E), (0xA0, 0x24F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF)]
LATIN += [(0x2100, 0x2122), (0x2212, 0x2212)]
# Combining marks and variation selectors: a mark drawn from another font than its letter is a
# run of its own, and HarfBuzz cannot place it over the letter (decomposed "é", Vietnamese tones).
MARKS = [(0x0300, 0x036F), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE00, 0xFE0F), (0xFE20, 0xFE2F)]
# And the right-to-left scripts DejaVu has (Hebrew, Arabic and its presentation forms, N'Ko):
# a fallback font is a run of its own, and a right-to-left line split into runs at each space
# would have its words put in the wrong order.
RIGHT_TO_LEFT = [(0x0590, 0x07FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF)]
CUTS = {
    "DejaVuSans.ttf": "DejaVuSans-Common.ttf",
    "DejaVuSans-Bold.ttf": "DejaVuSans-Bold-Common.ttf",
}


def cut(whole: Path, common: Path) -> int:
    """Writes `common`, the cut of `whole`, keeping what HarfBuzz lays text out with
    (kerning, ligatures) and the English names; returns how many glyphs it holds."""
    # Left out, as no document draws with them and each document embeds what is kept (a third
    # fewer bytes per PDF without them): the hinting programs (screen rasterisers' help at
    # small pixel sizes; PDF viewers scale outlines), the legacy kern table (HarfBuzz kerns
    # from GPOS), MATH, names in other languages, FontForge's timestamps.
    options = subset.Options(
        layout_features=["*"],
        glyph_names=True,
        notdef_outline=True,
        recommended_glyphs=True,
        name_IDs=["*"],
        name_languages=[0x409],
        name_legacy=True,
        hinting=False,
    )
    options.drop_tables += ["FFTM", "MATH", "kern"]
    # The same file every run: the head table keeps the date the whole font has.
    font = TTFont(whole, recalcTimestamp=False)
    cutter = subset.Subsetter(options)
    ranges = LATIN + MARKS + RIGHT_TO_LEFT
    codes = [code for first, last in ranges for code in range(first, last + 1)]
    cutter.populate(unicodes=codes)
    cutter.subset(font)
    # A name of its own: a PDF holding the cut and the whole font (as a fallback) would otherwise
    # name two different fonts alike, and tools that find fonts by name could take one for the
    # other.
    for record in font["name"].names:
        said = record.toUnicode()
        if record.nameID == 6:  # the PostScript name: DejaVuSans-Bold
            record.string = said.replace("DejaVuSans", "DejaVuSansCommon")
        else:
            record.string = said.replace("DejaVu Sans", "DejaVu Sans Common")
    font.save(common)
    return len(font.getGlyphOrder())


if __name__ == "__main__":
    for whole, common in CUTS.items():
        glyphs = cut(FONTS / whole, FONTS / common)
        print(f"{common}: {glyphs} glyphs, {(FONTS / common).stat().st_size // 1024} KiB")
