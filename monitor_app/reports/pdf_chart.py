"""The session chart of the PDF record as vector graphics, drawn from the readings, readable in black and white.

Three panels share the time axis: blood pressure drawn as anaesthesia records draw it (systolic ∨ and
diastolic ∧ joined by a bar), heart rate (filled dots, dashed line) and SpO2 (open squares, dotted line).
Warning bands are a light tint, critical bands a darker tint with hatching, so they survive a grey printer;
flags carry their symbol (▲ warning, ◆ critical); phases are a labelled strip; events are numbered markers
that match the numbers of the events table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from reportlab import rl_config
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Path, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.record import ReadingView, SessionRecord
from monitor_app.domain.thresholds import LEVEL_SYMBOL, Level, ParameterLimits
from monitor_app.reports.fonts import BOLD, CONDENSED, REGULAR, register_fonts

# Okabe-Ito hues, darkened where a thin line or a small glyph must stay visible on paper.
INK = colors.HexColor("#1b1f24")
MUTED = colors.HexColor("#5f6b7a")
GRID = colors.Color(0.82, 0.84, 0.86)
BP_COLOUR = colors.HexColor("#0072B2")
HR_COLOUR = colors.HexColor("#C2410C")
SPO2_COLOUR = colors.HexColor("#00795A")
WARNING_FILL = colors.Color(0.99, 0.92, 0.78)
CRITICAL_FILL = colors.Color(0.97, 0.80, 0.74)
HATCH = colors.Color(0.55, 0.35, 0.30)
LEVEL_INK = {Level.WARNING: colors.HexColor("#8A5A00"), Level.CRITICAL: colors.HexColor("#B23A00")}
PHASE_FILL = {"pre": colors.Color(0.93, 0.94, 0.95), "infusion": colors.Color(0.62, 0.66, 0.70),
              "paused": colors.white, "recovery": colors.Color(0.83, 0.85, 0.87)}
INFUSION_BACKGROUND = colors.Color(0.955, 0.96, 0.965)

HR_DASH = (4, 2)
SPO2_DASH = (1, 1.6)
LEFT, RIGHT = 40, 46  # room for the value axis on the left and the diastolic limit labels on the right
STRIP_H, EVENT_ROW_H, AXIS_H = 12, 12, 24
PANEL_GAP = 7
MAX_EVENT_ROWS = 3


@dataclass
class _Panel:
    title: str
    y0: float        # bottom in drawing coordinates
    height: float
    lo: float
    hi: float
    step: float

    def y(self, value: float) -> float:
        value = min(max(value, self.lo), self.hi)
        return self.y0 + (value - self.lo) / (self.hi - self.lo) * self.height


class _TimeAxis:
    def __init__(self, start: datetime, end: datetime, x0: float, x1: float):
        self.start, self.end, self.x0, self.x1 = start, end, x0, x1
        self.span = max((end - start).total_seconds(), 60.0)

    def x(self, moment: datetime) -> float:
        frac = (moment - self.start).total_seconds() / self.span
        return self.x0 + min(max(frac, 0.0), 1.0) * (self.x1 - self.x0)


def _nice_range(values: list[float], lo: float, hi: float, step: float, pad: float) -> tuple[float, float]:
    if values:
        lo = min(lo, min(values) - pad)
        hi = max(hi, max(values) + pad)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


def _limits_bounds(limits: ParameterLimits) -> list[float]:
    return [v for v in (limits.low_critical, limits.low_warning, limits.high_warning, limits.high_critical)
            if v is not None]


def _hatch(g: Group, x: float, y: float, w: float, h: float, spacing: float = 4.0) -> None:
    """Diagonal hatching clipped to a rectangle (reportlab shapes have no pattern fill)."""
    if w <= 0 or h <= 0:
        return
    path = Path(strokeColor=HATCH, strokeWidth=0.35, fillColor=None)  # one path: far cheaper than many lines
    c = -h
    while c < w:
        # the line x' = c + t, y' = t for t in [0, h], clipped to 0 <= x' <= w
        t0, t1 = max(0.0, -c), min(h, w - c)
        if t1 > t0:
            path.moveTo(round(x + c + t0, 2), round(y + t0, 2))
            path.lineTo(round(x + c + t1, 2), round(y + t1, 2))
        c += spacing
    g.add(path)


def _bands(g: Group, panel: _Panel, x0: float, x1: float, limits: ParameterLimits, hatch: bool = True) -> None:
    """Warning and critical zones of one parameter, between x0 and x1."""
    top, bottom = panel.y0 + panel.height, panel.y0
    L = limits
    zones = []
    if L.high_critical is not None:
        zones.append((panel.y(L.high_critical), top, "critical"))
    if L.high_warning is not None:
        upper = panel.y(L.high_critical) if L.high_critical is not None else top
        zones.append((panel.y(L.high_warning), upper, "warning"))
    if L.low_critical is not None:
        zones.append((bottom, panel.y(L.low_critical), "critical"))
    if L.low_warning is not None:
        lower = panel.y(L.low_critical) if L.low_critical is not None else bottom
        zones.append((lower, panel.y(L.low_warning), "warning"))
    for ya, yb, level in zones:
        if yb - ya <= 0.2:
            continue
        fill = CRITICAL_FILL if level == "critical" else WARNING_FILL
        g.add(Rect(x0, ya, x1 - x0, yb - ya, fillColor=fill, strokeColor=None))
        if level == "critical" and hatch:
            _hatch(g, x0, ya, x1 - x0, yb - ya)


def _limit_line(g: Group, panel: _Panel, x0: float, x1: float, value: float | None, label: str,
                label_x: float | None) -> None:
    if value is None or not panel.lo <= value <= panel.hi:
        return
    y = panel.y(value)
    g.add(Line(x0, y, x1, y, strokeColor=BP_COLOUR, strokeWidth=0.6, strokeDashArray=(3, 2)))
    if label_x is not None:
        g.add(String(label_x, y - 2.2, label, fontName=CONDENSED, fontSize=6, fillColor=BP_COLOUR))


def _chevron(x: float, y: float, down: bool, size: float = 3.6) -> PolyLine:
    dy = size * 1.5 if down else -size * 1.5
    return PolyLine([x - size, y + dy, x, y, x + size, y + dy], strokeColor=BP_COLOUR, strokeWidth=1.2,
                    strokeLineJoin=1, strokeLineCap=1)


def _symbol(g: Group, x: float, y: float, level: Level) -> None:
    g.add(String(x, y, LEVEL_SYMBOL[level], fontName=REGULAR, fontSize=7, fillColor=LEVEL_INK[level],
                 textAnchor="middle"))


def _series(points: list[tuple[float, float]], colour, dash) -> PolyLine | None:
    if len(points) < 2:
        return None
    flat = [c for p in points for c in p]
    return PolyLine(flat, strokeColor=colour, strokeWidth=0.9, strokeDashArray=dash)


def _time_span(record: SessionRecord) -> tuple[datetime, datetime]:
    moments = [record.arrival_at] + [r.measured_at for r in record.readings] + [e.at for e in record.events]
    moments += [m for m in (record.infusion_start_at, record.infusion_end_at, record.discharged_at) if m]
    start, end = min(moments), max(moments)
    if end - start < timedelta(minutes=30):
        end = start + timedelta(minutes=30)
    pad = (end - start) * 0.02
    return start - pad, end + pad


def _tick_step(span_min: float) -> int:
    for step in (5, 10, 15, 20, 30, 60, 120, 240):
        if span_min / step <= 14:
            return step
    return 480


def _pause_intervals(record: SessionRecord, end: datetime) -> list[tuple[datetime, datetime]]:
    out, paused_at = [], None
    for e in record.events:
        if e.error is not None:
            continue
        if e.kind == "infusion_paused" and paused_at is None:
            paused_at = e.at
        elif e.kind == "infusion_resumed" and paused_at is not None:
            out.append((paused_at, e.at))
            paused_at = None
    if paused_at is not None:
        out.append((paused_at, record.infusion_end_at or end))
    return out


def session_chart(record: SessionRecord, zone: tzinfo, width: float) -> Drawing:
    """The chart of one session, `width` points wide, drawn from the record's valid readings and events."""
    register_fonts()
    # Attribute validation of every shape costs more than drawing them; the values here are ours, not input.
    checking = rl_config.shapeChecking
    rl_config.shapeChecking = 0
    try:
        return _chart(record, zone, width)
    finally:
        rl_config.shapeChecking = checking


