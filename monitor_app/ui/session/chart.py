"""The live session chart on screen: draws the chart model (reports.chart_model) with pyqtgraph.

A strip above the plot carries the phases, pauses and the numbered events; below it BP as on an anaesthesia
record, HR and SpO2 share the time axis (round clock minutes, minutes from the infusion start beneath). Limit
labels sit in a margin axis on the right. Every mark carries a shape as well as a colour, so it reads in grey.
After a save only what changed is handed to pyqtgraph: usually one new point per series.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPen
from PySide6.QtWidgets import QGraphicsItem

from monitor_app.domain.record import SessionRecord
from monitor_app.domain.thresholds import Level
from monitor_app.reports import chart_model as model_of
from monitor_app.reports.chart_model import CHARTED, PANELS, ChartModel, chart_model
from monitor_app.ui import theme

# Tints: the normal range stays white; warning a light amber, critical a deeper vermilion with hatching, so the
# two differ in grey too. Phases never tint the plot: they are the strip above it.
BAND_FILL = {Level.WARNING: QColor("#fbe3b0"), Level.CRITICAL: QColor("#f5c4ae")}
HATCH = QColor(150, 60, 20, 150)
LEVEL_INK = {Level.WARNING: "#8A5A00", Level.CRITICAL: "#B23A00"}
PAUSE_FILL = QColor(120, 126, 136, 55)
PAUSE_HATCH = QColor(95, 107, 122, 120)
PHASE_FILL = {"Pre-infusion": "#e8ebee", "Infusion": "#75849a", "Recovery": "#cdd3da", "Discharged": "#f4f5f6"}
GRID = QColor(0, 0, 0, 30)
LEFT_AXIS_W, RIGHT_AXIS_W = 56, 84
EVENT_PX = 24
# The legend's words on screen: short, so it takes one line of a laptop's chart.
SCREEN_WORDS = {"bp": "BP sys/dia", "heart_rate": "HR", "spo2": "SpO\u2082", "warning_band": "warning",
                "critical_band": "critical", "systolic_limit": "sys limit", "diastolic_limit": "dia limit",
                "warning_flag": "warning flag", "critical_flag": "critical flag", "pause": "paused",
                "side_effect": "side effect", "intervention": "intervention", "next_due": "next due"}
SCREEN_TITLE = {"bp": "BP mmHg", "hr": "HR", "spo2": "SpO\u2082"}
CRITICAL_LIMITS = {"bp": 4, "hr": 2, "spo2": 1}  # the most critical limits a panel labels: high and low, BP's twice
SHORT_TITLE = {"bp": "BP"}  # where a panel is lower than its title is long (large type on a laptop)


def _pen(colour, width: float = 1.5, style=Qt.PenStyle.SolidLine) -> QPen:
    pen = pg.mkPen(colour, width=width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


def _fixed_axis(p: pg.PlotItem, side: str, width: float | None = None, height: float | None = None):
    ax = p.getAxis(side)
    if width is not None:
        ax.setWidth(width)
    if height is not None:
        ax.setHeight(height)
    # An axis repaints whenever a point is added under it: keep it as a pixmap.
    ax.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    return ax


class TimeLine(pg.InfiniteLine):
    """A vertical line at a time (now, next due). A chart being torn down may be asked for its lines' extent once
    more after their view box is gone: answer with nothing rather than an exception inside Qt's paint."""

    def boundingRect(self):  # noqa: N802
        if self.getViewBox() is None:
            return QRectF()
        return super().boundingRect()


LEGEND_FROM_HEIGHT = 280  # px: a shorter chart shows its plots without the legend's line


