"""The archive: find any record, open it read-only, export PDFs, verify that nothing was altered."""
from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.errors import ChairsideError, FieldError
from monitor_app.domain.session import INDICATIONS, Status
from monitor_app.services.queries import ArchiveQuery, ArchiveRow
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import FieldMessages, MessageLine, call_service, heading, icon, run_in_background

log = logging.getLogger(__name__)

PAGE = 100
COLUMNS = ("Date", "MRN", "Patient", "Infusion", "Indication", "Nurse", "Status", "Flags")


class ArchiveModel(QAbstractTableModel):
    """One page of archive search results."""

    def __init__(self, zone, parent=None):
        super().__init__(parent)
        self.zone = zone
        self.rows: list[ArchiveRow] = []

    def set_rows(self, rows: list[ArchiveRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def text(self, row: ArchiveRow, column: int) -> str:
        if column == 0:
            return fmt_time(row.arrival_at, self.zone, with_date=True)
        if column == 1:
            return row.mrn
        if column == 2:
            return row.patient_name
        if column == 3:
            return f"{row.number} of {row.planned}"
        if column == 4:
            return INDICATIONS.get(row.indication, row.indication)
        if column == 5:
            return row.nurse
        if column == 6:
            return row.status.capitalize()
        if column == 7:
            return f"{theme.CRITICAL_SYMBOL} critical" if row.has_critical else ""
        return ""

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.DisplayRole, Qt.AccessibleTextRole):
            return self.text(row, index.column())
        if role == Qt.ForegroundRole and index.column() == 7 and row.has_critical:
            return QBrush(QColor(theme.VERMILION))
        if role == Qt.FontRole and index.column() == 7 and row.has_critical:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.UserRole:
            return row
        return None


def _day(field: str, text: str, label: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"{label} must be a date written YYYY-MM-DD.") from None


class ArchivePage(QWidget):
    open_record = Signal(int)
    open_course = Signal(int)

    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.offset = 0
        self.has_more = False
        self.fields = FieldMessages()
        actor = ctx.signed_in
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 12)
        outer.setSpacing(10)
        head = QHBoxLayout()
        head.addWidget(heading("Archive", 20))
        head.addStretch(1)
        self.verify_button = QPushButton(icon("verify"), "Verify integrity", self)  # never a window
        self.verify_button.setToolTip("Recompute the audit chain and every signature of the archive")
        self.verify_button.setVisible(actor.can("verify"))  # parented above: shown with the page, not alone
        self.verify_button.clicked.connect(self.verify)
        head.addWidget(self.verify_button)
        outer.addLayout(head)

        filters = QGridLayout()
        filters.setHorizontalSpacing(10)
        filters.setVerticalSpacing(4)
        self.search_field = QLineEdit()
        self.search_field.setObjectName("archiveSearch")
        self.search_field.setAccessibleName("MRN or name")
        self.search_field.setPlaceholderText("MRN or name, either order")
        self.search_field.setMinimumWidth(260)
        self.date_from = QLineEdit()
        self.date_from.setObjectName("dateFrom")
        self.date_from.setAccessibleName("From date")
        self.date_to = QLineEdit()
        self.date_to.setObjectName("dateTo")
        self.date_to.setAccessibleName("To date")
        for edit in (self.date_from, self.date_to):  # the labels above say from/to; the field shows the format
            edit.setPlaceholderText("YYYY-MM-DD")
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("YYYY-MM-DD") + 24)
        self.nurse = QComboBox()
        self.nurse.setAccessibleName("Nurse")
        self.nurse.addItem("Any nurse", None)
        from monitor_app.services.queries import users
        for uid, name, role in users(ctx.db):
            if role in ("nurse", "charge_nurse"):
                self.nurse.addItem(name, uid)
        self.indication = QComboBox()
        self.indication.setAccessibleName("Indication")
        self.indication.addItem("Any indication", None)
        for key, label in INDICATIONS.items():
            self.indication.addItem(label, key)
        self.status = QComboBox()
        self.status.setAccessibleName("Status")
        self.status.addItem("Any status", None)
        for st in Status:
            self.status.addItem(st.value.capitalize(), st.value)
        self.critical = QCheckBox(f"With critical flags ({theme.CRITICAL_SYMBOL})")
        self.search_button = QPushButton("Search")
        self.search_button.setObjectName("archiveSearchButton")
        self.search_button.setDefault(True)
        # Two rows, so that every caption, hint and choice is read whole on a laptop's screen in large type too:
        # who and when (with Search at its end), then what.
        for row, fields in ((0, (("MRN or name", self.search_field), ("From", self.date_from),
                                 ("To", self.date_to))),
                            (3, (("Nurse", self.nurse), ("Indication", self.indication), ("Status", self.status)))):
            for col, (label, w) in enumerate(fields):
                caption = QLabel(label)
                caption.setStyleSheet(f"color: {theme.MUTED};")
                filters.addWidget(caption, row, col)
                filters.addWidget(w, row + 1, col)
        filters.addWidget(self.fields.label_for("date_from", self.date_from), 2, 1)
        filters.addWidget(self.fields.label_for("date_to", self.date_to), 2, 2)
        filters.addWidget(self.search_button, 1, 3, Qt.AlignmentFlag.AlignLeft)
        filters.addWidget(self.critical, 4, 3)
        filters.setColumnStretch(0, 3)
        for c in (1, 2, 3):
            filters.setColumnStretch(c, 1)
        outer.addLayout(filters)
        self.message = MessageLine()
        outer.addWidget(self.message)

        self.model = ArchiveModel(ctx.zone, self)
        self.table = QTableView()
        self.table.setObjectName("archiveResults")
        self.table.setAccessibleName("Archive search results")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.activated.connect(lambda _i: self.open_selected())
        outer.addWidget(self.table, 1)

        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Integrity check details")
        self.details.setMaximumHeight(140)
        self.details.hide()
        outer.addWidget(self.details)

        bottom = QHBoxLayout()
        self.prev_button = QPushButton("\u2190 Previous 100")
        self.next_button = QPushButton("Next 100 \u2192")
        self.page_label = QLabel()
        self.page_label.setStyleSheet(f"color: {theme.MUTED};")
        self.prev_button.clicked.connect(lambda: self.search(self.offset - PAGE))
        self.next_button.clicked.connect(lambda: self.search(self.offset + PAGE))
        bottom.addWidget(self.prev_button)
        bottom.addWidget(self.next_button)
        bottom.addWidget(self.page_label)
        bottom.addStretch(1)
        self.open_button = QPushButton("Open record")
        self.open_button.clicked.connect(self.open_selected)
        self.course_button = QPushButton("Course view")
        self.course_button.clicked.connect(self.course_of_selected)
        self.export_button = QPushButton(icon("export-pdf"), "Export selected as PDF\u2026", self)
        self.export_button.setVisible(actor.can("export"))
        self.export_button.clicked.connect(self.export_selected)
        for b in (self.open_button, self.course_button, self.export_button):
            bottom.addWidget(b)
        outer.addLayout(bottom)

        self.search_field.returnPressed.connect(self.search)
        self.date_from.returnPressed.connect(self.search)
        self.date_to.returnPressed.connect(self.search)
        self.search_button.clicked.connect(lambda: self.search())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.search()

    # ------------------------------------------------------------------------------------------ search
    def query(self, offset: int) -> ArchiveQuery:
        return ArchiveQuery(text=self.search_field.text(),
                            date_from=_day("date_from", self.date_from.text(), "From date"),
                            date_to=_day("date_to", self.date_to.text(), "To date"),
                            nurse_id=self.nurse.currentData(), indication=self.indication.currentData(),
                            status=self.status.currentData(), critical_only=self.critical.isChecked(),
                            limit=PAGE + 1, offset=max(0, offset))

    def search(self, offset: int = 0) -> None:
        from monitor_app.services.queries import search_archive
        self.fields.clear()
        self.message.clear_message()
        try:
            query = self.query(offset)
        except FieldError as exc:
            self.fields.show(exc)
            return
        ok, rows = call_service(self.message, search_archive, self.ctx.db, self.ctx.signed_in, query, self.ctx.zone)
        if not ok:
            return
        self.offset = query.offset
        self.has_more = len(rows) > PAGE  # one row more than a page says whether there is a next page
        self.model.set_rows(rows[:PAGE])
        n = len(self.model.rows)
        self.page_label.setText("No records match." if n == 0 else
                                f"Records {self.offset + 1}-{self.offset + n}" + ("" if self.has_more else
                                                                                  " (end)"))
        if n:
            self.table.selectRow(0)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = bool(self.selected_rows())
        self.prev_button.setEnabled(self.offset > 0)
        self.next_button.setEnabled(self.has_more)
        for b in (self.open_button, self.course_button, self.export_button):
            b.setEnabled(chosen)

    def selected_rows(self) -> list[ArchiveRow]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.rows[r] for r in rows if r < len(self.model.rows)]

    def open_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.open_record.emit(rows[0].session_id)

    def course_of_selected(self) -> None:
        from monitor_app.services.queries import get_record
        rows = self.selected_rows()
        if not rows:
            return
        ok, record = call_service(self.message, get_record, self.ctx.db, self.ctx.signed_in, rows[0].session_id,
                                  with_hash=False)
        if ok:
            self.open_course.emit(record.course.id)

    # ------------------------------------------------------------------------------------------ export
    def export_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        try:
            from monitor_app.reports.pdf_export import export_one
        except ImportError as exc:
            log.error("PDF export unavailable: %s", exc)
            self.message.show_error("PDF export is not available in this installation.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Export PDF session records to folder")
        if not folder:
            return
        db, actor = self.ctx.db, self.ctx.signed_in
        jobs = [(r.session_id, Path(folder) / f"chairside-session-{r.record_uid}.pdf") for r in rows]

        def work():
            for session_id, path in jobs:
                export_one(db, actor, session_id, path, appendix=False)
            return len(jobs)

        self.export_button.setEnabled(False)
        self.message.show_info(f"Exporting {len(jobs)} record(s)\u2026")
        run_in_background(work, lambda n: self._exported(n, folder), self._failed)

    def _exported(self, n: int, folder: str) -> None:
        self._update_buttons()
        self.message.show_info(f"{n} PDF session record(s) written to {folder}.")

    def _failed(self, exc: Exception) -> None:
        self._update_buttons()
        self.verify_button.setEnabled(True)
        if isinstance(exc, ChairsideError):
            self.message.show_error(str(exc))
        elif isinstance(exc, OSError):
            self.message.show_error(f"Cannot write the file: {exc.strerror or exc}.")
        else:
            self.message.show_error(f"The work stopped ({type(exc).__name__}); the details are in the log.")

    # ------------------------------------------------------------------------------------------ verify
    def verify(self) -> None:
        from monitor_app.services.integrity import verify_archive
        db, actor = self.ctx.db, self.ctx.signed_in
        self.verify_button.setEnabled(False)
        self.details.hide()
        self.message.show_info("Verifying the audit chain and every signature\u2026")
        run_in_background(lambda: verify_archive(db, actor), self._verified, self._failed)

    def _verified(self, report) -> None:
        self.verify_button.setEnabled(True)
        if report.intact:
            self.message.show_info(f"Intact: {report.rows_checked} audit rows and {report.records_checked} signed "
                                   f"records match.")
            self.details.hide()
            return
        self.message.show_error(f"NOT INTACT: {len(report.problems)} problem(s) found. Keep this archive as it is "
                                f"and tell your administrator.")
        self.details.setPlainText("\n".join(report.problems))
        self.details.show()

    def place_cursor(self) -> None:
        """The cursor in the search field: an auditor's first keys, at sign-in, are a name or an MRN."""
        self.search_field.setFocus(Qt.OtherFocusReason)

    def showEvent(self, event):  # noqa: N802
        super().showEvent(event)
        if self.model.rows:
            self.search(self.offset)  # records signed elsewhere meanwhile show their new status