def _chart(record: SessionRecord, zone: tzinfo, width: float) -> Drawing:
    readings = [r for r in record.readings if not r.entered_in_error]
    events = [e for e in record.events if e.error is None]
    start, end = _time_span(record)
    x0, x1 = LEFT, width - RIGHT
    axis = _TimeAxis(start, end, x0, x1)

    sys_vals = [r.current.systolic for r in readings if r.current.systolic is not None]
    dia_vals = [r.current.diastolic for r in readings if r.current.diastolic is not None]
    hr_vals = [r.current.heart_rate for r in readings if r.current.heart_rate is not None]
    spo2_vals = [r.current.spo2 for r in readings if r.current.spo2 is not None]
    limit_sets = [record.thresholds] + [t for _, t in record.threshold_orders]

    def span_with_limits(values, parameter, lo, hi, step, pad):
        bounds = [b for t in limit_sets for b in _limits_bounds(t.for_parameter(parameter))]
        vals = list(values) + [b for b in bounds if lo - 4 * step <= b <= hi + 4 * step]
        return _nice_range(vals, lo, hi, step, pad)

    bp_lo, bp_hi = span_with_limits(sys_vals + dia_vals, "systolic", 60, 200, 20, 8)
    hr_lo, hr_hi = span_with_limits(hr_vals, "heart_rate", 40, 140, 20, 6)
    sp_lo, sp_hi = _nice_range(spo2_vals + [b for t in limit_sets for b in
                                            _limits_bounds(t.for_parameter("spo2"))], 88, 100, 2, 1)
    sp_hi = min(sp_hi, 100)

    # Event rows: markers closer than their width go to the next row, so numbers never overlap.
    placed: list[tuple[object, float, int]] = []
    row_last = [-1e9] * MAX_EVENT_ROWS
    for e in events:
        x = axis.x(e.at)
        row = next((i for i in range(MAX_EVENT_ROWS) if x - row_last[i] >= 12), None)
        if row is None:
            row = min(range(MAX_EVENT_ROWS), key=lambda i: row_last[i])
        row_last[row] = x
        placed.append((e, x, row))
    event_rows = (max(r for _, _, r in placed) + 1) if placed else 0

    bp_h, hr_h, sp_h = 106, 50, 40
    legend_h = 30
    height = legend_h + AXIS_H + sp_h + PANEL_GAP + hr_h + PANEL_GAP + bp_h + 4 + event_rows * EVENT_ROW_H \
        + STRIP_H + 2
    d = Drawing(width, height, initialFontName=REGULAR, initialFontSize=7)  # never a standard (unembedded) font
    g = Group()
    d.add(g)

    y = legend_h + AXIS_H
    sp = _Panel("SpO2 %", y, sp_h, sp_lo, sp_hi, 2 if sp_hi - sp_lo <= 16 else 4)
    y += sp_h + PANEL_GAP
    hr = _Panel("HR /min", y, hr_h, hr_lo, hr_hi, 20 if hr_hi - hr_lo <= 140 else 40)
    y += hr_h + PANEL_GAP
    bp = _Panel("BP mmHg", y, bp_h, bp_lo, bp_hi, 20 if bp_hi - bp_lo <= 200 else 40)
    y += bp_h + 4
    events_y0 = y
    strip_y0 = events_y0 + event_rows * EVENT_ROW_H
    panels = (bp, hr, sp)

    # Backgrounds: the infusion period, then the bands of the limits in force over time (orders change them).
    inf_x0 = axis.x(record.infusion_start_at) if record.infusion_start_at else None
    inf_x1 = axis.x(record.infusion_end_at or end) if record.infusion_start_at else None
    for p in panels:
        g.add(Rect(x0, p.y0, x1 - x0, p.height, fillColor=colors.white, strokeColor=None))
        if inf_x0 is not None:
            g.add(Rect(inf_x0, p.y0, inf_x1 - inf_x0, p.height, fillColor=INFUSION_BACKGROUND, strokeColor=None))
    cuts = [start] + [at for at, _ in record.threshold_orders if start < at < end] + [end]
    for a, b in zip(cuts, cuts[1:]):
        limits = record.thresholds_at(a)
        xa, xb = axis.x(a), axis.x(b)
        _bands(g, bp, xa, xb, limits.for_parameter("systolic"))
        _bands(g, hr, xa, xb, limits.for_parameter("heart_rate"))
        _bands(g, sp, xa, xb, limits.for_parameter("spo2"))
        dia = limits.for_parameter("diastolic")
        last = b == end
        for value, tag in ((dia.high_critical, "\u25c6"), (dia.high_warning, "\u25b2"),
                           (dia.low_warning, "\u25b2"), (dia.low_critical, "\u25c6")):
            _limit_line(g, bp, xa, xb, value, f"dia {tag} {value:g}" if value is not None else "",
                        x1 + 3 if last else None)

    # Grid and value axes.
    grid = Path(strokeColor=GRID, strokeWidth=0.3, fillColor=None)
    g.add(grid)
    for p in panels:
        v = p.lo
        while v <= p.hi + 1e-9:
            yy = p.y(v)
            grid.moveTo(x0, yy)
            grid.lineTo(x1, yy)
            g.add(String(x0 - 3, yy - 2.3, f"{v:g}", fontName=CONDENSED, fontSize=6.5, fillColor=INK,
                         textAnchor="end"))
            v += p.step
        g.add(Rect(x0, p.y0, x1 - x0, p.height, fillColor=None, strokeColor=INK, strokeWidth=0.6))
        title = String(0, 0, p.title, fontName=BOLD, fontSize=6.5, fillColor=INK, textAnchor="middle")
        tg = Group(title)
        tg.transform = (0, 1, -1, 0, 9, p.y0 + p.height / 2)  # rotated 90 degrees along the left edge
        g.add(tg)

    # Time axis: minutes from the start of the infusion (or arrival), and clock time beneath.
    origin = record.infusion_start_at or record.arrival_at
    span_min = (end - start).total_seconds() / 60
    step = _tick_step(span_min)
    first = math.ceil((start - origin).total_seconds() / 60 / step) * step
    m = first
    while origin + timedelta(minutes=m) <= end:
        t = origin + timedelta(minutes=m)
        xx = axis.x(t)
        for p in panels:
            grid.moveTo(xx, p.y0)
            grid.lineTo(xx, p.y0 + p.height)
        g.add(Line(xx, sp.y0, xx, sp.y0 - 3, strokeColor=INK, strokeWidth=0.6))
        g.add(String(xx, sp.y0 - 11, f"{m:+d}" if m else "0", fontName=CONDENSED, fontSize=6.5,
                     fillColor=INK, textAnchor="middle"))
        g.add(String(xx, sp.y0 - 20, fmt_time(t, zone), fontName=CONDENSED, fontSize=6, fillColor=MUTED,
                     textAnchor="middle"))
        m += step
    axis_label = "min from infusion start" if record.infusion_start_at else "min from arrival"
    g.add(String(x0 - 3, sp.y0 - 11, "min", fontName=CONDENSED, fontSize=6, fillColor=INK, textAnchor="end"))
    g.add(String(x0 - 3, sp.y0 - 20, "time", fontName=CONDENSED, fontSize=6, fillColor=MUTED, textAnchor="end"))
    g.add(String(x1 + 3, sp.y0 - 11, axis_label.replace("min from ", "from "), fontName=CONDENSED, fontSize=5.5,
                 fillColor=MUTED))

    # Phase strip.
    _phase_strip(g, record, axis, strip_y0, start, end)
    # Infusion start and end as dashed verticals through the panels.
    for moment in (record.infusion_start_at, record.infusion_end_at):
        if moment:
            xx = axis.x(moment)
            g.add(Line(xx, sp.y0, xx, bp.y0 + bp.height, strokeColor=INK, strokeWidth=0.6,
                       strokeDashArray=(5, 2, 1, 2)))

    # Events: faint verticals, then numbered markers (circle: side effect; square: intervention or order).
    for e, xx, row in placed:
        g.add(Line(xx, sp.y0, xx, bp.y0 + bp.height, strokeColor=colors.Color(0.55, 0.58, 0.62),
                   strokeWidth=0.35, strokeDashArray=(1, 2)))
    for e, xx, row in placed:
        cy = events_y0 + (event_rows - 1 - row) * EVENT_ROW_H + EVENT_ROW_H / 2
        _event_marker(g, xx, cy, e.number, e.category == "side effect")

    # Series.
    _plot_readings(g, readings, axis, bp, hr, sp)
    if not readings:
        g.add(String((x0 + x1) / 2, bp.y0 + bp.height / 2, "No readings recorded", fontName=REGULAR,
                     fontSize=9, fillColor=MUTED, textAnchor="middle"))

    _legend(g, width, legend_h)
    return d


