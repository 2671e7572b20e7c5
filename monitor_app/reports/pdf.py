"""The PDF session record (SPEC 6): what a charge nurse prints and signs off and an auditor compares months later.

Built with reportlab platypus from the SessionRecord read model. Every text uses the embedded DejaVu fonts;
every page has the header (clinic, patient, session) and the footer (page X of Y, record id and short content
hash, generated at and by, the disclaimer); page 1 carries a QR code of the record id and full content hash
that `monitor-app verify --record ID --hash HASH` checks against the archive.
"""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from reportlab import rl_config
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate, Paragraph,
                                Spacer, Table, TableStyle)

from monitor_app import DISCLAIMER, __version__
from monitor_app.domain.clock import clinic_zone, fmt_datetime, fmt_time, zone_statement
from monitor_app.domain.discharge import DISCHARGE_AT, SCALES
from monitor_app.domain.record import AmendmentView, EventView, ReadingView, SessionRecord
from monitor_app.domain.session import ACK_ACTIONS, Status
from monitor_app.domain.thresholds import LEVEL_SYMBOL, LIMIT_NAMES, PARAMETER_LABELS, PARAMETERS, Level
from monitor_app.domain.vitals import VITAL_FIELDS, format_bp, label as vital_label, mean_arterial_pressure
from monitor_app.reports import fonts
from monitor_app.reports.fonts import BOLD, CONDENSED, CONDENSED_BOLD, OBLIQUE, REGULAR, register_fonts
from monitor_app.reports.pdf_chart import minimum_height, session_chart
from monitor_app.domain.anchor import ChainHead, parse_anchor, record_anchor

PAGE_SIZES = {"A4": A4, "Letter": LETTER}
TITLE = "Infusion session record"
QR_PREFIX = "chairside"
SHORT_HASH = 12
QR_MASK = 0
MARGIN = 13 * mm
FIRST_HEADER_H = 31 * mm
HEADER_H = 15 * mm
FOOTER_H = 12 * mm
WARN, CRIT = LEVEL_SYMBOL[Level.WARNING], LEVEL_SYMBOL[Level.CRITICAL]
CRIT_INK = colors.HexColor("#9b1c1c")
BOX_DONE, BOX_OPEN = "\u2611", "\u2610"

INK = colors.HexColor("#1b1f24")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#9aa4ae")
HEAD_FILL = colors.Color(0.88, 0.90, 0.92)
ZEBRA = colors.Color(0.965, 0.97, 0.975)
ERROR_INK = colors.HexColor("#6b7480")
SECTION_HEADINGS = ("Session summary", "Chart", "Readings", "Flags and acknowledgements", "Events and interventions",
                    "Discharge assessment", "Signatures", "Addenda")
APPENDIX_HEADING = "Appendix: audit trail of this record"


@dataclass(frozen=True)
class Letterhead:
    """Who prints the record, for whom, and how: clinic details, page size, time zone, and the generating user."""

    clinic_name: str
    address: str = ""
    logo_png: bytes | None = None
    page_size: str = "A4"
    zone: tzinfo = timezone.utc
    generated_at: datetime | None = None
    generated_by: str = ""
    chain: ChainHead | None = None  # the audit chain's head when the copy was made: the page anchors it

    @classmethod
    def from_settings(cls, settings, generated_by: str, generated_at: datetime | None = None,
                      chain: ChainHead | None = None) -> "Letterhead":
        return cls(settings.name, settings.address or "", settings.logo_png, settings.page_size or "A4",
                   clinic_zone(settings.timezone), generated_at or datetime.now(timezone.utc), generated_by, chain)


def qr_payload(record: SessionRecord, chain: ChainHead | None = None) -> str:
    """What the QR code on page 1 carries (docs/anchors.md): `monitor-app verify --anchor TEXT` checks all of it,
    and its second and third parts are `--record ID --hash HASH`."""
    return record_anchor(record.record_uid, record.content_hash, chain).text


def parse_qr_payload(text: str) -> tuple[str, str]:
    anchor = parse_anchor(text)
    if anchor.record_uid is None:
        raise ValueError("not a Chairside record code")
    return anchor.record_uid, anchor.content_hash


def chain_words(chain: ChainHead | None) -> str:
    return f"  \u00b7  audit chain row {chain.seq} at {chain.row_hash[:SHORT_HASH]}" if chain else ""


# ------------------------------------------------------------------------------------------------ styles

def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=8.5, leading=10.8, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9.2),
        "cell": ParagraphStyle("cell", base, fontName=CONDENSED, fontSize=7.5, leading=9),
        "cell_muted": ParagraphStyle("cell_muted", base, fontName=CONDENSED, fontSize=7.5, leading=9,
                                     textColor=ERROR_INK),
        "cell_head": ParagraphStyle("cell_head", base, fontName=CONDENSED_BOLD, fontSize=7.5, leading=9),
        "tiny": ParagraphStyle("tiny", base, fontName=CONDENSED, fontSize=6.5, leading=7.8),
        "label": ParagraphStyle("label", base, fontName=CONDENSED_BOLD, fontSize=7.5, leading=9, textColor=MUTED),
        "h2": ParagraphStyle("h2", base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=9, spaceAfter=4,
                             keepWithNext=1),
        "h3": ParagraphStyle("h3", base, fontName=BOLD, fontSize=9, leading=11.5, spaceBefore=5, spaceAfter=2,
                             keepWithNext=1),
        "note": ParagraphStyle("note", base, fontName=OBLIQUE, fontSize=7.5, leading=9.2, textColor=MUTED),
    }


