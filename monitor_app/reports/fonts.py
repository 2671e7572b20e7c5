"""The embedded fonts of the PDF record (resources/fonts) and the one way text is laid out and drawn with them.

DejaVu Sans carries Latin (with Vietnamese and Polish), Greek and Cyrillic; a fallback chain of Noto Sans faces
(Arabic, Hebrew, the Indic, South-East Asian, Caucasian and African scripts) and Droid Sans Fallback (Chinese,
Japanese, Korean) carries the rest. `layout` splits a line into runs of one font and one direction (the Unicode
bidirectional algorithm, python-bidi), shapes complex scripts with HarfBuzz (reportlab's uharfbuzz support) so that
Arabic joins and runs right to left, and reports any character that no bundled font has, so a record names it
in words instead of printing a box. reportlab embeds every face as a subset of the glyphs used.
"""
from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapedStr, TTFont, shapeStr

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
BOLD_FACES = {BOLD, CONDENSED_BOLD}
LICENCE = FONT_DIR / "LICENSE-DejaVu.txt"
LICENCES = (LICENCE, FONT_DIR / "LICENSE-Noto-OFL.txt", FONT_DIR / "LICENSE-DroidSansFallback-Apache-2.0.txt")

# The fallback chain: (regular file, bold file or None, the Unicode blocks it is tried first for).
_CJK = ((0x1100, 0x11FF), (0x2E80, 0x2FFF), (0x3000, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
        (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x2FFFF))
FALLBACKS = (
    ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf",
     ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    ("NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf", ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))),
    ("DroidSansFallbackFull.ttf", None, _CJK),
    ("NotoSansArmenian-Regular.ttf", None, ((0x0530, 0x058F),)),
    ("NotoSansSyriac-Regular.ttf", None, ((0x0700, 0x074F),)),
    ("NotoSansThaana-Regular.ttf", None, ((0x0780, 0x07BF),)),
    ("NotoSansDevanagari-Regular.ttf", None, ((0x0900, 0x097F), (0xA8E0, 0xA8FF))),
    ("NotoSansBengali-Regular.ttf", None, ((0x0980, 0x09FF),)),
    ("NotoSansGurmukhi-Regular.ttf", None, ((0x0A00, 0x0A7F),)),
    ("NotoSansGujarati-Regular.ttf", None, ((0x0A80, 0x0AFF),)),
    ("NotoSansTamil-Regular.ttf", None, ((0x0B80, 0x0BFF),)),
    ("NotoSansTelugu-Regular.ttf", None, ((0x0C00, 0x0C7F),)),
    ("NotoSansKannada-Regular.ttf", None, ((0x0C80, 0x0CFF),)),
    ("NotoSansMalayalam-Regular.ttf", None, ((0x0D00, 0x0D7F),)),
    ("NotoSansSinhala-Regular.ttf", None, ((0x0D80, 0x0DFF),)),
    ("NotoSansThai-Regular.ttf", None, ((0x0E00, 0x0E7F),)),
    ("NotoSansLao-Regular.ttf", None, ((0x0E80, 0x0EFF),)),
    ("NotoSansMyanmar-Regular.ttf", None, ((0x1000, 0x109F),)),
    ("NotoSansGeorgian-Regular.ttf", None, ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F))),
    ("NotoSansEthiopic-Regular.ttf", None, ((0x1200, 0x139F), (0x2D80, 0x2DDF))),
    ("NotoSansCherokee-Regular.ttf", None, ((0x13A0, 0x13FF), (0xAB70, 0xABBF))),
    ("NotoSansCanadianAboriginal-Regular.ttf", None, ((0x1400, 0x167F), (0x18B0, 0x18FF))),
    ("NotoSansKhmer-Regular.ttf", None, ((0x1780, 0x17FF),)),
)
# Scripts whose letters change shape or order with their neighbours: these runs go through HarfBuzz.
_COMPLEX = ((0x0590, 0x08FF), (0x0900, 0x0DFF), (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF),
            (0xFB1D, 0xFEFF))
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))

