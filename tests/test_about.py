"""The About box as a user opens it (Help menu): version, where the archive is, its schema, every licence,
and the not-a-medical-device statement; and the demo clinic saying on every screen that it is one."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QTextBrowser

import monitor_app
from driver import User
from monitor_app.services import settings, users
from monitor_app.services.demo import create_demo
from monitor_app.storage.db import DB_FILENAME, open_database
from monitor_app.storage.migrate import HEAD
from tests.conftest import make_users


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    database = open_database(None, tmp_path_factory.mktemp("demo"), create=True)
    create_demo(database)
    yield database
    database.dispose()


def at_main_window(qtbot, db, username, tmp_path) -> User:
    return User.at_main_window(qtbot, db, users.sign_in(db, username, f"{username}-demo-pass"),
                               tmp_path / f"workstation-{username}")


def test_about_box_from_the_help_menu(qtbot, demo, tmp_path):
    user = at_main_window(qtbot, demo, "nina", tmp_path)
    user.press("Alt+H")  # the Help menu
    user.wait_until(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    entry = next(a for a in menu.actions() if a.text() == "About Chairside")
    user.click_at(menu, menu.actionGeometry(entry).center())
    user.wait_until(lambda: user.window.windowTitle() == "About Chairside")
    about = user.window
    text = about.findChild(QTextBrowser, "aboutText").toPlainText()
    assert f"Chairside {monitor_app.__version__}" in text
    assert f"Archive: {demo.data_dir / DB_FILENAME}" in text
    assert f"Schema version: {HEAD}" in text
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
    user.click("Close")
    user.wait_until(lambda: all(w.windowTitle() != "About Chairside" for w in QApplication.topLevelWidgets()
                                if w.isVisible()))
    user.close()


def test_the_demo_clinic_says_so(qtbot, demo, tmp_path):
    for username in ("nina", "audrey"):  # the floor, and the auditor's archive
        user = at_main_window(qtbot, demo, username, tmp_path)
        assert "DEMO CLINIC" in user.main.windowTitle()
        assert "DEMO CLINIC \u2014 not for patient data" in user.visible_text()
        user.close()


def test_a_real_clinic_has_no_demo_marker(qtbot, tmp_path):
    db = open_database(None, tmp_path / "data", create=True)
    settings.bootstrap(db)
    actors = make_users(db)
    user = User.at_main_window(qtbot, db, actors["nurse"], tmp_path / "workstation")
    assert "DEMO" not in user.main.windowTitle() and "DEMO" not in user.visible_text()
    user.close()
    db.dispose()
