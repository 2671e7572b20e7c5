"""The open flags list and the acknowledgement of a flag with the action taken."""
from __future__ import annotations

import bisect
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.record import FlagView, ReadingView, SessionRecord
from monitor_app.domain.session import ACK_ACTIONS
from monitor_app.domain.thresholds import Level
from monitor_app.domain.errors import ConcurrentEdit
from monitor_app.services import clinical, queries
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import FormDialog, sized_font
from monitor_app.ui.widgets import hold_size


def flag_line(flag: FlagView, measured_at, zone) -> str:
    return f"{flag.symbol} {fmt_time(measured_at, zone)}  {flag.description}"


def done_line(flag: FlagView, measured_at, zone) -> str:
    """An acknowledged (or corrected-away) flag: what it was, what was done, by whom and when."""
    if flag.ack is None:
        return f"\u2713 {fmt_time(measured_at, zone)}  {flag.description} \u2014 no longer applies (corrected)"
    action = ACK_ACTIONS.get(flag.ack.action, flag.ack.action)
    if flag.ack.action_text:
        action = f"{action}: {flag.ack.action_text}"
    return (f"\u2713 {fmt_time(measured_at, zone)}  {flag.description} \u2014 {action} "
            f"({flag.ack.by}, {fmt_time(flag.ack.at, zone)})")


class AcknowledgeDialog(FormDialog):
    """One acknowledgement, one action, for every open flag of one reading."""

    def __init__(self, ctx: UiContext, flags: list[FlagView], measured_at, parent=None):
        super().__init__(ctx, "Acknowledge flags" if len(flags) > 1 else "Acknowledge flag", parent)
        self.flags = flags
        lines = "<br>".join(f"<b>{escape(flag_line(f, measured_at, ctx.zone))}</b> ({f.level.value})" for f in flags)
        what = f"All {len(flags)} open flags of the reading at {fmt_time(measured_at, ctx.zone)}:" \
            if len(flags) > 1 else "Open flag:"
        self.set_intro(f"{what}<br>{lines}")
        self.versions_seen = {f.id: f.version for f in flags}
        self.action = self.add_field("action", "Action taken:", QComboBox())
        for key, label in ACK_ACTIONS.items():
            self.action.addItem(label, key)
        self.action_text = self.add_line("action_text", "Details:", placeholder="required for 'Other'")
        self.ok_button.setText("Acknowledge all" if len(flags) > 1 else "Acknowledge")

    def submit(self) -> None:
        try:
            clinical.acknowledge_flags(self.ctx.db, self.ctx.signed_in, [f.id for f in self.flags],
                                       self.action.currentData(), self.action_text.text(),
                                       versions_seen=self.versions_seen, now=self.ctx.now())
        except ConcurrentEdit:
            # Another workstation changed a flag meanwhile: the retry is checked against the flags as they now are.
            self.versions_seen = {f.id: queries.version_of(self.ctx.db, self.ctx.signed_in, "flag", f.id)
                                  for f in self.flags}
            raise