NOTE = "name contains characters this record cannot print: "


class FontMissing(RuntimeError):
    """The installation lacks its fonts: a record must not be printed with substitute fonts."""


def _register(name: str, filename: str) -> None:
    if name in pdfmetrics.getRegisteredFontNames():
        return
    path = FONT_DIR / filename
    if not path.is_file():
        raise FontMissing(f"The font file {path} is missing; reinstall Chairside.")
    pdfmetrics.registerFont(TTFont(name, str(path)))


def register_fonts() -> None:
    """Register the primary faces once per process (parsing the TrueType files is the slow part).

    The fallback faces are registered the first time a text needs them: most records never do.
    """
    for name, filename in FILES.items():
        _register(name, filename)
    # <b> and <i> in paragraphs resolve to the embedded faces, never to a standard font.
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, OBLIQUE)
    addMapping(REGULAR, 1, 1, BOLD)
    addMapping(CONDENSED, 0, 0, CONDENSED)
    addMapping(CONDENSED, 1, 0, CONDENSED_BOLD)
    addMapping(CONDENSED, 0, 1, CONDENSED)
    addMapping(CONDENSED, 1, 1, CONDENSED_BOLD)


def font_files() -> list[Path]:
    """Every bundled face of the record (the screen installs the same folder: ui.application.install_fonts)."""
    files = [FONT_DIR / f for f in FILES.values()]
    for regular, bold, _ in FALLBACKS:
        files += [FONT_DIR / regular] + ([FONT_DIR / bold] if bold else [])
    return files


def _fallback_name(index: int, bold: bool) -> str:
    regular, bold_file, _ = FALLBACKS[index]
    use_bold = bold and bold_file is not None
    name = "Chairside-" + Path(bold_file if use_bold else regular).stem
    _register(name, bold_file if use_bold else regular)
    return name


_STARTS: list[int] = []
_BLOCKS: list[tuple[int, int, int]] = []
for _i, (_r, _b, _ranges) in enumerate(FALLBACKS):
    for _lo, _hi in _ranges:
        _BLOCKS.append((_lo, _hi, _i))
_BLOCKS.sort()
_STARTS = [b[0] for b in _BLOCKS]


def _block_font(cp: int) -> int | None:
    k = bisect_right(_STARTS, cp) - 1
    if k >= 0 and _BLOCKS[k][0] <= cp <= _BLOCKS[k][1]:
        return _BLOCKS[k][2]
    return None


def _has(font_name: str, cp: int) -> bool:
    return cp in pdfmetrics.getFont(font_name).face.charToGlyph


@lru_cache(maxsize=4096)
def font_for(cp: int, primary: str) -> str | None:
    """The first face of the chain that has a glyph for the code point, or None when no bundled font has one."""
    bold = primary in BOLD_FACES
    first = _block_font(cp)
    # A script's own face first (DejaVu has some Arabic, Hebrew and Georgian, unjoined or partial), then DejaVu.
    if first is not None and _has(_fallback_name(first, bold), cp):
        return _fallback_name(first, bold)
    if _has(primary, cp):
        return primary
    for i in range(len(FALLBACKS)):
        name = _fallback_name(i, bold)
        if _has(name, cp):
            return name
    return None


def has_glyphs(font_name: str, text: str) -> bool:
    """True when the registered font can draw every character of `text` (used for symbols such as ▲ and ◆)."""
    register_fonts()
    face = pdfmetrics.getFont(font_name).face
    return all(ord(ch) in face.charToGlyph for ch in text if not ch.isspace())


def _complex(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _COMPLEX)


# ------------------------------------------------------------------------------------------------ layout

@dataclass
class Run:
    """Part of a line in one face, in visual order: plain text, or HarfBuzz-shaped glyphs (a ShapedStr)."""

    font: str
    text: str
    width: float


