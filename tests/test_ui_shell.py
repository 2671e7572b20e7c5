"""The application shell as users meet it: sign-in, floor, new session, lock, archive, course view."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel
from sqlalchemy import func, select

from monitor_app.domain.vitals import Vitals
from monitor_app.services import clinical, users
from monitor_app.services.demo import create_demo
from monitor_app.storage.db import open_database
from monitor_app.storage.models import AuditEvent, Course, InfusionSession, Patient
from monitor_app.ui import errors
from monitor_app.ui.context import UiContext
from monitor_app.ui.main_window import MainWindow
from monitor_app.ui.signin import SignInWindow
from tests.conftest import PASSWORDS


@pytest.fixture(autouse=True)
def no_error_dialog(monkeypatch, tmp_path):
    errors.set_error_dialog_enabled(False)
    # Window geometry and large type go to a throw-away file, never to the tester's own settings.
    import monitor_app.ui.main_window as mw
    monkeypatch.setattr(mw, "app_settings", lambda: QSettings(str(tmp_path / "qt.ini"), QSettings.IniFormat))
    yield
    errors.set_error_dialog_enabled(True)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """One demo clinic for the read-mostly tests of this module (creating it takes a few seconds)."""
    database = open_database(None, tmp_path_factory.mktemp("demo"), create=True)
    create_demo(database)
    yield database
    database.dispose()


def demo_actor(db, username: str):
    return users.sign_in(db, username, f"{username}-demo-pass")


def open_window(qtbot, db, actor, tmp_path, **kwargs) -> MainWindow:
    ctx = UiContext(db, actor)
    ctx.reload_settings()
    window = MainWindow(ctx, qsettings=QSettings(str(tmp_path / "win.ini"), QSettings.IniFormat), **kwargs)
    qtbot.addWidget(window)
    window.show()
    activate(qtbot, window)
    return window


def activate(qtbot, window) -> None:
    """Keyboard focus needs the active window, as on the nurse's screen."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def type_text(widget, text: str) -> None:
    """Type any Unicode as key events carrying the text (QTest's keyClicks handles Latin-1 only)."""
    for ch in text:
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key_unknown, Qt.NoModifier, ch))


def audit_count(db, action: str) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


# ------------------------------------------------------------------------------------------------ sign-in
def test_sign_in_typed_wrong_then_right(qtbot, db, actors):
    window = SignInWindow()
    qtbot.addWidget(window)
    window.show()
    activate(qtbot, window)
    window.set_database(db, "Test clinic")
    assert window.clinic.text() == "Test clinic"

    qtbot.keyClicks(window.username, "nurse")
    qtbot.keyClick(window.username, Qt.Key_Return)  # Enter moves on to the password
    assert window.password.hasFocus()
    qtbot.keyClicks(window.password, "not-the-password")
    failures = audit_count(db, "login_failed")
    qtbot.mouseClick(window.button, Qt.LeftButton)
    assert window.password.text() == ""  # a password is not left in the field, right or wrong
    assert "Checking" in window.message.text() and not window.button.isEnabled()  # checked in the background
    qtbot.waitUntil(lambda: "Wrong user name or password" in window.message.text(), timeout=5000)
    assert window.message.isVisible() and window.button.isEnabled()
    assert audit_count(db, "login_failed") == failures + 1

    logins = audit_count(db, "login")
    qtbot.keyClicks(window.password, PASSWORDS["nurse"])
    with qtbot.waitSignal(window.signed_in, timeout=5000) as signal:
        qtbot.keyClick(window.password, Qt.Key_Return)
    assert signal.args[0].username == "nurse"
    assert audit_count(db, "login") == logins + 1


def test_shell_shows_sign_in_first_then_opens_archive_and_main_window(qtbot, db, actors, tmp_path):
    from monitor_app.ui.application import Shell
    shell = Shell(None, str(db.data_dir))
    qtbot.addWidget(shell.signin)
    shell.start()
    assert shell.signin.isVisible()
    qtbot.waitUntil(lambda: shell.signin.db is not None, timeout=10000)
    qtbot.keyClicks(shell.signin.username, "charge")
    qtbot.keyClicks(shell.signin.password, PASSWORDS["charge"])
    qtbot.keyClick(shell.signin.password, Qt.Key_Return)
    qtbot.waitUntil(lambda: shell.main_window is not None and shell.main_window.isVisible(), timeout=5000)
    window = shell.main_window
    assert not shell.signin.isVisible()
    assert "Charge Tester" in window.user_label.text()
    assert window.act_settings.isVisible() and window.act_new.isVisible()
    assert "not a medical device" in window.disclaimer.text() and window.disclaimer.isVisible()

    window.sign_out()
    qtbot.waitUntil(shell.signin.isVisible)
    assert shell.main_window is None
    shell.db.dispose()


