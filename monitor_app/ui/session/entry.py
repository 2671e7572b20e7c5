"""The one-line reading entry: time, BP, HR, SpO2, then optional RR, MOAA/S, NRS and comment; Enter saves."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from monitor_app.domain.clock import parse_clock_time
from monitor_app.domain.errors import ChairsideError, FieldError
from monitor_app.domain.vitals import format_bp, parse_vitals
from monitor_app.services import clinical
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import InlineError, clock, sized_font
from monitor_app.ui.widgets import hold_size

# (key, label, placeholder, width in characters); the core reading comes first after the time.
FIELDS = (
    ("time", "Time", "now", 6),
    ("bp", "BP", "128/82", 8),
    ("heart_rate", "HR", "/min", 5),
    ("spo2", "SpO2", "%", 5),
    ("resp_rate", "RR", "/min", 5),
    ("moaas", "MOAA/S", "0-5", 5),
    ("pain_nrs", "NRS", "0-10", 5),
    ("comment", "Comment", "optional", 0),
)
ACCESSIBLE = {"time": "Measured at (HH:MM, blank for now)", "bp": "Blood pressure, systolic/diastolic",
              "heart_rate": "Heart rate per minute", "spo2": "SpO2 percent", "resp_rate": "Respiratory rate",
              "moaas": "MOAA/S sedation score", "pain_nrs": "Pain NRS", "comment": "Comment"}
# Where a refusal of the service points to on this line.
FIELD_OF_ERROR = {"systolic": "bp", "diastolic": "bp", "measured_at": "time"}

SAVED_STYLE = f"QLabel {{ color: {theme.GREEN}; font-weight: bold; padding: 1px 6px; }}"
CRITICAL_SAVED_STYLE = (f"QLabel {{ color: white; background: {theme.VERMILION}; font-weight: bold; "
                        "padding: 1px 6px; border-radius: 3px; }")
_BAD_FIELD = f"QLineEdit {{ border: 2px solid {theme.VERMILION}; background: #f9d0bd; }}"


class ReadingEntry(QWidget):
    """Types a reading without the mouse; a refusal shows inline and keeps everything typed."""

    saved = Signal(object)  # (the new reading as its record shows it, the session's version)

    def __init__(self, ctx: UiContext, session_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session_id = session_id
        self.setFont(sized_font(ctx, 1))
        self.edits: dict[str, QLineEdit] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        char = self.fontMetrics().horizontalAdvance("0")
        for col, (key, label, placeholder, width) in enumerate(FIELDS):
            caption = QLabel(label)
            caption.setFont(sized_font(ctx, -1))
            caption.setStyleSheet(f"color: {theme.MUTED};")
            edit = QLineEdit()
            edit.setObjectName(f"entry_{key}")
            edit.setPlaceholderText(placeholder)
            edit.setAccessibleName(ACCESSIBLE[key])
            edit.setToolTip(ACCESSIBLE[key])
            if width:
                edit.setFixedWidth(char * width + 24)
            edit.returnPressed.connect(self.save)
            edit.textEdited.connect(lambda _t, k=key: self._unmark(k))
            caption.setBuddy(edit)
            if key == "comment":  # the confirmation of the last save sits on the caption line, right-aligned
                self.comment_caption = caption
            else:
                grid.addWidget(caption, 0, col)
            grid.addWidget(edit, 1, col)
            self.edits[key] = edit
        grid.setColumnStretch(len(FIELDS) - 1, 1)
        self.save_button = QPushButton("Save reading")
        self.save_button.setAccessibleName("Save reading")
        self.save_button.setToolTip("Save the reading (Enter in any field)")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        grid.addWidget(self.save_button, 1, len(FIELDS))

        self.error = InlineError(self)
        self.confirmation = QLabel()
        self.confirmation.setObjectName("entry_confirmation")
        self.confirmation.setAccessibleName("Last saved reading")
        self.confirmation.setStyleSheet(SAVED_STYLE)
        self._critical_style = False
        hold_size(self.confirmation, f"{theme.CRITICAL_SYMBOL} Saved 00:00 \u2014 5 critical: SYS 888, DIA 888, "
                                     "HR 888, SpO2 100, RR 88")
        caption_row = QHBoxLayout()
        caption_row.setContentsMargins(0, 0, 0, 0)
        caption_row.addWidget(self.comment_caption)
        caption_row.addStretch(1)
        caption_row.addWidget(self.confirmation)
        grid.addLayout(caption_row, 0, len(FIELDS) - 1, 1, 2)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(grid)
        box.addWidget(self.error)  # shown only with a refusal, under the fields
        keys = [k for k, *_ in FIELDS]
        for a, b in zip(keys, keys[1:]):
            QWidget.setTabOrder(self.edits[a], self.edits[b])
        QWidget.setTabOrder(self.edits[keys[-1]], self.save_button)
        self.bad_field: str | None = None

    # -- what the nurse typed
    def texts(self) -> dict[str, str]:
        return {k: e.text() for k, e in self.edits.items()}

    def focus_bp(self) -> None:
        self.edits["bp"].setFocus(Qt.FocusReason.OtherFocusReason)

    def save(self) -> None:
        t = self.texts()
        now = self.ctx.now()
        try:
            measured_at: datetime = parse_clock_time(t["time"], now, self.ctx.zone) if t["time"].strip() else now
            vitals = parse_vitals(t["bp"], t["heart_rate"], t["spo2"], t["resp_rate"], t["moaas"], t["pain_nrs"],
                                  t["comment"])
            shown = clinical.record_reading_shown(self.ctx.db, self.ctx.signed_in, self.session_id, vitals,
                                                  measured_at=measured_at, now=now)
        except FieldError as exc:
            self._refuse(FIELD_OF_ERROR.get(exc.field, exc.field), exc.message)
            return
        except ChairsideError as exc:
            self._refuse(None, str(exc))
            return
        self._clear()
        parts = [format_bp(vitals.systolic, vitals.diastolic)]
        if vitals.heart_rate is not None:
            parts.append(f"HR {vitals.heart_rate}")
        if vitals.spo2 is not None:
            parts.append(f"SpO2 {vitals.spo2}%")
        self.confirmation.setText(f"\u2713 Saved {clock(measured_at, self.ctx)}  "
                                  + ", ".join(p for p in parts if p))
        if self._critical_style:
            self.confirmation.setStyleSheet(SAVED_STYLE)
            self._critical_style = False
        self.saved.emit(shown)

    def show_saved(self, reading) -> None:
        """The confirmation of the reading just saved: its critical values in the critical style, named."""
        from monitor_app.domain.thresholds import Level
        from monitor_app.ui.session.header import short_flag
        critical = [f for f in reading.flags if f.level == Level.CRITICAL]
        if not critical:
            if self._critical_style:
                self.confirmation.setStyleSheet(SAVED_STYLE)
                self._critical_style = False
            return
        n = len(critical)
        self.confirmation.setText(f"{theme.CRITICAL_SYMBOL} Saved {clock(reading.measured_at, self.ctx)} \u2014 "
                                  f"{n} critical: " + ", ".join(short_flag(f) for f in critical))
        if not self._critical_style:
            self.confirmation.setStyleSheet(CRITICAL_SAVED_STYLE)
            self._critical_style = True

    def _refuse(self, field: str | None, message: str) -> None:
        self.confirmation.setText("")
        if self._critical_style:
            self.confirmation.setStyleSheet(SAVED_STYLE)
            self._critical_style = False
        self.error.show_message(message)
        self._unmark(None)
        if field in self.edits:
            self.bad_field = field
            edit = self.edits[field]
            edit.setStyleSheet(_BAD_FIELD)
            edit.setFocus(Qt.FocusReason.OtherFocusReason)
            edit.end(False)

    def _unmark(self, key: str | None) -> None:
        if self.bad_field is not None and (key is None or key == self.bad_field):
            self.edits[self.bad_field].setStyleSheet("")
            self.bad_field = None

    def _clear(self) -> None:
        self._unmark(None)
        self.error.clear_message()
        for e in self.edits.values():
            e.clear()
        self.focus_bp()
