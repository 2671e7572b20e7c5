"""The application shell as users meet it, from the sign-in window: floor, new session, lock, archive, course view."""
from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QTableView, QToolBar
from sqlalchemy import func, select

from conftest import PASSWORDS, T0, new_demo_archive
from monitor_app.domain.vitals import Vitals
from monitor_app.services import clinical, users
from monitor_app.storage.models import AuditEvent, Course, InfusionSession, Patient
from monitor_app.storage.db import open_database
from monitor_app.ui import errors
from monitor_app.ui.floor import SessionCard
from tests.driver import Screen, chairside, visible_widgets  # noqa: F401  (the fixture)

# The demo clinic is built as of this moment, and every screen of these tests lives in it.
DEMO_NOW = T0 + timedelta(hours=14)


class Clock:
    """The clinic's "now", moved on by the test."""

    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    """The demo clinic, built once; each test works on its own copy of the data folder."""
    folder = tmp_path_factory.mktemp("demo") / "data"
    new_demo_archive(folder, now=DEMO_NOW).dispose()
    return folder


@pytest.fixture
def demo_dir(demo_template, tmp_path):
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    return target


def demo_user(chairside, data_dir, username: str, clock=None):  # noqa: F811
    user = chairside(data_dir, clock=clock or Clock(DEMO_NOW), size=(1280, 800))
    user.sign_in(username, f"{username}-demo-pass")
    return user


def audit_count(data_dir, action: str) -> int:
    db = open_database(None, data_dir)
    try:
        with db.reader() as s:
            return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))
    finally:
        db.dispose()


def cursor_in_bp(user) -> bool:
    """The session screen is shown with the cursor in BP, where the nurse types the reading."""
    page = user.page
    return hasattr(page, "entry") and user.focus is page.entry.edits["bp"]


def wait_for_session_screen(user) -> None:
    try:
        user.wait_until(lambda: cursor_in_bp(user), timeout_ms=15000)
    except Exception:
        raise AssertionError(f"no session screen with the cursor in BP; cursor in {user.focus!r} "
                             f"({user.focus.accessibleName() if user.focus else ''}); visible:\n{user.visible_text()}")


def cards(user) -> dict[str, SessionCard]:
    return {c.record.chair: c for c in user.page.findChildren(SessionCard) if c.isVisible()}


# ------------------------------------------------------------------------------------------------ sign-in
def test_sign_in_typed_wrong_then_right(chairside, db, actors):  # noqa: F811
    failures, logins = audit_count(db.data_dir, "login_failed"), audit_count(db.data_dir, "login")
    user = chairside(db.data_dir, clock=Clock(T0), size=(1280, 800))
    user.type("nurse\nnot-the-password\n")  # Enter moves on from the name to the password, and signs in
    user.wait_until(lambda: "Wrong user name or password" in user.visible_text(), timeout_ms=10000)
    assert user.focus.text() == ""  # a password is not left in the field, right or wrong
    assert audit_count(db.data_dir, "login_failed") == failures + 1
    user.type(PASSWORDS["nurse"] + "\n")
    user.wait_until(lambda: user.shell.main_window is not None and user.shell.main_window.isVisible(),
                    timeout_ms=15000)
    assert audit_count(db.data_dir, "login") == logins + 1
    assert "Nurse Tester" in user.visible_text()


def test_sign_in_then_main_window_then_sign_out(chairside, db, actors):  # noqa: F811
    user = chairside(db.data_dir, clock=Clock(T0), size=(1280, 800))
    assert user.window is user.shell.signin
    user.sign_in("charge", PASSWORDS["charge"])
    shown = user.visible_text()
    assert "Charge Tester" in shown and "not a medical device" in shown
    assert user.find_all("Settings") and user.find_all("New session")
    user.click("Sign out")
    user.wait_until(lambda: user.shell.signin.isVisible())
    assert user.shell.main_window is None


def test_the_start_makes_the_days_copy_while_the_nurse_signs_in(chairside, db, actors):  # noqa: F811
    import sqlite3
    from monitor_app.storage.db import backups_dir
    user = chairside(db.data_dir, clock=Clock(T0))
    user.sign_in("nurse", PASSWORDS["nurse"])
    user.wait_until(lambda: any(backups_dir(db).glob("daily-*.sqlite")))
    (copy,) = backups_dir(db).glob("daily-*.sqlite")
    user.wait_until(lambda: copy.stat().st_size > 0)
    with sqlite3.connect(copy) as conn:  # a whole archive: the users are in it
        assert conn.execute("SELECT count(*) FROM users WHERE username = 'nurse'").fetchone() == (1,)


