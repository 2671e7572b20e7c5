"""Side effects and interventions: quick buttons, the event dialog, and the numbered events list."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QGridLayout, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QRadioButton, QVBoxLayout, QWidget)

from monitor_app.domain.clock import fmt_time, parse_clock_time
from monitor_app.domain.errors import FieldError
from monitor_app.domain.record import EventView, SessionRecord
from monitor_app.domain.session import EVENT_KINDS, INTERVENTIONS, SEVERITIES, SIDE_EFFECTS
from monitor_app.services import clinical
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import FormDialog, sized_font, text_of
from monitor_app.ui.session.corrections import EnteredInErrorDialog

# The common ones get a button; everything else is under "Other…".
QUICK = (("nausea", "Nausea"), ("vomiting", "Vomiting"), ("dizziness", "Dizziness"), ("headache", "Headache"),
         ("dissociation", "Dissociation"), ("anxiety_agitation", "Anxiety / agitation"),
         ("medication_given", "Medication\u2026"), ("oxygen_applied", "Oxygen applied"),
         ("clinician_notified", "Clinician notified\u2026"), ("", "Other\u2026"))
# Pause and resume belong to the header's buttons.
CHOOSABLE = {k: v for k, v in {**SIDE_EFFECTS, **INTERVENTIONS}.items()
             if k not in ("infusion_paused", "infusion_resumed")}


class EventDialog(FormDialog):
    """One event: kind, severity of a side effect, details of an intervention, time (blank = now), note."""

    def __init__(self, ctx: UiContext, session_id: int, kind: str = "", parent=None):
        super().__init__(ctx, f"Record event: {EVENT_KINDS.get(kind, 'other')}", parent)
        self.session_id = session_id
        self.kind_box = QComboBox()
        for key, label in CHOOSABLE.items():
            self.kind_box.addItem(label, key)
        self.add_field("kind", "Event:", self.kind_box)
        if kind:
            self.kind_box.setCurrentIndex(self.kind_box.findData(kind))
        else:
            self.kind_box.setCurrentIndex(self.kind_box.findData("other_side_effect"))
        sev = QWidget()
        row = QHBoxLayout(sev)
        row.setContentsMargins(0, 0, 0, 0)
        self.severity = QButtonGroup(self)
        self.severity_buttons = {}
        for i, s in enumerate(SEVERITIES):
            b = QRadioButton(s.capitalize())
            b.setAccessibleName(f"Severity {s}")
            self.severity.addButton(b, i)
            self.severity_buttons[s] = b
            row.addWidget(b)
        self.add_field("severity", "Severity:", sev)
        self.medication = self.add_line("medication", "Medication:", placeholder="name")
        self.dose = self.add_line("dose", "Dose:", placeholder="e.g. 4 mg")
        self.route = self.add_line("route", "Route:", "IV")
        self.clinician = self.add_line("clinician", "Clinician:", placeholder="name")
        self.time = self.add_line("time", "Time:", placeholder="HH:MM, blank for now")
        self.note = self.add_text("note", "Note:", "optional (required for 'Other')")
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.ok_button.setText("Record event")

    @property
    def kind(self) -> str:
        return self.kind_box.currentData()

    def _kind_changed(self) -> None:
        kind = self.kind
        self.setWindowTitle(f"Record event: {CHOOSABLE.get(kind, kind)}")
        shown = {"severity": kind in SIDE_EFFECTS, "medication": kind == "medication_given",
                 "dose": kind == "medication_given", "route": kind == "medication_given",
                 "clinician": kind == "clinician_notified"}
        for name, visible in shown.items():
            self.form.setRowVisible(self.fields[name], visible)
        first = {"medication_given": self.medication, "clinician_notified": self.clinician}.get(kind)
        if first is not None:
            first.setFocus()
        elif kind in SIDE_EFFECTS:
            self.severity_buttons["mild"].setFocus()

    def submit(self) -> None:
        kind = self.kind
        severity = ""
        if kind in SIDE_EFFECTS:
            checked = self.severity.checkedId()
            severity = SEVERITIES[checked] if checked >= 0 else ""
        details = {}
        if kind == "medication_given":
            details = {"medication": self.medication.text(), "dose": self.dose.text(), "route": self.route.text()}
        if kind == "clinician_notified":
            details = {"clinician": self.clinician.text()}
        now = self.ctx.now()
        at = parse_clock_time(self.time.text(), now, self.ctx.zone) if self.time.text().strip() else now
        try:
            clinical.record_event(self.ctx.db, self.ctx.signed_in, self.session_id, kind, severity=severity,
                                  note=text_of(self.note), details=details, at=at, now=now)
        except FieldError as exc:
            if exc.field in ("at", "measured_at"):
                raise FieldError("time", exc.message) from None
            raise


class EventsPanel(QWidget):
    changed = Signal()
    dialog_closed = Signal()  # saved or cancelled: the screen puts the cursor back in BP

    def __init__(self, ctx: UiContext, session_id: int, editable: bool, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.session_id = session_id
        self.editable = editable
        title = QLabel("Events")
        title.setFont(sized_font(ctx, 1, bold=True))
        self.list = QListWidget()
        self.list.setAccessibleName("Events")
        self.list.setFont(sized_font(ctx))
        self.list.setWordWrap(True)
        self.error_button = QPushButton("Entered in error\u2026")
        self.error_button.setAccessibleName("Mark the selected event entered in error")
        self.error_button.clicked.connect(self.mark_error)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(self.error_button)
        box.addLayout(head)
        self.quick = QWidget()
        grid = QGridLayout(self.quick)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        self.quick_buttons: dict[str, QPushButton] = {}
        for i, (kind, label) in enumerate(QUICK):
            b = QPushButton(label)
            b.setAccessibleName(f"Record event: {label.rstrip(chr(0x2026))}")
            b.setToolTip(f"Record {label.rstrip(chr(0x2026)).lower()}")
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            b.setStyleSheet("padding: 3px 4px;")  # three to a row in the side panel: the label, not the margin
            # Ordinary type even in large mode: ten buttons stay whole in the side panel at 1366x768.
            quick_font = b.font()
            quick_font.setPointSize(theme.BASE_POINT_SIZE)
            b.setFont(quick_font)
            b.setMinimumWidth(b.fontMetrics().horizontalAdvance(label) + 14)
            b.clicked.connect(lambda _c=False, k=kind: self.record(k))
            grid.addWidget(b, i // 3, i % 3)
            self.quick_buttons[kind or "other"] = b
        box.addWidget(self.quick)
        box.addWidget(self.list, 1)
        self.quick.setVisible(editable)
        self.error_button.setVisible(editable)
        self.events: list[EventView] = []
        self.version: int | None = None

    def set_record(self, record: SessionRecord) -> None:
        self.events = list(record.events)
        self.version = record.version
        self.list.clear()
        for e in self.events:
            item = QListWidgetItem(f"{e.number}.  {fmt_time(e.at, self.ctx.zone)}  {e.summary}")
            tip = f"Recorded {fmt_time(e.recorded_at, self.ctx.zone)} by {e.recorded_by}"
            if e.error is not None:
                f = QFont(self.list.font())
                f.setStrikeOut(True)
                item.setFont(f)
                item.setForeground(QBrush(QColor(theme.MUTED)))
                item.setText(item.text() + f"  \u2717 entered in error: {e.error.reason}")
                tip += f"\nEntered in error by {e.error.by}: {e.error.reason}"
            item.setToolTip(tip)
            self.list.addItem(item)
        self.list.scrollToBottom()
        self.error_button.setEnabled(self.editable and bool(self.events))

    def record(self, kind: str) -> None:
        if EventDialog(self.ctx, self.session_id, kind, self).exec():
            self.changed.emit()
        self.dialog_closed.emit()

    def mark_error(self) -> None:
        row = self.list.currentRow()
        if row < 0 or row >= len(self.events):
            return
        e = self.events[row]
        if e.error is not None:
            return
        if EnteredInErrorDialog(self.ctx, "event", e.id, f"{e.number}. {e.summary}", self.version, self).exec():
            self.changed.emit()
        self.dialog_closed.emit()