class SessionChart(pg.GraphicsLayoutWidget):
    """Set a record (and the time now) to draw it; `model` is what is drawn."""

    def __init__(self, ctx, parent=None):
        super().__init__(parent=parent)
        self.ctx = ctx
        self.setBackground(theme.PAPER)
        self.setAccessibleName("Session chart")
        self.setMinimumHeight(300)
        self.font = QFont()
        self.font.setPointSize(theme.LARGE_POINT_SIZE - 3 if ctx.large_type else theme.BASE_POINT_SIZE - 2)
        self.small = QFont(self.font)
        self.small.setPointSize(self.font.pointSize() - 1)
        sample = "\u25d4 due 00:00 OVERDUE"  # a label character's width, for the room the model leaves
        self.char_px = QFontMetrics(self.small).horizontalAdvance(sample) / len(sample)
        line_h = self.line_h = QFontMetrics(self.font).height()  # a line of the chart's own type, not the screen's
        self.label_h = QFontMetrics(self.small).height()  # a limit label in the margin

        # The strip above the plot: phases and pauses (0..1), numbered events (1..2.2).
        self.lane = self.addPlot(row=0, col=0)
        self.plots: dict[str, pg.PlotItem] = {}
        for row, name in enumerate(PANELS, start=1):
            self.plots[name] = self.addPlot(row=row, col=0)
        for name, p in [("lane", self.lane)] + list(self.plots.items()):
            p.setMenuEnabled(False)
            p.setMouseEnabled(False, False)
            p.hideButtons()
            p.showAxis("right")
            left = _fixed_axis(p, "left", LEFT_AXIS_W)
            right = _fixed_axis(p, "right", RIGHT_AXIS_W)
            for ax in (left, right, p.getAxis("bottom")):
                ax.setTickFont(self.small if ax is right else self.font)
                ax.setTextPen(theme.INK)
            if name == "lane":
                left.setStyle(showValues=False, tickLength=0)
                right.setStyle(showValues=False, tickLength=0)
                left.setPen(pg.mkPen(None))
                right.setPen(pg.mkPen(None))
                p.hideAxis("bottom")
                p.setYRange(0, 2.3, padding=0)
            else:
                p.setLabel("left", "")
                right.setStyle(tickLength=-4, autoExpandTextSpace=False)
                if name != "spo2":
                    p.hideAxis("bottom")
                p.setXLink(self.lane)
        # The clock and elapsed minutes under the plot: two lines in the axis' own type, smaller than the screen's.
        axis_metrics = QFontMetrics(self.font)
        tick_h = axis_metrics.height()
        bottom = _fixed_axis(self.plots["spo2"], "bottom", height=2 * tick_h + 4)
        bottom.setStyle(autoExpandTextSpace=False, tickTextOffset=3)
        self.bottom_axis = bottom
        self.lane.setMaximumHeight(2.1 * line_h + 4)
        self.lane.setMinimumHeight(2.1 * line_h + 4)
        # BP is read most: the panels share the height 5 : 3 : 2 (stretch alone only shares what is left over).
        for row, (name, share) in enumerate((("bp", 5), ("hr", 3), ("spo2", 2)), start=1):
            self.ci.layout.setRowStretchFactor(row, share)
            # Never lower than its title (in the shorter form a short panel uses) is long: titles never overlap.
            title = axis_metrics.horizontalAdvance(SHORT_TITLE.get(name, SCREEN_TITLE[name])) + 6
            # Each critical limit keeps a label in the margin (BP's four: systolic and diastolic, high and low),
            # with half a label's room at the foot for the top label of the panel below (ChartModel.limit_labels);
            # the plot's view box is 2 px lower than the plot.
            labels = CRITICAL_LIMITS[name] * self.label_h + 2
            self.plots[name].setMinimumHeight(max(share * 0.5 * line_h, title, labels)
                                              + (2 * tick_h + 4 if name == "spo2" else 0))
            self.plots[name].setPreferredHeight(share * 100 + (2 * tick_h + 4 if name == "spo2" else 0))
        self.ci.layout.setVerticalSpacing(2)
        self.ci.setContentsMargins(2, 2, 2, 0)
        self.legend = pg.LabelItem(justify="left")
        self.addItem(self.legend, row=4, col=0)
        for name, p in self.plots.items():
            p.getAxis("left").setLabel(SCREEN_TITLE[name])

        # BP as on an anaesthesia record: a bar from systolic to diastolic, ▼ on the systolic value, ▲ on the
        # diastolic one. HR and SpO2: marks joined by a line.
        bp, hr, spo2 = self.plots["bp"], self.plots["hr"], self.plots["spo2"]
        self.bp_bars = Series(bp, 9, lambda: pg.PlotCurveItem(connect="pairs", pen=_pen(theme.BLUE, 2)), kind="bars")
        self.marks = {
            "systolic": Series(bp, 10, lambda: pg.ScatterPlotItem(symbol="t", size=13, pen=_pen(theme.BLUE, 1),
                                                                  brush=pg.mkBrush(theme.BLUE))),
            "diastolic": Series(bp, 10, lambda: pg.ScatterPlotItem(symbol="t1", size=13, pen=_pen(theme.BLUE, 1),
                                                                   brush=pg.mkBrush(theme.BLUE))),
            "heart_rate": Series(hr, 10, lambda: pg.ScatterPlotItem(symbol="o", size=8, pen=None,
                                                                    brush=pg.mkBrush(theme.VERMILION))),
            "spo2": Series(spo2, 10, lambda: pg.ScatterPlotItem(symbol="s", size=8, pen=_pen(theme.GREEN, 1.5),
                                                                brush=pg.mkBrush("w"))),
        }
        self.lines = {"heart_rate": Series(hr, 9, lambda: pg.PlotCurveItem(pen=_pen(theme.VERMILION, 1.5)),
                                           kind="line"),
                      "spo2": Series(spo2, 9, lambda: pg.PlotCurveItem(pen=_pen(theme.GREEN, 1.5)), kind="line")}
        # A flag: an open triangle (warning) or diamond (critical) around the flagged mark itself; open flags bold.
        self.flag_marks: dict[tuple[str, Level, bool], Series] = {}
        for panel in PANELS:
            for level, symbol, size in ((Level.WARNING, "t1", 28), (Level.CRITICAL, "d", 30)):
                for is_open in (True, False):
                    pen = _pen(LEVEL_INK[level], 3 if is_open else 1.5)
                    self.flag_marks[(panel, level, is_open)] = Series(
                        self.plots[panel], 11,
                        lambda symbol=symbol, size=size, pen=pen: pg.ScatterPlotItem(symbol=symbol, size=size,
                                                                                    brush=None, pen=pen))
        self.now_lines, self.due_lines = {}, {}
        for name, p in [("lane", self.lane)] + list(self.plots.items()):
            line = TimeLine(angle=90, movable=False, pen=_pen(theme.MUTED, 1, Qt.PenStyle.DashLine))
            line.setZValue(5)
            p.addItem(line)
            self.now_lines[name] = line
            due = TimeLine(angle=90, movable=False, pen=_pen(theme.INK, 2, Qt.PenStyle.DashDotLine))
            due.setZValue(6)
            p.addItem(due)
            self.due_lines[name] = due
        # "now" in the phase strip, right of its line: over no reading (the one just saved lies on the line, and a
        # label at the foot of SpO2 covered a low value). The next-due label at the top of BP, right of its line.
        # The model leaves room for both there.
        self.now_label = pg.TextItem(model_of.NOW_LABEL, color=theme.INK, anchor=(0, 0.5),
                                     fill=pg.mkBrush(255, 255, 255, 220))
        self.due_label = pg.TextItem("", color=theme.INK, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 220))
        for item, plot in ((self.now_label, self.lane), (self.due_label, self.plots["bp"])):
            item.setFont(self.small)
            item.setZValue(20)
            plot.addItem(item)

        self.event_symbols = {}
        for symbol in ("o", "s"):
            item = pg.ScatterPlotItem(symbol=symbol, size=line_h + 2, pen=_pen(theme.INK, 1.2), brush=pg.mkBrush("w"))
            item.setZValue(11)
            self.lane.addItem(item)
            self.event_symbols[symbol] = item
        self.pools = {name: ItemPool(self) for name in ("phases", "events")}
        self.layers = {}
        for name, p in self.plots.items():
            layer = BackgroundLayer()
            layer.setZValue(-20)
            p.addItem(layer, ignoreBounds=True)
            self.layers[name] = layer
        self.model: ChartModel | None = None
        self.record: SessionRecord | None = None
        self.origin: datetime | None = None
        self.x_range = (0.0, 0.0)
        self._frame = None  # the ranges the data items were last drawn in whole
        self._marks_cache: dict = {}
        self._static_key = None
        self._label_key = None
        for p in self.plots.values():
            p.vb.sigResized.connect(self._draw_limit_labels)
        self.phase_labels: list = []  # (the name's text item, its phase): drawn where its part holds it
        self.lane.vb.sigResized.connect(self._fit_phase_labels)

    # -- what tests and the screen read (the model, as drawn)
    def series_points(self, parameter: str) -> list[tuple[float, float]]:
        return list(self.model.points[parameter]) if self.model else []

    def flagged_points(self) -> list[tuple[str, Level, float, float]]:
        return [(f.parameter, f.level, f.x, f.y) for f in self.model.flags] if self.model else []

    @property
    def bands(self) -> list[model_of.Band]:
        return list(self.model.bands) if self.model else []

    @property
    def event_marks(self) -> list[tuple[int, float]]:
        return [(e.number, e.x) for e in sorted(self.model.events, key=lambda e: e.number)] if self.model else []

    def x_of(self, moment: datetime) -> float:
        return (moment - self.origin).total_seconds() / 60.0

    # -- drawing
    def set_record(self, record: SessionRecord, now: datetime) -> None:
        self.record = record
        width = max(self.lane.vb.width(), 300.0)
        model = chart_model(record, self.ctx.zone, now, max_ticks=max(3, int(width / 80)),
                            event_width=EVENT_PX / width, char_width=self.char_px / width,
                            cache=self._marks_cache)
        self.model = model
        self.origin = model.origin
        self._draw_points(model)
        self._draw_frame(model)

    def update_now(self, now: datetime) -> None:
        if self.record is not None:
            self.set_record(self.record, now)

    def _draw_points(self, model: ChartModel) -> None:
        # A new scale repaints the whole plot anyway: then every series is drawn whole again, its tail emptied.
        frame = (model.x_range, tuple(model.panels.values()))
        whole = frame != self._frame
        self._frame = frame
        for p in CHARTED:
            self.marks[p].draw(model.points[p], whole)
            if p in self.lines:
                self.lines[p].draw(model.points[p], whole)
        self.bp_bars.draw(model.bp_bars, whole)
        groups = {key: [] for key in self.flag_marks}
        for f in model.flags:
            groups[(f.panel, f.level, f.open)].append((f.x, f.y))
        for key, spots in groups.items():
            self.flag_marks[key].draw(spots, whole)

    def _draw_frame(self, model: ChartModel) -> None:
        """Range, now and due lines, bands, phases, events, ticks: each redrawn only when it changed."""
        left, right = model.x_range
        if (left, right) != self.x_range:
            self.x_range = (left, right)
            self.lane.setXRange(left, right, padding=0)
            self._fit_phase_labels()
        live = model.now_x is not None
        for line in self.now_lines.values():
            line.setVisible(live)
            if live and line.value() != model.now_x:
                line.setValue(model.now_x)
        self.now_label.setVisible(live)
        top = model.panels["bp"].hi
        if live:
            self.now_label.setPos(model.now_x, 0.5)
        due = model.next_due
        for line in self.due_lines.values():
            line.setVisible(due is not None)
            if due is not None and (line.value(), line.pen.color().name()) != (due.x, self._due_ink(due)):
                line.setValue(due.x)
                line.setPen(_pen(self._due_ink(due), 2, Qt.PenStyle.DashDotLine))
        self.due_label.setVisible(due is not None)
        if due is not None:  # right of its line, in the room the model leaves there (left of it lie the readings)
            text = f"\u25d4 {due.label}"
            if self.due_label.textItem.toPlainText() != text:
                self.due_label.setText(text, color=LEVEL_INK[Level.CRITICAL] if due.overdue else theme.INK)
            self.due_label.setPos(due.x, top)
        # Each part is redrawn only when what it shows changed (a save usually changes none of them).
        panels = tuple(model.panels.values())
        parts = {"axes": (panels, tuple(model.ticks), model.origin_label),
                 "grid": (model.x_range, panels, tuple(model.ticks), tuple(model.infusion_marks)),
                 "bands": (model.x_range, panels, tuple(model.bands), tuple(model.pauses)),
                 "strip": (tuple(model.phases), tuple(model.pauses)),
                 "events": (panels, tuple(model.events)),
                 "labels": (panels, model.final_limits),
                 "legend": (tuple(model.legend), model.origin_label)}
        drawn = self._static_key or {}
        self._static_key = parts
        changed = {k for k, v in parts.items() if drawn.get(k) != v}
        if "axes" in changed:
            for name, panel in model.panels.items():
                p = self.plots[name]
                p.setYRange(panel.lo, panel.hi, padding=0)
            self._set_titles()
            self.bottom_axis.setTicks([[(t.x, f"{t.clock}\n{t.elapsed}") for t in model.ticks], []])
        if changed & {"grid", "bands", "events"}:
            self._draw_background(model)
        for part, draw in (("strip", self._draw_strip), ("events", self._draw_events), ("legend", self._draw_legend)):
            if part in changed:
                draw(model)
        if "labels" in changed:
            self._draw_limit_labels()

    @staticmethod
    def _due_ink(due) -> str:
        return (LEVEL_INK[Level.CRITICAL] if due.overdue else theme.INK).lower()

    def _draw_background(self, model: ChartModel) -> None:
        """Grid, bands, limit lines, pauses and the event and infusion verticals of each panel: one layer each."""
        left, right = model.x_range
        tick_xs = [t.x for t in model.ticks]
        for name, panel in model.panels.items():
            shapes: list[Shape] = []
            for b in model.bands:
                if b.panel != name or not b.filled:
                    continue
                low = panel.lo if b.low is None else max(b.low, panel.lo)
                high = panel.hi if b.high is None else min(b.high, panel.hi)
                if high > low:
                    shapes.append(Shape("fill", b.x_from, b.x_to, low, high, QBrush(BAND_FILL[b.level])))
                    if b.level == Level.CRITICAL:
                        shapes.append(Shape("fill", b.x_from, b.x_to, low, high,
                                            QBrush(HATCH, Qt.BrushStyle.BDiagPattern)))
            for s in model.pauses:
                shapes.append(Shape("fill", s.x_from, s.x_to, panel.lo, panel.hi, QBrush(PAUSE_FILL)))
                shapes.append(Shape("fill", s.x_from, s.x_to, panel.lo, panel.hi,
                                    QBrush(PAUSE_HATCH, Qt.BrushStyle.FDiagPattern)))
            grid = _pen(GRID, 1)
            shapes += [Shape("line", x, x, panel.lo, panel.hi, grid) for x in tick_xs]
            shapes += [Shape("line", left, right, y, y, grid) for y in panel.ticks]
            for b in model.bands:
                edge = b.edge
                if b.panel != name or edge is None or not panel.lo <= edge <= panel.hi:
                    continue
                style = (Qt.PenStyle.DotLine if b.parameter == "diastolic" else
                         Qt.PenStyle.DashLine if b.level == Level.WARNING else Qt.PenStyle.SolidLine)
                shapes.append(Shape("line", b.x_from, b.x_to, edge, edge,
                                    _pen(LEVEL_INK[b.level], 2 if b.parameter == "diastolic" else 1.3, style)))
            for e in model.events:
                shapes.append(Shape("line", e.x, e.x, panel.lo, panel.hi, _pen(theme.MUTED, 1, Qt.PenStyle.DotLine)))
            for x in model.infusion_marks:
                shapes.append(Shape("line", x, x, panel.lo, panel.hi, _pen(theme.INK, 1, Qt.PenStyle.DashDotLine)))
            self.layers[name].set_shapes(shapes, (left, right, panel.lo, panel.hi))

    def _set_titles(self) -> None:
        """Each panel's title along its axis, shortened where the panel is lower than the title is long (the
        titles of neighbouring panels would otherwise run into each other)."""
        size = f"{self.font.pointSize()}pt"  # the size of the values beside them
        metrics = QFontMetrics(self.font)
        for name, p in self.plots.items():
            axis = p.getAxis("left")
            title = SCREEN_TITLE[name]
            if metrics.horizontalAdvance(title) + 6 > p.vb.height():
                title = SHORT_TITLE.get(name, title)
            if axis.labelText != title or axis.labelStyle.get("font-size") != size:
                axis.setLabel(title, **{"font-size": size})
                axis.resizeEvent()  # centres the new title on its panel (pyqtgraph places it only on a resize)

    def _draw_limit_labels(self, *_args) -> None:
        """Limit labels in the margin axis, spaced for the panels' height now."""
        if self.model is None:
            return
        self._set_titles()
        out = {}
        for name in PANELS:
            h = max(self.plots[name].vb.height(), 40.0)
            out[name] = [(label.at, label.text) for label in self.model.limit_labels(name, self.label_h / h)]
        values = {}
        for name in PANELS:  # a short panel labels every second or third grid line, all drawn
            ticks = self.model.panels[name].ticks
            room = max(self.plots[name].vb.height(), 40.0) / max(len(ticks) - 1, 1)
            every = max(1, int(np.ceil(self.line_h * 1.2 / room)))
            # A panel with another below it leaves its bottom value unlabelled: it would sit on the next
            # panel's top value (BP's 40 on HR's 140).
            last = name == PANELS[-1]
            values[name] = [(v, f"{v:g}") for i, v in enumerate(ticks) if i % every == 0 and (i > 0 or last)]
        if (out, values) == self._label_key:
            return
        self._label_key = (out, values)
        for name, ticks in out.items():
            self.plots[name].getAxis("right").setTicks([ticks, []])
            self.plots[name].getAxis("left").setTicks([values[name], []])

    def _draw_strip(self, model: ChartModel) -> None:
        pool = self.pools["phases"]
        pool.start()
        self.phase_labels = []
        for s in model.phases:
            shade = pool.curve("lane", -10)
            shade.setData([s.x_from, s.x_to], [1, 1])
            shade.setFillLevel(0)
            shade.setBrush(pg.mkBrush(PHASE_FILL[s.name]))
            shade.setPen(_pen(theme.INK, 1))
            label = pool.text("lane", 2, anchor=(0, 0.5))
            label.setText(s.name, color="w" if s.name == "Infusion" else theme.INK)
            label.setPos(s.x_from, 0.5)
            self.phase_labels.append((label, s))
        for s in model.pauses:
            for brush in (pg.mkBrush("w"), QBrush(PAUSE_HATCH, Qt.BrushStyle.FDiagPattern)):
                shade = pool.curve("lane", -5)
                shade.setData([s.x_from, s.x_to], [1, 1])
                shade.setFillLevel(0)
                shade.setBrush(brush)
                shade.setPen(_pen(theme.INK, 1))
            label = pool.text("lane", 3, anchor=(0.5, 0.5))
            label.setHtml(f"<span style='color:{theme.INK};background:white;font-weight:bold'>Paused</span>")
            label.setPos((s.x_from + s.x_to) / 2, 0.5)
        pool.finish()
        self._fit_phase_labels()

    def _fit_phase_labels(self, *_args) -> None:
        """A phase is named only where its part of the strip holds the name, as on paper ("Pre-infusion" ran
        under the infusion's part when the infusion started soon after arrival)."""
        left, right = self.x_range
        if right <= left:
            return
        per_minute = self.lane.vb.width() / (right - left)
        for label, span in self.phase_labels:
            label.setVisible(label.textItem.boundingRect().width() <= (span.x_to - span.x_from) * per_minute)

    def _draw_events(self, model: ChartModel) -> None:
        pool = self.pools["events"]
        pool.start()
        # A circle for a side effect, a square for an intervention or an order, as in the PDF.
        for symbol, side_effect in (("o", True), ("s", False)):
            spots = [(e.lane_x, 1.65) for e in model.events if (e.category == "side effect") == side_effect]
            self.event_symbols[symbol].setData(pos=spots) if spots else self.event_symbols[symbol].clear()
        for e in model.events:
            mark = pool.text("lane", 12, anchor=(0.5, 0.5))
            mark.setHtml(f"<b style='color:{theme.INK}'>{e.number}</b>")
            mark.setToolTip(f"{e.number}. {e.summary}")
            mark.setPos(e.lane_x, 1.65)
            leader = pool.curve("lane", 1)
            leader.setData([e.lane_x, e.x, e.x], [1.25, 1.0, 0.0])
            leader.setFillLevel(None)
            leader.setBrush(None)
            leader.setPen(_pen(theme.INK, 1))
        pool.finish()

    def _draw_legend(self, model: ChartModel) -> None:
        swatch = {
            "bp": f"<span style='color:{theme.BLUE}'>\u25bc\u2502\u25b2</span>",
            "heart_rate": f"<span style='color:{theme.VERMILION}'>\u25cf</span>",
            "spo2": f"<span style='color:{theme.GREEN}'>\u25a1</span>",
            "warning_band": f"<span style='background:{BAND_FILL[Level.WARNING].name()}'>&nbsp;&nbsp;&nbsp;</span>",
            "critical_band": f"<span style='background:{BAND_FILL[Level.CRITICAL].name()};"
                              f"color:{LEVEL_INK[Level.CRITICAL]}'>&nbsp;\u2571\u2571&nbsp;</span>",
            "systolic_limit": f"<span style='color:{LEVEL_INK[Level.WARNING]}'>- - -</span>",
            "diastolic_limit": f"<span style='color:{LEVEL_INK[Level.WARNING]}'>\u00b7\u00b7\u00b7\u00b7</span>",
            "warning_flag": f"<span style='color:{LEVEL_INK[Level.WARNING]}'>\u25b3</span>",
            "critical_flag": f"<span style='color:{LEVEL_INK[Level.CRITICAL]}'>\u25c7</span>",
            "pause": f"<span style='background:#dcdfe3;color:{theme.MUTED}'>&nbsp;\u2572\u2572&nbsp;</span>",
            "side_effect": "\u2460",
            "intervention": "\u25a3",
            "next_due": "\u25d4",
        }
        html = "&nbsp;&nbsp; ".join(f"{swatch.get(k, '')}&nbsp;{SCREEN_WORDS.get(k, w)}" for k, w in model.legend)
        html = f"{model.origin_label.replace('minutes', 'min')} under the clock&nbsp;&nbsp; " + html
        self.legend.setText(f"<span style='color:{theme.INK}'>{html}</span>", size=f"{self.small.pointSize() - 1}pt")
        self.setToolTip(f"<span>{html}</span>")  # the legend also where a short chart has no line for it
        self._wrap_legend()

    def compact_height(self) -> int:
        """The least height that shows the event lane and every panel whole (a short chart has no legend line)."""
        parts = [self.lane.minimumHeight()] + [p.minimumHeight() for p in self.plots.values()]
        return int(sum(parts) + 3 * self.ci.layout.verticalSpacing() + 6)

    def _wrap_legend(self) -> None:
        """The legend flows over as many lines as the chart's width needs (a LabelItem would widen the chart); a
        chart as short as a laptop's screen leaves it gives its line to the plots (the tooltip keeps it)."""
        short = self.height() < LEGEND_FROM_HEIGHT
        self.legend.setVisible(not short)
        if short:
            self.legend.setMinimumHeight(0)
            self.legend.setMaximumHeight(0)
            return
        text = self.legend.item
        text.setTextWidth(max(self.width() - 20, 200))
        self.legend.setMinimumWidth(0)
        self.legend.setMaximumWidth(self.width())
        height = text.boundingRect().height()
        self.legend.setMinimumHeight(height)
        self.legend.setMaximumHeight(height)

    def resizeEvent(self, event) -> None:
        # The legend's line first (a short chart has none), then the view lays the plots out in the height: the
        # other way round, a chart shrunk below LEGEND_FROM_HEIGHT kept a layout as tall as with the legend, and
        # the clock times under the plot fell outside the view.
        if hasattr(self, "legend"):
            self._wrap_legend()
        super().resizeEvent(event)


