"""Course view: every planned infusion of a course, done or planned, with its vitals, flags, discharge and status,
and a trend across the series of BP, heart rate and the outcome measure (with its severity bands)."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSplitter, QTableView, QVBoxLayout, QWidget)

from monitor_app.domain.outcomes import BANDS, band_of
from monitor_app.domain.thresholds import Level
from monitor_app.services.queries import CourseInfusion, CourseReport, Vital
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import MessageLine, call_service, heading

DASH = "\u2013"
CRIT = theme.CRITICAL_SYMBOL
MISSING = "\u2205"  # ∅ a reading the record lacks


def _vital_text(v: Vital | None, what: str) -> str:
    if v is None:
        return DASH
    text = v.bp or DASH
    if what == "hr":
        text = DASH if v.heart_rate is None else str(v.heart_rate)
    return f"{text} {CRIT}" if v.critical and what == "bp" else text


class CourseModel(QAbstractTableModel):
    COLUMNS = ("Infusion", "Date", "Nurse", "Baseline BP", "Peak BP", "Last BP", "Baseline HR", "Peak HR",
               "Last HR", "Flags", "Discharge", "Status")

    def __init__(self, zone, measure: str, parent=None):
        super().__init__(parent)
        self.zone = zone
        self.rows: list[CourseInfusion] = []
        self.columns = self.COLUMNS + ((f"{measure} before",) if measure else ())

    def set_rows(self, rows: list[CourseInfusion]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.columns[section]
        return None

    def text(self, r: CourseInfusion, column: int) -> str:
        if r.planned:
            return (str(r.number), "planned", "", "", "", "", "", "", "", "", "", "Planned", "")[column]
        last_bp = _vital_text(r.last, "bp")
        if r.last is None and any("after the infusion" in m for m in r.missing):
            last_bp = f"{MISSING} missing"
        flags = []
        if r.criticals:
            flags.append(f"{CRIT} {r.criticals} critical")
        if r.warnings:
            flags.append(f"{theme.WARNING_SYMBOL} {r.warnings} warning")
        values = (str(r.number), r.arrival_at.astimezone(self.zone).strftime("%Y-%m-%d"), r.nurse,
                  _vital_text(r.baseline, "bp") if r.baseline else f"{MISSING} missing",
                  _vital_text(r.peak, "bp"), last_bp,
                  _vital_text(r.baseline, "hr"), _vital_text(r.peak, "hr"), _vital_text(r.last, "hr"),
                  ", ".join(flags) or "none", r.discharge or DASH, r.status,
                  DASH if r.outcome_score is None else str(r.outcome_score))
        return values[column]

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role in (Qt.DisplayRole, Qt.AccessibleTextRole):
            return self.text(r, index.column())
        if role == Qt.ForegroundRole and r.planned:
            return QBrush(QColor(theme.MUTED))
        if role == Qt.BackgroundRole and not r.planned:
            col = self.columns[index.column()]
            if (col == "Peak BP" and r.peak and r.peak.critical) or (col == "Flags" and r.criticals):
                return QBrush(QColor(theme.LEVEL_BACKGROUND[Level.CRITICAL]))
            if "missing" in self.text(r, index.column()):
                return QBrush(QColor(theme.LEVEL_BACKGROUND[Level.WARNING]))
        if role == Qt.TextAlignmentRole and 3 <= index.column() <= 8:
            return int(Qt.AlignCenter)
        if role == Qt.UserRole:
            return r
        return None


class CourseTrend(QWidget):
    """BP (systolic-diastolic bars at baseline, peak and last), heart rate and the outcome measure, per infusion.

    pyqtgraph is imported here, when the first course view opens, never at start."""

    def __init__(self, parent=None):
        super().__init__(parent)
        import pyqtgraph as pg
        self.pg = pg
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground(theme.PAPER)
        self.widget.setAccessibleName("Trend across the course")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.widget)
        self.vitals = self.widget.addPlot(row=0, col=0)
        self.outcome = self.widget.addPlot(row=1, col=0)
        for p, title in ((self.vitals, "BP (mmHg) and HR (/min)"), (self.outcome, "Outcome")):
            p.setMenuEnabled(False)
            p.setMouseEnabled(False, False)
            p.hideButtons()
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setLabel("left", title)
            p.getAxis("left").setWidth(56)
            p.addLegend(offset=(-10, 10), labelTextColor=theme.INK)
        self.outcome.setLabel("bottom", "infusion")
        self.outcome.setXLink(self.vitals)
        self.widget.ci.layout.setRowStretchFactor(0, 3)
        self.widget.ci.layout.setRowStretchFactor(1, 2)
        self.items: dict[str, object] = {}

    def set_report(self, report: CourseReport) -> None:
        pg = self.pg
        for p in (self.vitals, self.outcome):
            p.clear()
            if p.legend is not None:
                p.legend.clear()
        self.items = {}
        n = report.planned_infusions
        xs = range(1, n + 1)
        for p in (self.vitals, self.outcome):
            p.getAxis("bottom").setTicks([[(x, str(x)) for x in xs]])
            p.setXRange(0.5, n + 0.5, padding=0)
        done = [i for i in report.infusions if not i.planned]
        offsets = {"baseline": -0.22, "peak": 0.0, "last": 0.22}
        colours = {"baseline": theme.SKY, "peak": theme.BLUE, "last": theme.PURPLE}
        for which, dx in offsets.items():
            pts = [(i.number + dx, getattr(i, which)) for i in done if getattr(i, which) and getattr(i, which).bp]
            bars_x, bars_y = [], []
            for x, v in pts:
                bars_x += [x, x]
                bars_y += [v.systolic, v.diastolic]
            bar = pg.PlotCurveItem(bars_x, bars_y, connect="pairs", pen=pg.mkPen(colours[which], width=3))
            self.vitals.addItem(bar)
            sys_mark = pg.ScatterPlotItem([x for x, _ in pts], [v.systolic for _, v in pts], symbol="t", size=11,
                                          brush=pg.mkBrush(colours[which]), pen=None, name=f"{which} BP")
            dia_mark = pg.ScatterPlotItem([x for x, _ in pts], [v.diastolic for _, v in pts], symbol="t1", size=11,
                                          brush=pg.mkBrush(colours[which]), pen=None)
            self.vitals.addItem(sys_mark)
            self.vitals.addItem(dia_mark)
            self.items[f"{which}_bp"] = sys_mark
        hr = [(i.number, i.peak.heart_rate) for i in done if i.peak and i.peak.heart_rate is not None]
        hr_line = pg.PlotDataItem([x for x, _ in hr], [y for _, y in hr], pen=pg.mkPen(theme.VERMILION, width=1.5),
                                  symbol="o", symbolSize=8, symbolBrush=theme.VERMILION, symbolPen=None,
                                  name="peak HR")
        self.vitals.addItem(hr_line)
        self.items["peak_hr"] = hr_line
        crit = [(i.number, i.peak.systolic) for i in done if i.peak and i.peak.critical]
        crit_mark = pg.ScatterPlotItem([x for x, _ in crit], [y for _, y in crit], symbol="d", size=26,
                                       pen=pg.mkPen(theme.VERMILION, width=2.5), brush=None, name="critical flag")
        self.vitals.addItem(crit_mark)
        self.items["critical"] = crit_mark
        missing = [i.number for i in done if i.missing]
        miss_mark = pg.ScatterPlotItem(missing, [60] * len(missing), symbol="x", size=16,
                                       pen=pg.mkPen(theme.ORANGE, width=2), brush=pg.mkBrush(theme.ORANGE),
                                       name="missing reading")
        self.vitals.addItem(miss_mark)
        self.items["missing"] = miss_mark
        self.vitals.setYRange(40, 220, padding=0)

        measure = report.outcome_measure
        self.outcome.setLabel("left", report.outcome_label if measure != "none" else "No outcome measure")
        bands = BANDS.get(measure, ())
        shades = ("#eef6ee", "#f7f7e6", "#fbf0dc", "#fbe4d6", "#f6d6cf")
        for k, (lo, hi, words) in enumerate(bands):
            region = pg.LinearRegionItem((lo - 0.5 if lo else lo, hi + 0.5), orientation="horizontal",
                                         brush=pg.mkBrush(shades[k % len(shades)]), pen=pg.mkPen(None),
                                         movable=False)
            region.setZValue(-10)
            self.outcome.addItem(region)
            label = pg.TextItem(words, color=theme.MUTED, anchor=(0, 0.5))
            label.setPos(0.55, (lo + hi) / 2)
            self.outcome.addItem(label)
        scores = [(i.number, i.outcome_score) for i in done if i.outcome_score is not None]
        line = pg.PlotDataItem([x for x, _ in scores], [y for _, y in scores], pen=pg.mkPen(theme.GREEN, width=2),
                               symbol="s", symbolSize=9, symbolBrush=theme.GREEN, symbolPen=None,
                               name=f"{report.outcome_label} before")
        self.outcome.addItem(line)
        self.items["outcome"] = line
        if bands:
            self.outcome.setYRange(bands[0][0], bands[-1][1] + 0.5, padding=0.02)


class CourseView(QWidget):
    open_session = Signal(int)
    back = Signal()

    def __init__(self, ctx: UiContext, course_id: int, parent=None):
        super().__init__(parent)
        from monitor_app.services.queries import course_report
        self.ctx, self.course_id = ctx, course_id
        report = course_report(ctx.db, ctx.signed_in, course_id)
        self.report = report
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 12)
        head = QHBoxLayout()
        back = QPushButton("\u2190 Back")
        back.clicked.connect(self.back)
        head.addWidget(back)
        head.addSpacing(12)
        p = report.patient
        head.addWidget(heading(f"Course \u2014 {p.name}", 18))
        head.addStretch(1)
        self.print_button = QPushButton("Course summary PDF\u2026")
        self.print_button.setToolTip("Save the course summary as a PDF")
        self.print_button.clicked.connect(self.save_pdf)
        head.addWidget(self.print_button)
        outer.addLayout(head)
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet(f"color: {theme.MUTED};")
        outer.addWidget(self.subtitle)
        self.message = MessageLine()
        outer.addWidget(self.message)
        measure = report.outcome_label if report.outcome_measure != "none" else ""
        self.model = CourseModel(ctx.zone, measure, self)
        self.table = QTableView()
        self.table.setObjectName("courseSessions")
        self.table.setAccessibleName("Infusions of the course")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.table)
        self.trend = None
        try:
            self.trend = CourseTrend()
        except ImportError:  # no charting library: the table says it all
            pass
        else:
            split.addWidget(self.trend)
            split.setStretchFactor(0, 2)
            split.setStretchFactor(1, 3)
        outer.addWidget(split, 1)
        note = QLabel(f"Baseline = last reading before the infusion; peak = highest systolic; last = last reading "
                      f"after the infusion ended. {CRIT} critical flag \u00b7 {MISSING} missing reading \u00b7 "
                      f"planned infusions in grey. Enter or a double-click opens the record.")
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {theme.MUTED};")
        outer.addWidget(note)
        self._show(report)

    def _show(self, report: CourseReport) -> None:
        self.report = report
        done = sum(1 for i in report.infusions if not i.planned)
        latest = next((i.outcome_score for i in reversed(report.infusions) if i.outcome_score is not None), None)
        outcome = ""
        if report.outcome_measure != "none":
            outcome = f" \u00b7 outcome {report.outcome_label}"
            if latest is not None:
                outcome += f", latest {latest} ({band_of(report.outcome_measure, latest)})"
        self.subtitle.setText(f"MRN {report.patient.mrn} \u00b7 {report.indication} \u00b7 {done} of "
                              f"{report.planned_infusions} infusions done \u00b7 prescriber "
                              f"{report.prescriber or 'not recorded'}{outcome}")
        self.model.set_rows(report.infusions)
        # Every planned infusion in sight without scrolling (up to a dozen), the trend below takes the rest.
        rows = min(len(report.infusions), 12) + 1
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * rows + 6)
        if self.trend is not None:
            self.trend.set_report(report)

    def place_cursor(self) -> None:
        """The cursor in the list of infusions: arrows choose one, Enter opens its record."""
        self.table.setFocus(Qt.OtherFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(0, 0))

    def _open(self, index) -> None:
        row = self.model.rows[index.row()]
        if row.session_id is not None:
            self.open_session.emit(row.session_id)

    def reload(self) -> None:
        from monitor_app.services.queries import course_report
        ok, report = call_service(self.message, course_report, self.ctx.db, self.ctx.signed_in, self.course_id)
        if ok:
            self._show(report)

    def save_pdf(self) -> None:
        from monitor_app.reports.course_pdf import export_course_pdf
        from pathlib import Path
        p = self.report.patient
        name = f"course_{p.mrn}_{self.course_id}.pdf"
        path, _ = QFileDialog.getSaveFileName(self, "Save course summary", str(Path.home() / name), "PDF (*.pdf)")
        if not path:
            return
        ok, written = call_service(self.message, export_course_pdf, self.ctx.db, self.ctx.signed_in,
                                   self.course_id, Path(path), now=self.ctx.now())
        if ok:
            self.message.show_info(f"Course summary saved to {written}.")
