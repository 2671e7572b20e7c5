"""The About box as a user opens it (Help menu): version, where the archive is, its schema, every licence,
and the not-a-medical-device statement; and the demo clinic saying on every screen that it is one."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QTextBrowser

import monitor_app
from monitor_app.services import users
from monitor_app.services.demo import create_demo
from monitor_app.storage.db import DB_FILENAME, open_database
from monitor_app.ui import errors
from monitor_app.ui.context import UiContext
from monitor_app.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def quiet(monkeypatch, tmp_path):
    errors.set_error_dialog_enabled(False)
    import monitor_app.ui.main_window as mw
    monkeypatch.setattr(mw, "app_settings", lambda: QSettings(str(tmp_path / "qt.ini"), QSettings.IniFormat))
    yield
    errors.set_error_dialog_enabled(True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    database = open_database(None, tmp_path_factory.mktemp("demo"), create=True)
    create_demo(database)
    yield database
    database.dispose()


def main_window(qtbot, db, username, tmp_path) -> MainWindow:
    ctx = UiContext(db, users.sign_in(db, username, f"{username}-demo-pass"))
    ctx.reload_settings()
    window = MainWindow(ctx, qsettings=QSettings(str(tmp_path / "win.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    return window


def open_about(qtbot, window):
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key_H, Qt.AltModifier)  # the Help menu
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=3000)
    qtbot.keyClick(QApplication.activePopupWidget(), Qt.Key_Return)  # its first entry: About Chairside
    qtbot.waitUntil(lambda: window.findChild(QTextBrowser, "aboutText") is not None, timeout=5000)
    return window.findChild(QTextBrowser, "aboutText").window()


def test_about_box_from_the_help_menu(qtbot, demo, tmp_path):
    window = main_window(qtbot, demo, "nina", tmp_path)
    about = open_about(qtbot, window)
    text = about.findChild(QTextBrowser, "aboutText").toPlainText()
    assert f"Chairside {monitor_app.__version__}" in text
    assert f"Archive: {demo.data_dir / DB_FILENAME}" in text
    assert "Schema version: 0001" in text
    assert "documentation only, not a medical device" in text
    assert any("not a medical device" in lab.text() for lab in about.findChildren(QLabel))
    # Each library Chairside runs on, with the licence its distribution declares; nothing only tests use.
    lines = text.splitlines()
    for library, licence in (("PySide6-Essentials", "LGPL-3.0"), ("psycopg-binary", "LGPL-3.0"),
                             ("SQLAlchemy", "MIT"), ("pyqtgraph", "MIT"), ("reportlab", "BSD"),
                             ("argon2-cffi", "MIT"), ("alembic", "MIT"), ("numpy", "BSD")):
        assert library in lines, library
        row = lines[lines.index(library):lines.index(library) + 3]  # name, version, licence: a table row
        assert licence in row[2], (library, row)
    assert not {"pytest", "hypothesis", "pyinstaller"} & {line.lower() for line in lines}
    # The fonts of the printed record, with their licence text.
    assert "LICENSE-DejaVu.txt" in text and "Bitstream Vera" in text
    qtbot.mouseClick(about.findChild(QDialogButtonBox).button(QDialogButtonBox.Close), Qt.LeftButton)
    qtbot.waitUntil(lambda: not about.isVisible(), timeout=3000)


def test_the_demo_clinic_says_so(qtbot, demo, tmp_path):
    for username in ("nina", "audrey"):  # the floor, and the auditor's archive
        window = main_window(qtbot, demo, username, tmp_path)
        assert "DEMO CLINIC" in window.windowTitle()
        banner = window.findChild(QLabel, "demoMark")
        assert banner is not None and banner.isVisible() and "not for patient data" in banner.text()
        window.close()


def test_a_real_clinic_has_no_demo_marker(qtbot, tmp_path):
    from tests.conftest import make_users
    from monitor_app.services import settings
    db = open_database(None, tmp_path / "data", create=True)
    settings.bootstrap(db)
    actors = make_users(db)
    ctx = UiContext(db, actors["nurse"])
    ctx.reload_settings()
    window = MainWindow(ctx, qsettings=QSettings(str(tmp_path / "w.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    assert "DEMO" not in window.windowTitle() and window.findChild(QLabel, "demoMark") is None
    db.dispose()
