"""The daily backup where users see it: a failed one on the floor, and Settings > Backups with Back up now."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget

from driver import User
from monitor_app.services import settings
from monitor_app.storage.db import open_database
from monitor_app.ui.application import daily_copy, open_archive
from tests.conftest import make_users


def test_failed_backup_on_the_floor_and_back_up_now_in_settings(qtbot, tmp_path):
    data = tmp_path / "data"
    db = open_database(None, data, create=True)
    settings.bootstrap(db)
    actors = make_users(db)
    db.dispose()
    blocker = data / "backups"
    blocker.write_text("not a folder")  # a real fault: the backup folder cannot be made

    db, _clinic = open_archive(None, str(data))  # the start: opens the archive, then tries the daily copy
    daily_copy(db)
    # The administrator's home is the floor too; the notice is there where everyone looks.
    user = User.at_main_window(qtbot, db, actors["admin"], tmp_path / "workstation")
    notice = user.page.findChild(QLabel, "backupNotice")
    assert notice.isVisible() and "Backup failed" in notice.text() and str(blocker) in notice.text()

    user.press("Ctrl+,")  # Settings
    user.wait_until(lambda: user.main.settings_window is not None and user.main.settings_window.isVisible())
    tabs = user.window.findChild(QTabWidget)
    bar = tabs.tabBar()
    user.click_at(bar, bar.tabRect(next(i for i in range(tabs.count()) if tabs.tabText(i) == "Backups")).center())
    page = tabs.currentWidget()
    assert page.findChild(QLabel, "backupFolder").text() == str(blocker)
    assert page.findChild(QLabel, "lastBackup").text() == "none yet"
    assert "The backup could not be written" in user.visible_text()

    user.click("Back up now")  # still broken: said again, nothing written
    assert blocker.is_file()
    assert "\u26a0 The backup could not be written" in user.visible_text()

    blocker.unlink()  # the administrator fixes the folder
    user.click("Back up now")
    made = sorted(blocker.glob("manual-*.sqlite"))
    assert len(made) == 1 and made[0].stat().st_size > 0
    assert made[0].name in page.findChild(QLabel, "lastBackup").text()
    assert "\u2713 Backup written" in user.visible_text()
    user.click("Close")
    user.wait_until(lambda: user.main.settings_window is None)
    user.wait_until(lambda: notice.isHidden(), timeout_ms=6000)  # the floor's next look clears the notice
    user.close()
    db.dispose()
