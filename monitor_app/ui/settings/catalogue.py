"""What the profile and schedule tabs share: the list, duplicate, rename, retire, clinic default, save, read-only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QSplitter, QVBoxLayout, QWidget)

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.errors import ChairsideError, FieldError
from monitor_app.domain.thresholds import PRESET_NOTE
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import MessageLine


@dataclass
class Entry:
    id: int
    name: str
    value: Any
    preset: bool
    retired: bool


def copy_name(name: str, taken: set[str]) -> str:
    """"X (copy)", then "X (copy 2)"... the first one nobody uses (names are unique)."""
    base = f"{name} (copy)"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{name} (copy {n})", n + 1
    return candidate[:120]


class CatalogueTab(QWidget):
    """A list on the left, the selected entry's editor on the right. Subclasses supply the editor and services."""

    noun = "profile"  # "profile" or "schedule", as said to the user
    permission = "configure_monitoring"

    def __init__(self, ctx: UiContext, editor: QWidget, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.editor = editor
        self.entries: list[Entry] = []
        self.current: Entry | None = None
        self._loaded_state: Any = None
        self.can_edit = ctx.actor is not None and ctx.actor.can(self.permission)

        # Left: the list and what can be done with an entry.
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAccessibleName(f"Threshold {self.noun}s" if self.noun == "profile" else "Monitoring schedules")
        self.list.setMinimumWidth(240)
        self.list.setStyleSheet("QListWidget::item { padding: 6px 4px; border-bottom: 1px solid #d5dbe1; }"
                                f"QListWidget::item:selected {{ background: #cfe3f3; color: {theme.INK}; }}")
        self.list.currentRowChanged.connect(self._row_changed)
        self.show_retired = QCheckBox("Show retired")
        self.show_retired.toggled.connect(self._toggle_retired)
        self.duplicate_button = QPushButton("Duplicate")
        self.retire_button = QPushButton("Retire\u2026")
        self.default_button = QPushButton("Make clinic default")
        self.duplicate_button.setToolTip(f"A new {self.noun} starting from a copy of this one")
        self.retire_button.setToolTip("No longer offered for new sessions; sessions that used it keep it. "
                                      "Nothing is deleted.")
        self.default_button.setToolTip(f"New sessions use this {self.noun} unless another is chosen")
        self.duplicate_button.clicked.connect(self.duplicate)
        self.retire_button.clicked.connect(self.retire)
        self.default_button.clicked.connect(self.make_default)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.list, 1)
        left.addWidget(self.show_retired)
        actions = QHBoxLayout()
        for b in (self.duplicate_button, self.retire_button):
            actions.addWidget(b)
        left.addLayout(actions)
        left.addWidget(self.default_button)

        # Right: name, status line, the editor, the message, save.
        self.read_only_note = QLabel(f"Only a charge nurse or an administrator changes {self.noun}s. "
                                     "Shown read-only.")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setStyleSheet(f"color: {theme.INK}; background: {theme.PANEL}; padding: 6px;")
        self.read_only_note.setVisible(not self.can_edit)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(f"{self.noun.capitalize()} name")
        self.name_edit.setMaxLength(120)
        self.name_edit.textEdited.connect(lambda _t: self.state_changed())
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {theme.MUTED};")
        self.reason_edit = QLineEdit()
        self.reason_edit.setAccessibleName("Reason for the change")
        self.reason_edit.setPlaceholderText("optional; kept in the audit trail")
        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        self.message = MessageLine()
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(False)
        self.save_button.setAutoDefault(False)
        self.revert_button = QPushButton("Undo changes")
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Reason:"))
        buttons.addWidget(self.reason_edit, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.read_only_note)
        right.addLayout(form)
        right.addWidget(self.status)
        right.addWidget(editor)
        self.extra = QVBoxLayout()  # subclasses add below the editor (the preview)
        right.addLayout(self.extra, 1)
        right.addWidget(self.message)
        right.addLayout(buttons)

        split = QSplitter(Qt.Horizontal)
        lw, rw = QWidget(), QWidget()
        lw.setLayout(left)
        rw.setLayout(right)
        split.addWidget(lw)
        split.addWidget(rw)
        split.setStretchFactor(1, 1)
        split.setSizes([280, 820])
        outer = QVBoxLayout(self)
        outer.addWidget(split)
        for w in (self.duplicate_button, self.retire_button, self.default_button, self.save_button,
                  self.revert_button, self.reason_edit):
            w.setVisible(self.can_edit)
        self.reload()

    # -- what subclasses provide
    def load_entries(self) -> list[Entry]:
        raise NotImplementedError

    def default_id(self) -> int | None:
        raise NotImplementedError

    def show_value(self, value: Any, editable: bool) -> None:
        raise NotImplementedError

    def read_value(self, name: str) -> Any:
        """The edited value under `name`; raises FieldError (and marks the field) when something is refused."""
        raise NotImplementedError

    def editor_state(self) -> Any:
        """Everything typed, to tell whether there are unsaved changes."""
        raise NotImplementedError

    def renamed(self, value: Any, name: str) -> Any:
        raise NotImplementedError

    def service_save(self, value: Any, entry_id: int | None, reason: str) -> int:
        raise NotImplementedError

    def service_retire(self, entry_id: int) -> None:
        raise NotImplementedError

    def service_default(self, entry_id: int) -> None:
        raise NotImplementedError

    def in_use(self, entry_id: int) -> bool:
        return False

    # -- the list
    def reload(self, select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else (self.current.id if self.current else None)
        self.entries = [e for e in self.load_entries() if self.show_retired.isChecked() or not e.retired]
        default = self.default_id()
        self.list.blockSignals(True)
        self.list.clear()
        for e in self.entries:
            lines = [e.name]
            tags = [t for t, on in (("Clinic default", e.id == default), ("Retired", e.retired)) if on]
            if tags:
                lines.append(" \u00b7 ".join(tags))
            if e.preset:
                lines.append(f"Preset: {PRESET_NOTE}")
            item = QListWidgetItem("\n".join(lines))
            item.setData(Qt.UserRole, e.id)
            item.setToolTip("\n".join(lines))
            if e.retired:
                item.setForeground(QColor(theme.MUTED))
            self.list.addItem(item)
        row = next((i for i, e in enumerate(self.entries) if e.id == keep), None)
        if row is None:
            row = next((i for i, e in enumerate(self.entries) if e.id == default), 0)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self._show(self.entries[row] if self.entries else None)

    def _toggle_retired(self, on: bool) -> None:
        if self.dirty and not self._may_leave():
            self.show_retired.blockSignals(True)
            self.show_retired.setChecked(not on)
            self.show_retired.blockSignals(False)
            return
        self.reload()

    def _row_changed(self, row: int) -> None:
        entry = self.entries[row] if 0 <= row < len(self.entries) else None
        if entry is self.current:
            return
        if self.dirty and not self._may_leave():
            self.list.blockSignals(True)
            self.list.setCurrentRow(self.entries.index(self.current))
            self.list.blockSignals(False)
            return
        self._show(entry)

    def _may_leave(self) -> bool:
        answer = QMessageBox.question(
            self, "Unsaved changes", f"The {self.noun} {self.current.name!r} has unsaved changes. Discard them?",
            QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Cancel)
        return answer == QMessageBox.Discard

    def _show(self, entry: Entry | None) -> None:
        self.current = entry
        self.message.clear_message()
        editable = self.can_edit and entry is not None and not entry.retired
        self.name_edit.setText(entry.name if entry else "")
        self.name_edit.setReadOnly(not editable)
        if entry is not None:
            self.show_value(entry.value, editable)
        self.reason_edit.clear()
        self._loaded_state = self.state()
        self._update_status()
        self.state_changed()

    def _update_status(self) -> None:
        e = self.current
        if e is None:
            self.status.setText("")
            return
        parts = []
        if e.id == self.default_id():
            parts.append(f"The clinic default: new sessions use this {self.noun}.")
        if e.preset:
            parts.append(f"Preset: {PRESET_NOTE}")
        if e.retired:
            parts.append("Retired: no longer offered for new sessions.")
        if self.in_use(e.id):
            parts.append("Used by sessions: they keep the copy they started with; a change here applies to "
                         "sessions started after it.")
        self.status.setText(" ".join(parts))

    # -- editing
    def state(self) -> Any:
        return (self.name_edit.text(), self.editor_state())

    @property
    def dirty(self) -> bool:
        return self.current is not None and self.state() != self._loaded_state

    def state_changed(self) -> None:
        e = self.current
        editable = self.can_edit and e is not None and not e.retired
        self.save_button.setEnabled(editable and self.dirty)
        self.revert_button.setEnabled(editable and self.dirty)
        self.duplicate_button.setEnabled(self.can_edit and e is not None)
        self.retire_button.setEnabled(self.can_edit and e is not None and not e.retired
                                      and e.id != self.default_id())
        self.default_button.setEnabled(self.can_edit and e is not None and not e.retired
                                       and e.id != self.default_id())

    def revert(self) -> None:
        self._show(self.current)

    def _run(self, action, done: str) -> Any:
        try:
            result = action()
        except FieldError as exc:
            self.message.show_error(exc.message)
            if exc.field == "name":
                self.name_edit.setFocus()
            return None
        except ChairsideError as exc:
            self.message.show_error(str(exc))
            return None
        return result if result is not None else True

    def save(self) -> bool:
        if self.current is None:
            return False
        entry = self.current

        def action():
            value = self.read_value(self.name_edit.text())
            return self.service_save(value, entry.id, self.reason_edit.text().strip())
        saved = self._run(action, "saved")
        if saved is None:
            return False
        self._loaded_state = self.state()
        self.reload(select_id=saved)
        self.message.show_info(f"Saved {self.current.name!r} at {self._clock()}. Sessions already started keep "
                               f"the {self.noun} they started with.")
        return True

    def duplicate(self) -> None:
        if self.current is None or (self.dirty and not self._may_leave()):
            return
        taken = {e.name for e in self.load_entries()}
        name = copy_name(self.current.name, taken)
        new_id = self._run(lambda: self.service_save(self.renamed(self.current.value, name), None,
                                                     f"Duplicated from {self.current.name}"), "duplicated")
        if new_id is None:
            return
        self.reload(select_id=new_id)
        self.name_edit.setFocus()
        self.name_edit.selectAll()
        self.message.show_info(f"Created {name!r} as a copy. Rename it and change what you need, then save.")

    def retire(self) -> None:
        e = self.current
        if e is None:
            return
        answer = QMessageBox.question(
            self, f"Retire {self.noun}",
            f"Retire {e.name!r}? It will no longer be offered for new sessions. Sessions that used it keep it; "
            "nothing is deleted.", QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
        if answer != QMessageBox.Yes:
            return
        if self._run(lambda: self.service_retire(e.id), "retired") is None:
            return
        self._loaded_state = self.state()
        self.reload()
        self.message.show_info(f"Retired {e.name!r}.")

    def make_default(self) -> None:
        e = self.current
        if e is None:
            return
        if self._run(lambda: self.service_default(e.id), "default") is None:
            return
        self.reload(select_id=e.id)
        self.message.show_info(f"{e.name!r} is now the clinic default for new sessions.")

    def _clock(self) -> str:
        now: datetime = self.ctx.now()
        return fmt_time(now, self.ctx.zone)
