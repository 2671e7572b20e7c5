"""The session chart of the PDF record as vector graphics: draws the chart model, readable in black and white.

Three panels share the time axis: blood pressure drawn as anaesthesia records draw it (systolic ∨ and
diastolic ∧ joined by a bar), heart rate (filled dots, dashed line) and SpO2 (open squares, dotted line).
Warning bands are a light tint, critical bands a darker tint with hatching, so they survive a grey printer;
a flag is an open triangle (warning) or diamond (critical) around the value it flags; pauses are shaded with
a light cross-wise hatch; phases are a labelled strip above the plot and events are numbers in a lane above it.
"""
from __future__ import annotations

import math
from datetime import datetime, tzinfo

from reportlab import rl_config
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Path, PolyLine, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from monitor_app.domain.record import SessionRecord
from monitor_app.domain.thresholds import Level
from monitor_app.reports.chart_model import PANELS, ChartModel, chart_model
from monitor_app.reports.fonts import BOLD, CONDENSED, REGULAR, register_fonts

# Okabe-Ito hues, darkened where a thin line or a small glyph must stay visible on paper.
INK = colors.HexColor("#1b1f24")
MUTED = colors.HexColor("#5f6b7a")
GRID = colors.Color(0.85, 0.87, 0.89)
BP_COLOUR = colors.HexColor("#0072B2")
HR_COLOUR = colors.HexColor("#C2410C")
SPO2_COLOUR = colors.HexColor("#00795A")
WARNING_FILL = colors.Color(0.99, 0.93, 0.80)
CRITICAL_FILL = colors.Color(0.96, 0.78, 0.72)
HATCH = colors.Color(0.55, 0.30, 0.25)
PAUSE_FILL = colors.Color(0.90, 0.90, 0.92)
PAUSE_HATCH = colors.Color(0.55, 0.57, 0.60)
LEVEL_INK = {Level.WARNING: colors.HexColor("#8A5A00"), Level.CRITICAL: colors.HexColor("#B23A00")}
PHASE_FILL = {"Pre-infusion": colors.Color(0.93, 0.94, 0.95), "Infusion": colors.Color(0.45, 0.52, 0.60),
              "Recovery": colors.Color(0.80, 0.83, 0.86), "Discharged": colors.Color(0.96, 0.96, 0.97)}

HR_DASH = (4, 2)
SPO2_DASH = (1, 1.6)
WARNING_LINE, CRITICAL_LINE, DIASTOLIC_LINE = (4, 2), None, (1, 1.5)
LEFT, RIGHT = 40, 50  # the value axis on the left; the limit labels' margin axis on the right
STRIP_H, LANE_H, AXIS_H, LEGEND_ROW = 12, 14, 24, 13
PANEL_SHARE = {"bp": 5, "hr": 3, "spo2": 2}
PANEL_GAP = 6
DEFAULT_HEIGHT = 330
MIN_PANELS_H = 150
LABEL_FONT = 6
VALUE_FONT, VALUE_LINE = 6.5, 7.5  # the value axis: its type, and the least distance between two values


def session_chart(record: SessionRecord, zone: tzinfo, width: float, height: float | None = None,
                  now: datetime | None = None) -> Drawing:
    """The chart of one session, `width` points wide and about `height` high (never so low it cannot be read)."""
    register_fonts()
    plot_w = width - LEFT - RIGHT
    sample = "due 00:00 OVERDUE"
    char_w = stringWidth(sample, CONDENSED, LABEL_FONT) / len(sample)
    model = chart_model(record, zone, now, max_ticks=max(4, int(plot_w / 42)), event_width=14 / plot_w,
                        char_width=char_w / plot_w)
    # Attribute validation of every shape costs more than drawing them; the values here are ours, not input.
    checking = rl_config.shapeChecking
    rl_config.shapeChecking = 0
    try:
        return draw(model, width, height or DEFAULT_HEIGHT)
    finally:
        rl_config.shapeChecking = checking


def minimum_height(width: float, record: SessionRecord) -> float:
    """The lowest chart that stays readable at `width`."""
    lane = LANE_H if any(e.error is None for e in record.events) else 0
    return MIN_PANELS_H + 2 * PANEL_GAP + lane + STRIP_H + AXIS_H + 3 * LEGEND_ROW + 6