@dataclass
class Line:
    runs: list[Run] = field(default_factory=list)
    width: float = 0.0
    missing: tuple[str, ...] = ()  # characters no bundled font has, as "U+XXXX"
    size: float = 0.0

    @property
    def note(self) -> str:
        return NOTE + ", ".join(self.missing) if self.missing else ""


def _levels(text: str, rtl_base: bool | None) -> list[int]:
    """The resolved bidi embedding level of each character (odd = right to left), by python-bidi."""
    from bidi import algorithm as uba
    storage = uba.get_empty_storage()
    base = uba.get_base_level(text) if rtl_base is None else int(rtl_base)
    storage["base_level"], storage["base_dir"] = base, ("L", "R")[base]
    uba.get_embedding_levels(text, storage, False, False)
    uba.explicit_embed_and_overrides(storage, False)
    uba.resolve_weak_types(storage, False)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    return [c["level"] for c in storage["chars"]]


def _visual_order(items: list, levels: list[int]) -> list:
    """Unicode bidi rule L2: from the highest level down to the lowest odd one, reverse every run at or above it."""
    if not items:
        return items
    order = list(range(len(items)))
    top, low_odd = max(levels), min(lv for lv in levels) | 1
    for lv in range(top, low_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= lv:
                j = i
                while j < len(order) and levels[order[j]] >= lv:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return [items[k] for k in order]


def layout(text: str, font: str, size: float, rtl_base: bool | None = False) -> Line:
    """Lay out one line: bidi levels, a face per character from the chain, HarfBuzz for complex scripts.

    `rtl_base` is the paragraph direction: False for the record's own (English) lines, None to take it from the
    text's first strong character (a name on its own).
    """
    register_fonts()
    text = unicodedata.normalize("NFC", str(text)).translate(_BIDI_CONTROLS)
    if not text:
        return Line(size=size)
    levels = _levels(text, rtl_base) if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text) \
        else [0] * len(text)
    # (font, level, complex, text) segments in logical order; characters without any glyph are left out.
    segments: list[list] = []
    missing: list[str] = []
    for ch, level in zip(text, levels):
        cp = ord(ch)
        category = unicodedata.category(ch)
        prev = segments[-1] if segments else None
        # Marks, spaces and punctuation stay with the run before them when its face has them, so a cluster or a
        # name's space is shaped with its letters.
        if prev is not None and prev[1] == level and category[0] in "MZP" and _has(prev[0], cp):
            prev[3] += ch
            continue
        face = font_for(cp, font)
        if face is None:
            if category[0] in "C":  # an invisible control: nothing to print, nothing to name
                continue
            code = f"U+{cp:04X}"
            if code not in missing:
                missing.append(code)
            continue
        is_complex = _complex(cp)
        if prev is not None and prev[0] == face and prev[1] == level:
            prev[3] += ch
            prev[2] = prev[2] or is_complex
        else:
            segments.append([face, level, is_complex, ch])
    runs = []
    for face, level, is_complex, part in _visual_order(segments, [s[1] for s in segments]):
        if is_complex or level % 2:
            shaped = shapeStr(part, face, size, force=True)
            if isinstance(shaped, ShapedStr):
                width = sum(d.x_advance for d in shaped.__shapeData__) * size / 1000
                runs.append(Run(face, shaped, width))
                continue
            part = shaped[::-1] if level % 2 else shaped
        runs.append(Run(face, part, pdfmetrics.stringWidth(part, face, size)))
    return Line(runs, sum(r.width for r in runs), tuple(missing), size)


def draw(canvas, x: float, y: float, text: str, font: str, size: float, anchor: str = "start",
         rtl_base: bool | None = False) -> Line:
    """Draw one line of text at (x, y) — `anchor` start, end or middle of the line — with its fonts; the layout."""
    line = layout(text, font, size, rtl_base)
    if anchor == "end":
        x -= line.width
    elif anchor == "middle":
        x -= line.width / 2
    draw_line(canvas, x, y, line)
    return line