def _event_marker(g: Group, x: float, y: float, number: int, side_effect: bool) -> None:
    r = 5.2
    if side_effect:
        g.add(Circle(x, y, r, fillColor=colors.white, strokeColor=INK, strokeWidth=0.8))
    else:
        g.add(Rect(x - r, y - r, 2 * r, 2 * r, fillColor=colors.white, strokeColor=INK, strokeWidth=0.8))
    label = str(number)
    g.add(String(x, y - 2, label, fontName=BOLD, fontSize=5.6 if len(label) < 3 else 4.6, fillColor=INK,
                 textAnchor="middle"))


def _phase_strip(g: Group, record: SessionRecord, axis: _TimeAxis, y0: float, start: datetime,
                 end: datetime) -> None:
    segments = []
    inf_start, inf_end, out = record.infusion_start_at, record.infusion_end_at, record.discharged_at
    segments.append(("Pre-infusion", "pre", start, inf_start or end))
    if inf_start:
        segments.append(("Infusion", "infusion", inf_start, inf_end or end))
    if inf_end:
        segments.append(("Recovery", "recovery", inf_end, out or end))
    if out:
        segments.append(("Discharged", "pre", out, end))
    for label, kind, a, b in segments:
        xa, xb = axis.x(a), axis.x(b)
        if xb - xa <= 0.1:
            continue
        g.add(Rect(xa, y0, xb - xa, STRIP_H, fillColor=PHASE_FILL[kind], strokeColor=INK, strokeWidth=0.4))
        ink = colors.white if kind == "infusion" else INK
        if stringWidth(label, BOLD, 6.5) + 4 < xb - xa:
            g.add(String((xa + xb) / 2, y0 + 3.6, label, fontName=BOLD, fontSize=6.5, fillColor=ink,
                         textAnchor="middle"))
    for a, b in _pause_intervals(record, end):
        xa, xb = axis.x(a), axis.x(b)
        g.add(Rect(xa, y0, max(xb - xa, 1.0), STRIP_H, fillColor=PHASE_FILL["paused"], strokeColor=INK,
                   strokeWidth=0.4))
        _hatch(g, xa, y0, max(xb - xa, 1.0), STRIP_H, 2.5)
        if stringWidth("Paused", REGULAR, 5.5) + 2 < xb - xa:
            g.add(String((xa + xb) / 2, y0 + 3.8, "Paused", fontName=REGULAR, fontSize=5.5, fillColor=INK,
                         textAnchor="middle"))


