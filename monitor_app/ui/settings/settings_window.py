"""The settings window: threshold profiles, monitoring schedules, clinic details and users, one tab each."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QTabWidget, QVBoxLayout

from monitor_app.domain.thresholds import PRESET_NOTE
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.settings.backup_tab import BackupTab
from monitor_app.ui.settings.clinic_tab import ClinicTab
from monitor_app.ui.settings.profile_editor import ProfilesTab
from monitor_app.ui.settings.schedule_editor import SchedulesTab
from monitor_app.ui.settings.users_tab import UsersTab


class SettingsWindow(QDialog):
    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Chairside settings")
        area = self.screen().availableGeometry()
        self.resize(min(1240, area.width() - 40), min(900, area.height() - 40))
        self.profiles = ProfilesTab(ctx)
        self.schedules = SchedulesTab(ctx)
        self.clinic = ClinicTab(ctx)
        self.users = UsersTab(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.profiles, "Threshold profiles")
        self.tabs.addTab(self.schedules, "Monitoring schedules")
        self.tabs.addTab(self.clinic, "Clinic details")
        self.tabs.addTab(self.users, "Users")
        self.backups = BackupTab(ctx)
        self.tabs.addTab(self.backups, "Backups")
        note = QLabel(f"Alert limits and schedules are documentation aids. Presets are an {PRESET_NOTE[0].lower()}"
                      f"{PRESET_NOTE[1:]} Every change is kept in the audit trail with its before and after.")
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {theme.MUTED};")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    def unsaved(self) -> list[str]:
        return [name for name, tab in (("threshold profile", self.profiles), ("schedule", self.schedules))
                if tab.dirty]

    def reject(self) -> None:  # Close, Escape and the window's close box all come here
        pending = self.unsaved()
        if pending:
            answer = QMessageBox.question(
                self, "Unsaved changes", f"The {' and the '.join(pending)} you are editing has unsaved changes. "
                "Close and discard them?", QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Cancel)
            if answer != QMessageBox.Discard:
                return
        super().reject()
