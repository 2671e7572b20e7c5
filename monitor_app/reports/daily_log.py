"""The daily clinic log (SPEC 11): one printable page per clinic day for the charge nurse, closing with the audit
chain's head in words and as a QR code, so the binder of daily logs anchors the whole archive."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from html import escape
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate, Paragraph, Spacer,
                                Table, TableStyle)

from monitor_app import __version__
from monitor_app.domain.anchor import Anchor, ChainHead, day_anchor
from monitor_app.domain.clock import fmt_datetime, fmt_time
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.session import Status
from monitor_app.domain.thresholds import Level
from monitor_app.reports.fonts import BOLD, CONDENSED, CONDENSED_BOLD, REGULAR, register_fonts
from monitor_app.reports.pdf import (HEAD_FILL, INK, MARGIN, MUTED, PAGE_SIZES, RULE, SHORT_HASH, ZEBRA, Letterhead,
                                     _numbered_canvas, draw_footer, draw_qr)

TITLE = "Daily clinic log"
NO_CHAIR = "\u2014"
QR_SIZE = 32 * mm
FOOTER_H = 12 * mm

_BASE = ParagraphStyle("body", fontName=REGULAR, fontSize=8.5, leading=10.8, textColor=INK)
STYLES = {
    "title": ParagraphStyle("title", _BASE, fontName=BOLD, fontSize=15, leading=19),
    "clinic": ParagraphStyle("clinic", _BASE, fontName=BOLD, fontSize=10, leading=13),
    "muted": ParagraphStyle("muted", _BASE, fontSize=7.5, leading=9.5, textColor=MUTED),
    "cell": ParagraphStyle("cell", _BASE, fontName=CONDENSED, fontSize=7.5, leading=9),
    "head": ParagraphStyle("head", _BASE, fontName=CONDENSED_BOLD, fontSize=7.5, leading=9),
    "h2": ParagraphStyle("h2", _BASE, fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=8, spaceAfter=3),
    "mono": ParagraphStyle("mono", _BASE, fontName=CONDENSED, fontSize=8, leading=10),
}


def _e(text) -> str:
    return escape(str(text), quote=False)


@dataclass
class DailyLog:
    day: date
    head: Letterhead
    records: list[SessionRecord]

    @property
    def anchor(self) -> Anchor:
        return day_anchor(self.day, self.head.chain)

    @property
    def awaiting_signature(self) -> list[SessionRecord]:
        return [r for r in self.records if r.status in (Status.IN_PROGRESS, Status.AWAITING_SIGNATURE)]

    @property
    def awaiting_cosignature(self) -> list[SessionRecord]:
        return [r for r in self.records if r.status == Status.SIGNED]


def load_daily_log(db, actor, day: date, now: datetime | None = None) -> DailyLog:
    """Every session that arrived on `day` (the clinic's local day), and the chain head read before them."""
    from monitor_app.domain.clock import clinic_zone
    from monitor_app.services.integrity import chain_head
    from monitor_app.services.queries import get_record, session_ids_between
    from monitor_app.services.settings import read_settings
    actor.require("export")
    chain = chain_head(db)  # first: the log shows at least everything the chain held up to this row
    settings = read_settings(db)
    ids = session_ids_between(db, actor, day, day, clinic_zone(settings.timezone))
    records = [get_record(db, actor, sid, with_hash=False) for sid in ids]
    head = Letterhead.from_settings(settings, actor.display, now or datetime.now(timezone.utc), chain)
    return DailyLog(day, head, sorted(records, key=lambda r: (r.arrival_at, _chair_key(r.chair))))


def _chair_key(chair: str):
    return (0, int(chair), "") if chair.isdigit() else (1, 0, chair)


# ------------------------------------------------------------------------------------------------ content

def _times(r: SessionRecord, zone) -> str:
    parts = [f"arrived {fmt_time(r.arrival_at, zone)}"]
    if r.infusion_start_at:
        parts.append(f"infusion {fmt_time(r.infusion_start_at, zone)}\u2013"
                     f"{fmt_time(r.infusion_end_at, zone) if r.infusion_end_at else 'running'}")
    if r.discharged_at:
        parts.append(f"discharged {fmt_time(r.discharged_at, zone)}")
    return "<br/>".join(parts)


def _flags(r: SessionRecord, zone) -> str:
    flags = [f for f in r.flags if not f.cleared]
    if not flags:
        return "none"
    lines = []
    for f in flags:
        level = "critical" if f.level == Level.CRITICAL else "warning"
        ack = (f"ack. {fmt_time(f.ack.at, zone)} {_e(f.ack.by)}: {_e(f.ack.action_text or f.ack.action)}"
               if f.ack else "<b>NOT acknowledged</b>")
        lines.append(f"{f.symbol} {level} {_e(f.description)} \u2014 {ack}")
    return "<br/>".join(lines)


def _discharge(r: SessionRecord, zone) -> str:
    d = r.discharge
    if d is None:
        return "not yet assessed"
    escort = f"escort {_e(d.escort_name)}" if d.escort_present else "<b>no escort</b>"
    early = f"<br/>early: {_e(d.early_reason)}" if d.early_reason else ""
    return f"{_e(d.scale_label)} {d.total}, {escort}, {fmt_time(d.at, zone)} {_e(d.by)}{early}"


def _status(r: SessionRecord) -> str:
    if r.status in (Status.IN_PROGRESS, Status.AWAITING_SIGNATURE):
        return f"<b>awaiting signature</b>{' (in progress)' if r.status == Status.IN_PROGRESS else ''}"
    if r.status == Status.SIGNED:
        return "signed; <b>awaiting co-signature</b>"
    return "signed and co-signed"


def _sessions_table(log: DailyLog, width: float) -> Table:
    zone = log.head.zone
    cell, head = STYLES["cell"], STYLES["head"]
    rows = [[Paragraph(t, head) for t in ("Chair", "Patient", "Nurse", "Times", "Flags and acknowledgements",
                                          "Discharge", "Record")]]
    for r in log.records:
        rows.append([
            Paragraph(_e(r.chair or "\u2014"), cell),
            Paragraph(f"{_e(r.patient.initials)}<br/>MRN {_e(r.patient.mrn)}<br/>{_e(r.infusion_label)}", cell),
            Paragraph(_e(r.primary_nurse), cell),
            Paragraph(_times(r, zone), cell),
            Paragraph(_flags(r, zone), cell),
            Paragraph(_discharge(r, zone), cell),
            Paragraph(_status(r), cell),
        ])
    fractions = (0.06, 0.13, 0.12, 0.15, 0.27, 0.15, 0.12)
    table = Table(rows, colWidths=[f * width for f in fractions], repeatRows=1)
    style = [("FONTNAME", (0, 0), (-1, -1), CONDENSED),  # never the table's default (a standard, unembedded font)
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
             ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE), ("LEFTPADDING", (0, 0), (-1, -1), 3),
             ("RIGHTPADDING", (0, 0), (-1, -1), 3), ("TOPPADDING", (0, 0), (-1, -1), 2),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    style += [("BACKGROUND", (0, i), (-1, i), ZEBRA) for i in range(2, len(rows), 2)]
    table.setStyle(TableStyle(style))
    return table


class _QrCode(Flowable):
    def __init__(self, text: str, size: float):
        super().__init__()
        self.text, self.size = text, size
        self.width = self.height = size

    def draw(self) -> None:
        draw_qr(self.canv, self.text, 0, 0, self.size)


def _closing(log: DailyLog, width: float) -> KeepTogether:
    chain: ChainHead = log.head.chain
    words = (f"When this log was printed the audit trail ended at row <b>{chain.seq}</b>, whose hash is "
             f"<font name='{CONDENSED}'>{chain.row_hash}</font>. Every record and change up to that row is fixed "
             "by this hash: <i>monitor-app verify --anchor</i> with the text of the QR code checks that the archive "
             "still passes through it.")
    text = [Paragraph("Audit chain head", STYLES["h2"]), Paragraph(words, STYLES["cell"]), Spacer(1, 3),
            Paragraph(f"QR text: <font name='{CONDENSED}'>{_e(log.anchor.text)}</font>", STYLES["muted"])]
    inner = Table([[text, _QrCode(log.anchor.text, QR_SIZE)]], colWidths=[width - QR_SIZE - 6 * mm,
                                                                           QR_SIZE + 6 * mm])
    inner.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), CONDENSED), ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                               ("LINEABOVE", (0, 0), (-1, 0), 0.6, RULE), ("TOPPADDING", (0, 0), (-1, -1), 4)]))
    return KeepTogether([Spacer(1, 6), inner])