def test_unreadable_archive_is_a_clear_message(qtbot, tmp_path):
    from monitor_app.ui.application import Shell
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "chairside.sqlite").write_bytes(b"this is not an SQLite file at all" * 200)
    shell = Shell(None, str(folder))
    qtbot.addWidget(shell.signin)
    shell.start()
    qtbot.waitUntil(lambda: shell.signin.message.isVisible() and "cannot" in shell.signin.clinic.text(),
                    timeout=10000)
    text = shell.signin.message.text()
    assert "Traceback" not in text and "administrator" in text
    assert not shell.signin.button.isEnabled()


# ------------------------------------------------------------------------------------------------ floor
def test_floor_shows_a_card_per_active_chair(qtbot, demo_db, tmp_path):
    window = open_window(qtbot, demo_db, demo_actor(demo_db, "nina"), tmp_path)
    floor = window.floor
    assert window.workspace.currentWidget() is floor
    chairs = {card.record.chair: card for card in floor.cards}
    assert set(chairs) == {"1", "3", "4"}
    zoe = chairs["3"]
    assert "ZN" in zoe.who.text() and "100231" in zoe.who.text()
    assert zoe.phase.text() == "INFUSION"
    assert "184/112" in zoe.latest.text() and "\u25c6" in zoe.latest.text()  # critical: symbol, not colour alone
    assert "critical flag" in zoe.flags.text()
    assert chairs["4"].phase.text() == "RECOVERY"
    assert "Next reading due" in chairs["4"].due.text()


def test_reading_saved_elsewhere_appears_on_the_floor(qtbot, demo_db, tmp_path):
    window = open_window(qtbot, demo_db, demo_actor(demo_db, "carla"), tmp_path)
    card = next(c for c in window.floor.cards if c.record.chair == "4")
    session_id = card.record.id
    assert "131/79" not in card.latest.text()
    # Another nurse at another workstation saves a reading; nobody touches this window.
    tomas = demo_actor(demo_db, "tomas")
    clinical.record_reading(demo_db, tomas, session_id, Vitals(131, 79, 71, 98))
    qtbot.waitUntil(lambda: (c := window.floor.card_for(session_id)) is not None and "131/79" in c.latest.text(),
                    timeout=8000)


def test_overdue_reading_is_marked(qtbot, demo_db, tmp_path):
    window = open_window(qtbot, demo_db, demo_actor(demo_db, "nina"), tmp_path)
    card = next(c for c in window.floor.cards if c.record.chair == "3")
    assert not card.overdue
    window.ctx.clock = lambda: datetime.now(timezone.utc) + timedelta(minutes=30)
    window.floor.retime()
    assert card.overdue
    assert "OVERDUE" in card.due.text()


def test_clicking_a_card_opens_its_session_screen(qtbot, demo_db, tmp_path):
    window = open_window(qtbot, demo_db, demo_actor(demo_db, "nina"), tmp_path)
    card = next(c for c in window.floor.cards if c.record.chair == "1")
    qtbot.mouseClick(card, Qt.LeftButton)
    assert (card.record.id, False) in window.sessions
    assert window.workspace.currentWidget() is window.sessions[(card.record.id, False)]
    window.show_floor()
    assert window.workspace.currentWidget() is window.floor


# ------------------------------------------------------------------------------------------------ new session
def _start_new_patient(qtbot, window):
    window.act_new.trigger()
    page = window.new_session_page
    assert window.workspace.currentWidget() is page
    type_text(page.search_field, "Żół")
    qtbot.keyClick(page.search_field, Qt.Key_Return)
    assert page.patient is None
    qtbot.mouseClick(page.new_patient_button, Qt.LeftButton)
    assert page.patient_form.isVisible()
    return page


