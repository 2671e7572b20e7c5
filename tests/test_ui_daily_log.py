"""The charge nurse prints today's daily clinic log from the floor: the preview shows it, a nurse has no button."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication, QPushButton

from monitor_app.services import users
from monitor_app.services.demo import create_demo
from monitor_app.storage.db import open_database
from monitor_app.ui import errors
from monitor_app.ui.context import UiContext
from monitor_app.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def no_error_dialog(monkeypatch, tmp_path):
    errors.set_error_dialog_enabled(False)
    import monitor_app.ui.main_window as mw
    monkeypatch.setattr(mw, "app_settings", lambda: QSettings(str(tmp_path / "qt.ini"), QSettings.IniFormat))
    yield
    errors.set_error_dialog_enabled(True)


@pytest.fixture
def demo(tmp_path):
    database = open_database(None, tmp_path / "demo", create=True)
    create_demo(database)
    yield database
    database.dispose()


def floor_of(qtbot, db, username: str, tmp_path):
    ctx = UiContext(db, users.sign_in(db, username, f"{username}-demo-pass"))
    ctx.reload_settings()
    window = MainWindow(ctx, qsettings=QSettings(str(tmp_path / "win.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return window


def buttons(window, text: str) -> list[QPushButton]:
    return [b for b in window.findChildren(QPushButton) if b.text() == text and b.isVisible()]


def test_the_charge_nurse_prints_todays_log_from_the_floor(qtbot, demo, tmp_path):
    window = floor_of(qtbot, demo, "carla", tmp_path)
    (button,) = buttons(window, "Print today's log")
    seen = {}

    def look_and_close():
        dialog = QApplication.activeModalWidget()
        qtbot.waitUntil(lambda: dialog.document.status() == QPdfDocument.Status.Ready, timeout=10000)
        seen["title"] = dialog.windowTitle()
        seen["text"] = " ".join(dialog.document.getAllText(0).text().split())
        (close,) = [b for b in dialog.findChildren(QPushButton) if b.text() == "Close"]
        qtbot.mouseClick(close, Qt.LeftButton)

    QTimer.singleShot(0, look_and_close)
    qtbot.mouseClick(button, Qt.LeftButton)
    assert seen["title"].startswith("Daily clinic log")
    text = seen["text"]
    for shown in ("Daily clinic log", "MRN 100231", "MRN 100232", "MRN 100233", "NOT acknowledged",
                  "Awaiting signature: 3", "Audit chain head", "chairside-day:", "Carla Jensen, RN, BSN"):
        assert shown in text, shown


def test_a_nurse_has_no_daily_log_button(qtbot, demo, tmp_path):
    window = floor_of(qtbot, demo, "nina", tmp_path)
    assert buttons(window, "Print today's log") == []
