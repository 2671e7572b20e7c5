"""The charge nurse prints today's daily clinic log from the floor: the preview shows it, a nurse has no button."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication, QPushButton

from monitor_app.services import users
from monitor_app.ui import errors
from monitor_app.ui.context import UiContext
from monitor_app.ui.main_window import MainWindow
from tests.conftest import T0, new_demo_archive


@pytest.fixture(autouse=True)
def no_error_dialog(monkeypatch, tmp_path):
    errors.set_error_dialog_enabled(False)
    import monitor_app.ui.main_window as mw
    monkeypatch.setattr(mw, "app_settings", lambda: QSettings(str(tmp_path / "qt.ini"), QSettings.IniFormat))
    yield
    errors.set_error_dialog_enabled(True)


@pytest.fixture
def demo(tmp_path):
    """The demo clinic as of a fixed moment: "today" is the demo's day whenever the suite runs (at 00:10 the
    wall clock's today held none of the sessions the demo had started before midnight)."""
    database = new_demo_archive(tmp_path / "demo", now=T0)
    yield database
    database.dispose()


def floor_of(qtbot, db, username: str, tmp_path):
    ctx = UiContext(db, users.sign_in(db, username, f"{username}-demo-pass"))
    ctx.clock = lambda: T0
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