def _summary(log: DailyLog) -> Paragraph:
    def names(records):
        return ", ".join(f"chair {r.chair or NO_CHAIR} ({r.patient.initials}, MRN {r.patient.mrn})" for r in records)
    sign, cosign = log.awaiting_signature, log.awaiting_cosignature
    lines = [f"{len(log.records)} session(s)."]
    lines.append(f"Awaiting signature: {len(sign)}" + (f" \u2014 {_e(names(sign))}" if sign else "") + ".")
    lines.append(f"Awaiting co-signature: {len(cosign)}" + (f" \u2014 {_e(names(cosign))}" if cosign else "") + ".")
    return Paragraph("<br/>".join(lines), STYLES["cell"])


class _Furniture:
    def __init__(self, log: DailyLog, page_w: float):
        zone = log.head.zone
        self.page_w = page_w
        self.ident = (f"{TITLE} {log.day.isoformat()}  \u00b7  audit chain row {log.head.chain.seq} at "
                      f"{log.head.chain.row_hash[:SHORT_HASH]}")
        self.generated = (f"Generated {fmt_datetime(log.head.generated_at, zone)} "
                          f"by {log.head.generated_by or 'Chairside'}")

    def footer(self, c, page: int, pages: int) -> None:
        draw_footer(c, self.page_w, self.ident, self.generated, page, pages)