class _Map:
    def __init__(self, model: ChartModel, x0: float, x1: float, boxes: dict):
        self.left, self.right = model.x_range
        self.x0, self.x1 = x0, x1
        self.boxes = boxes  # panel -> (y0, height, lo, hi)

    def x(self, value: float) -> float:
        frac = (value - self.left) / (self.right - self.left)
        return self.x0 + min(max(frac, 0.0), 1.0) * (self.x1 - self.x0)

    def y(self, panel: str, value: float) -> float:
        y0, h, lo, hi = self.boxes[panel]
        return y0 + (min(max(value, lo), hi) - lo) / (hi - lo) * h


def _legend_rows(model: ChartModel, width: float) -> list[list[tuple[str, str, float]]]:
    rows, row, x = [], [], LEFT
    for key, label in model.legend:
        w = 16 + stringWidth(label, CONDENSED, 6.5) + 10
        if x + w > width and row:
            rows.append(row)
            row, x = [], LEFT
        row.append((key, label, x))
        x += w
    if row:
        rows.append(row)
    return rows


def draw(model: ChartModel, width: float, height: float) -> Drawing:
    legend = _legend_rows(model, width)
    lane_h = LANE_H if model.events else 0
    fixed = len(legend) * LEGEND_ROW + 4 + AXIS_H + 2 * PANEL_GAP + STRIP_H + lane_h + 2
    panels_h = max(height - fixed, MIN_PANELS_H)
    height = panels_h + fixed
    d = Drawing(width, height, initialFontName=REGULAR, initialFontSize=7)  # never a standard (unembedded) font
    g = Group()
    d.add(g)
    x0, x1 = LEFT, width - RIGHT

    boxes, y = {}, len(legend) * LEGEND_ROW + 4 + AXIS_H
    total = sum(PANEL_SHARE.values())
    for name in reversed(PANELS):
        h = panels_h * PANEL_SHARE[name] / total
        p = model.panels[name]
        boxes[name] = (y, h, p.lo, p.hi)
        y += h + PANEL_GAP
    top = boxes["bp"][0] + boxes["bp"][1]
    strip_y0 = top + 2
    lane_y0 = strip_y0 + STRIP_H
    m = _Map(model, x0, x1, boxes)
    bottom = boxes["spo2"][0]

    # Panels: white (the normal range is neutral), the bands, pauses, then the grid over them.
    for name in PANELS:
        y0, h, _lo, _hi = boxes[name]
        g.add(Rect(x0, y0, x1 - x0, h, fillColor=colors.white, strokeColor=None))
    for b in model.bands:
        if not b.filled:
            continue
        ya = m.y(b.panel, b.low if b.low is not None else boxes[b.panel][2])
        yb = m.y(b.panel, b.high if b.high is not None else boxes[b.panel][3])
        xa, xb = m.x(b.x_from), m.x(b.x_to)
        if yb - ya <= 0.2 or xb - xa <= 0.2:
            continue
        g.add(Rect(xa, ya, xb - xa, yb - ya, fillColor=CRITICAL_FILL if b.level == Level.CRITICAL else WARNING_FILL,
                   strokeColor=None))
        if b.level == Level.CRITICAL:
            _hatch(g, xa, ya, xb - xa, yb - ya, HATCH)
    for s in model.pauses:
        xa, xb = m.x(s.x_from), m.x(s.x_to)
        for name in PANELS:
            y0, h, _lo, _hi = boxes[name]
            g.add(Rect(xa, y0, max(xb - xa, 0.8), h, fillColor=PAUSE_FILL, strokeColor=None, fillOpacity=0.7))
            _hatch(g, xa, y0, max(xb - xa, 0.8), h, PAUSE_HATCH, spacing=5, rising=False)
    grid = Path(strokeColor=GRID, strokeWidth=0.3, fillColor=None)
    g.add(grid)
    for name in PANELS:
        y0, h, _lo, _hi = boxes[name]
        ticks = model.panels[name].ticks
        # A low panel names every second or third grid line, so no value is printed on another; a panel with
        # another below it leaves its bottom value unnamed (BP's 40 sat on HR's 140), as on screen.
        every = max(1, math.ceil(VALUE_LINE / (h / max(len(ticks) - 1, 1))))
        for i, v in enumerate(ticks):
            yy = m.y(name, v)
            grid.moveTo(x0, yy)
            grid.lineTo(x1, yy)
            if i % every == 0 and (i > 0 or name == PANELS[-1]):
                g.add(String(x0 - 3, yy - 2.3, f"{v:g}", fontName=CONDENSED, fontSize=VALUE_FONT, fillColor=INK,
                             textAnchor="end"))
        for t in model.ticks:
            grid.moveTo(m.x(t.x), y0)
            grid.lineTo(m.x(t.x), y0 + h)
        title = String(0, 0, model.panels[name].title, fontName=BOLD, fontSize=6.5, fillColor=INK,
                       textAnchor="middle")
        tg = Group(title)
        tg.transform = (0, 1, -1, 0, 9, y0 + h / 2)  # rotated 90 degrees along the left edge
        g.add(tg)

    # Limit lines over time, and their labels in the right margin (outside the data, never crossed by a line).
    for b in model.bands:
        edge = b.edge
        y0, h, lo, hi = boxes[b.panel]
        if edge is None or not lo <= edge <= hi:
            continue
        yy = m.y(b.panel, edge)
        dash = DIASTOLIC_LINE if b.parameter == "diastolic" else (
            WARNING_LINE if b.level == Level.WARNING else CRITICAL_LINE)
        g.add(Line(m.x(b.x_from), yy, m.x(b.x_to), yy, strokeColor=LEVEL_INK[b.level],
                   strokeWidth=0.8 if b.parameter == "diastolic" else 0.6, strokeDashArray=dash))
    for name in PANELS:
        y0, h, _lo, _hi = boxes[name]
        for label in model.limit_labels(name, 7.2 / h):
            ya, yl = m.y(name, label.value), m.y(name, label.at)
            g.add(Line(x1, ya, x1 + 3, yl, strokeColor=LEVEL_INK[label.level], strokeWidth=0.5))
            g.add(String(x1 + 4, yl - 2.1, label.text, fontName=CONDENSED, fontSize=LABEL_FONT,
                         fillColor=LEVEL_INK[label.level]))

    # Infusion start and end, events' times, the next-due time: verticals through the panels.
    for xx in model.infusion_marks:
        g.add(Line(m.x(xx), bottom, m.x(xx), top, strokeColor=INK, strokeWidth=0.6, strokeDashArray=(5, 2, 1, 2)))
    for e in model.events:
        g.add(Line(m.x(e.x), bottom, m.x(e.x), top, strokeColor=colors.Color(0.55, 0.58, 0.62), strokeWidth=0.35,
                   strokeDashArray=(1, 2)))
    if model.next_due is not None:
        xx = m.x(model.next_due.x)
        ink = LEVEL_INK[Level.CRITICAL] if model.next_due.overdue else INK
        g.add(Line(xx, bottom, xx, top, strokeColor=ink, strokeWidth=0.8, strokeDashArray=(2, 2)))
        g.add(String(xx + 2, top - 8, model.next_due.label, fontName=CONDENSED, fontSize=LABEL_FONT, fillColor=ink,
                     textAnchor="start"))  # right of its line, in the room the model leaves there
    for name in PANELS:
        y0, h, _lo, _hi = boxes[name]
        g.add(Rect(x0, y0, x1 - x0, h, fillColor=None, strokeColor=INK, strokeWidth=0.6))

    # Time axis: round clock minutes, minutes from the origin below.
    for t in model.ticks:
        xx = m.x(t.x)
        g.add(Line(xx, bottom, xx, bottom - 3, strokeColor=INK, strokeWidth=0.6))
        if xx - x0 < stringWidth(t.clock, CONDENSED, 6.5) / 2 + 1:
            continue  # its label would run into the axis captions on the left
        g.add(String(xx, bottom - 11, t.clock, fontName=CONDENSED, fontSize=6.5, fillColor=INK, textAnchor="middle"))
        g.add(String(xx, bottom - 20, t.elapsed, fontName=CONDENSED, fontSize=6, fillColor=MUTED,
                     textAnchor="middle"))
    g.add(String(x0 - 3, bottom - 11, "time", fontName=CONDENSED, fontSize=6, fillColor=INK, textAnchor="end"))
    g.add(String(x0 - 3, bottom - 20, "min", fontName=CONDENSED, fontSize=6, fillColor=MUTED, textAnchor="end"))
    g.add(String(x1 + 4, bottom - 20, model.origin_label.replace("minutes ", ""), fontName=CONDENSED, fontSize=5.5,
                 fillColor=MUTED))

    _phase_strip(g, model, m, strip_y0)
    for e in model.events:  # numbers in the lane, a thin line down to their time
        lx, ex = m.x(e.lane_x), m.x(e.x)
        cy = lane_y0 + LANE_H / 2
        g.add(Line(lx, cy - 5, ex, strip_y0 + STRIP_H, strokeColor=INK, strokeWidth=0.4))
        _event_marker(g, lx, cy, e.number, e.category == "side effect")
    _series(g, model, m)
    if not model.bp_bars and not any(model.points.values()):
        g.add(String((x0 + x1) / 2, boxes["bp"][0] + boxes["bp"][1] / 2, "No readings recorded", fontName=REGULAR,
                     fontSize=9, fillColor=MUTED, textAnchor="middle"))
    _legend(g, legend)
    return d


