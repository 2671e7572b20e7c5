"""The embedded Unicode fonts of the PDF record (DejaVu Sans, resources/fonts): where they are, and registering them."""
from __future__ import annotations

from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"

# Names as reportlab knows them -> files. Every piece of text in a record uses one of these, so every font in
# the PDF is embedded (no standard-14 font such as Helvetica, which a printer may substitute).
REGULAR = "ChairsideSans"
BOLD = "ChairsideSans-Bold"
OBLIQUE = "ChairsideSans-Oblique"
CONDENSED = "ChairsideSansCondensed"
CONDENSED_BOLD = "ChairsideSansCondensed-Bold"
FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    OBLIQUE: "DejaVuSans-Oblique.ttf",
    CONDENSED: "DejaVuSansCondensed.ttf",
    CONDENSED_BOLD: "DejaVuSansCondensed-Bold.ttf",
}
LICENCE = FONT_DIR / "LICENSE-DejaVu.txt"


class FontMissing(RuntimeError):
    """The installation lacks its fonts: a record must not be printed with substitute fonts."""


def register_fonts() -> None:
    """Register the fonts once per process (parsing the TrueType files is the slow part)."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, filename in FILES.items():
        if name in registered:
            continue
        path = FONT_DIR / filename
        if not path.is_file():
            raise FontMissing(f"The font file {path} is missing; reinstall Chairside.")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    # <b> and <i> in paragraphs resolve to the embedded faces, never to a standard font.
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, OBLIQUE)
    addMapping(REGULAR, 1, 1, BOLD)
    addMapping(CONDENSED, 0, 0, CONDENSED)
    addMapping(CONDENSED, 1, 0, CONDENSED_BOLD)
    addMapping(CONDENSED, 0, 1, CONDENSED)
    addMapping(CONDENSED, 1, 1, CONDENSED_BOLD)


def has_glyphs(font_name: str, text: str) -> bool:
    """True when the registered font can draw every character of `text` (used for symbols such as ▲ and ◆)."""
    register_fonts()
    face = pdfmetrics.getFont(font_name).face
    return all(ord(ch) in face.charToGlyph for ch in text if not ch.isspace())
