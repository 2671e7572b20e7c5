"""A small chart of the warning and critical bands of the limits being edited, one row per parameter."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from monitor_app.domain.thresholds import LIMIT_NAMES, PARAMETER_LABELS, PARAMETERS, Level, Thresholds
from monitor_app.domain.vitals import PLAUSIBLE
from monitor_app.ui import theme
from monitor_app.reports.chart_model import Band, bands_of

FILL = {Level.WARNING: QColor(230, 159, 0, 90), Level.CRITICAL: QColor(213, 94, 0, 130)}
# Critical bands are hatched as well as coloured, so the two tiers read apart in grey too.
PATTERN = {Level.WARNING: Qt.BrushStyle.SolidPattern, Level.CRITICAL: Qt.BrushStyle.BDiagPattern}


def display_range(thresholds: Thresholds, parameter: str) -> tuple[float, float]:
    """The values worth showing for one parameter: its limits with some room, within the possible range."""
    _label, lo_possible, hi_possible, _unit = PLAUSIBLE[parameter]
    limits = thresholds.for_parameter(parameter)
    values = [getattr(limits, n) for n in LIMIT_NAMES if getattr(limits, n) is not None]
    if not values:
        return float(lo_possible), float(hi_possible)
    pad = max((max(values) - min(values)) * 0.35, 6.0)
    return max(lo_possible, min(values) - pad), min(hi_possible, max(values) + pad)


class BandPreview(pg.GraphicsLayoutWidget):
    """`set_thresholds` redraws; `bands` is what is drawn (chart_model.Band, x_from/x_to unused: 0)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground(theme.PAPER)
        self.setAccessibleName("Preview of the warning and critical bands")
        self.setMinimumHeight(200)
        self.bands: list[Band] = []
        self.plots: dict[str, pg.PlotItem] = {}
        small = QFont()
        small.setPointSize(8)
        for row, parameter in enumerate(PARAMETERS):
            unit = PLAUSIBLE[parameter][3]
            self.addLabel(f"{PARAMETER_LABELS[parameter]} <span style='color:{theme.MUTED}'>{unit}</span>",
                          row=row, col=0, justify="right", color=theme.INK, size="9pt")
            plot = self.addPlot(row=row, col=1)
            plot.hideAxis("left")
            plot.getAxis("bottom").setStyle(tickFont=small, tickLength=-4)
            plot.getAxis("bottom").setPen(theme.MUTED)
            plot.getAxis("bottom").setTextPen(theme.INK)
            plot.setMouseEnabled(False, False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setYRange(0, 1, padding=0)
            self.plots[parameter] = plot
        self.ci.layout.setColumnStretchFactor(1, 5)
        self.ci.layout.setVerticalSpacing(2)

    def set_thresholds(self, thresholds: Thresholds) -> None:
        self.bands = []
        for parameter, plot in self.plots.items():
            plot.clear()
            lo, hi = display_range(thresholds, parameter)
            plot.setXRange(lo, hi, padding=0)
            segments = bands_of(thresholds, parameter, 0, 0)
            self.bands.extend(segments)
            if not segments:
                self._text(plot, (lo + hi) / 2, "no limits", theme.MUTED, anchor=(0.5, 0.5))
                continue
            for seg in segments:
                left = lo if seg.low is None else seg.low
                right = hi if seg.high is None else seg.high
                if right <= left:  # an empty band (e.g. NEWS2's high warning equal to its high critical)
                    continue
                for style in {Qt.BrushStyle.SolidPattern, PATTERN[seg.level]}:
                    colour = FILL[seg.level] if style == Qt.BrushStyle.SolidPattern else QColor(theme.INK)
                    region = pg.LinearRegionItem((left, right), movable=False, brush=QBrush(colour, style),
                                                 pen=pg.mkPen(theme.LEVEL_COLOUR[seg.level], width=1))
                    region.setZValue(-10)
                    plot.addItem(region)
            limits = thresholds.for_parameter(parameter)
            for name in LIMIT_NAMES:
                value = getattr(limits, name)
                if value is not None:
                    self._text(plot, value, f"{value:g}", theme.INK,
                               anchor=(1.05, 0.5) if name.startswith("low") else (-0.05, 0.5))

    @staticmethod
    def _text(plot: pg.PlotItem, x: float, text: str, colour: str, anchor=(0.5, 0.5)) -> None:
        item = pg.TextItem(text, color=colour, anchor=anchor)
        item.setPos(x, 0.5)
        plot.addItem(item)

    def bands_for(self, parameter: str) -> list[tuple[Level, float | None, float | None]]:
        return [(b.level, b.low, b.high) for b in self.bands if b.parameter == parameter]

