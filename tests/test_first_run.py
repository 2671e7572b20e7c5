"""First run as a new clinic meets it: an empty data folder opens the set-up wizard, not a sign-in nobody can pass.

The wizard is driven as a person does: keys into whatever has focus, the wizard's own buttons. Nothing exists on
disk until its last button; then the administrator, with the password they chose, is the only user and signs in.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel, QWizard
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from conftest import POSTGRES_URL, postgres_server
from monitor_app.domain.thresholds import NEWS2
from monitor_app.services import first_run, settings
from monitor_app.services.demo import create_demo
from monitor_app.storage.db import DB_FILENAME, is_fresh_install, open_database
from monitor_app.storage.models import ClinicSettings, ThresholdProfile, User
from monitor_app.ui import errors
from monitor_app.ui.application import Shell

GOOD_PASSWORD = "quiet river morning"


@pytest.fixture(autouse=True)
def quiet(monkeypatch, tmp_path):
    errors.set_error_dialog_enabled(False)
    import monitor_app.ui.main_window as mw
    monkeypatch.setattr(mw, "app_settings", lambda: QSettings(str(tmp_path / "qt.ini"), QSettings.IniFormat))
    yield
    errors.set_error_dialog_enabled(True)


def focus():
    return QApplication.focusWidget()


def type_keys(qtbot, text: str) -> None:
    qtbot.keyClicks(focus(), text)


def key(qtbot, k, modifier=Qt.NoModifier) -> None:
    qtbot.keyClick(focus(), k, modifier)


def replace_text(qtbot, text: str) -> None:
    key(qtbot, Qt.Key_A, Qt.ControlModifier)
    type_keys(qtbot, text)


def press(qtbot, wizard: QWizard, which) -> None:
    qtbot.mouseClick(wizard.button(which), Qt.LeftButton)


def visible_messages(widget) -> list[str]:
    return [lab.text() for lab in widget.findChildren(QLabel) if lab.isVisible() and lab.text().startswith("\u26a0")]


def start(qtbot, database_url, data_dir) -> tuple[Shell, QWizard]:
    shell = Shell(database_url, str(data_dir))
    shell.start()
    qtbot.waitUntil(lambda: shell.wizard is not None and shell.wizard.isVisible(), timeout=10000)
    wizard = shell.wizard
    qtbot.addWidget(shell.signin)
    qtbot.waitUntil(wizard.isActiveWindow, timeout=3000)
    assert not shell.signin.isVisible()
    return shell, wizard


def fill_clinic(qtbot, wizard) -> None:
    assert focus() is wizard.clinic.name  # the cursor starts in the clinic's name
    type_keys(qtbot, "Riverside Infusion Clinic")
    key(qtbot, Qt.Key_Tab)
    type_keys(qtbot, "12 Harbour Street")
    key(qtbot, Qt.Key_Tab)
    replace_text(qtbot, "America/New_York")
    key(qtbot, Qt.Key_Tab)
    key(qtbot, Qt.Key_L)  # Letter, chosen by its first letter as in any list
    press(qtbot, wizard, QWizard.NextButton)


def fill_administrator(qtbot, wizard, password: str, confirmation: str) -> None:
    type_keys(qtbot, "morgan")
    key(qtbot, Qt.Key_Tab)
    type_keys(qtbot, "Morgan Ellis")
    key(qtbot, Qt.Key_Tab)
    type_keys(qtbot, "RN")
    key(qtbot, Qt.Key_Tab)
    type_keys(qtbot, password)
    key(qtbot, Qt.Key_Tab)
    type_keys(qtbot, confirmation)
    press(qtbot, wizard, QWizard.NextButton)


def sign_in_after(qtbot, shell, password: str):
    qtbot.waitUntil(lambda: shell.wizard is None and shell.signin.isVisible(), timeout=10000)
    qtbot.waitUntil(shell.signin.isActiveWindow, timeout=3000)
    assert shell.signin.username.text() == "morgan"
    assert focus() is shell.signin.password
    type_keys(qtbot, password)
    key(qtbot, Qt.Key_Return)
    qtbot.waitUntil(lambda: shell.main_window is not None and shell.main_window.isVisible(), timeout=15000)
    return shell.main_window


def test_wizard_refuses_weak_and_mismatched_passwords_and_writes_nothing_until_the_end(qtbot, tmp_path):
    data = tmp_path / "data"
    archive = data / DB_FILENAME
    shell, wizard = start(qtbot, None, data)

    # A clinic without a name or time zone cannot go on; the message names what is missing.
    press(qtbot, wizard, QWizard.NextButton)
    assert wizard.currentPage() is wizard.clinic
    assert any("Clinic name" in m for m in visible_messages(wizard.clinic))
    assert focus() is wizard.clinic.name
    fill_clinic(qtbot, wizard)
    assert wizard.currentPage() is wizard.administrator

    fill_administrator(qtbot, wizard, "short1", "short1")
    assert wizard.currentPage() is wizard.administrator
    assert visible_messages(wizard.administrator) == ["\u26a0 Password must be at least 8 characters."]
    assert focus() is wizard.administrator.password and wizard.administrator.username.text() == "morgan"

    for weak, message in (("Password1!", "too common"), ("aaaabbbbaaaa", "5 different characters"),
                          ("morgan", "at least 8")):
        replace_text(qtbot, weak)
        key(qtbot, Qt.Key_Tab)
        replace_text(qtbot, weak)
        press(qtbot, wizard, QWizard.NextButton)
        assert wizard.currentPage() is wizard.administrator
        assert any(message in m for m in visible_messages(wizard.administrator)), weak
        assert focus() is wizard.administrator.password
    assert focus() is wizard.administrator.password
    replace_text(qtbot, GOOD_PASSWORD)
    key(qtbot, Qt.Key_Tab)
    replace_text(qtbot, GOOD_PASSWORD + "s")  # a slip in the confirmation
    press(qtbot, wizard, QWizard.NextButton)
    assert wizard.currentPage() is wizard.administrator
    assert any("two passwords differ" in m for m in visible_messages(wizard.administrator))
    assert focus() is wizard.administrator.confirmation
    replace_text(qtbot, GOOD_PASSWORD)
    press(qtbot, wizard, QWizard.NextButton)
    assert wizard.currentPage() is wizard.monitoring
    assert not archive.exists() and is_fresh_install(None, data)  # nothing written before the last button

    assert focus() is wizard.monitoring.profile
    key(qtbot, Qt.Key_Down)  # the second preset: NEWS2 bands
    press(qtbot, wizard, QWizard.FinishButton)
    window = sign_in_after(qtbot, shell, GOOD_PASSWORD)
    assert archive.exists() and not is_fresh_install(None, data)
    assert window.ctx.signed_in.username == "morgan" and window.ctx.signed_in.role.value == "administrator"

    with shell.db.reader() as s:
        assert [(u.username, u.full_name, u.credentials, u.role) for u in s.scalars(select(User))] == [
            ("morgan", "Morgan Ellis", "RN", "administrator")]  # no other account, no default password
        cs = s.get(ClinicSettings, 1)
        assert (cs.name, cs.address, cs.timezone, cs.page_size) == (
            "Riverside Infusion Clinic", "12 Harbour Street", "America/New_York", "Letter")
        assert s.get(ThresholdProfile, cs.default_profile_id).name == NEWS2.name
    window.close()
    shell.shutdown()


def test_cancelled_wizard_leaves_no_archive(qtbot, tmp_path):
    data = tmp_path / "data"
    shell, wizard = start(qtbot, None, data)
    fill_clinic(qtbot, wizard)
    with qtbot.waitSignal(QApplication.instance().aboutToQuit, timeout=100, raising=False):
        press(qtbot, wizard, QWizard.CancelButton)
    assert not wizard.isVisible()
    assert not (data / DB_FILENAME).exists() and is_fresh_install(None, data)


def test_a_missing_archive_is_never_a_first_run(tmp_path):
    data = tmp_path / "data"
    db = open_database(None, data, create=True)
    settings.bootstrap(db)
    from monitor_app.storage.db import daily_backup
    assert daily_backup(db) is not None
    db.dispose()
    (data / DB_FILENAME).unlink()
    assert not is_fresh_install(None, data)  # its backups are there: the archive went missing
    for leftover in (data / "backups").iterdir():
        leftover.unlink()
    assert is_fresh_install(None, data)
    assert is_fresh_install(None, tmp_path / "never-used")


def test_set_up_refuses_where_an_archive_exists_and_leaves_it_alone(tmp_path):
    data = tmp_path / "demo"
    db = open_database(None, data, create=True)
    create_demo(db)
    db.dispose()
    before = (data / DB_FILENAME).read_bytes()
    details = settings.ClinicDetails("New", "", "A4", "Europe/London", 10, "aldrete", ())
    admin = first_run.FirstAdministrator("boss", "The Boss", "", GOOD_PASSWORD, GOOD_PASSWORD)
    with pytest.raises(first_run.RuleViolation, match="already exists"):
        first_run.set_up_clinic(None, data, details, admin, NEWS2.name, "IV ketamine (clinic default)")
    assert (data / DB_FILENAME).read_bytes() == before


@pytest.mark.postgres
def test_wizard_on_an_empty_postgresql_database(qtbot, tmp_path):
    server = postgres_server()
    name = f"chairside_t_{secrets.token_hex(6)}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    shell = None
    try:
        assert is_fresh_install(url, tmp_path / "data")
        shell, wizard = start(qtbot, url, tmp_path / "data")
        fill_clinic(qtbot, wizard)
        fill_administrator(qtbot, wizard, GOOD_PASSWORD, GOOD_PASSWORD)
        assert wizard.currentPage() is wizard.monitoring
        assert is_fresh_install(url, tmp_path / "data")  # still no table on the server
        press(qtbot, wizard, QWizard.FinishButton)
        window = sign_in_after(qtbot, shell, GOOD_PASSWORD)
        assert shell.db.engine.dialect.name == "postgresql" and not is_fresh_install(url, tmp_path / "data")
        with shell.db.reader() as s:
            assert [u.username for u in s.scalars(select(User))] == ["morgan"]
        window.close()
    finally:
        if shell is not None:
            shell.shutdown()
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
