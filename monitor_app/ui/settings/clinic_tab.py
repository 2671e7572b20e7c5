"""Clinic details: name, address, logo, page size, time zone, inactivity lock, discharge scale, checklist."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import available_timezones

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QCompleter, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from monitor_app.domain.discharge import SCALES, scale_name
from monitor_app.domain.errors import ChairsideError, ConcurrentEdit, FieldError
from monitor_app.services import settings as clinic
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import FieldMessages, MessageLine

LOGO_MAX_BYTES = 2 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_logo(path: str) -> bytes:
    data = Path(path).read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        raise FieldError("logo_png", "The logo must be a PNG file.")
    if len(data) > LOGO_MAX_BYTES:
        raise FieldError("logo_png", "The logo must be at most 2 MB.")
    return data


class ClinicTab(QWidget):
    """Administrators change these; everyone else sees them read-only."""

    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.can_edit = ctx.actor is not None and ctx.actor.can("clinic_settings")
        self.logo: bytes | None = None  # None: unchanged; b"": removed; bytes: a new logo
        self.fields = FieldMessages()
        self.message = MessageLine()

        self.name = QLineEdit()
        self.name.setMaxLength(200)
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.address.fontMetrics().lineSpacing() * 4 + 12)
        self.logo_preview = QLabel()
        self.logo_preview.setFixedSize(160, 60)
        self.logo_preview.setAlignment(Qt.AlignCenter)
        self.logo_preview.setStyleSheet(f"background: {theme.PANEL};")
        self.logo_choose = QPushButton("Choose PNG\u2026")
        self.logo_remove = QPushButton("Remove logo")
        self.logo_choose.clicked.connect(self.choose_logo)
        self.logo_remove.clicked.connect(self.remove_logo)
        self.page_size = QComboBox()
        self.page_size.addItems(list(clinic.PAGE_SIZES))
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        zones = sorted(available_timezones())
        self.timezone.addItems(["", *zones])
        self.timezone.setCompleter(QCompleter(zones, self.timezone))
        self.timezone.completer().setCaseSensitivity(Qt.CaseInsensitive)
        self.lock = QSpinBox()
        self.lock.setRange(1, 120)
        self.lock.setSuffix(" minutes")
        self.scale = QComboBox()
        for key in SCALES:
            self.scale.addItem(scale_name(key), key)
        self.checklist = QPlainTextEdit()
        self.checklist.setTabChangesFocus(True)
        self.checklist.setPlaceholderText("one item per line")
        self.checklist.setFixedHeight(self.checklist.fontMetrics().lineSpacing() * 6 + 12)

        form = QFormLayout()
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_preview)
        logo_row.addWidget(self.logo_choose)
        logo_row.addWidget(self.logo_remove)
        logo_row.addStretch(1)
        for key, label, widget in (("name", "Clinic name:", self.name), ("address", "Address:", self.address),
                                   ("logo_png", "Logo (PNG):", logo_row), ("page_size", "PDF page size:",
                                                                          self.page_size),
                                   ("timezone", "Time zone:", self.timezone),
                                   ("inactivity_lock_min", "Inactivity lock after:", self.lock),
                                   ("discharge_scale", "Discharge scale:", self.scale),
                                   ("checklist_items", "Pre-infusion checklist:", self.checklist)):
            if isinstance(widget, QWidget):
                widget.setAccessibleName(label.rstrip(":"))
            form.addRow(label, widget)
            anchor = widget if isinstance(widget, QWidget) else self.logo_choose
            form.addRow("", self.fields.label_for(key, anchor))

        self.read_only_note = QLabel("Only an administrator changes the clinic details. Shown read-only.")
        self.read_only_note.setStyleSheet(f"background: {theme.PANEL}; padding: 6px;")
        self.read_only_note.setVisible(not self.can_edit)
        self.save_button = QPushButton("Save clinic details")
        self.save_button.clicked.connect(self.save)
        self.save_button.setVisible(self.can_edit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_only_note)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(buttons)
        for w in (self.name, self.address, self.checklist):
            w.setReadOnly(not self.can_edit)
        for w in (self.page_size, self.timezone, self.lock, self.scale, self.logo_choose, self.logo_remove):
            w.setEnabled(self.can_edit)
        self.load()

    def load(self) -> None:
        cs = clinic.read_settings(self.ctx.db)
        self.version = cs.version
        self.name.setText(cs.name)
        self.address.setPlainText(cs.address or "")
        self.page_size.setCurrentText(cs.page_size)
        self.timezone.setCurrentText(cs.timezone or "")
        self.lock.setValue(cs.inactivity_lock_min)
        self.scale.setCurrentIndex(max(0, self.scale.findData(cs.discharge_scale)))
        self.checklist.setPlainText("\n".join(cs.checklist_items or []))
        self.logo = None
        self._show_logo(cs.logo_png)

    def _show_logo(self, data: bytes | None) -> None:
        if data:
            pix = QPixmap()
            pix.loadFromData(data)
            self.logo_preview.setPixmap(pix.scaled(self.logo_preview.size(), Qt.KeepAspectRatio,
                                                   Qt.SmoothTransformation))
        else:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("no logo")

    def choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Clinic logo", "", "PNG images (*.png)")
        if path:
            self.set_logo_file(path)

    def set_logo_file(self, path: str) -> bool:
        self.fields.clear()
        try:
            self.logo = read_logo(path)
        except FieldError as exc:
            self.fields.show(exc)
            return False
        except OSError as exc:
            self.fields.show(FieldError("logo_png", f"The file cannot be read: {exc.strerror}."))
            return False
        self._show_logo(self.logo)
        return True

    def remove_logo(self) -> None:
        self.logo = b""
        self._show_logo(None)

    def details(self) -> clinic.ClinicDetails:
        return clinic.ClinicDetails(
            name=self.name.text(), address=self.address.toPlainText(), page_size=self.page_size.currentText(),
            timezone=self.timezone.currentText().strip(), inactivity_lock_min=self.lock.value(),
            discharge_scale=self.scale.currentData(),
            checklist_items=tuple(line for line in self.checklist.toPlainText().splitlines() if line.strip()),
            logo_png=self.logo)

    def save(self) -> bool:
        self.fields.clear()
        self.message.clear_message()
        try:
            clinic.update_clinic(self.ctx.db, self.ctx.signed_in, self.details(),
                                 expected_version=getattr(self, "version", None))
        except ConcurrentEdit as exc:
            # What was typed stays; the retry is checked against the settings as they now stand.
            self.version = clinic.read_settings(self.ctx.db).version
            self.message.show_error(str(exc))
            return False
        except FieldError as exc:
            if not self.fields.show(exc):
                self.message.show_error(exc.message)
            return False
        except ChairsideError as exc:
            self.message.show_error(str(exc))
            return False
        self.ctx.reload_settings()
        self.load()
        self.message.show_info("Clinic details saved. The time zone and lock apply from the next sign-in.")
        return True