def _hatch(g: Group, x: float, y: float, w: float, h: float, colour, spacing: float = 4.0,
           rising: bool = True) -> None:
    """Diagonal hatching clipped to a rectangle (reportlab shapes have no pattern fill)."""
    if w <= 0 or h <= 0:
        return
    path = Path(strokeColor=colour, strokeWidth=0.35, fillColor=None)  # one path: far cheaper than many lines
    c = -h
    while c < w:
        t0, t1 = max(0.0, -c), min(h, w - c)
        if t1 > t0:
            if rising:
                path.moveTo(round(x + c + t0, 2), round(y + t0, 2))
                path.lineTo(round(x + c + t1, 2), round(y + t1, 2))
            else:
                path.moveTo(round(x + c + t0, 2), round(y + h - t0, 2))
                path.lineTo(round(x + c + t1, 2), round(y + h - t1, 2))
        c += spacing
    g.add(path)


def _chevron(x: float, y: float, down: bool, size: float = 3.6) -> PolyLine:
    dy = size * 1.5 if down else -size * 1.5
    return PolyLine([x - size, y + dy, x, y, x + size, y + dy], strokeColor=BP_COLOUR, strokeWidth=1.2,
                    strokeLineJoin=1, strokeLineCap=1)


def flag_shape(x: float, y: float, level: Level, is_open: bool = True) -> Polygon:
    """An open triangle (warning) or diamond (critical) centred on the flagged value itself."""
    if level == Level.CRITICAL:
        r = 7.0
        pts = [x, y + r, x + r, y, x, y - r, x - r, y]
    else:
        r = 6.5
        pts = [x, y + r, x + r * 0.95, y - r * 0.62, x - r * 0.95, y - r * 0.62]
    return Polygon(pts, fillColor=None, strokeColor=LEVEL_INK[level], strokeWidth=1.3 if is_open else 0.7,
                   strokeLineJoin=1)