def draw_line(canvas, x: float, y: float, line: Line) -> None:
    for run in line.runs:
        canvas.setFont(run.font, line.size)
        canvas.drawString(x, y, run.text)
        x += run.width


def fit(text: str, font: str, size: float, width: float) -> str:
    """The text, shortened with an ellipsis until it fits the width."""
    if layout(text, font, size).width <= width:
        return text
    while text and layout(text + "\u2026", font, size).width > width:
        text = text[:-1]
    return text + "\u2026"


def markup(text: str, font: str) -> str:
    """Escaped paragraph markup of user text: runs that need another face in <font> tags, unprintable characters
    named in words ([U+XXXX]). Paragraphs cannot reorder right-to-left text: a line that needs it is drawn with
    `draw` instead (see reports.pdf)."""
    from html import escape
    register_fonts()
    if needs_layout(text):
        # Joined and in visual order, face by face: right for a line; a right-to-left text long enough to wrap
        # keeps its words in visual order across lines (a name or a short note never does).
        line = layout(text, font, 10)  # (the size only scales widths, unused here)
        parts = [escape(str(r.text), quote=False) if r.font == font else
                 f"<font name='{r.font}'>{escape(str(r.text), quote=False)}</font>" for r in line.runs]
        return "".join(parts) + "".join(f"[{m}]" for m in line.missing)
    out, current, buf = [], font, ""

    def flush():
        if buf:
            out.append(escape(buf, quote=False) if current == font else
                       f"<font name='{current}'>{escape(buf, quote=False)}</font>")

    for ch in unicodedata.normalize("NFC", str(text)).translate(_BIDI_CONTROLS):
        cp = ord(ch)
        face = current if (ch.isspace() or unicodedata.category(ch)[0] in "MP") and _has(current, cp) \
            else font_for(cp, font)
        if face is None:
            flush()
            buf, current = "", font
            out.append(f"[U+{cp:04X}]")
            continue
        if face != current:
            flush()
            buf, current = "", face
        buf += ch
    flush()
    return "".join(out)


def needs_layout(text: str) -> bool:
    """True when the text holds right-to-left or complex-script characters that a paragraph cannot shape."""
    return any(_complex(ord(ch)) for ch in str(text))


def wrap(text: str, font: str, size: float, width: float, rtl_base: bool | None = None) -> list[Line]:
    """Lines of at most `width`, broken between words (each line laid out on its own)."""
    lines, current = [], ""
    for word in str(text).split():
        candidate = f"{current} {word}" if current else word
        if current and layout(candidate, font, size, rtl_base).width > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return [layout(t, font, size, rtl_base) for t in lines]



def text_block(text: str, font: str, size: float, leading: float | None = None, color=None):
    """A platypus flowable of user text in any script (a name, a comment): wrapped between words, shaped, right to
    left where the text is (a Paragraph would leave Arabic unjoined and reversed), unprintable characters named."""
    from reportlab.platypus.flowables import Flowable

    class TextBlock(Flowable):
        def wrap(self, avail_w, avail_h):
            self.lines = wrap(text, font, size, avail_w)
            missing = sorted({m for ln in self.lines for m in ln.missing})
            if missing:
                self.lines.append(layout(NOTE + ", ".join(missing), CONDENSED, size * 0.85))
            self.width = max([ln.width for ln in self.lines] + [0])
            self.height = (leading or size * 1.2) * max(1, len(self.lines))
            return self.width, self.height

        def draw(self):
            c = self.canv
            if color is not None:
                c.setFillColor(color)
            y = self.height - size
            for ln in self.lines:
                draw_line(c, 0, y, ln)
                y -= leading or size * 1.2

    return TextBlock()