def build_daily_log(log: DailyLog) -> bytes:
    register_fonts()
    page = PAGE_SIZES.get(log.head.page_size, A4)
    width = page[0] - 2 * MARGIN
    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=page, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN, title=f"{TITLE} \u2014 {log.day.isoformat()}",
                          author=log.head.clinic_name, subject=log.anchor.text, creator=f"Chairside {__version__}",
                          producer=f"Chairside {__version__}", initialFontName=REGULAR, initialFontSize=9)
    frame = Frame(MARGIN, MARGIN + FOOTER_H, width, page[1] - 2 * MARGIN - FOOTER_H, leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="log", frames=[frame])])
    address = " \u00b7 ".join(line.strip() for line in log.head.address.splitlines() if line.strip())
    story = [Paragraph(_e(log.head.clinic_name), STYLES["clinic"])]
    if address:
        story.append(Paragraph(_e(address), STYLES["muted"]))
    story += [Spacer(1, 4), Paragraph(f"{TITLE} \u2014 {log.day:%A %d %B %Y}", STYLES["title"]), Spacer(1, 6)]
    if log.records:
        story.append(_sessions_table(log, width))
    else:
        story.append(Paragraph("No sessions on this day.", STYLES["cell"]))
    story += [Spacer(1, 5), _summary(log), _closing(log, width)]
    a85 = rl_config.useA85
    rl_config.useA85 = 0
    try:
        doc.build(story, canvasmaker=_numbered_canvas(_Furniture(log, page[0])))
    finally:
        rl_config.useA85 = a85
    return buf.getvalue()


def daily_log_pdf(db, actor, day: date, now: datetime | None = None) -> tuple[bytes, Anchor]:
    """The PDF of one day's log and the anchor its QR code carries (not yet audited: see `record_print`)."""
    log = load_daily_log(db, actor, day, now)
    return build_daily_log(log), log.anchor


def record_print(db, actor, day: date, action: str, detail: str) -> None:
    """A printed or exported daily log in the audit trail, like any print."""
    from monitor_app.services import audit
    actor.require("export")
    with db.transaction() as s:
        audit.write(s, actor, action, "daily_log", day.isoformat(), reason=detail)


def export_daily_log(db, actor, day: date, path: Path, now: datetime | None = None) -> tuple[Path, Anchor]:
    """Write one day's log to `path` (whole or not at all), then audit the export."""
    from monitor_app.reports.pdf_export import write_atomically
    data, anchor = daily_log_pdf(db, actor, day, now)
    path = write_atomically(Path(path), data)
    record_print(db, actor, day, "export", f"daily log pdf {path.name}; {anchor.text}")
    return path, anchor