def test_new_session_typed_by_a_nurse_creates_patient_course_and_session(qtbot, db, actors, tmp_path):
    window = open_window(qtbot, db, actors["nurse"], tmp_path)
    page = _start_new_patient(qtbot, window)
    qtbot.keyClicks(page.mrn, "200001")
    type_text(page.family_name, "Żółć")
    type_text(page.given_name, "Łukasz")
    qtbot.keyClicks(page.dob, "1979-11-03")
    qtbot.keyClicks(page.weight, "82")
    qtbot.keyClicks(page.allergies, "Latex")
    page.indication.setCurrentIndex(page.indication.findData("ocd"))
    page.measure.setCurrentIndex(page.measure.findData("ybocs"))
    qtbot.keyClicks(page.prescriber, "Dr. Imani Reyes")
    assert page.total.text() == "41"  # 0.5 mg/kg x 82 kg, computed as the weight is typed
    qtbot.keyClicks(page.chair, "5")
    qtbot.keyClicks(page.lot, "KX9001")
    assert page.outcome.isVisible() and "0-40" in page.outcome.placeholderText()
    qtbot.keyClicks(page.outcome, "27")
    page.medicine_boxes["Benzodiazepines"].click()
    for box in page.checklist_boxes.values():
        box.click()
    qtbot.mouseClick(page.start_button, Qt.LeftButton)

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
    assert (session.id, False) in window.sessions  # the new session's screen is open
    assert window.new_session_page is None


def test_refused_weight_is_explained_at_the_field_and_kept(qtbot, db, actors, tmp_path):
    window = open_window(qtbot, db, actors["nurse"], tmp_path)
    page = _start_new_patient(qtbot, window)
    qtbot.keyClicks(page.mrn, "200002")
    qtbot.keyClicks(page.family_name, "Ngata")
    qtbot.keyClicks(page.given_name, "Aroha")
    qtbot.keyClicks(page.weight, "900")
    qtbot.keyClicks(page.chair, "2")
    qtbot.mouseClick(page.start_button, Qt.LeftButton)
    message = page.fields.text("weight_kg")
    assert "Weight" in message and "20" in message and "300" in message
    assert page.weight.text() == "900" and page.family_name.text() == "Ngata" and page.chair.text() == "2"
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 0

    page.weight.clear()
    qtbot.keyClicks(page.weight, "90")
    qtbot.mouseClick(page.start_button, Qt.LeftButton)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(InfusionSession)) == 1


def test_refused_dose_keeps_the_created_patient_chosen(qtbot, db, actors, tmp_path):
    window = open_window(qtbot, db, actors["nurse"], tmp_path)
    page = _start_new_patient(qtbot, window)
    qtbot.keyClicks(page.mrn, "200003")
    type_text(page.family_name, "Kierkegård")
    type_text(page.given_name, "Søren")
    page.dose.clear()
    qtbot.keyClicks(page.dose, "9")
    qtbot.mouseClick(page.start_button, Qt.LeftButton)
    assert "between 0.01 and 5 mg/kg" in page.fields.text("dose_mg_per_kg")
    assert page.patient is not None and page.patient.mrn == "200003"
    page.dose.clear()
    qtbot.keyClicks(page.dose, "0.5")
    qtbot.mouseClick(page.start_button, Qt.LeftButton)
    with db.reader() as s:  # patient and course were not created twice
        assert s.scalar(select(func.count()).select_from(Patient)) == 1
        assert s.scalar(select(func.count()).select_from(Course)) == 1
        assert s.scalar(select(func.count()).select_from(InfusionSession)) == 1


# ------------------------------------------------------------------------------------------------ lock
def test_inactivity_lock_hides_the_screen_and_keeps_half_typed_text(qtbot, db, actors, tmp_path):
    window = open_window(qtbot, db, actors["nurse"], tmp_path, lock_after_ms=400)
    window.act_new.trigger()
    page = window.new_session_page
    qtbot.mouseClick(page.new_patient_button, Qt.LeftButton)
    qtbot.keyClicks(page.family_name, "Nguy")  # half-typed when the nurse walks away
    qtbot.waitUntil(lambda: window.locked, timeout=5000)
    assert not window.workspace.isVisible() and not page.family_name.isVisible()
    assert window.lock_screen.isVisible()
    visible_text = " ".join(w.text() for w in window.findChildren(QLabel) if w.isVisible())
    assert "Nguy" not in visible_text and "MRN" not in visible_text
    assert not window.menuBar().isEnabled()

    window.inactivity.set_timeout_ms(60_000)  # no second lock while the test checks the screen
    lock = window.lock_screen
    qtbot.keyClicks(lock.password, "wrong-password")
    qtbot.keyClick(lock.password, Qt.Key_Return)
    assert window.locked and "Wrong user name or password" in lock.message.text()
    logins = audit_count(db, "login")
    qtbot.keyClicks(lock.password, PASSWORDS["nurse"])
    qtbot.keyClick(lock.password, Qt.Key_Return)
    assert not window.locked
    assert audit_count(db, "login") == logins + 1  # unlocking is an audited sign-in
    assert window.workspace.currentWidget() is page and page.family_name.isVisible()
    assert page.family_name.text() == "Nguy"
    type_text(page.family_name, "ễn")
    assert page.family_name.text() == "Nguyễn"