def _e(text) -> str:
    """Paragraph markup of a text: escaped, with any script DejaVu lacks in its fallback face (reports.fonts)."""
    return fonts.markup(text, REGULAR) if text is not None else ""


def _num(v) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# --------------------------------------------------------------------------------------- page furniture

def _fit(text: str, font: str, size: float, width: float) -> str:
    return fonts.fit(text, font, size, width)


def _draw(c: Canvas, x: float, y: float, text: str, font: str, size: float, anchor: str = "start",
          rtl_base: bool | None = False) -> "fonts.Line":
    """Every string the page furniture draws goes through here: fallback faces, shaping, right to left."""
    return fonts.draw(c, x, y, text, font, size, anchor, rtl_base)


class _Furniture:
    """Draws the header and (deferred, once the page count is known) the footer of every page."""

    def __init__(self, record: SessionRecord, head: Letterhead):
        self.record, self.head = record, head
        self.page_w, self.page_h = PAGE_SIZES.get(head.page_size, A4)
        zone = head.zone
        p = record.patient
        self.patient_name = p.name
        self.patient_line = "  \u00b7  ".join([
            f"MRN {p.mrn}",
            f"Date of birth {p.date_of_birth.isoformat() if p.date_of_birth else 'not recorded'}",
            f"Session {record.arrival_at.astimezone(zone).date().isoformat()}",
            record.infusion_label,
        ])
        self.address = " \u00b7 ".join(line.strip() for line in head.address.splitlines() if line.strip())
        self.logo = ImageReader(io.BytesIO(head.logo_png)) if head.logo_png else None
        self.generated = (f"Generated {fmt_datetime(head.generated_at or datetime.now(timezone.utc), zone)} "
                          f"by {head.generated_by or 'Chairside'}")
        self.ident = (f"Record {record.record_uid}  \u00b7  content hash {record.content_hash[:SHORT_HASH]}"
                      + chain_words(head.chain))

    # header ---------------------------------------------------------------------------------------------
    def _logo(self, c: Canvas, x: float, top: float, max_h: float) -> float:
        if self.logo is None:
            return 0.0
        iw, ih = self.logo.getSize()
        h = max_h
        w = min(iw * h / ih, 40 * mm)
        h = w * ih / iw
        c.drawImage(self.logo, x, top - h, w, h, mask="auto")
        return w + 3 * mm

    def first_page(self, c: Canvas, doc) -> None:
        c.saveState()
        top = self.page_h - MARGIN
        left, right = MARGIN, self.page_w - MARGIN
        qr_size = 25 * mm
        text_right = right - qr_size - 4 * mm
        x = left + self._logo(c, left, top, 12 * mm)
        c.setFillColor(INK)
        _draw(c, x, top - 9, _fit(self.head.clinic_name, BOLD, 10, text_right - x), BOLD, 10)
        if self.address:
            c.setFillColor(MUTED)
            _draw(c, x, top - 19, _fit(self.address, REGULAR, 7.5, text_right - x), REGULAR, 7.5)
        c.setFillColor(INK)
        c.setFont(BOLD, 15)
        c.drawString(left, top - 42, TITLE)
        name = _draw(c, left, top - 59, _fit(self.patient_name, BOLD, 11, text_right - left), BOLD, 11,
                     rtl_base=None)
        if name.missing:  # named in words, never printed as boxes
            c.setFillColor(CRIT_INK)
            nx = left + name.width + 8
            _draw(c, nx, top - 59, _fit(name.note, CONDENSED_BOLD, 7.5, text_right - nx), CONDENSED_BOLD, 7.5)
            c.setFillColor(INK)
        _draw(c, left, top - 71, _fit(self.patient_line, REGULAR, 8.5, text_right - left), REGULAR, 8.5)
        self._qr(c, right - qr_size, top - qr_size, qr_size)
        c.setFont(CONDENSED, 6)
        c.setFillColor(MUTED)
        c.drawRightString(right, top - qr_size - 6, "Scan to check this copy against the archive")
        self._rule(c, self.page_h - MARGIN - FIRST_HEADER_H + 2 * mm)
        c.restoreState()

    def later_page(self, c: Canvas, doc) -> None:
        c.saveState()
        top = self.page_h - MARGIN
        left, right = MARGIN, self.page_w - MARGIN
        x = left + self._logo(c, left, top, 6 * mm)
        c.setFillColor(INK)
        title_w = stringWidth(TITLE, BOLD, 8.5)
        clinic = _draw(c, x, top - 8, _fit(self.head.clinic_name, BOLD, 8.5, (right - x - title_w) * 0.5), BOLD, 8.5)
        if self.address:
            c.setFillColor(MUTED)
            ax = x + clinic.width + 6
            _draw(c, ax, top - 8, _fit(self.address, REGULAR, 7, right - title_w - 8 - ax), REGULAR, 7)
        c.setFillColor(INK)
        c.setFont(BOLD, 8.5)
        c.drawRightString(right, top - 8, TITLE)
        name = _draw(c, left, top - 21, _fit(self.patient_name, BOLD, 8.5, (right - left) * 0.4), BOLD, 8.5,
                     rtl_base=None)
        nx = left + name.width + 8
        _draw(c, nx, top - 21, _fit(self.patient_line, REGULAR, 8, right - nx), REGULAR, 8)
        self._rule(c, self.page_h - MARGIN - HEADER_H + 2 * mm)
        c.restoreState()

    def _rule(self, c: Canvas, y: float) -> None:
        c.setStrokeColor(RULE)
        c.setLineWidth(0.6)
        c.line(MARGIN, y, self.page_w - MARGIN, y)

    def _qr(self, c: Canvas, x: float, y: float, size: float) -> None:
        draw_qr(c, qr_payload(self.record, self.head.chain), x, y, size)

    # footer ---------------------------------------------------------------------------------------------
    def footer(self, c: Canvas, page: int, pages: int) -> None:
        draw_footer(c, self.page_w, self.ident, self.generated, page, pages)


