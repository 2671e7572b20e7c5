"""The daily backup where users see it: a failed one on the floor, and Settings > Backups with Back up now."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QTabWidget

from monitor_app.services import settings
from monitor_app.storage.db import open_database
from monitor_app.ui import errors
from monitor_app.ui.application import open_archive
from monitor_app.ui.context import UiContext
from monitor_app.ui.main_window import MainWindow
from tests.conftest import make_users


@pytest.fixture(autouse=True)
def quiet(monkeypatch, tmp_path):
    errors.set_error_dialog_enabled(False)
    import monitor_app.ui.main_window as mw
    monkeypatch.setattr(mw, "app_settings", lambda: QSettings(str(tmp_path / "qt.ini"), QSettings.IniFormat))
    yield
    errors.set_error_dialog_enabled(True)


def test_failed_backup_on_the_floor_and_back_up_now_in_settings(qtbot, tmp_path):
    data = tmp_path / "data"
    db = open_database(None, data, create=True)
    settings.bootstrap(db)
    actors = make_users(db)
    db.dispose()
    blocker = data / "backups"
    blocker.write_text("not a folder")  # a real fault: the backup folder cannot be made

    db, _clinic = open_archive(None, str(data))  # the start: opens the archive, tries the daily copy
    ctx = UiContext(db, actors["admin"])
    ctx.reload_settings()
    # The administrator's home is the floor too; the notice is there where everyone looks.
    window = MainWindow(ctx, qsettings=QSettings(str(tmp_path / "w.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    notice = window.floor.findChild(QLabel, "backupNotice")
    assert notice.isVisible() and "Backup failed" in notice.text() and str(blocker) in notice.text()

    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key_Comma, Qt.ControlModifier)  # Settings
    qtbot.waitUntil(lambda: window.settings_window is not None and window.settings_window.isVisible(), timeout=5000)
    tabs = window.settings_window.findChild(QTabWidget)
    bar = tabs.tabBar()
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Backups")
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(index).center())
    page = tabs.currentWidget()
    assert page.findChild(QLabel, "backupFolder").text() == str(blocker)
    assert page.findChild(QLabel, "lastBackup").text() == "none yet"
    assert any("Not a directory" in lab.text() or "File exists" in lab.text()
               for lab in page.findChildren(QLabel) if lab.isVisible())

    now = page.findChild(QPushButton, "backUpNow")
    qtbot.mouseClick(now, Qt.LeftButton)  # still broken: said again, nothing written
    assert blocker.is_file()
    assert any(lab.text().startswith("\u26a0 The backup could not be written") for lab in page.findChildren(QLabel)
               if lab.isVisible())

    blocker.unlink()  # the administrator fixes the folder
    qtbot.mouseClick(now, Qt.LeftButton)
    made = sorted(blocker.glob("manual-*.sqlite"))
    assert len(made) == 1 and made[0].stat().st_size > 0
    assert made[0].name in page.findChild(QLabel, "lastBackup").text()
    assert any(lab.text().startswith("\u2713 Backup written") for lab in page.findChildren(QLabel) if lab.isVisible())
    window.settings_window.close()
    qtbot.waitUntil(lambda: window.settings_window is None, timeout=5000)
    qtbot.waitUntil(lambda: notice.isHidden(), timeout=6000)  # the floor's next look clears the notice
    window.close()
    db.dispose()
