"""Backups in settings: where the copies go, when the last one was made, a failure in words, and Back up now."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from monitor_app.domain.clock import fmt_datetime
from monitor_app.services import backup_status
from monitor_app.storage.db import BACKUPS_KEPT_DAYS
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import MessageLine, call_service


class BackupTab(QWidget):
    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.folder = QLabel()
        self.folder.setObjectName("backupFolder")
        self.folder.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.folder.setWordWrap(True)
        self.last = QLabel()
        self.last.setObjectName("lastBackup")
        self.policy = QLabel()
        self.policy.setWordWrap(True)
        self.policy.setStyleSheet(f"color: {theme.MUTED};")
        self.message = MessageLine()
        self.button = QPushButton("Back up now")
        self.button.setObjectName("backUpNow")
        self.button.setToolTip("Write a copy of the whole archive into the backup folder now")
        self.button.clicked.connect(self.back_up_now)
        form = QFormLayout()
        form.addRow("Backup folder", self.folder)
        form.addRow("Last backup", self.last)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.policy)
        box.addLayout(row)
        box.addWidget(self.message)
        box.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        status = backup_status.status(self.ctx.db)
        self.folder.setText(str(status.folder))
        if status.last_at is None:
            self.last.setText("none yet")
        else:
            self.last.setText(f"{fmt_datetime(status.last_at, self.ctx.zone)} ({status.last_file.name})")
        if status.automatic:
            self.policy.setText(f"Chairside copies the archive here once a day when it starts, and keeps the daily "
                                f"copies {BACKUPS_KEPT_DAYS} days. Copy this folder to another disk regularly: a "
                                f"backup on the same disk is lost with it.")
        else:
            self.policy.setText("This archive is on a database server: its own backups keep it. Back up now "
                                "writes a complete copy (the JSON interchange) into this folder as well.")
        if status.failure:
            self.message.show_error(status.failure)
        else:
            self.message.clear_message()

    def back_up_now(self) -> None:
        ok, made = call_service(self.message, backup_status.back_up_now, self.ctx.db, self.ctx.signed_in)
        self.refresh()  # a failure is remembered, and shown again by refresh
        if ok:
            self.message.show_info(f"Backup written: {made}")
