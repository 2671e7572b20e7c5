"""First run as a new clinic meets it: an empty data folder opens the set-up wizard, not a sign-in nobody can pass.

The wizard is driven as a person does, through the user-level driver: keys into whatever has the cursor, the
wizard's own buttons. Nothing exists on disk until its last button; then the administrator, with the password
they chose, is the only user and signs in.
"""
from __future__ import annotations

import secrets

import pytest
from PySide6.QtWidgets import QLabel, QWizard
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from conftest import POSTGRES_URL, postgres_server
from driver import chairside  # noqa: F401 (the fixture)
from monitor_app.domain.thresholds import NEWS2
from monitor_app.services import first_run, settings
from monitor_app.services.demo import create_demo
from monitor_app.storage.db import DB_FILENAME, daily_backup, archive_state, open_database
from monitor_app.storage.models import ClinicSettings, ThresholdProfile, User

GOOD_PASSWORD = "quiet river morning"


def wizard_of(user) -> QWizard:
    user.wait_until(lambda: user.shell.wizard is not None and user.shell.wizard.isVisible(), timeout_ms=15000)
    assert not user.shell.signin.isVisible()  # no sign-in that nobody could pass
    return user.shell.wizard


def messages(page) -> list[str]:
    return [lab.text() for lab in page.findChildren(QLabel) if lab.isVisible() and lab.text().startswith("\u26a0")]


def next_page(user, wizard) -> None:
    user.click(wizard.button(QWizard.NextButton))


def fill_clinic(user, wizard) -> None:
    assert user.focus is wizard.clinic.name  # the cursor starts in the clinic's name
    user.type("Riverside Infusion Clinic\t12 Harbour Street\t")
    user.press("Ctrl+A")
    user.type("America/New_York\t")
    user.press("L")  # Letter, chosen by its first letter as in any list
    next_page(user, wizard)


def fill_administrator(user, wizard, password: str, confirmation: str) -> None:
    user.type(f"morgan\tMorgan Ellis\tRN\t{password}\t{confirmation}")
    next_page(user, wizard)


def replace(user, typed: str) -> None:
    user.press("Ctrl+A")
    user.type(typed)


def sign_in_after(user, password: str):
    shell = user.shell
    user.wait_until(lambda: shell.wizard is None and shell.signin.isVisible() and shell.db is not None,
                    timeout_ms=15000)
    assert shell.signin.username.text() == "morgan"  # already typed for the administrator
    assert user.focus is shell.signin.password
    user.type(password + "\n")
    user.wait_until(lambda: shell.main_window is not None and shell.main_window.isVisible(), timeout_ms=15000)
    return shell.main_window


def test_wizard_refuses_weak_and_mismatched_passwords_and_writes_nothing_until_the_end(chairside, tmp_path):
    data = tmp_path / "data"
    archive = data / DB_FILENAME
    user = chairside(data)
    wizard = wizard_of(user)

    # A clinic without a name or time zone cannot go on; the message names what is missing.
    next_page(user, wizard)
    assert wizard.currentPage() is wizard.clinic
    assert any("Clinic name" in m for m in messages(wizard.clinic))
    assert user.focus is wizard.clinic.name
    fill_clinic(user, wizard)
    assert wizard.currentPage() is wizard.administrator

    fill_administrator(user, wizard, "short1", "short1")
    assert wizard.currentPage() is wizard.administrator
    assert messages(wizard.administrator) == ["\u26a0 Password must be at least 8 characters."]
    assert user.focus is wizard.administrator.password and wizard.administrator.username.text() == "morgan"

    for weak, message in (("Password1!", "too common"), ("aaaabbbbaaaa", "5 different characters"),
                          ("morgan", "at least 8")):
        replace(user, weak + "\t")
        replace(user, weak)
        next_page(user, wizard)
        assert wizard.currentPage() is wizard.administrator
        assert any(message in m for m in messages(wizard.administrator)), weak
        assert user.focus is wizard.administrator.password
    replace(user, GOOD_PASSWORD + "\t")
    replace(user, GOOD_PASSWORD + "s")  # a slip in the confirmation
    next_page(user, wizard)
    assert wizard.currentPage() is wizard.administrator
    assert any("two passwords differ" in m for m in messages(wizard.administrator))
    assert user.focus is wizard.administrator.confirmation
    replace(user, GOOD_PASSWORD)
    next_page(user, wizard)
    assert wizard.currentPage() is wizard.monitoring
    assert not archive.exists() and archive_state(None, data) == "fresh"  # nothing written before the last button

    assert user.focus is wizard.monitoring.profile
    user.press("Down")  # the second preset: NEWS2 bands
    user.click(wizard.button(QWizard.FinishButton))
    window = sign_in_after(user, GOOD_PASSWORD)
    assert archive.exists() and archive_state(None, data) != "fresh"
    assert window.ctx.signed_in.username == "morgan" and window.ctx.signed_in.role.value == "administrator"

    with user.shell.db.reader() as s:
        assert [(u.username, u.full_name, u.credentials, u.role) for u in s.scalars(select(User))] == [
            ("morgan", "Morgan Ellis", "RN", "administrator")]  # no other account, no default password
        cs = s.get(ClinicSettings, 1)
        assert (cs.name, cs.address, cs.timezone, cs.page_size) == (
            "Riverside Infusion Clinic", "12 Harbour Street", "America/New_York", "Letter")
        assert s.get(ThresholdProfile, cs.default_profile_id).name == NEWS2.name
    window.close()


def test_a_missing_archive_is_never_a_first_run(tmp_path):
    data = tmp_path / "data"
    db = open_database(None, data, create=True)
    settings.bootstrap(db)
    assert daily_backup(db) is not None
    db.dispose()
    (data / DB_FILENAME).unlink()
    assert archive_state(None, data) == "missing"  # the folder remembers its archive, and its backups are there
    for leftover in (data / "backups").iterdir():
        leftover.unlink()
    assert archive_state(None, data) == "missing"  # still remembered: never a first run
    (data / "archive-identity.json").unlink()
    assert archive_state(None, data) == "fresh"  # nothing left of an archive: a first run
    assert archive_state(None, tmp_path / "never-used") == "fresh"


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
def test_wizard_on_an_empty_postgresql_database(chairside, tmp_path, monkeypatch):
    server = postgres_server()
    name = f"chairside_t_{secrets.token_hex(6)}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("MONITOR_APP_DATABASE_URL", url)  # as a workstation of a clinic on one server
    user = None
    try:
        assert archive_state(None, tmp_path / "data") == "fresh"
        user = chairside(tmp_path / "data")
        wizard = wizard_of(user)
        fill_clinic(user, wizard)
        fill_administrator(user, wizard, GOOD_PASSWORD, GOOD_PASSWORD)
        assert wizard.currentPage() is wizard.monitoring
        assert archive_state(None, tmp_path / "data") == "fresh"  # still no table on the server
        user.click(wizard.button(QWizard.FinishButton))
        window = sign_in_after(user, GOOD_PASSWORD)
        assert user.shell.db.engine.dialect.name == "postgresql" and archive_state(None, tmp_path / "data") != "fresh"
        with user.shell.db.reader() as s:
            assert [u.username for u in s.scalars(select(User))] == ["morgan"]
        window.close()
    finally:
        if user is not None:
            user.close()
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