class FlagsPanel(QWidget):
    """Open flags on top (critical first), acknowledged ones below, greyed, with their action, who and when."""

    changed = Signal()
    dialog_closed = Signal()  # acknowledged or cancelled: the screen puts the cursor back in BP

    def __init__(self, ctx: UiContext, editable: bool, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.editable = editable
        self.title = QLabel("Open flags")
        self.title.setFont(sized_font(ctx, 1, bold=True))
        hold_size(self.title, f"Open flags: 88 ({theme.CRITICAL_SYMBOL} 88 critical)")
        self.list = QListWidget()
        self.list.setAccessibleName("Flags")
        self.list.setFont(sized_font(ctx))
        self.list.setWordWrap(True)
        self.ack_button = QPushButton("&Acknowledge\u2026")
        self.ack_button.setAccessibleName("Acknowledge the selected flag")
        self.ack_button.setToolTip("Document the action taken for the open flags of the selected flag's reading "
                                   "(Alt+A)")
        self.ack_button.clicked.connect(self.acknowledge)
        self.list.itemActivated.connect(lambda _i: self.acknowledge())
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.ack_button)
        box.addLayout(head)
        box.addWidget(self.list, 1)
        self.ack_button.setVisible(editable)
        self.flags: list[tuple[FlagView, object]] = []  # the open ones, in the list's order
        self.done: list[tuple[FlagView, object]] = []

    def set_record(self, record: SessionRecord) -> None:
        measured = {r.id: r.measured_at for r in record.readings if not r.entered_in_error}
        self.flags = sorted(((f, measured.get(f.reading_id)) for f in record.open_flags), key=self._order)
        self.done = sorted(((f, measured[f.reading_id]) for f in record.flags
                            if not f.is_open and f.reading_id in measured),
                           key=lambda e: e[1], reverse=True)
        self.list.clear()
        for f, at in self.flags:
            self.list.addItem(self._item(f, at))
        for f, at in self.done:
            self.list.addItem(self._done_item(f, at))
        if self.flags:
            self.list.setCurrentRow(0)
        self._update_title()

    def add_reading(self, reading: ReadingView) -> None:
        """The flags of a reading just saved, each put in its place: the cheap update after a save."""
        for f in reading.flags:
            if not f.is_open:
                continue
            entry = (f, reading.measured_at)
            row = bisect.bisect([self._order(e) for e in self.flags], self._order(entry))
            self.flags.insert(row, entry)
            self.list.insertItem(row, self._item(*entry))
        if self.flags and self.list.currentRow() < 0:
            self.list.setCurrentRow(0)
        self._update_title()

    @staticmethod
    def _order(entry: tuple[FlagView, object]):
        """Critical first, then by time, so the worst is on top."""
        flag, at = entry
        return flag.level != Level.CRITICAL, at

    def _item(self, flag: FlagView, at) -> QListWidgetItem:
        item = QListWidgetItem(flag_line(flag, at, self.ctx.zone))
        item.setBackground(QBrush(QColor(theme.LEVEL_BACKGROUND[flag.level])))
        item.setData(Qt.ItemDataRole.UserRole, flag.id)
        item.setToolTip(f"{flag.level.value.capitalize()} flag, not yet acknowledged")
        if flag.level == Level.CRITICAL:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        return item

    def _done_item(self, flag: FlagView, at) -> QListWidgetItem:
        item = QListWidgetItem(done_line(flag, at, self.ctx.zone))
        item.setForeground(QBrush(QColor(theme.MUTED)))
        item.setData(Qt.ItemDataRole.UserRole, flag.id)
        item.setToolTip(f"{flag.level.value.capitalize()} flag, acknowledged")
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
        return item

    def _update_title(self) -> None:
        critical = sum(1 for f, _ in self.flags if f.level == Level.CRITICAL)
        if not self.flags:
            self.title.setText("Open flags: none")
            style = ""
        else:
            self.title.setText(f"Open flags: {len(self.flags)}"
                               + (f" ({theme.CRITICAL_SYMBOL} {critical} critical)" if critical else ""))
            style = f"color: {theme.VERMILION if critical else theme.INK};"
        if self.title.styleSheet() != style:  # a new style sheet re-polishes the label: only when it changes
            self.title.setStyleSheet(style)
        self.ack_button.setEnabled(self.editable and bool(self.flags))

    def acknowledge(self) -> None:
        if not self.editable or not self.flags:
            return
        row = self.list.currentRow()
        if not 0 <= row < len(self.flags):
            row = 0
        flag, at = self.flags[row]
        same_reading = [f for f, _at in self.flags if f.reading_id == flag.reading_id]
        if AcknowledgeDialog(self.ctx, same_reading, at, self).exec():
            self.changed.emit()
        self.dialog_closed.emit()