def _line(points, colour, dash) -> PolyLine | None:
    if len(points) < 2:
        return None
    return PolyLine([c for p in points for c in p], strokeColor=colour, strokeWidth=0.9, strokeDashArray=dash)


def _series(g: Group, model: ChartModel, m: _Map) -> None:
    hr = [(m.x(x), m.y("hr", v)) for x, v in model.points["heart_rate"]]
    sp = [(m.x(x), m.y("spo2", v)) for x, v in model.points["spo2"]]
    for line in (_line(hr, HR_COLOUR, HR_DASH), _line(sp, SPO2_COLOUR, SPO2_DASH)):
        if line is not None:
            g.add(line)
    bars = {x for x, _s, _d in model.bp_bars}
    for x, s, dia in model.bp_bars:
        xx, ys, yd = m.x(x), m.y("bp", s), m.y("bp", dia)
        g.add(Line(xx, yd, xx, ys, strokeColor=BP_COLOUR, strokeWidth=1.0))
        g.add(_chevron(xx, ys, down=True))
        g.add(_chevron(xx, yd, down=False))
    for p, down in (("systolic", True), ("diastolic", False)):  # a value without its pair: a lone chevron
        for x, v in model.points[p]:
            if x not in bars:
                g.add(_chevron(m.x(x), m.y("bp", v), down=down))
    for xx, yy in hr:
        g.add(Circle(xx, yy, 2.1, fillColor=HR_COLOUR, strokeColor=HR_COLOUR, strokeWidth=0.5))
    for xx, yy in sp:
        g.add(Rect(xx - 2.2, yy - 2.2, 4.4, 4.4, fillColor=colors.white, strokeColor=SPO2_COLOUR, strokeWidth=0.9))
    for f in model.flags:
        g.add(flag_shape(m.x(f.x), m.y(f.panel, f.y), f.level, f.open))


def _event_marker(g: Group, x: float, y: float, number: int, side_effect: bool) -> None:
    r = 5.2
    if side_effect:
        g.add(Circle(x, y, r, fillColor=colors.white, strokeColor=INK, strokeWidth=0.8))
    else:
        g.add(Rect(x - r, y - r, 2 * r, 2 * r, fillColor=colors.white, strokeColor=INK, strokeWidth=0.8))
    label = str(number)
    g.add(String(x, y - 2, label, fontName=BOLD, fontSize=5.6 if len(label) < 3 else 4.6, fillColor=INK,
                 textAnchor="middle"))