def test_lock_then_sign_out(qtbot, db, actors, tmp_path):
    window = open_window(qtbot, db, actors["nurse"], tmp_path)
    window.act_lock.trigger()
    assert window.locked
    with qtbot.waitSignal(window.signed_out, timeout=2000):
        qtbot.mouseClick(window.lock_screen.sign_out_button, Qt.LeftButton)


# ------------------------------------------------------------------------------------------------ archive
def test_archive_finds_by_name_prefix_and_mrn_for_an_auditor(qtbot, demo_db, tmp_path):
    window = open_window(qtbot, demo_db, demo_actor(demo_db, "audrey"), tmp_path)
    assert window.floor is None and not window.act_new.isVisible() and not window.act_settings.isVisible()
    archive = window.archive
    assert window.workspace.currentWidget() is archive
    qtbot.keyClicks(archive.search_field, "Zoe")  # accents ignored (SPEC 3 rule 8): "Zo" would find Żółć too
    qtbot.keyClick(archive.search_field, Qt.Key_Return)
    names = {r.patient_name for r in archive.model.rows}
    assert names == {"Zoë Nguyễn"} and len(archive.model.rows) == 4
    assert archive.model.index(0, 2).data() == "Zoë Nguyễn"

    archive.search_field.clear()
    qtbot.keyClicks(archive.search_field, "100232")
    qtbot.mouseClick(archive.search_button, Qt.LeftButton)
    assert [r.mrn for r in archive.model.rows] == ["100232"]

    archive.date_from.setText("yesterday")
    qtbot.mouseClick(archive.search_button, Qt.LeftButton)
    assert "YYYY-MM-DD" in archive.fields.text("date_from")
    archive.date_from.clear()

    archive.verify()
    qtbot.waitUntil(lambda: "Intact" in archive.message.text(), timeout=20000)


def test_course_view_from_the_archive(qtbot, demo_db, tmp_path):
    window = open_window(qtbot, demo_db, demo_actor(demo_db, "carla"), tmp_path)
    window.show_archive()
    archive = window.archive
    qtbot.keyClicks(archive.search_field, "Nguy")
    qtbot.keyClick(archive.search_field, Qt.Key_Return)
    archive.table.selectRow(len(archive.model.rows) - 1)  # the oldest: infusion 1
    qtbot.mouseClick(archive.course_button, Qt.LeftButton)
    page = window.workspace.currentWidget()
    rows = page.model.rows
    assert [r.number for r in rows] == [1, 2, 3, 4, 5, 6]  # 5 and 6 still planned
    assert rows[0].peak.bp == "186/104" and rows[4].planned
    assert page.model.headerData(12, Qt.Horizontal) == "PHQ-9 before"


def test_large_type_is_persisted(qtbot, db, actors, tmp_path):
    from monitor_app.ui import theme
    from monitor_app.ui.widgets import apply_type_size
    window = open_window(qtbot, db, actors["nurse"], tmp_path)
    try:
        window.act_large.trigger()
        assert QApplication.instance().font().pointSize() == theme.LARGE_POINT_SIZE
        assert window.qsettings.value("view/large_type") in (True, "true")
    finally:
        apply_type_size(False)


def test_uncaught_error_is_logged_without_a_dialog(qtbot, caplog):
    try:
        raise ValueError("bo" + "om")  # built at run time, as typed text would be
    except ValueError as exc:
        errors.report(type(exc), exc, exc.__traceback__)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ValueError" in logged and "test_uncaught_error_is_logged_without_a_dialog" in logged  # type and stack
    assert "boom" not in logged  # an error's message may carry what was typed: never logged