class Series:
    """One series of marks, a line or BP bars, drawn as two items: what was drawn at the last change of scale,
    kept as a pixmap, and a short tail of what was added since. A save then repaints the few pixels around the
    new reading, not every point of a long session (SPEC 10: saved to painted within a frame).

    `points` is what is drawn: (x, y) pairs, or (x, systolic, diastolic) for bars."""

    TAIL_MAX = 12  # points added before the series is drawn whole again

    def __init__(self, plot: pg.PlotItem, z: float, make, kind: str = "marks"):
        self.kind = kind
        self.settled, self.tail = make(), make()
        for item in (self.settled, self.tail):
            item.setZValue(z)
            item.setVisible(False)
            plot.addItem(item)
        self.settled.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.points: list = []
        self._settled: list = []

    def items(self) -> list:
        """The items on the plot that show something."""
        return [item for item in (self.settled, self.tail) if item.isVisible()]

    def draw(self, points: list, whole: bool = False) -> None:
        if points == self.points:
            return
        n = len(self._settled)
        if whole or not n or len(points) - n > self.TAIL_MAX or points[:n] != self._settled:
            self._put(self.settled, points)
            self._put(self.tail, [])
            self._settled = list(points)
        else:  # a line's tail starts at the last settled point, so the line runs on unbroken
            self._put(self.tail, points[n - 1:] if self.kind == "line" and len(points) > n else points[n:])
        self.points = list(points)

    def _put(self, item, points: list) -> None:
        item.setVisible(bool(points))
        if self.kind == "marks":
            item.setData(pos=points) if points else item.clear()
            return
        if self.kind == "bars":
            xy = np.array([(x, v) for x, s, d in points for v in (s, d)], dtype=float).reshape(-1, 2)
        else:
            xy = np.array(points, dtype=float).reshape(-1, 2)
        item.setData(xy[:, 0], xy[:, 1], **({"connect": "pairs"} if self.kind == "bars" else {}))


