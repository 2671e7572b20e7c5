"""The course summary PDF: every planned infusion of a course, its vitals and flags, and the trend across the series.

Same conventions as the session record (reports.pdf): the embedded fonts, the clinic's letterhead, page X of Y,
generated at and by, the disclaimer on every page, and a QR code on page 1. The code carries the course id and a
digest of the content hashes of its session records, so a paper summary can be checked against the archive.
"""
from __future__ import annotations

import io
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from reportlab import rl_config
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas as _BaseCanvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

from monitor_app import DISCLAIMER, __version__
from monitor_app.domain.anchor import course_anchor, course_digest
from monitor_app.domain.clock import fmt_datetime
from monitor_app.domain.outcomes import BANDS, band_of
from monitor_app.reports.fonts import BOLD, CONDENSED, CONDENSED_BOLD, OBLIQUE, REGULAR, register_fonts
from monitor_app.reports.pdf import PAGE_SIZES, Letterhead, chain_words
from monitor_app.services.queries import CourseReport

TITLE = "Course summary"
MARGIN = 13 * mm
HEADER_H = 31 * mm
FOOTER_H = 12 * mm
INK = colors.HexColor("#1b1f24")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#9aa4ae")
HEAD_FILL = colors.Color(0.88, 0.90, 0.92)
CRIT, WARN, MISSING = "\u25c6", "\u25b2", "\u2205"
BAND_GREYS = (0.97, 0.93, 0.89, 0.85, 0.81)


def _e(text) -> str:
    return escape(str(text), quote=False) if text is not None else ""


def _vital(v, what: str) -> str:
    if v is None:
        return "\u2013"
    if what == "hr":
        return "\u2013" if v.heart_rate is None else str(v.heart_rate)
    return (v.bp or "\u2013") + (f" {CRIT}" if v.critical else "")


# ----------------------------------------------------------------------------------------------- the trend