def test_unreadable_archive_is_a_clear_message(qtbot, tmp_path):
    """Started as `python main.py --data-dir FOLDER` on a file that is no archive: a message, no traceback."""
    from monitor_app.ui.application import Shell
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "chairside.sqlite").write_bytes(b"this is not an SQLite file at all" * 200)
    errors.set_error_dialog_enabled(False)
    shell = Shell(None, str(folder))
    qtbot.addWidget(shell.signin)
    shell.start()
    screen = Screen(qtbot, lambda: shell.signin)
    screen.wait_until(lambda: "cannot be opened" in screen.visible_text(), timeout_ms=15000)
    text = screen.visible_text()
    assert "Traceback" not in text and "administrator" in text
    assert not screen.button("Sign in").isEnabled()
    shell.shutdown()


# ------------------------------------------------------------------------------------------------ floor
def test_floor_shows_a_card_per_active_chair(chairside, demo_dir):  # noqa: F811
    user = demo_user(chairside, demo_dir, "nina")
    chairs = cards(user)
    assert set(chairs) == {"1", "3", "4"}
    zoe = chairs["3"]
    assert "ZN" in zoe.who.text() and "100231" in zoe.who.text()
    assert zoe.phase.text() == "INFUSION"
    assert "184/112" in zoe.latest.text() and "\u25c6" in zoe.latest.text()  # critical: symbol, not colour alone
    assert "critical flag" in zoe.flags.text()
    assert chairs["4"].phase.text() == "RECOVERY"
    assert "Next reading due" in chairs["4"].due.text()


def test_reading_saved_elsewhere_appears_on_the_floor(chairside, demo_dir):  # noqa: F811
    user = demo_user(chairside, demo_dir, "carla")
    card = cards(user)["4"]
    session_id = card.record.id
    assert "131/79" not in card.latest.text()
    # Another nurse at another workstation saves a reading; nobody touches this window.
    other = open_database(None, demo_dir)
    try:
        tomas = users.sign_in(other, "tomas", "tomas-demo-pass", now=DEMO_NOW)
        clinical.record_reading(other, tomas, session_id, Vitals(131, 79, 71, 98), measured_at=DEMO_NOW,
                                now=DEMO_NOW)
    finally:
        other.dispose()
    user.wait_until(lambda: "4" in cards(user) and "131/79" in cards(user)["4"].latest.text(), timeout_ms=10000)


def test_a_reading_turns_overdue_a_minute_after_it_was_due(chairside, demo_dir):  # noqa: F811
    clock = Clock(DEMO_NOW)
    user = demo_user(chairside, demo_dir, "nina", clock)
    card = cards(user)["3"]
    assert "OVERDUE" not in card.due.text() and "Next reading due" in card.due.text()
    clock.t = DEMO_NOW + timedelta(minutes=30)  # the nurse looks again a while later, touching nothing
    user.wait_until(lambda: "OVERDUE" in cards(user)["3"].due.text(), timeout_ms=25000)


def test_clicking_a_card_opens_its_session_screen_with_the_cursor_in_bp(chairside, demo_dir):  # noqa: F811
    user = demo_user(chairside, demo_dir, "nina")
    card = cards(user)["1"]
    user.click(card)
    wait_for_session_screen(user)
    assert "Infusion" in user.visible_text()
    user.press("Ctrl+1")
    assert set(cards(user)) == {"1", "3", "4"}


# ------------------------------------------------------------------------------------------------ new session
def _new_patient(user):
    user.press("Ctrl+N")
    user.type("Żół\n")  # the cursor is in the patient search
    assert "Żół" in user.visible_text() or user.focus.text() == "Żół"
    user.click("New patient")