def draw_qr(c: Canvas, text: str, x: float, y: float, size: float, border: int = 2) -> None:
    """reportlab's QR encoder, drawn as one path of module runs (the widget encodes twice, shape by shape)."""
    qr = QrCodeWidget(text, barLevel="M").qr
    # Any of the eight mask patterns is a valid code; trying all eight to pick the "best" costs 30-40 ms.
    qr.version = qr.version or qr.calculate_version()
    qr.makeImpl(False, QR_MASK)
    n = qr.getModuleCount()
    box = size / (n + 2 * border)
    path = c.beginPath()
    for r, row in enumerate(qr.modules):
        col = 0
        for dark, run in itertools.groupby(bool(m) for m in row):
            k = len(list(run))
            if dark:
                path.rect(x + (col + border) * box, y + size - (r + border + 1) * box, k * box, box)
            col += k
    c.setFillColor(colors.white)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)


def draw_footer(c: Canvas, page_w: float, ident: str, generated: str, page: int, pages: int) -> None:
    """The footer of every printed page: what it is and its anchor, page X of Y, who made it when, the disclaimer."""
    c.saveState()
    left, right = MARGIN, page_w - MARGIN
    y = MARGIN
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    c.line(left, y + 19, right, y + 19)
    c.setFillColor(INK)
    c.setFont(BOLD, 8)
    c.drawRightString(right, y + 9, f"Page {page} of {pages}")
    c.setFont(CONDENSED, 7)
    c.drawString(left, y + 9, ident)
    c.setFillColor(MUTED)
    c.drawString(left, y, generated)
    c.setFont(BOLD, 7)
    c.setFillColor(INK)
    c.drawRightString(right, y, DISCLAIMER)
    c.restoreState()