def _phase_strip(g: Group, model: ChartModel, m: _Map, y0: float) -> None:
    for s in model.phases:
        xa, xb = m.x(s.x_from), m.x(s.x_to)
        if xb - xa <= 0.1:
            continue
        g.add(Rect(xa, y0, xb - xa, STRIP_H, fillColor=PHASE_FILL[s.name], strokeColor=INK, strokeWidth=0.4))
        ink = colors.white if s.name == "Infusion" else INK
        if stringWidth(s.name, BOLD, 6.5) + 6 < xb - xa:  # at its start: a pause later in it never hides it
            g.add(String(xa + 3, y0 + 3.6, s.name, fontName=BOLD, fontSize=6.5, fillColor=ink))
    for s in model.pauses:
        xa, xb = m.x(s.x_from), m.x(s.x_to)
        w = max(xb - xa, 1.0)
        g.add(Rect(xa, y0, w, STRIP_H, fillColor=colors.white, strokeColor=INK, strokeWidth=0.4))
        _hatch(g, xa, y0, w, STRIP_H, PAUSE_HATCH, 2.5, rising=False)
        if stringWidth("Paused", BOLD, 5.5) + 2 < w:
            g.add(String((xa + xb) / 2, y0 + 3.8, "Paused", fontName=BOLD, fontSize=5.5, fillColor=INK,
                         textAnchor="middle"))


def _legend(g: Group, rows) -> None:
    """Swatches drawn with the same shapes as the chart."""
    def swatch(key: str, x: float, y: float) -> None:
        if key == "bp":
            g.add(Line(x + 6, y - 3, x + 6, y + 5, strokeColor=BP_COLOUR, strokeWidth=1.0))
            g.add(_chevron(x + 6, y + 5, down=True, size=2.8))
            g.add(_chevron(x + 6, y - 3, down=False, size=2.8))
        elif key == "heart_rate":
            g.add(Line(x, y + 1, x + 12, y + 1, strokeColor=HR_COLOUR, strokeWidth=0.9, strokeDashArray=HR_DASH))
            g.add(Circle(x + 6, y + 1, 2.1, fillColor=HR_COLOUR, strokeColor=HR_COLOUR))
        elif key == "spo2":
            g.add(Line(x, y + 1, x + 12, y + 1, strokeColor=SPO2_COLOUR, strokeWidth=0.9, strokeDashArray=SPO2_DASH))
            g.add(Rect(x + 3.8, y - 1.2, 4.4, 4.4, fillColor=colors.white, strokeColor=SPO2_COLOUR, strokeWidth=0.9))
        elif key in ("warning_band", "critical_band"):
            critical = key == "critical_band"
            g.add(Rect(x, y - 3, 12, 8, fillColor=CRITICAL_FILL if critical else WARNING_FILL, strokeColor=MUTED,
                       strokeWidth=0.3))
            if critical:
                _hatch(g, x, y - 3, 12, 8, HATCH, 3)
        elif key == "systolic_limit":
            g.add(Line(x, y + 1, x + 12, y + 1, strokeColor=LEVEL_INK[Level.WARNING], strokeWidth=0.6,
                       strokeDashArray=WARNING_LINE))
        elif key == "diastolic_limit":
            g.add(Line(x, y + 1, x + 12, y + 1, strokeColor=LEVEL_INK[Level.WARNING], strokeWidth=0.8,
                       strokeDashArray=DIASTOLIC_LINE))
        elif key in ("warning_flag", "critical_flag"):
            level = Level.WARNING if key == "warning_flag" else Level.CRITICAL
            g.add(Circle(x + 6, y + 1, 1.6, fillColor=INK, strokeColor=None))
            g.add(flag_shape(x + 6, y + 1, level))
        elif key == "pause":
            g.add(Rect(x, y - 3, 12, 8, fillColor=PAUSE_FILL, strokeColor=MUTED, strokeWidth=0.3))
            _hatch(g, x, y - 3, 12, 8, PAUSE_HATCH, 2.5, rising=False)
        elif key in ("side_effect", "intervention"):
            _event_marker(g, x + 6, y + 1, 1, key == "side_effect")
        elif key == "next_due":
            g.add(Line(x + 6, y - 4, x + 6, y + 6, strokeColor=INK, strokeWidth=0.8, strokeDashArray=(2, 2)))

    row_y = len(rows) * LEGEND_ROW - 6
    for row in rows:
        for key, label, x in row:
            swatch(key, x, row_y)
            g.add(String(x + 16, row_y - 1, label, fontName=CONDENSED, fontSize=6.5, fillColor=INK))
        row_y -= LEGEND_ROW
