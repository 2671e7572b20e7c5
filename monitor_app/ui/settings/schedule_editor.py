"""The schedule editor (intervals and minimum observation; used by the schedules tab and the order) and that tab."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from monitor_app.domain.errors import FieldError
from monitor_app.domain.schedule import Schedule
from monitor_app.services import settings as clinic
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.settings.catalogue import CatalogueTab, Entry
from monitor_app.ui.settings.profile_editor import CELL_ERROR
from monitor_app.ui.widgets import ERROR_STYLE

# field, label, allowed range (as Schedule.validate checks it), what it means
MINUTES = (
    ("baseline_window_min", "Baseline window", 1, 240, "the baseline reading must be this recent at the start"),
    ("infusion_interval_min", "Interval during the infusion", 1, 120, "a reading is due this often"),
    ("recovery_interval_min", "Interval in recovery", 1, 120, "a reading is due this often after the infusion"),
    ("min_observation_min", "Minimum observation", 0, 480, "discharge before this needs a documented reason"),
)
OBSERVATION_FROM = (("infusion_end", "the end of the infusion"), ("first_dose", "the first dose (esketamine)"))


def parse_minutes(text: str, field: str, label: str, lo: int, hi: int) -> int:
    text = text.strip()
    if not text.isdigit() or not lo <= int(text) <= hi:
        shown = f"{text!r} is not" if text else "it is blank, not"
        raise FieldError(field, f"{label}: {shown} a whole number of minutes between {lo} and {hi}.")
    return int(text)


class ScheduleEditor(QWidget):
    """Minutes as typed text; a refusal names the field and its range and keeps what was typed."""

    edited = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.fields: dict[str, QLineEdit] = {}
        self._marked: QWidget | None = None
        form = QFormLayout()
        for key, label, lo, hi, meaning in MINUTES:
            edit = QLineEdit()
            edit.setMaximumWidth(80)
            edit.setAccessibleName(label)
            edit.textEdited.connect(lambda _t: self._typed())
            note = QLabel(f"minutes ({lo}-{hi}): {meaning}")
            note.setStyleSheet(f"color: {theme.MUTED};")
            row = QHBoxLayout()
            row.addWidget(edit)
            row.addWidget(note, 1)
            form.addRow(f"{label}:", row)
            self.fields[key] = edit
        self.observation_from = QComboBox()
        self.observation_from.setAccessibleName("Minimum observation counted from")
        for key, label in OBSERVATION_FROM:
            self.observation_from.addItem(label, key)
        self.observation_from.currentIndexChanged.connect(lambda _i: self._typed())
        form.addRow("Observation counted from:", self.observation_from)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setAccessibleName("Schedule message")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.error)

    def set_schedule(self, schedule: Schedule) -> None:
        for key, edit in self.fields.items():
            edit.setText(str(getattr(schedule, key)))
        self.observation_from.blockSignals(True)
        self.observation_from.setCurrentIndex(max(0, self.observation_from.findData(schedule.observation_from)))
        self.observation_from.blockSignals(False)
        self._show_problem(None)

    def set_read_only(self, read_only: bool) -> None:
        for edit in self.fields.values():
            edit.setReadOnly(read_only)
        self.observation_from.setEnabled(not read_only)

    def texts(self) -> dict:
        return {**{k: e.text() for k, e in self.fields.items()}, "observation_from": self.observation_from.currentData()}

    def schedule(self, name: str) -> Schedule:
        try:
            values = {key: parse_minutes(self.fields[key].text(), key, label, lo, hi)
                      for key, label, lo, hi, _m in MINUTES}
            result = Schedule(name=name, observation_from=self.observation_from.currentData(), **values).validate()
        except FieldError as exc:
            self._show_problem(exc)
            raise
        self._show_problem(None)
        return result

    def check(self) -> FieldError | None:
        try:
            self.schedule("check")
        except FieldError as exc:
            return exc
        return None

    def _typed(self) -> None:
        self.check()
        self.edited.emit()

    def _show_problem(self, exc: FieldError | None) -> None:
        if self._marked is not None:
            self._marked.setStyleSheet("")
            self._marked = None
        if exc is None:
            self.error.clear()
            self.error.hide()
            return
        widget = self.fields.get(exc.field)
        if widget is not None:
            widget.setStyleSheet(CELL_ERROR)
            self._marked = widget
        self.error.setText(f"{theme.CRITICAL_SYMBOL} {exc.message}")
        self.error.show()


class SchedulesTab(CatalogueTab):
    noun = "schedule"

    def __init__(self, ctx: UiContext, parent=None):
        self.schedule_editor = ScheduleEditor()
        super().__init__(ctx, self.schedule_editor, parent)
        self.schedule_editor.edited.connect(self.state_changed)

    def load_entries(self) -> list[Entry]:
        self.versions = clinic.versions_of(self.ctx.db, "schedule")  # loaded with the entries, passed back
        return [Entry(sid, sc.name, sc, preset, retired)
                for sid, sc, preset, retired in clinic.list_schedules(self.ctx.db, include_retired=True)]

    def default_id(self) -> int | None:
        return clinic.read_settings(self.ctx.db).default_schedule_id

    def show_value(self, value: Schedule, editable: bool) -> None:
        self.schedule_editor.set_schedule(value)
        self.schedule_editor.set_read_only(not editable)

    def read_value(self, name: str) -> Schedule:
        return self.schedule_editor.schedule(name)

    def editor_state(self):
        return self.schedule_editor.texts()

    def renamed(self, value: Schedule, name: str) -> Schedule:
        return value.with_changes(name=name)

    def service_save(self, value: Schedule, entry_id: int | None, reason: str) -> int:
        return clinic.save_schedule(self.ctx.db, self.ctx.signed_in, value, entry_id, reason=reason,
                                    expected_version=self.versions.get(entry_id))

    def service_retire(self, entry_id: int) -> None:
        clinic.retire_schedule(self.ctx.db, self.ctx.signed_in, entry_id,
                               expected_version=self.versions.get(entry_id))

    def service_default(self, entry_id: int) -> None:
        clinic.set_default_schedule(self.ctx.db, self.ctx.signed_in, entry_id)