def _numbered_canvas(furniture):
    """A canvas that keeps every page until the end, then adds each footer with 'Page X of Y'."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for n, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                furniture.footer(self, n, total)
                super().showPage()
            super().save()

    return NumberedCanvas


# ------------------------------------------------------------------------------------------------ sections

class _Builder:
    def __init__(self, record: SessionRecord, head: Letterhead, width: float):
        self.r, self.head, self.width = record, head, width
        self.zone = head.zone
        self.s = _styles()

    # helpers --------------------------------------------------------------------------------------------
    def t(self, moment) -> str:
        return fmt_time(moment, self.zone)

    def dt(self, moment) -> str:
        return fmt_time(moment, self.zone, with_date=True)

    def clock(self, moment, day) -> str:
        """HH:MM, with the date when it is not the session's day (an overnight observation)."""
        return fmt_time(moment, self.zone, with_date=moment.astimezone(self.zone).date() != day)

    def p(self, text: str, style: str = "cell") -> Paragraph:
        return Paragraph(text, self.s[style])

    def name_cell(self, text: str, style: str = "cell"):
        """A name or other typed text in a cell: a paragraph, or where it needs shaping or right to left (Arabic,
        Hebrew, Indic scripts), a shaped block."""
        st = self.s[style]
        if fonts.needs_layout(text):
            return fonts.text_block(text, st.fontName, st.fontSize, st.leading, st.textColor)
        return self.p(_e(text), style)

    def heading(self, text: str) -> Paragraph:
        return Paragraph(_e(text), self.s["h2"])

    def table(self, rows, widths, header_rows: int = 1, extra=(), zebra: bool = True,
              font: str = CONDENSED, size: float = 7.5) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=header_rows, hAlign="LEFT")
        style = [
            ("FONT", (0, 0), (-1, -1), font, size, size + 1.5),
            ("FONT", (0, 0), (-1, header_rows - 1), CONDENSED_BOLD, size, size + 1.5),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, INK),
            ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
            ("TOPPADDING", (0, 0), (-1, -1), 1.6),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ]
        if zebra:
            style.append(("ROWBACKGROUNDS", (0, header_rows), (-1, -1), [colors.white, ZEBRA]))
        t.setStyle(TableStyle(style + list(extra)))
        return t

    def who_when(self, by: str, at) -> str:
        return f"{by}, {self.dt(at)}"

    def amendment_text(self, a: AmendmentView, what: str = "") -> str:
        changes = "; ".join(f"{_field_label(f)} {_num_or_text(old)} \u2192 {_num_or_text(new)}"
                            for f, (old, new) in a.changes.items())
        return (f"{what}{changes} \u2014 reason: {a.reason} ({self.who_when(a.by, a.at)})").strip()

    # sections -------------------------------------------------------------------------------------------
    def summary(self) -> list:
        r, s = self.r, self.s
        c, pt = r.course, r.patient
        dose = []
        if r.dose_mg_per_kg is not None:
            dose.append(f"{_num(r.dose_mg_per_kg)} mg/kg")
        if r.dose_mg_total is not None:
            dose.append(f"{_num(r.dose_mg_total)} mg")
        outcome = c.outcome_label
        score = "not recorded" if r.outcome_score_before is None else str(r.outcome_score_before)
        pairs = [
            ("Indication", c.indication_label), ("Outcome score before", f"{outcome}: {score}"
                                                 if c.outcome_measure != "none" else "None"),
            ("Medication", r.medication), ("Dose", " \u00b7 ".join(dose) or "not recorded"),
            ("Route", r.route), ("Lot number", r.lot_number or "not recorded"),
            ("Planned duration", f"{r.planned_minutes} min"),
            ("Weight", f"{_num(pt.weight_kg)} kg" if pt.weight_kg else "not recorded"),
            ("Chair", r.chair or "\u2014"), ("Primary nurse", r.primary_nurse),
            ("Supervising clinician", r.supervising_clinician or "\u2014"), ("Prescriber", c.prescriber or "\u2014"),
            ("Allergies", pt.allergies or "none recorded"), ("Status", _status_text(r.status)),
        ]
        rows, row = [], []
        for k, v in pairs:
            row += [self.p(_e(k), "label"), self.name_cell(v)]
            if len(row) == 4:
                rows.append(row)
                row = []
        if row:
            rows.append(row + ["", ""])
        checklist = "; ".join(f"{BOX_DONE if done else BOX_OPEN} {_e(item)} ({'yes' if done else 'no'})"
                              for item, done in r.checklist.items()) or "No checklist recorded."
        meds = ", ".join(_e(m) for m in r.concomitant_medicines) or "None recorded"
        spans = []
        for k, v in (("Pre-infusion checklist", checklist), ("Concomitant medicines (sedating, BP-raising)", meds)):
            spans.append(("SPAN", (1, len(rows)), (3, len(rows))))
            rows.append([self.p(_e(k), "label"), self.p(v), "", ""])
        w = self.width
        grid = Table(rows, colWidths=[w * 0.17, w * 0.33, w * 0.17, w * 0.33], hAlign="LEFT")
        grid.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), CONDENSED, 7.5), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 1),
                                  ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                                  ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE)] + spans))
        out = [self.heading("Session summary"), grid]

        # Times, with pauses and resumptions from the events; six to a row so many pauses still fit.
        times = [("Arrival", r.arrival_at), ("Infusion start", r.infusion_start_at)]
        for e in r.events:
            if e.error is None and e.kind in ("infusion_paused", "infusion_resumed"):
                times.append((f"{e.label} (event {e.number})", e.at))
        times += [("Infusion end", r.infusion_end_at), ("Discharge", r.discharged_at)]
        day = r.arrival_at.astimezone(self.zone).date()
        rows, heads = [], []
        for i in range(0, len(times), 6):
            chunk = times[i:i + 6] + [("", None)] * (6 - len(times[i:i + 6]))
            heads.append(len(rows))
            rows.append([self.p(_e(k), "cell_head") for k, _ in chunk])
            rows.append([self.clock(v, day) if v else ("\u2014" if k else "") for k, v in chunk])
        times_table = self.table(rows, [w / 6] * 6, zebra=False, extra=[
            x for h in heads[1:] for x in (("FONT", (0, h), (-1, h), CONDENSED_BOLD, 7.5, 9),
                                           ("BACKGROUND", (0, h), (-1, h), HEAD_FILL))])
        out += [Paragraph("Times", s["h3"]), times_table,
                Paragraph(_e(zone_statement(self.zone, r.arrival_at) + "; a time in the hour the clocks change "
                             "carries its zone."), s["note"])]
        return out

    def profile(self) -> list:
        """The threshold profile and schedule in force, after the chart (page 1 keeps the chart)."""
        r, s = self.r, self.s
        out = []
        # Threshold profile and its limits (and any orders that changed them during the session).
        out.append(Paragraph(f"Threshold profile: {_e(r.thresholds.name)}", s["h3"]))
        out.append(self.limits_table(r.thresholds))
        for at, th in r.threshold_orders:
            out.append(Paragraph(f"From {self.t(at)} by order: {_e(th.name)}", s["small"]))
            out.append(self.limits_table(th))
        sched = r.schedule
        out.append(Paragraph(
            f"Monitoring schedule: {_e(sched.name)} \u2014 every {sched.infusion_interval_min} min during the "
            f"infusion, every {sched.recovery_interval_min} min in recovery, minimum observation "
            f"{sched.min_observation_min} min.", s["small"]))

        return out

    def limits_table(self, th) -> Table:
        head = ["Parameter", "Critical low", "Warning low", "Warning high", "Critical high", "Baseline change"]
        rows = [head]
        for p in PARAMETERS:
            lim = th.for_parameter(p)
            vals = [getattr(lim, n) for n in LIMIT_NAMES]
            if all(v is None for v in vals) and lim.baseline_warning_pct is None:
                continue
            base = ""
            if lim.baseline_warning_pct is not None or lim.baseline_critical_pct is not None:
                base = (f"{WARN} >{_num(lim.baseline_warning_pct)} %  " if lim.baseline_warning_pct else "") + \
                       (f"{CRIT} >{_num(lim.baseline_critical_pct)} %" if lim.baseline_critical_pct else "")
            rows.append([PARAMETER_LABELS[p]] + [f"< {_num(v)}" if i < 2 and v is not None else
                                                 (f"> {_num(v)}" if v is not None else "\u2014")
                                                 for i, v in enumerate(vals)] + [base.strip()])
        w = self.width
        return self.table(rows, [w * 0.2] + [w * 0.13] * 4 + [w * 0.28], zebra=False, size=7)

    def chart(self, max_height: float) -> list:
        return [_ChartFlowable(self.r, self.zone, self.width, self.heading("Chart"), max_height)]

    READING_HEAD = ["Measured", "Phase", "Min", "BP", "MAP", "HR", "SpO2", "RR", "MOAA/S", "NRS", "Notes"]

    def readings(self) -> list:
        r = self.r
        out = [self.heading("Readings"),
               Paragraph(f"{WARN} warning  {CRIT} critical  \u00b7  struck through: original value or entered in "
                         "error  \u00b7  Min: minutes from infusion start  \u00b7  late entry: measured and "
                         "recorded times both shown", self.s["note"])]
        if not r.readings:
            return out + [Paragraph("No readings recorded.", self.s["body"])]
        rows, extra = [self.READING_HEAD], []
        for i, reading in enumerate(r.readings, start=1):
            rows.append(self.reading_row(reading))
            if reading.entered_in_error:
                extra.append(("TEXTCOLOR", (0, i), (-1, i), ERROR_INK))
        fixed = [42, 44, 24, 50, 26, 28, 28, 22, 34, 24]
        widths = fixed + [self.width - sum(fixed)]
        extra += [("ALIGN", (2, 0), (9, -1), "CENTER")]
        # The heading never stays behind at the foot of a page: it goes with the table (a table longer than a
        # page still starts where it is and runs on).
        return [KeepTogether(out + [self.table(rows, widths, extra=extra)])]

    def reading_row(self, reading: ReadingView) -> list:
        cur, orig = reading.current, reading.original
        amended = reading.amended_fields()
        error = reading.entered_in_error

        def value(field: str, text_cur: str, text_orig: str, flag_fields=()) -> object:
            symbols = ""
            for f in flag_fields:
                flag = reading.flag_for(f)
                if flag is not None:
                    symbols += flag.symbol
            if error:
                return self.p(f"<strike>{_e(text_orig)}</strike>{symbols}", "cell_muted") if text_orig else ""
            if field in amended or any(f in amended for f in flag_fields):
                if text_orig != text_cur:
                    shown = f"<strike>{_e(text_orig)}</strike> {_e(text_cur)}" if text_orig else _e(text_cur)
                    return self.p(shown + symbols)
            return f"{text_cur}{symbols}" if text_cur else ""

        bp_cur, bp_orig = format_bp(cur.systolic, cur.diastolic), format_bp(orig.systolic, orig.diastolic)
        marks = {f: (reading.flag_for(f).symbol if reading.flag_for(f) else "") for f in ("systolic", "diastolic")}
        flagged = (f"{_num(cur.systolic)}{marks['systolic']}/{_num(cur.diastolic)}{marks['diastolic']}"
                   if bp_cur else "")
        if error:
            bp = self.p(f"<strike>{_e(bp_orig)}</strike>", "cell_muted") if bp_orig else ""
        elif bp_cur != bp_orig:
            bp = self.p(f"<strike>{_e(bp_orig)}</strike> {_e(flagged)}" if bp_orig else _e(flagged))
        else:
            bp = flagged
        src = orig if error else cur
        mean = mean_arterial_pressure(src.systolic, src.diastolic)
        mean_text = "" if mean is None else str(mean)

        measured = self.t(reading.measured_at)
        if reading.late:
            measured += f"\nrec. {self.t(reading.recorded_at)}\nlate entry"
        minutes = "" if reading.minutes is None else f"{reading.minutes:+.0f}" if round(reading.minutes) else "0"
        notes = []
        if (cur.comment if not error else orig.comment):
            text = _e(cur.comment if not error else orig.comment)
            notes.append(f"<strike>{text}</strike>" if error else text)
        if "comment" in amended and orig.comment and orig.comment != cur.comment and not error:
            notes.insert(0, f"<strike>{_e(orig.comment)}</strike>")
        for a in reading.amendments:
            notes.append(f"<i>Amended:</i> {_e(self.amendment_text(a))}")
        if error:
            notes.append(f"<b>Entered in error</b> \u2014 reason: {_e(reading.error.reason)} "
                         f"({_e(self.who_when(reading.error.by, reading.error.at))})")
        if reading.late:
            notes.append(f"<i>Late entry: measured {self.t(reading.measured_at)}, recorded "
                         f"{self.t(reading.recorded_at)} by {_e(reading.recorded_by)}</i>")
        if error:
            measured_cell = self.p(f"<strike>{_e(measured)}</strike>".replace("\n", "<br/>"), "cell_muted")
            phase_cell = self.p(f"<strike>{_e(reading.phase.label)}</strike>", "cell_muted")
        else:
            measured_cell, phase_cell = measured, reading.phase.label
        return [
            measured_cell, phase_cell, minutes, bp, mean_text if not error else
            (self.p(f"<strike>{mean_text}</strike>", "cell_muted") if mean_text else ""),
            value("heart_rate", _num(cur.heart_rate), _num(orig.heart_rate), ("heart_rate",)),
            value("spo2", _num(cur.spo2), _num(orig.spo2), ("spo2",)),
            value("resp_rate", _num(cur.resp_rate), _num(orig.resp_rate), ("resp_rate",)),
            value("moaas", _num(cur.moaas), _num(orig.moaas)),
            value("pain_nrs", _num(cur.pain_nrs), _num(orig.pain_nrs)),
            self.p("<br/>".join(notes), "cell_muted" if error else "cell") if notes else "",
        ]

    def flags(self) -> list:
        r = self.r
        out = [self.heading("Flags and acknowledgements")]
        flags = r.flags
        if not flags:
            return out + [Paragraph("No reading was outside the limits.", self.s["body"])]
        times = {x.id: x.measured_at for x in r.readings}
        rows = [["Reading", "Flag", "Finding", "Acknowledgement (action, by, when)"]]
        for f in flags:
            if f.ack is not None:
                action = ACK_ACTIONS.get(f.ack.action, f.ack.action)
                if f.ack.action_text:
                    action += f": {f.ack.action_text}"
                ack = f"{_e(action)} \u2014 {_e(self.who_when(f.ack.by, f.ack.at))}"
            elif f.cleared:
                ack = "<i>Cleared: the value was corrected by an amendment</i>"
            else:
                ack = "<b>Not acknowledged</b>"
            rows.append([self.t(times.get(f.reading_id)), f"{f.symbol} {f.level.value}", self.p(_e(f.description)),
                         self.p(ack)])
        w = self.width
        return out + [self.table(rows, [36, 52, w * 0.4, w - 88 - w * 0.4])]

    def events(self) -> list:
        r = self.r
        out = [self.heading("Events and interventions")]
        if not r.events:
            return out + [Paragraph("No events recorded.", self.s["body"])]
        rows, extra = [["No.", "Time", "Type", "Event", "Recorded"]], []
        for i, e in enumerate(r.events, start=1):
            rows.append(self.event_row(e))
            if e.error is not None:
                extra.append(("TEXTCOLOR", (0, i), (-1, i), ERROR_INK))
        w = self.width
        return out + [self.table(rows, [22, 34, 56, w - 22 - 34 - 56 - 130, 130],
                                 extra=[("ALIGN", (0, 0), (0, -1), "RIGHT")] + extra)]

    def event_row(self, e: EventView) -> list:
        summary = _e(e.summary)
        if e.kind in ("limits_changed",) and e.details.get("thresholds"):
            summary += f" \u2014 profile {_e(e.details['thresholds'].get('name', ''))}"
        recorded = _e(e.recorded_by)
        if e.recorded_at and abs((e.recorded_at - e.at).total_seconds()) > 600:
            recorded += f", recorded {self.t(e.recorded_at)} (late entry)"
        if e.error is not None:
            summary = (f"<strike>{summary}</strike><br/><b>Entered in error</b> \u2014 reason: {_e(e.error.reason)} "
                       f"({_e(self.who_when(e.error.by, e.error.at))})")
            return [str(e.number), self.p(f"<strike>{self.t(e.at)}</strike>", "cell_muted"), e.category,
                    self.p(summary, "cell_muted"), self.p(recorded, "cell_muted")]
        return [str(e.number), self.t(e.at), e.category, self.p(summary), self.p(recorded)]

    def discharge(self) -> list:
        r, s = self.r, self.s
        out = [self.heading("Discharge assessment")]
        d = r.discharge
        if d is None:
            return out + [Paragraph("No discharge assessment recorded.", s["body"])]
        items = SCALES.get(d.scale, (d.scale, {}))[1]
        rows = [["Item", "Score", "Meaning"]]
        for key, score in d.items.items():
            label, meanings = items.get(key, (key, ("", "", "")))
            rows.append([label, str(score), meanings[score] if 0 <= score < len(meanings) else ""])
        rows.append(["Total", f"{d.total} / {2 * len(d.items)}",
                     f"{'meets' if d.meets_threshold else 'below'} the discharge score of {DISCHARGE_AT}"])
        w = self.width
        table = self.table(rows, [w * 0.3, w * 0.12, w * 0.58],
                           extra=[("FONT", (0, -1), (-1, -1), CONDENSED_BOLD, 7.5, 9),
                                  ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK)])
        escort = ("Present" + (f": {d.escort_name}" if d.escort_name else "")) if d.escort_present else "Not present"
        obs = "Minimum observation met" if d.observation_met else \
            f"Discharged before the minimum observation \u2014 reason: {d.early_reason or 'not given'}"
        facts = (f"<b>Scale:</b> {_e(d.scale_label)} \u00b7 <b>Escort:</b> {_e(escort)} \u00b7 "
                 f"<b>Discharge instructions given:</b> {'yes' if d.instructions_given else 'no'}<br/>"
                 f"<b>Observation:</b> {_e(obs)}<br/><b>Assessed</b> by {_e(d.by)} at {self.dt(d.at)}")
        return [KeepTogether(out + [table, Spacer(1, 3), Paragraph(facts, s["body"])])]

    def signatures(self) -> list:
        r, s = self.r, self.s
        out = [self.heading("Signatures")]
        if r.signatures:
            rows = [["Meaning", "Printed name", "Credentials", "Date and time", "Signed content"]]
            for g in r.signatures:
                rows.append([g.meaning, self.name_cell(g.printed_name), self.p(_e(g.credentials or "\u2014")),
                             self.dt(g.signed_at), g.content_hash[:SHORT_HASH]])
            w = self.width
            out.append(self.table(rows, [w * 0.14, w * 0.3, w * 0.16, w * 0.2, w * 0.2], size=8))
        else:
            out.append(Paragraph("Not signed yet.", s["body"]))
        out.append(Paragraph(
            f"Record id {_e(r.record_uid)} \u00b7 content hash {_e(r.content_hash)}. Check a paper copy with "
            f"<font name='{CONDENSED}'>monitor-app verify --record {_e(r.record_uid)} --hash "
            f"{_e(r.content_hash[:SHORT_HASH])}</font> (or scan the code on page 1).", s["note"]))
        if r.review_signature() is None:
            line = "_" * 34
            out += [Spacer(1, 16), Paragraph(
                f"Reviewed by {line}&nbsp;&nbsp;&nbsp; Date {'_' * 18}", ParagraphStyle(
                    "cosign", s["body"], fontSize=10, leading=14)),
                Paragraph("No electronic co-signature yet: the reviewing charge nurse signs here by hand.",
                          s["note"])]
        return out

    def addenda(self) -> list:
        r, s = self.r, self.s
        if not r.addenda:
            return [self.heading("Addenda"), Paragraph("No addenda.", s["body"])]
        out = [self.heading("Addenda")]
        targets = {x.id: x for x in r.readings}
        events = {x.id: x for x in r.events}
        for n, a in enumerate(r.addenda, start=1):
            block = [Paragraph(f"Addendum {n} \u2014 {_e(self.who_when(a.by, a.at))}", s["h3"]),
                     Paragraph(_e(a.text).replace("\n", "<br/>"), s["body"])]
            for m in a.corrections:
                if m.target == "reading" and m.target_id in targets:
                    what = f"Reading {self.t(targets[m.target_id].measured_at)}: "
                elif m.target == "event" and m.target_id in events:
                    what = f"Event {events[m.target_id].number}: "
                else:
                    what = f"{m.target.capitalize()} {m.target_id}: "
                if m.kind == "entered_in_error":
                    text = f"{what}entered in error \u2014 reason: {m.reason} ({self.who_when(m.by, m.at)})"
                else:
                    text = self.amendment_text(m, what)
                block.append(Paragraph(f"\u2022 Correction: {_e(text)}", s["small"]))
            out.append(KeepTogether(block))
        return out

    def audit_appendix(self, trail, names=None) -> list:
        from monitor_app.reports.audit_sentences import audit_sentences
        day = self.r.arrival_at.astimezone(self.zone).date()
        out = [self.heading(APPENDIX_HEADING),
               Paragraph("Every audit row of this record, in sequence, as a sentence. Times are the clinic's local "
                         "time, with the date where it is not the session's day.", self.s["note"])]
        rows = [["Seq", "What happened"]]
        for line in audit_sentences(trail, names or {}, self.zone, day):
            rows.append([str(line.seq), self.p(_e(line.text), "small")])
        return out + [self.table(rows, [30, self.width - 30], size=7)]