def _plot_readings(g: Group, readings: list[ReadingView], axis: _TimeAxis, bp: _Panel, hr: _Panel,
                   sp: _Panel) -> None:
    hr_pts, sp_pts = [], []
    for r in readings:
        v = r.current
        xx = axis.x(r.measured_at)
        if v.heart_rate is not None:
            hr_pts.append((xx, hr.y(v.heart_rate)))
        if v.spo2 is not None:
            sp_pts.append((xx, sp.y(v.spo2)))
    for line in (_series(hr_pts, HR_COLOUR, HR_DASH), _series(sp_pts, SPO2_COLOUR, SPO2_DASH)):
        if line is not None:
            g.add(line)
    for r in readings:
        v = r.current
        xx = axis.x(r.measured_at)
        if v.systolic is not None and v.diastolic is not None:
            ys, yd = bp.y(v.systolic), bp.y(v.diastolic)
            g.add(Line(xx, yd, xx, ys, strokeColor=BP_COLOUR, strokeWidth=1.0))
            g.add(_chevron(xx, ys, down=True))
            g.add(_chevron(xx, yd, down=False))
            f = r.flag_for("systolic")
            if f:
                _symbol(g, xx, ys + 7, f.level)
            f = r.flag_for("diastolic")
            if f:
                _symbol(g, xx, yd - 13, f.level)
        if v.heart_rate is not None:
            yy = hr.y(v.heart_rate)
            g.add(Circle(xx, yy, 2.1, fillColor=HR_COLOUR, strokeColor=HR_COLOUR, strokeWidth=0.5))
            f = r.flag_for("heart_rate")
            if f:
                _symbol(g, xx, yy + 4, f.level)
        if v.spo2 is not None:
            yy = sp.y(v.spo2)
            g.add(Rect(xx - 2.2, yy - 2.2, 4.4, 4.4, fillColor=colors.white, strokeColor=SPO2_COLOUR,
                       strokeWidth=0.9))
            f = r.flag_for("spo2")
            if f:
                _symbol(g, xx, yy - 10, f.level)


