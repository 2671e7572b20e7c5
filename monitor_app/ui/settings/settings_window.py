"""The settings window: threshold profiles, monitoring schedules, clinic details and users, one tab each."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QMessageBox, QTabWidget, QVBoxLayout

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
        QApplication.instance().focusWindowChanged.connect(self._focus_window_changed)

    def _focus_window_changed(self, window) -> None:
        """A question, file or password dialog of this window took the keyboard: take it back when it closes.

        A desktop's window manager usually re-activates the window under a closed dialog, but not every one does
        (nor the offscreen platform): without this, the next click or key in Settings would go nowhere.
        """
        if window is None or window is self.windowHandle() or window.transientParent() is not self.windowHandle():
            return
        dialog = QApplication.activeWindow()
        if dialog is None or dialog.windowHandle() is not window:
            return
        if dialog.isVisible():
            dialog.installEventFilter(self)  # a dialog that closes is hidden (and said so) before it goes
        else:  # answered already, before its activation arrived
            QTimer.singleShot(0, self, self._take_keyboard_back)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Hide and watched.isWindow():
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self._take_keyboard_back)
        return False

    def _take_keyboard_back(self) -> None:
        if self.isVisible() and QApplication.activeModalWidget() is None and QApplication.activeWindow() is None:
            self.activateWindow()

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