def test_new_session_typed_by_a_nurse_creates_patient_course_and_session(chairside, db, actors):  # noqa: F811
    user = chairside(db.data_dir, clock=Clock(T0), size=(1280, 800))
    user.sign_in("nurse", PASSWORDS["nurse"])
    _new_patient(user)
    user.fill("MRN", "200001")
    user.fill("Family name", "Żółć")
    user.fill("Given name", "Łukasz")
    user.fill("Date of birth", "1979-11-03")
    user.fill("Weight (kg)", "82")
    user.fill("Allergies", "Latex")
    user.choose("Indication", "OCD")
    user.choose("Outcome measure", "Y-BOCS")
    user.fill("Prescriber", "Dr. Imani Reyes")
    assert user.field("Total dose (mg)").text() == "41"  # 0.5 mg/kg x 82 kg, computed as the weight is typed
    user.fill("Chair", "5")
    user.fill("Lot number", "KX9001")
    assert "0-40" in user.field("Y-BOCS score before this session").placeholderText()
    user.fill("Y-BOCS score before this session", "27")
    user.tick("Benzodiazepines")
    for item in ("Consent current", "Fasting per protocol", "Escort confirmed", "No-driving advice given"):
        user.tick(item)
    user.click("Open session")
    wait_for_session_screen(user)

    with db.reader() as s:
        patient = s.scalar(select(Patient).where(Patient.mrn == "200001"))
        assert patient.family_name == "Żółć" and patient.given_name == "Łukasz" and patient.weight_kg == 82
        course = s.scalar(select(Course).where(Course.patient_id == patient.id))
        assert course.indication == "ocd" and course.outcome_measure == "ybocs" and course.planned_infusions == 6
        session = s.scalar(select(InfusionSession).where(InfusionSession.course_id == course.id))
        assert session.chair == "5" and session.lot_number == "KX9001" and session.number == 1
        assert session.dose_mg_per_kg == 0.5 and session.dose_mg_total == 41
        assert session.outcome_score_before == 27 and session.concomitant_medicines == ["Benzodiazepines"]
        assert all(session.checklist.values()) and len(session.checklist) == 4
        assert session.supervising_clinician == "Dr. Imani Reyes"


def test_refused_weight_is_explained_at_the_field_and_kept(chairside, db, actors):  # noqa: F811
    user = chairside(db.data_dir, clock=Clock(T0), size=(1280, 800))
    user.sign_in("nurse", PASSWORDS["nurse"])
    _new_patient(user)
    user.fill("MRN", "200002")
    user.fill("Family name", "Ngata")
    user.fill("Given name", "Aroha")
    user.fill("Weight (kg)", "900")
    user.fill("Chair", "2")
    user.click("Open session")
    shown = user.visible_text()
    assert "Weight" in shown and "between 20 and 300" in shown.replace("20-300", "between 20 and 300")
    assert user.field("Weight (kg)").text() == "900" and user.field("Family name").text() == "Ngata"
    assert user.field("Chair").text() == "2"
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 0
    user.fill("Weight (kg)", "90")
    user.click("Open session")
    wait_for_session_screen(user)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(InfusionSession)) == 1


def test_refused_dose_keeps_the_created_patient_chosen(chairside, db, actors):  # noqa: F811
    user = chairside(db.data_dir, clock=Clock(T0), size=(1280, 800))
    user.sign_in("nurse", PASSWORDS["nurse"])
    _new_patient(user)
    user.fill("MRN", "200003")
    user.fill("Family name", "Kierkegård")
    user.fill("Given name", "Søren")
    user.fill("Dose (mg/kg)", "9")
    user.click("Open session")
    assert "between 0.01 and 5 mg/kg" in user.visible_text()
    assert "200003" in user.visible_text()  # the patient made stays chosen
    user.fill("Dose (mg/kg)", "0.5")
    user.click("Open session")
    wait_for_session_screen(user)
    with db.reader() as s:  # patient and course were not created twice
        assert s.scalar(select(func.count()).select_from(Patient)) == 1
        assert s.scalar(select(func.count()).select_from(Course)) == 1
        assert s.scalar(select(func.count()).select_from(InfusionSession)) == 1


# ------------------------------------------------------------------------------------------------ lock
def test_lock_hides_the_screen_and_keeps_half_typed_text(chairside, db, actors):  # noqa: F811
    user = chairside(db.data_dir, clock=Clock(T0), size=(1280, 800))
    user.sign_in("nurse", PASSWORDS["nurse"])
    _new_patient(user)
    user.fill("Family name", "Nguy")  # half-typed when the nurse walks away
    user.press("Ctrl+L")
    shown = user.visible_text()
    assert "Chairside is locked" in shown
    assert "Nguy" not in shown and "MRN" not in shown
    user.type("wrong-password\n")
    user.wait_until(lambda: "Wrong user name or password" in user.visible_text(), timeout_ms=10000)
    logins = audit_count(db.data_dir, "login")
    user.type(PASSWORDS["nurse"] + "\n")
    user.wait_until(lambda: "Chairside is locked" not in user.visible_text(), timeout_ms=10000)
    assert audit_count(db.data_dir, "login") == logins + 1  # unlocking is an audited sign-in
    assert user.field("Family name").text() == "Nguy"
    user.fill("Family name", "ễn", replace=False)
    assert user.field("Family name").text() == "Nguyễn"


def test_lock_then_sign_out(chairside, db, actors):  # noqa: F811
    user = chairside(db.data_dir, clock=Clock(T0), size=(1280, 800))
    user.sign_in("nurse", PASSWORDS["nurse"])
    user.press("Ctrl+L")
    assert "Chairside is locked" in user.visible_text()
    user.click("Sign out")
    user.wait_until(lambda: user.shell.signin.isVisible())