@dataclass(frozen=True)
class Shape:
    """A filled rectangle or a line from (x0, y0) to (x1, y1), in data coordinates."""

    kind: str  # "fill" or "line"
    x0: float
    x1: float
    y0: float
    y1: float
    style: object  # the QBrush of a fill, the QPen of a line


class BackgroundLayer(pg.GraphicsObject):
    """What stays put under the data of one panel (bands, hatching, pauses, grid, limit and event lines), painted
    as one picture and kept as one pixmap, so adding a point repaints a single image instead of dozens of items.

    `shapes` is exactly what paint() draws."""

    def __init__(self):
        super().__init__()
        self.shapes: list[Shape] = []
        self._rect = QRectF()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_shapes(self, shapes: list[Shape], extent: tuple[float, float, float, float]) -> None:
        left, right, lo, hi = extent
        self.prepareGeometryChange()
        self.shapes = shapes
        self._rect = QRectF(left, lo, right - left, hi - lo)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter, *_args) -> None:
        # Drawn in device pixels: hatch patterns and cosmetic pens keep their size whatever the scale.
        to_device = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setPen(Qt.PenStyle.NoPen)
        for s in self.shapes:
            if s.kind == "fill":
                painter.fillRect(to_device.mapRect(QRectF(QPointF(s.x0, s.y0), QPointF(s.x1, s.y1))).normalized(),
                                 s.style)
        for s in self.shapes:
            if s.kind == "line":
                painter.setPen(s.style)
                painter.drawLine(to_device.map(QPointF(s.x0, s.y0)), to_device.map(QPointF(s.x1, s.y1)))
        painter.restore()


class ItemPool:
    """Chart items made once and reused: updating them is cheap, and nothing is removed from a live scene."""

    def __init__(self, chart: SessionChart):
        self.chart = chart
        self.items: dict[tuple[str, str], list] = {}
        self.used: dict[tuple[str, str], int] = {}

    def _plot(self, panel: str) -> pg.PlotItem:
        return self.chart.lane if panel == "lane" else self.chart.plots[panel]

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
            self._plot(panel).addItem(item)
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
        return self._take(f"text{anchor}", panel, z, make)

    def finish(self) -> None:
        """Hide what this drawing did not use."""
        for key, items in self.items.items():
            for item in items[self.used.get(key, 0):]:
                item.setVisible(False)
