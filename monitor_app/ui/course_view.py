"""Course view: every session of a course side by side, with pre, peak and post BP and the outcome scores."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from monitor_app.domain.clock import fmt_time
from monitor_app.services.queries import CourseRow
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import MessageLine, call_service, heading


class CourseModel(QAbstractTableModel):
    def __init__(self, zone, measure: str, parent=None):
        super().__init__(parent)
        self.zone = zone
        self.rows: list[CourseRow] = []
        self.columns = ("Infusion", "Date", "Status", "Pre BP", "Peak BP", "Post BP", f"{measure} before")

    def set_rows(self, rows: list[CourseRow]) -> None:
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

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role in (Qt.DisplayRole, Qt.AccessibleTextRole):
            return (str(r.number), fmt_time(r.arrival_at, self.zone, with_date=True),
                    r.status.capitalize(), r.pre_bp or "\u2013", r.peak_bp or "\u2013", r.post_bp or "\u2013",
                    "\u2013" if r.outcome_score is None else str(r.outcome_score))[index.column()]
        if role == Qt.TextAlignmentRole and index.column() >= 3:
            return int(Qt.AlignCenter)
        if role == Qt.UserRole:
            return r
        return None


class CourseView(QWidget):
    open_session = Signal(int)
    back = Signal()

    def __init__(self, ctx: UiContext, course_id: int, parent=None):
        super().__init__(parent)
        from monitor_app.services.queries import course_overview, get_record
        self.ctx, self.course_id = ctx, course_id
        rows = course_overview(ctx.db, ctx.signed_in, course_id)
        first = get_record(ctx.db, ctx.signed_in, rows[0].session_id, with_hash=False) if rows else None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 12)
        head = QHBoxLayout()
        back = QPushButton("\u2190 Back")
        back.clicked.connect(self.back)
        head.addWidget(back)
        head.addSpacing(12)
        title = "Course"
        subtitle = ""
        measure = "Outcome"
        if first is not None:
            p, c = first.patient, first.course
            title = f"Course \u2014 {p.name}"
            subtitle = (f"MRN {p.mrn} \u00b7 {c.indication_label} \u00b7 {len(rows)} of {c.planned_infusions} "
                        f"infusions \u00b7 prescriber {c.prescriber or 'not recorded'}")
            if c.outcome_measure != "none":
                measure = c.outcome_label
        head.addWidget(heading(title, 18))
        head.addStretch(1)
        outer.addLayout(head)
        sub = QLabel(subtitle)
        sub.setStyleSheet(f"color: {theme.MUTED};")
        outer.addWidget(sub)
        self.message = MessageLine()
        outer.addWidget(self.message)
        self.model = CourseModel(ctx.zone, measure, self)
        self.model.set_rows(rows)
        self.table = QTableView()
        self.table.setObjectName("courseSessions")
        self.table.setAccessibleName("Sessions of the course")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.activated.connect(lambda i: self.open_session.emit(self.model.rows[i.row()].session_id))
        outer.addWidget(self.table, 1)
        note = QLabel("Pre = baseline before the infusion; peak = highest systolic; post = last reading after the "
                      "infusion ended. Double-click or Enter opens the session record.")
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {theme.MUTED};")
        outer.addWidget(note)

    def reload(self) -> None:
        from monitor_app.services.queries import course_overview
        ok, rows = call_service(self.message, course_overview, self.ctx.db, self.ctx.signed_in, self.course_id)
        if ok:
            self.model.set_rows(rows)