def trend_drawing(report: CourseReport, width: float) -> Drawing:
    """BP bars (baseline, peak, last), peak heart rate and the outcome score per infusion, in black and white:
    shapes and line styles carry the meaning, the outcome's severity bands are grey shades with their names."""
    height = 250
    d = Drawing(width, height, initialFontName=REGULAR, initialFontSize=7)  # never a standard (unembedded) font
    left, right = 40, width - 10
    n = max(report.planned_infusions, 1)
    step = (right - left) / n
    x_of = lambda number, dx=0.0: left + (number - 0.5 + dx) * step  # noqa: E731
    done = [i for i in report.infusions if not i.planned]

    # Upper panel: vitals 40-220.
    top, bottom = height - 14, 110
    y_v = lambda v: bottom + (v - 40) / 180 * (top - bottom)  # noqa: E731
    d.add(Rect(left, bottom, right - left, top - bottom, strokeColor=RULE, fillColor=None, strokeWidth=0.5))
    for v in range(40, 221, 20):
        d.add(Line(left, y_v(v), right, y_v(v), strokeColor=colors.Color(0.9, 0.9, 0.9), strokeWidth=0.3))
        d.add(String(left - 3, y_v(v) - 2.5, str(v), fontName=CONDENSED, fontSize=6, textAnchor="end"))
    d.add(String(left, top + 4, "BP (mmHg): bars from diastolic to systolic at baseline (thin), peak (thick), "
                 f"last (dashed) \u00b7 \u25a0 peak HR (/min) \u00b7 {CRIT} critical \u00b7 {MISSING} missing reading",
                 fontName=CONDENSED, fontSize=6.5, fillColor=INK))
    for i in done:
        for which, dx, w, dash in (("baseline", -0.22, 1.0, None), ("peak", 0.0, 2.6, None),
                                   ("last", 0.22, 1.4, [2, 1.5])):
            v = getattr(i, which)
            if v is None or v.systolic is None or v.diastolic is None:
                continue
            x = x_of(i.number, dx)
            d.add(Line(x, y_v(v.diastolic), x, y_v(v.systolic), strokeColor=INK, strokeWidth=w,
                       strokeDashArray=dash))
            d.add(Line(x - 2.5, y_v(v.systolic), x + 2.5, y_v(v.systolic), strokeColor=INK, strokeWidth=0.8))
            if v.critical:
                s = y_v(v.systolic)
                d.add(Polygon([x, s + 9, x + 6, s + 3, x, s - 3, x - 6, s + 3], strokeColor=INK, fillColor=None,
                              strokeWidth=1))
        if i.missing:
            d.add(String(x_of(i.number), bottom + 4, f"{MISSING} missing", fontName=CONDENSED_BOLD, fontSize=6.5,
                         textAnchor="middle"))
    hr = [(x_of(i.number), y_v(i.peak.heart_rate)) for i in done if i.peak and i.peak.heart_rate is not None]
    if len(hr) > 1:
        d.add(PolyLine([c for p in hr for c in p], strokeColor=MUTED, strokeWidth=0.8, strokeDashArray=[1, 1.5]))
    for x, y in hr:
        d.add(Rect(x - 2, y - 2, 4, 4, fillColor=MUTED, strokeColor=None))

    # Lower panel: the outcome measure with its bands.
    o_top, o_bottom = 92, 18
    measure = report.outcome_measure
    bands = BANDS.get(measure, ())
    hi = bands[-1][1] if bands else 10
    y_o = lambda v: o_bottom + v / hi * (o_top - o_bottom)  # noqa: E731
    for k, (lo, up, words) in enumerate(bands):
        y0, y1 = y_o(max(lo - 0.5, 0)), y_o(min(up + 0.5, hi))
        g = BAND_GREYS[k % len(BAND_GREYS)]
        d.add(Rect(left, y0, right - left, y1 - y0, fillColor=colors.Color(g, g, g), strokeColor=None))
        d.add(String(right - 3, (y0 + y1) / 2 - 2.5, words, fontName=OBLIQUE, fontSize=6, textAnchor="end",
                     fillColor=MUTED))
    d.add(Rect(left, o_bottom, right - left, o_top - o_bottom, strokeColor=RULE, fillColor=None, strokeWidth=0.5))
    label = f"{report.outcome_label} before each infusion" if measure != "none" else "No outcome measure"
    d.add(String(left, o_top + 4, label, fontName=CONDENSED, fontSize=6.5, fillColor=INK))
    for v in (0, hi):
        d.add(String(left - 3, y_o(v) - 2.5, str(v), fontName=CONDENSED, fontSize=6, textAnchor="end"))
    scores = [(x_of(i.number), y_o(i.outcome_score)) for i in done if i.outcome_score is not None]
    if len(scores) > 1:
        d.add(PolyLine([c for p in scores for c in p], strokeColor=INK, strokeWidth=1.2))
    for x, y in scores:
        d.add(Rect(x - 2.5, y - 2.5, 5, 5, fillColor=INK, strokeColor=None))
    for number in range(1, n + 1):
        d.add(String(x_of(number), 6, f"Infusion {number}", fontName=CONDENSED, fontSize=6.5, textAnchor="middle"))
    return d


# -------------------------------------------------------------------------------------------------- the PDF

def _draw_qr(c, text: str, x: float, y: float, size: float, border: int = 2) -> None:
    """The QR code as one path of dark modules, as on the session record (no text, so no extra font)."""
    qr = QrCodeWidget(text, barLevel="M").qr
    qr.version = qr.version or qr.calculate_version()
    qr.makeImpl(False, 0)
    n = qr.getModuleCount()
    box = size / (n + 2 * border)
    path = c.beginPath()
    for r, row in enumerate(qr.modules):
        for col, dark in enumerate(row):
            if dark:
                path.rect(x + (col + border) * box, y + size - (r + border + 1) * box, box, box)
    c.setFillColor(colors.white)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)