def _field_label(field: str) -> str:
    if field in VITAL_FIELDS:
        return vital_label(field)
    return field.replace("_", " ").capitalize()


def _num_or_text(v) -> str:
    if v is None or v == "":
        return "\u2014"
    if isinstance(v, (int, float)):
        return _num(v)
    return f"\u201c{v}\u201d"


def _status_text(status: Status) -> str:
    return {Status.IN_PROGRESS: "In progress (not signed)", Status.AWAITING_SIGNATURE: "Awaiting signature",
            Status.SIGNED: "Signed (locked)", Status.REVIEWED: "Signed and reviewed (locked)"}[status]


class _ChartFlowable(Flowable):
    """The chart under its heading, as tall as the room left on the page allows (between readable and roomy)."""

    MAX_H = 330

    def __init__(self, record: SessionRecord, zone: tzinfo, width: float, heading: Paragraph,
                 max_height: float = MAX_H):
        super().__init__()
        self.record, self.zone, self.width, self.heading = record, zone, width, heading
        self.max_height = max_height
        self.drawing = None

    def wrap(self, avail_w, avail_h):
        _w, head_h = self.heading.wrap(avail_w, avail_h)
        self.head_h = head_h + self.heading.getSpaceAfter()
        room = avail_h - self.head_h - 2
        height = min(max(room, minimum_height(self.width, self.record)), self.max_height)
        self.drawing = session_chart(self.record, self.zone, self.width, height)
        self.height = self.head_h + self.drawing.height
        return self.width, self.height

    def draw(self):
        self.heading.drawOn(self.canv, 0, self.height - self.head_h + self.heading.getSpaceAfter())
        self.drawing.drawOn(self.canv, 0, 0)