def _legend(g: Group, width: float, height: float) -> None:
    """Swatches drawn with the same shapes as the chart, flowing over as many rows as the width needs."""
    items = []

    def bp_swatch(x, y):
        g.add(Line(x + 6, y - 3, x + 6, y + 5, strokeColor=BP_COLOUR, strokeWidth=1.0))
        g.add(_chevron(x + 6, y + 5, down=True, size=2.8))
        g.add(_chevron(x + 6, y - 3, down=False, size=2.8))

    def hr_swatch(x, y):
        g.add(Line(x, y + 1, x + 12, y + 1, strokeColor=HR_COLOUR, strokeWidth=0.9, strokeDashArray=HR_DASH))
        g.add(Circle(x + 6, y + 1, 2.1, fillColor=HR_COLOUR, strokeColor=HR_COLOUR))

    def sp_swatch(x, y):
        g.add(Line(x, y + 1, x + 12, y + 1, strokeColor=SPO2_COLOUR, strokeWidth=0.9, strokeDashArray=SPO2_DASH))
        g.add(Rect(x + 3.8, y - 1.2, 4.4, 4.4, fillColor=colors.white, strokeColor=SPO2_COLOUR, strokeWidth=0.9))

    def band(level):
        def draw(x, y):
            g.add(Rect(x, y - 3, 12, 8, fillColor=CRITICAL_FILL if level == "critical" else WARNING_FILL,
                       strokeColor=MUTED, strokeWidth=0.3))
            if level == "critical":
                _hatch(g, x, y - 3, 12, 8, 3)
        return draw

    def dia_line(x, y):
        g.add(Line(x, y + 1, x + 12, y + 1, strokeColor=BP_COLOUR, strokeWidth=0.6, strokeDashArray=(3, 2)))

    def flag(level):
        return lambda x, y: _symbol(g, x + 6, y - 1, level)

    def event(side):
        return lambda x, y: _event_marker(g, x + 6, y + 1, 1, side)

    def infusion_mark(x, y):
        g.add(Line(x + 6, y - 4, x + 6, y + 6, strokeColor=INK, strokeWidth=0.6, strokeDashArray=(5, 2, 1, 2)))

    items = [
        (bp_swatch, "BP systolic \u2228 / diastolic \u2227"), (hr_swatch, "Heart rate"), (sp_swatch, "SpO2"),
        (band("warning"), "Warning band"), (band("critical"), "Critical band (hatched)"),
        (dia_line, "Diastolic limit"), (flag(Level.WARNING), "Warning flag"),
        (flag(Level.CRITICAL), "Critical flag"), (event(True), "Side effect (no.)"),
        (event(False), "Intervention or order (no.)"), (infusion_mark, "Infusion start / end"),
    ]
    x, row_y = LEFT, height - 10
    for draw, label in items:
        w = 16 + stringWidth(label, CONDENSED, 6.5) + 10
        if x + w > width and x > LEFT:
            x, row_y = LEFT, row_y - 13
        draw(x, row_y)
        g.add(String(x + 16, row_y - 1, label, fontName=CONDENSED, fontSize=6.5, fillColor=INK))
        x += w