# ------------------------------------------------------------------------------------------------ archive
def test_archive_finds_by_name_prefix_and_mrn_for_an_auditor(chairside, demo_dir):  # noqa: F811
    user = demo_user(chairside, demo_dir, "audrey")
    assert not user.find_all("New session", exact=True) and not user.find_all("Settings", exact=True)
    user.fill("MRN or name", "Zoe\n")  # accents ignored (SPEC 3 rule 8): "Zo" finds Żółć too
    table = user.find("Archive search results")
    model = table.model()
    names = {model.index(r, 2).data() for r in range(model.rowCount())}
    assert names == {"Zoë Nguyễn"} and model.rowCount() == 4
    user.fill("MRN or name", "100232")
    user.click("Search")
    assert [model.index(r, 1).data() for r in range(model.rowCount())] == ["100232"]
    user.fill("From date", "yesterday")
    user.click("Search")
    assert "YYYY-MM-DD" in user.visible_text()
    user.fill("From date", "")
    user.click("Verify integrity")
    user.wait_until(lambda: "Intact" in user.visible_text(), timeout_ms=30000)


def test_course_view_from_the_archive(chairside, demo_dir):  # noqa: F811
    user = demo_user(chairside, demo_dir, "audrey")  # an auditor lands on the archive
    user.fill("MRN or name", "Nguy\n")
    table = user.find("Archive search results")
    user.click_cell(table, table.model().rowCount() - 1, 2)  # the oldest: infusion 1
    user.click("Course view")
    assert "Course \u2014 Zoë Nguyễn" in user.visible_text()
    [view] = [t for t in visible_widgets(user.window, QTableView) if t.model().rowCount()]
    model = view.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    rows = [[str(model.index(r, c).data() or "") for c in range(model.columnCount())] for r in range(model.rowCount())]
    assert "PHQ-9 before" in headers
    assert [row[0] for row in rows] == ["1", "2", "3", "4", "5", "6"]  # every planned infusion of the course
    assert "Planned" in rows[4] and "Planned" in rows[5]
    assert any(cell.startswith("186/104") for cell in rows[0])  # the peak BP of infusion 1 (◆: critical)


def test_large_type_is_kept_for_the_next_start(chairside, db, actors, tmp_path):  # noqa: F811
    from monitor_app.ui import theme
    from monitor_app.ui.preferences import large_type_saved
    user = chairside(db.data_dir, clock=Clock(T0), size=(1280, 800))
    user.sign_in("nurse", PASSWORDS["nurse"])
    user.press("Ctrl+Shift+L")
    assert QApplication.instance().font().pointSize() == theme.LARGE_POINT_SIZE
    assert large_type_saved()
    # At once, the menus and the toolbar too, not only the screens (they kept the size of the start).
    from PySide6.QtWidgets import QToolButton
    bars = [user.main.menuBar()] + user.main.findChildren(QToolButton)
    assert {w.font().pointSize() for w in bars if w.isVisible()} == {theme.LARGE_POINT_SIZE}


def test_uncaught_error_is_logged_without_a_dialog(qtbot, caplog):
    errors.set_error_dialog_enabled(False)  # as the test driver starts Chairside
    try:
        raise ValueError("bo" + "om")  # built at run time, as typed text would be
    except ValueError as exc:
        errors.report(type(exc), exc, exc.__traceback__)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ValueError" in logged and "test_uncaught_error_is_logged_without_a_dialog" in logged  # type and stack
    assert "boom" not in logged  # an error's message may carry what was typed: never logged


@pytest.mark.parametrize("large", [False, True])
def test_lock_screen_and_sign_out_stay_on_the_toolbar_of_a_laptop(chairside, demo_dir, large):  # noqa: F811
    """At 1280x800 with the demo's mark in the toolbar, in large type too: the signed-in name gives way (the
    status bar names the user), never Lock screen and Sign out folded away behind the toolbar's » button."""
    user = chairside(demo_dir, clock=Clock(DEMO_NOW), size=(1280, 800), large_type=large)
    user.sign_in("nina", "nina-demo-pass")
    toolbar = user.main.findChild(QToolBar, "mainToolbar")
    for text in ("Lock screen", "Sign out"):
        [action] = [a for a in toolbar.actions() if a.text().replace("&", "") == text]
        button = toolbar.widgetForAction(action)
        assert button.isVisible() and toolbar.rect().contains(button.geometry()), text
    assert "Nina Okafor" in user.main.statusBar().findChild(QLabel, "signedInStatus").text()