# ------------------------------------------------------------------------------------------------ building

def build_pdf(record: SessionRecord, head: Letterhead, audit_trail=None, names: dict[str, str] | None = None) -> bytes:
    """The PDF of one record as bytes; `audit_trail` (a list of services.exports.AuditLine) adds the appendix,
    in sentences naming each user by the full name `names` gives for the user name."""
    if not record.content_hash:
        raise ValueError("the record must be loaded with its content hash")
    register_fonts()
    furniture = _Furniture(record, head)
    page = PAGE_SIZES.get(head.page_size, A4)
    width = page[0] - 2 * MARGIN
    body_bottom = MARGIN + FOOTER_H
    first = Frame(MARGIN, body_bottom, width, page[1] - MARGIN - FIRST_HEADER_H - body_bottom, id="first",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    later = Frame(MARGIN, body_bottom, width, page[1] - MARGIN - HEADER_H - body_bottom, id="later",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    def render(chart_max: float) -> tuple[bytes, int]:
        buf = io.BytesIO()
        doc = BaseDocTemplate(
            buf, pagesize=page, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
            title=f"{TITLE} \u2014 {record.patient.name} \u2014 {record.infusion_label}",
            author=head.clinic_name, subject=f"Record {record.record_uid}", creator=f"Chairside {__version__}",
            producer=f"Chairside {__version__}", initialFontName=REGULAR, initialFontSize=9,
        )
        left_on_first = []  # the height left empty at the foot of page 1 (what did not fit went on)
        doc.addPageTemplates([
            PageTemplate(id="first", frames=[first], onPage=furniture.first_page, autoNextPageTemplate="later",
                         onPageEnd=lambda _c, d: left_on_first.append(d.frame._y - d.frame._y1)),
            PageTemplate(id="later", frames=[later], onPage=furniture.later_page),
        ])
        b = _Builder(record, head, width)
        chart = b.chart(chart_max)
        story = b.summary() + chart + b.profile() + b.readings() + b.flags() + b.events()
        story += b.discharge() + b.signatures() + b.addenda()
        if audit_trail is not None:
            story += b.audit_appendix(audit_trail, names)
        doc.build(story, canvasmaker=_numbered_canvas(furniture))
        last = doc.frame
        on_last_page = last._y1 + last._height - last._y  # height used on the last page
        spare = (left_on_first or [0.0])[0] + chart[0].drawing.height - minimum_height(width, record)
        return buf.getvalue(), doc.page, on_last_page, spare

    a85 = rl_config.useA85
    rl_config.useA85 = 0  # binary streams: smaller, and ASCII85 encoding is pure Python here
    try:
        pdf, pages, on_last_page, spare = render(_ChartFlowable.MAX_H)
        if pages == 3 and audit_trail is None and on_last_page < spare:
            # A chart as tall as page 1 allows can push the record's last lines onto a page of their own: a
            # lower (still readable) chart lets what follows it start on page 1. Tried only when the lines on
            # the last page could fit in the room page 1 would then have; kept only if it saves the page.
            lower, fewer, _used, _spare = render(minimum_height(width, record))
            if fewer < pages:
                pdf = lower
    finally:
        rl_config.useA85 = a85
    return pdf


def session_pdf(db, actor, session_id: int, appendix: bool = False, now: datetime | None = None) -> bytes:
    """Load one record (with its content hash), the clinic's letterhead and, if asked, its audit trail; build."""
    from monitor_app.services.exports import audit_trail_of
    from monitor_app.services.queries import full_names, get_record
    from monitor_app.services.settings import read_settings

    from monitor_app.services.integrity import chain_head
    chain = chain_head(db)  # before the record: the copy shows at least everything up to this row
    record = get_record(db, actor, session_id, with_hash=True)
    head = Letterhead.from_settings(read_settings(db), actor.display, now, chain)
    trail = audit_trail_of(db, actor, session_id) if appendix else None
    names = full_names(db, actor) if appendix else None
    return build_pdf(record, head, trail, names)
