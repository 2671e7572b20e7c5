"""The live session chart: BP as on an anaesthesia record, HR and SpO2 panels, limit bands, phases, events.

x is minutes from the infusion start (negative before it; before the start, minutes from now), with the clock
time on the top axis. Every mark carries a shape as well as a colour, so the chart reads in grey too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsItem

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.thresholds import Level, Thresholds
from monitor_app.ui import theme

CHARTED = ("systolic", "diastolic", "heart_rate", "spo2")
PANEL_OF = {"systolic": "bp", "diastolic": "bp", "heart_rate": "hr", "spo2": "spo2"}
Y_RANGE = {"bp": (40, 220), "hr": (30, 160), "spo2": (85, 100.5)}
Y_TITLE = {"bp": "BP mmHg", "hr": "HR /min", "spo2": "SpO\u2082 %"}
# Bands drawn as filled areas; the others as limit lines only, because on the shared BP grid the diastolic
# bands and the low systolic bands would cover the other series' normal values and mislead.
FILLED = {("systolic", "high"), ("heart_rate", "low"), ("heart_rate", "high"), ("spo2", "low")}
PHASE_COLOURS = {"Pre-infusion": "#eef1f4", "Infusion": "#e3f0fa", "Recovery": "#e6f5ef"}
BAND_FILL = {Level.WARNING: QColor(230, 159, 0, 40), Level.CRITICAL: QColor(213, 94, 0, 55)}


@dataclass(frozen=True)
class BandSegment:
    """Where values of `parameter` are at `level`, from x_from to x_to minutes; None is open-ended."""

    parameter: str
    level: Level
    x_from: float
    x_to: float
    low: float | None
    high: float | None


def bands_of(limits: Thresholds, parameter: str, x_from: float, x_to: float) -> list[tuple[BandSegment, str]]:
    """The warning and critical areas of one parameter under one set of limits, each with its side."""
    L = limits.for_parameter(parameter)
    out = []
    if L.low_critical is not None:
        out.append((BandSegment(parameter, Level.CRITICAL, x_from, x_to, None, L.low_critical), "low"))
    if L.low_warning is not None:
        out.append((BandSegment(parameter, Level.WARNING, x_from, x_to, L.low_critical, L.low_warning), "low"))
    if L.high_warning is not None:
        out.append((BandSegment(parameter, Level.WARNING, x_from, x_to, L.high_warning, L.high_critical), "high"))
    if L.high_critical is not None:
        out.append((BandSegment(parameter, Level.CRITICAL, x_from, x_to, L.high_critical, None), "high"))
    return out


class ClockAxis(pg.AxisItem):
    """Tick labels in clock time (clinic zone) for x in minutes from the origin."""

    def __init__(self, orientation: str, zone, **kw):
        super().__init__(orientation, **kw)
        self.zone = zone
        self.origin: datetime | None = None

    def tickStrings(self, values, scale, spacing):
        if self.origin is None:
            return ["" for _ in values]
        return [fmt_time(self.origin + timedelta(minutes=v), self.zone) for v in values]

    def tickSpacing(self, minVal, maxVal, size):
        return minute_spacing(maxVal - minVal, size)


class MinutesAxis(pg.AxisItem):
    def tickStrings(self, values, scale, spacing):
        return [f"{v:+.0f}" if v else "0" for v in values]

    def tickSpacing(self, minVal, maxVal, size):
        return minute_spacing(maxVal - minVal, size)


def minute_spacing(span: float, pixels: float) -> list[tuple[float, float]]:
    """Ticks on whole clinical intervals (5, 10, 15, 30, 60 ... minutes), about one per 70 pixels."""
    wanted = max(1.0, pixels / 70)
    for major in (5, 10, 15, 30, 60, 120, 240, 480):
        if span / major <= wanted:
            break
    minor = {5: 1, 10: 5, 15: 5, 30: 10, 60: 15}.get(major, major / 4)
    return [(major, 0), (minor, 0)]


def _pen(colour: str, width: float = 1.5, style=Qt.PenStyle.SolidLine) -> QPen:
    pen = pg.mkPen(colour, width=width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


class SessionChart(pg.GraphicsLayoutWidget):
    """Set a record (and the time now) to draw it; `bands` and `series_points` expose what is drawn."""

    def __init__(self, ctx, parent=None):
        super().__init__(parent=parent)
        self.ctx = ctx
        self.setBackground(theme.PAPER)
        self.setAccessibleName("Session chart")
        self.setMinimumHeight(260)
        big = ctx.large_type
        self.font = QFont()
        self.font.setPointSize(theme.LARGE_POINT_SIZE - 3 if big else theme.BASE_POINT_SIZE - 2)
        self.clock_axis = ClockAxis("top", ctx.zone)
        self.minutes_axis = MinutesAxis("bottom")
        self.plots: dict[str, pg.PlotItem] = {}
        for row, name in enumerate(("bp", "hr", "spo2")):
            axes = {"top": self.clock_axis} if name == "bp" else {}
            if name == "spo2":
                axes["bottom"] = self.minutes_axis
            p = self.addPlot(row=row, col=0, axisItems=axes)
            p.setMenuEnabled(False)
            p.setMouseEnabled(False, False)
            p.hideButtons()
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setLabel("left", Y_TITLE[name])
            p.getAxis("left").setWidth(56)
            for ax in ("left", "bottom", "top"):
                p.getAxis(ax).setTickFont(self.font)
                p.getAxis(ax).setTextPen(theme.INK)
                # An axis (with its grid) repaints whenever a point is added under it: keep it as a pixmap.
                p.getAxis(ax).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            if name == "bp":
                p.showAxis("top")
            if name != "spo2":
                p.hideAxis("bottom")
            p.setYRange(*Y_RANGE[name], padding=0)
            p.vb.setLimits(yMin=0, yMax=400)
            if name != "bp":
                p.setXLink(self.plots["bp"])
            self.plots[name] = p
        self.plots["spo2"].setLabel("bottom", "minutes from infusion start")
        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 3)
        self.ci.layout.setRowStretchFactor(2, 2)
        self.ci.layout.setVerticalSpacing(2)

        bp = self.plots["bp"]
        # BP as on an anaesthesia record: a bar from systolic to diastolic, a v on the systolic value and a ^ on
        # the diastolic one. HR and SpO2: marks joined by a line.
        self.bp_bars = pg.PlotCurveItem(connect="pairs", pen=_pen(theme.BLUE, 2))
        self.marks = {
            "systolic": pg.ScatterPlotItem(symbol="t", size=13, pen=_pen(theme.BLUE, 1), brush=pg.mkBrush(theme.BLUE)),
            "diastolic": pg.ScatterPlotItem(symbol="t1", size=13, pen=_pen(theme.BLUE, 1),
                                            brush=pg.mkBrush(theme.BLUE)),
            "heart_rate": pg.ScatterPlotItem(symbol="o", size=7, pen=None, brush=pg.mkBrush(theme.VERMILION)),
            "spo2": pg.ScatterPlotItem(symbol="s", size=7, pen=None, brush=pg.mkBrush(theme.GREEN)),
        }
        self.lines = {"heart_rate": pg.PlotCurveItem(pen=_pen(theme.VERMILION, 1.5)),
                      "spo2": pg.PlotCurveItem(pen=_pen(theme.GREEN, 1.5))}
        for item, panel in ((self.bp_bars, "bp"), (self.lines["heart_rate"], "hr"), (self.lines["spo2"], "spo2")):
            item.setZValue(9)
            self.plots[panel].addItem(item)
        for p, item in self.marks.items():
            item.setZValue(10)
            self.plots[PANEL_OF[p]].addItem(item)
        # Flagged values: a large open shape around the mark, the same shapes as the table and alert list.
        self.flag_marks: dict[tuple[str, Level], pg.ScatterPlotItem] = {}
        for panel in ("bp", "hr", "spo2"):
            for level, symbol in ((Level.WARNING, "t1"), (Level.CRITICAL, "d")):
                mark = pg.ScatterPlotItem(symbol=symbol, size=26, pen=_pen(theme.LEVEL_COLOUR[level], 2.5),
                                          brush=None)
                mark.setZValue(11)
                self.plots[panel].addItem(mark)
                self.flag_marks[(panel, level)] = mark
        self.now_lines = {}
        for name, p in self.plots.items():
            line = pg.InfiniteLine(angle=90, movable=False, pen=_pen(theme.MUTED, 1, Qt.PenStyle.DashLine))
            line.setZValue(5)
            p.addItem(line)
            self.now_lines[name] = line
        self.now_label = pg.TextItem("now", color=theme.MUTED, anchor=(0.5, 1))
        self.now_label.setFont(self.font)
        bp.addItem(self.now_label)

        self.bands: list[BandSegment] = []
        self._points: dict[str, list[tuple[float, float]]] = {p: [] for p in CHARTED}
        self._flagged: list[tuple[str, Level, float, float]] = []
        self.pools = {name: ItemPool(self) for name in ("bands", "phases", "events")}
        self.event_marks: list[tuple[int, float]] = []
        self._static_key = None
        self.record: SessionRecord | None = None
        self.origin: datetime | None = None
        self.x_range = (0.0, 0.0)
        self._drawn: dict = {}
        self._y_ranges: dict = {}
        self._per_reading: dict = {}
        self._per_reading_origin: datetime | None = None

    # -- what tests and the screen read
    def series_points(self, parameter: str) -> list[tuple[float, float]]:
        return list(self._points[parameter])

    def flagged_points(self) -> list[tuple[str, Level, float, float]]:
        return list(self._flagged)

    def x_of(self, moment: datetime) -> float:
        return (moment - self.origin).total_seconds() / 60.0

    # -- drawing
    def set_record(self, record: SessionRecord, now: datetime) -> None:
        self.record = record
        self.origin = record.infusion_start_at or now
        self.clock_axis.origin = self.origin
        title = "minutes from infusion start" if record.infusion_start_at else "minutes from now (infusion not started)"
        if self.minutes_axis.labelText != title:  # setting it redraws the axis and re-lays out the panel
            self.minutes_axis.setLabel(title)
        self._draw_readings(record)
        self._draw_frame(record, now)

    def update_now(self, now: datetime) -> None:
        if self.record is not None:
            if self.record.infusion_start_at is None:
                self.set_record(self.record, now)
            else:
                self._draw_frame(self.record, now)

    def _contribution(self, r) -> tuple[list, list]:
        """The points and flag marks of one reading, worked out once per reading (and origin)."""
        cached = self._per_reading.get(r.id)
        if cached is not None and cached[0] is r:
            return cached[1], cached[2]
        x = self.x_of(r.measured_at)
        points, flags = [], []
        if not r.entered_in_error:
            for p in CHARTED:
                value = getattr(r.current, p)
                if value is None:
                    continue
                points.append((p, x, float(value)))
                f = r.flag_for(p) if r.flags else None
                if f is not None:
                    flags.append((p, f.level, x, float(value)))
        self._per_reading[r.id] = (r, points, flags)
        return points, flags

    def _draw_readings(self, record: SessionRecord) -> None:
        if self._per_reading_origin != self.origin:
            self._per_reading = {}
            self._per_reading_origin = self.origin
        pts = {p: [] for p in CHARTED}
        flagged = []
        for r in record.readings:
            points, flags = self._contribution(r)
            for p, x, y in points:
                pts[p].append((x, y))
            flagged.extend(flags)
        self._points = pts
        self._flagged = flagged
        # Only what changed is handed to pyqtgraph: after a save, usually one new point per series.
        drawn = self._drawn
        for p in CHARTED:
            old = drawn.get(p, [])
            if old == pts[p]:
                continue
            marks = self.marks[p]
            if old and pts[p][:len(old)] == old:
                marks.addPoints(pos=pts[p][len(old):])
            elif pts[p]:
                marks.setData(pos=pts[p])
            else:
                marks.clear()
            if p in self.lines:
                self.lines[p].setData(np.array([x for x, _ in pts[p]], dtype=float),
                                      np.array([y for _, y in pts[p]], dtype=float))
        if drawn.get("systolic") != pts["systolic"] or drawn.get("diastolic") != pts["diastolic"]:
            bars = [(x, v) for (x, s_), (_x, d) in zip(pts["systolic"], pts["diastolic"]) for v in (s_, d)]
            self.bp_bars.setData(np.array([x for x, _ in bars], dtype=float),
                                 np.array([v for _, v in bars], dtype=float), connect="pairs")
        if drawn.get("flagged") != flagged:
            for (panel, level), mark in self.flag_marks.items():
                spots = [(x, y) for p, lv, x, y in flagged if PANEL_OF[p] == panel and lv == level]
                mark.setData(pos=spots) if spots else mark.clear()
        self._drawn = {**pts, "flagged": flagged}
        # Values beyond the usual scale stay visible.
        for panel, (lo, hi) in Y_RANGE.items():
            ys = [y for p in CHARTED if PANEL_OF[p] == panel for _, y in pts[p]]
            pad = 2 if panel == "spo2" else 8
            wanted = (min(lo, min(ys) - pad), max(hi, min(max(ys) + pad, 400))) if ys else (lo, hi)
            if self._y_ranges.get(panel) != wanted:
                self.plots[panel].setYRange(*wanted, padding=0)
                self._y_ranges[panel] = wanted

    def _draw_frame(self, record: SessionRecord, now: datetime) -> None:
        """Range, now line, bands, phases and events: redrawn only when what they depend on changed."""
        xs = [pts[0][0] for pts in self._points.values() if pts] + [pts[-1][0] for pts in self._points.values() if pts]
        start = record.infusion_start_at
        planned_end = (self.x_of(start) + record.planned_minutes) if start else 0
        end_x = self.x_of(record.discharged_at) if record.discharged_at else self.x_of(now)
        left = min([self.x_of(record.arrival_at)] + xs) - 3
        right = max([end_x, planned_end] + xs) + 3
        if record.infusion_end_at and not record.discharged_at:
            obs = record.observation_ends_at
            if obs is not None:
                right = max(right, self.x_of(obs) + 3)
        # The right edge moves in whole steps, so a save or a clock tick rarely rescales the chart.
        step = 10 if right - left <= 240 else 30
        left, right = math.floor(left / 5) * 5, math.ceil(right / step) * step
        if (left, right) != self.x_range:
            self.x_range = (left, right)
            self.plots["bp"].setXRange(left, right, padding=0)
        now_x = self.x_of(now)
        for line in self.now_lines.values():
            line.setValue(now_x)
            line.setVisible(record.discharged_at is None)
        self.now_label.setVisible(record.discharged_at is None)
        self.now_label.setPos(now_x, self.plots["bp"].viewRange()[1][1])
        key = (left, right, record.infusion_start_at, record.infusion_end_at, record.discharged_at,
               tuple(at for at, _ in record.threshold_orders), tuple((e.id, e.error is None) for e in record.events),
               tuple(sorted(self._y_ranges.items())))
        if key == self._static_key:
            return
        self._static_key = key
        self._draw_bands(record, left, right)
        self._draw_phases(record, left, right, now)
        self._draw_events(record)

    def _draw_bands(self, record: SessionRecord, left: float, right: float) -> None:
        segments = []
        changes = [(left, record.thresholds)] + [(self.x_of(at), t) for at, t in record.threshold_orders]
        for i, (x_from, limits) in enumerate(changes):
            x_to = changes[i + 1][0] if i + 1 < len(changes) else right
            x_from = max(x_from, left)
            if x_to <= x_from:
                continue
            for p in CHARTED:
                segments.extend(bands_of(limits, p, x_from, x_to))
        self.bands = [b for b, _side in segments]
        pool = self.pools["bands"]
        pool.start()
        for b, side in segments:
            panel = PANEL_OF[b.parameter]
            bottom, top = self.plots[panel].viewRange()[1]
            low = bottom if b.low is None else max(b.low, bottom)
            high = top if b.high is None else min(b.high, top)
            edge = b.high if side == "low" else b.low
            colour = theme.LEVEL_COLOUR[b.level]
            style = Qt.PenStyle.DashLine if b.level == Level.WARNING else Qt.PenStyle.SolidLine
            if (b.parameter, side) in FILLED and high > low:
                fill = pool.curve(panel, -10)
                fill.setData([b.x_from, b.x_to], [high, high])
                fill.setFillLevel(low)
                fill.setBrush(QBrush(BAND_FILL[b.level]))
                fill.setPen(pg.mkPen(None))
            if edge is not None:
                line = pool.curve(panel, -5)
                line.setData([b.x_from, b.x_to], [edge, edge])
                line.setFillLevel(None)
                line.setBrush(None)
                line.setPen(_pen(colour, 1.2, Qt.PenStyle.DotLine if b.parameter == "diastolic" else style))
        # The limit values in force at the end, with their meaning, at the right edge of each panel; a label
        # close to the one below it moves left so the two never overlap.
        final = changes[-1][1]
        labels: dict[str, list[tuple[float, Level, str]]] = {"bp": [], "hr": [], "spo2": []}
        for p in CHARTED:
            L = final.for_parameter(p)
            short = {"systolic": "Sys ", "diastolic": "Dia "}.get(p, "")
            for value, level in ((L.high_critical, Level.CRITICAL), (L.high_warning, Level.WARNING),
                                 (L.low_warning, Level.WARNING), (L.low_critical, Level.CRITICAL)):
                if value is not None:
                    labels[PANEL_OF[p]].append((value, level, f"{theme.LEVEL_SYMBOL[level]} {short}{value:g}"))
        for panel, items in labels.items():
            lo, hi = self.plots[panel].viewRange()[1]
            gap = (hi - lo) * 0.09
            shift, previous = 0, None
            for value, level, text in sorted(items):
                shift = (shift + 1) % 3 if previous is not None and value - previous < gap else 0
                previous = value
                label = pool.text(panel, -4, anchor=(1, 0.5))
                label.setText(text, color=theme.LEVEL_COLOUR[level])
                label.setPos(right - shift * (right - left) * 0.07, value)
        pool.finish()

    def _draw_phases(self, record: SessionRecord, left: float, right: float, now: datetime) -> None:
        pool = self.pools["phases"]
        pool.start()
        spans = []
        start, end = record.infusion_start_at, record.infusion_end_at
        stop = self.x_of(record.discharged_at) if record.discharged_at else right
        if start is None:
            spans.append(("Pre-infusion", left, stop))
        else:
            spans.append(("Pre-infusion", left, self.x_of(start)))
            spans.append(("Infusion", self.x_of(start), self.x_of(end) if end else stop))
            if end is not None:
                spans.append(("Recovery", self.x_of(end), stop))
        for name, x0, x1 in spans:
            if x1 <= x0:
                continue
            for panel, plot in self.plots.items():
                bottom, top = plot.viewRange()[1]
                shade = pool.curve(panel, -20)
                shade.setData([x0, x1], [top, top])
                shade.setFillLevel(bottom)
                shade.setBrush(pg.mkBrush(PHASE_COLOURS[name]))
                shade.setPen(pg.mkPen(None))
            label = pool.text("bp", 1, anchor=(0, 0))
            label.setText(name, color=theme.MUTED)
            label.setPos(x0, self.plots["bp"].viewRange()[1][1])
        # The start and the end of the infusion: solid lines through every panel.
        for at in (start, end):
            if at is None:
                continue
            for panel, plot in self.plots.items():
                bottom, top = plot.viewRange()[1]
                line = pool.curve(panel, -6)
                line.setData([self.x_of(at)] * 2, [bottom, top])
                line.setFillLevel(None)
                line.setBrush(None)
                line.setPen(_pen(theme.INK, 1))
        pool.finish()

    def _draw_events(self, record: SessionRecord) -> None:
        pool = self.pools["events"]
        pool.start()
        self.event_marks = []
        bp = self.plots["bp"]
        bottom, top = bp.viewRange()[1]
        step = (top - bottom) * 0.09
        placed: list[float] = []
        for e in record.events:
            if e.error is not None:
                continue
            x = self.x_of(e.at)
            # Markers close together stack downwards instead of overlapping.
            row = sum(1 for px in placed if abs(px - x) < (self.x_range[1] - self.x_range[0]) * 0.025)
            placed.append(x)
            y = top - step * (1.3 + row)
            mark = pool.text("bp", 12, anchor=(0.5, 0.5))
            mark.setHtml(f"<div style='background:{theme.INK};color:white;font-weight:bold'>&nbsp;{e.number}&nbsp;"
                         "</div>")
            mark.setToolTip(f"{e.number}. {e.summary}")
            mark.setPos(x, y)
            tick = pool.curve("bp", -3)
            tick.setData([x, x], [y - step * 0.5, bottom])
            tick.setFillLevel(None)
            tick.setBrush(None)
            tick.setPen(_pen(theme.INK, 0.8, Qt.PenStyle.DotLine))
            self.event_marks.append((e.number, x))
        pool.finish()


class ItemPool:
    """Chart items made once and reused: updating them is cheap, and nothing is removed from a live scene."""

    def __init__(self, chart: SessionChart):
        self.chart = chart
        self.items: dict[tuple[str, str], list] = {}
        self.used: dict[tuple[str, str], int] = {}

    def start(self) -> None:
        self.used = {k: 0 for k in self.items}

    def _take(self, kind: str, panel: str, z: float, make):
        key = (kind, panel)
        items = self.items.setdefault(key, [])
        n = self.used.get(key, 0)
        if n == len(items):
            item = make()
            # Bands, phases and labels rarely change: painted once into a pixmap, not on every new point.
            cached = item.textItem if isinstance(item, pg.TextItem) else item
            cached.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.chart.plots[panel].addItem(item)
            items.append(item)
        item = items[n]
        self.used[key] = n + 1
        item.setZValue(z)
        item.setVisible(True)
        return item

    def curve(self, panel: str, z: float) -> pg.PlotCurveItem:
        return self._take("curve", panel, z, pg.PlotCurveItem)

    def text(self, panel: str, z: float, anchor=(0, 0)) -> pg.TextItem:
        def make():
            t = pg.TextItem(anchor=anchor)
            t.setFont(self.chart.font)
            return t
        item = self._take(f"text{anchor}", panel, z, make)
        return item

    def finish(self) -> None:
        """Hide what this drawing did not use."""
        for key, items in self.items.items():
            for item in items[self.used.get(key, 0):]:
                item.setVisible(False)