def build_course_pdf(report: CourseReport, head: Letterhead, digest: str) -> bytes:
    """The summary of a course; its QR code is the course's anchor (domain.anchor): the course, the digest of its
    records and, when the letterhead has one, the audit chain's head when it was made."""
    register_fonts()
    page = PAGE_SIZES.get(head.page_size, A4)
    pw, ph = page
    zone = head.zone
    p = report.patient
    patient_line = "  \u00b7  ".join([f"MRN {p.mrn}", f"Date of birth {p.date_of_birth.isoformat() if p.date_of_birth else 'not recorded'}",
                                      report.indication, f"{report.planned_infusions} infusions planned"])
    generated = (f"Generated {fmt_datetime(head.generated_at or datetime.now(timezone.utc), zone)} "
                 f"by {head.generated_by or 'Chairside'}")
    ident = f"Course {report.course_id}  \u00b7  summary hash {digest[:12]}" + chain_words(head.chain)
    code = course_anchor(report.course_id, digest, head.chain).text

    def first_page(c, _doc):
        c.saveState()
        top = ph - MARGIN
        c.setFillColor(INK)
        c.setFont(BOLD, 10)
        c.drawString(MARGIN, top - 9, head.clinic_name)
        if head.address:
            c.setFont(REGULAR, 7.5)
            c.setFillColor(MUTED)
            c.drawString(MARGIN, top - 19, " \u00b7 ".join(x.strip() for x in head.address.splitlines() if x.strip()))
        c.setFillColor(INK)
        c.setFont(BOLD, 15)
        c.drawString(MARGIN, top - 42, TITLE)
        c.setFont(BOLD, 11)
        c.drawString(MARGIN, top - 59, p.name)
        c.setFont(REGULAR, 8.5)
        c.drawString(MARGIN, top - 71, patient_line)
        size = 25 * mm
        _draw_qr(c, code, pw - MARGIN - size, top - size, size)
        c.setFont(CONDENSED, 6)
        c.setFillColor(MUTED)
        c.drawRightString(pw - MARGIN, top - size - 6, "Course id and the digest of its records")
        c.setStrokeColor(RULE)
        c.line(MARGIN, ph - MARGIN - HEADER_H + 2 * mm, pw - MARGIN, ph - MARGIN - HEADER_H + 2 * mm)
        c.restoreState()

    def later_page(c, _doc):
        c.saveState()
        c.setFont(BOLD, 8.5)
        c.setFillColor(INK)
        c.drawString(MARGIN, ph - MARGIN - 8, f"{head.clinic_name} \u00b7 {p.name} \u00b7 MRN {p.mrn}")
        c.drawRightString(pw - MARGIN, ph - MARGIN - 8, TITLE)
        c.restoreState()

    class Numbered(_Canvas):
        def save(self):
            total = len(self._pages)
            for n, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.saveState()
                y = MARGIN
                self.setStrokeColor(RULE)
                self.line(MARGIN, y + 19, pw - MARGIN, y + 19)
                self.setFillColor(INK)
                self.setFont(BOLD, 8)
                self.drawRightString(pw - MARGIN, y + 9, f"Page {n} of {total}")
                self.setFont(CONDENSED, 7)
                self.drawString(MARGIN, y + 9, ident)
                self.setFillColor(MUTED)
                self.drawString(MARGIN, y, generated)
                self.setFont(BOLD, 7)
                self.setFillColor(INK)
                self.drawRightString(pw - MARGIN, y, DISCLAIMER)
                self.restoreState()
                _Canvas.showPage_real(self)
            _Canvas.save_real(self)

    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=page, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN, title=f"{TITLE} \u2014 {p.name}", author=head.clinic_name,
                          subject=f"Course {report.course_id}", creator=f"Chairside {__version__}",
                          producer=f"Chairside {__version__}", initialFontName=REGULAR, initialFontSize=9)
    width = pw - 2 * MARGIN
    body_bottom = MARGIN + FOOTER_H
    doc.addPageTemplates([
        PageTemplate(id="first", frames=[Frame(MARGIN, body_bottom, width, ph - MARGIN - HEADER_H - body_bottom,
                                               leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)],
                     onPage=first_page, autoNextPageTemplate="later"),
        PageTemplate(id="later", frames=[Frame(MARGIN, body_bottom, width, ph - 2 * MARGIN - 8 * mm - FOOTER_H,
                                               leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)],
                     onPage=later_page),
    ])
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=8.5, leading=10.8, textColor=INK)
    cell = ParagraphStyle("cell", body, fontName=CONDENSED, fontSize=7.5, leading=9)
    h2 = ParagraphStyle("h2", body, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    note = ParagraphStyle("note", body, fontName=OBLIQUE, fontSize=7.5, leading=9.2, textColor=MUTED)

    done = [i for i in report.infusions if not i.planned]
    latest = next((i.outcome_score for i in reversed(done) if i.outcome_score is not None), None)
    facts = (f"<b>Indication:</b> {_e(report.indication)} \u00b7 <b>Prescriber:</b> "
             f"{_e(report.prescriber or 'not recorded')} \u00b7 <b>Infusions:</b> {len(done)} of "
             f"{report.planned_infusions} done")
    if report.outcome_measure != "none":
        facts += f" \u00b7 <b>Outcome measure:</b> {_e(report.outcome_label)}"
        if latest is not None:
            facts += f", latest {latest} ({_e(band_of(report.outcome_measure, latest))})"
    story = [Paragraph("Course", h2), Paragraph(facts, body), Paragraph("Trend across the series", h2),
             trend_drawing(report, width), Paragraph("Infusions", h2),
             Paragraph(f"Baseline = last reading before the infusion; peak = highest systolic; last = last reading "
                       f"after the infusion ended. {CRIT} critical flag \u00b7 {WARN} warning \u00b7 {MISSING} "
                       f"missing reading \u00b7 planned infusions are listed as planned.", note), Spacer(1, 3)]
    outcome_head = f"{report.outcome_label}\nbefore" if report.outcome_measure != "none" else "Outcome"
    rows = [["No.", "Date", "Nurse", "BP base / peak / last", "HR base/peak/last", "Flags", "Discharge",
             "Status", outcome_head]]
    for i in report.infusions:
        if i.planned:
            rows.append([str(i.number), "planned", "", "", "", "", "", "Planned", ""])
            continue
        flags = " ".join(x for x in (f"{CRIT} {i.criticals}" if i.criticals else "",
                                     f"{WARN} {i.warnings}" if i.warnings else "") if x) or "none"
        bp = " / ".join(_vital(v, "bp") for v in (i.baseline, i.peak, i.last))
        if i.missing:
            bp += "<br/>" + "; ".join(f"{MISSING} {m}" for m in i.missing)
        rows.append([str(i.number), i.arrival_at.astimezone(zone).strftime("%Y-%m-%d"), Paragraph(_e(i.nurse), cell),
                     Paragraph(bp, cell), " / ".join(_vital(v, "hr") for v in (i.baseline, i.peak, i.last)),
                     flags, Paragraph(_e(i.discharge or "\u2013"), cell), i.status,
                     "\u2013" if i.outcome_score is None else str(i.outcome_score)])
    fixed = [18, 46, 62, 104, 70, 40]
    rest = width - sum(fixed)
    table = Table(rows, colWidths=fixed + [rest * 0.38, rest * 0.34, rest * 0.28], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), CONDENSED, 7.5, 9), ("FONT", (0, 0), (-1, 0), CONDENSED_BOLD, 7.5, 9),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK), ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
    ] + [("TEXTCOLOR", (0, k), (-1, k), MUTED) for k, i in enumerate(report.infusions, start=1) if i.planned]))
    story.append(table)
    a85 = rl_config.useA85
    rl_config.useA85 = 0
    try:
        doc.build(story, canvasmaker=Numbered)
    finally:
        rl_config.useA85 = a85
    return buf.getvalue()


class _Canvas(_BaseCanvas):
    """Keeps every page until the end, so each footer can say 'Page X of Y'."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def showPage_real(self):  # noqa: N802
        _BaseCanvas.showPage(self)

    def save_real(self):
        _BaseCanvas.save(self)


def course_pdf(db, actor, course_id: int, now: datetime | None = None) -> bytes:
    """Load the course, the content hashes of its records and the clinic's letterhead; build the summary."""
    from monitor_app.services.integrity import chain_head
    from monitor_app.services.queries import course_record_hashes, course_report
    from monitor_app.services.settings import read_settings
    chain = chain_head(db)  # before the records: the copy shows at least everything up to this row
    report = course_report(db, actor, course_id)
    hashes = course_record_hashes(db, actor, course_id)
    head = Letterhead.from_settings(read_settings(db), actor.display, now, chain=chain)
    return build_course_pdf(report, head, course_digest(hashes))


def export_course_pdf(db, actor, course_id: int, path: Path, now: datetime | None = None) -> Path:
    """Write the course summary to `path` (atomically) and audit the export."""
    from monitor_app.reports.pdf_export import write_atomically
    from monitor_app.services.integrity import record_course_export
    actor.require("export")
    data = course_pdf(db, actor, course_id, now)
    path = write_atomically(Path(path), data)
    record_course_export(db, actor, course_id, f"course summary pdf {path.name}")
    return path
