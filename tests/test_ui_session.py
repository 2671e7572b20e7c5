"""The chairside session screen driven as a nurse drives it: keyboard entry, shortcuts, dialogs, the database after."""
from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.session import Status
from monitor_app.domain.thresholds import Level
from monitor_app.domain.vitals import Vitals
from monitor_app.services import clinical, queries
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.chart import BandSegment
from monitor_app.ui.session.readings_model import COLUMN_INDEX, HtmlRole
from monitor_app.ui.session.screen import SessionScreen
from tests.conftest import PASSWORDS


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def session(db, actors, t0):
    nurse = actors["nurse"]
    pid = clinical.create_patient(db, nurse, mrn="S-100", family_name="Nguyễn", given_name="Zoë", weight_kg=64)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="depression")
    return clinical.create_session(db, nurse, course_id=cid, chair="3", arrival_at=t0, now=t0)


def open_screen(qtbot, db, actor, session_id, clock, read_only=False):
    ctx = UiContext(db, actor)
    ctx.reload_settings()
    ctx.clock = clock
    screen = SessionScreen(ctx, session_id, read_only=read_only)
    screen.timer.stop()  # the test moves time itself
    qtbot.addWidget(screen)
    screen.resize(1280, 800)
    screen.show()
    qtbot.waitExposed(screen)
    screen.activateWindow()  # keyboard focus needs the active window, as at the chair
    qtbot.waitUntil(screen.isActiveWindow, timeout=3000)
    screen.entry.focus_bp()
    return screen


def type_keys(qtbot, keys: str) -> None:
    """Type into whatever has the focus: text, Tab (\\t) and Enter (\\n), as on a keyboard."""
    for ch in keys:
        target = QApplication.focusWidget()
        assert target is not None, "nothing has the keyboard focus"
        if ch == "\t":
            qtbot.keyClick(target, Qt.Key.Key_Tab)
        elif ch == "\n":
            qtbot.keyClick(target, Qt.Key.Key_Return)
        else:
            qtbot.keyClicks(target, ch)


def press(qtbot, screen, key) -> None:
    """A function key, pressed wherever the focus is, with the screen the active window again (the offscreen
    platform does not hand activation back when a dialog closes, as a desktop does)."""
    screen.activateWindow()
    qtbot.waitUntil(screen.isActiveWindow, timeout=3000)
    qtbot.keyClick(QApplication.focusWidget() or screen, key)


def on_next_dialog(act):
    """Do `act(dialog)` on the next modal dialog as soon as it is shown; close it if `act` left it open."""
    def check():
        w = QApplication.activeModalWidget()
        if w is None:
            QTimer.singleShot(10, check)
            return
        try:
            act(w)
        finally:
            if w.isVisible():
                w.reject()
    QTimer.singleShot(0, check)


def ok(dialog):
    dialog.ok_button.click()
    assert not dialog.error.isVisible(), dialog.error.text()


def test_a_whole_session_by_keyboard(qtbot, db, actors, t0, session):
    nurse = actors["nurse"]
    clock = Clock(t0 + timedelta(minutes=5))
    screen = open_screen(qtbot, db, nurse, session, clock)
    entry = screen.entry
    assert QApplication.focusWidget() is entry.edits["bp"]

    # Baseline, typed: digits, one separator per field, Enter.
    type_keys(qtbot, "128/82\t72\t98\n")
    assert entry.confirmation.text().startswith(f"\u2713 Saved {fmt_time(clock.t, screen.ctx.zone)}")
    assert all(e.text() == "" for e in entry.edits.values())
    assert QApplication.focusWidget() is entry.edits["bp"]
    assert screen.model.rowCount() == 1

    # Start with the keyboard shortcut.
    clock.t = t0 + timedelta(minutes=10)
    press(qtbot, screen, Qt.Key.Key_F5)
    assert screen.record.infusion_start_at == clock.t
    assert not screen.header.buttons["start"].isEnabled() and screen.header.buttons["stop"].isEnabled()

    typed = [(20, "142/88", 80, 98), (30, "186/104", 96, 97), (40, "150/92", 84, 97), (50, "140/86", 78, 98)]
    for minute, bp, hr, spo2 in typed:
        clock.t = t0 + timedelta(minutes=minute)
        type_keys(qtbot, f"{bp}\t{hr}\t{spo2}\n")
        assert entry.confirmation.text().startswith("\u2713 Saved"), entry.error.text()
    assert screen.model.rowCount() == 5
    # The critical reading is flagged at once: table (colour and symbol), open flags list, chart.
    bp_cell = screen.model.index(2, COLUMN_INDEX["bp"])
    assert bp_cell.data() == "\u25c6 186/104"
    assert bp_cell.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "critical" in screen.flags.title.text()
    assert any(p == "systolic" and lv == Level.CRITICAL for p, lv, _x, _y in screen.chart.flagged_points())

    # Acknowledge the critical systolic flag: clinician notified.
    clock.t = t0 + timedelta(minutes=31)
    systolic_row = next(i for i, (f, _at) in enumerate(screen.flags.flags) if f.parameter == "systolic")
    screen.flags.list.setCurrentRow(systolic_row)

    def acknowledge(d):
        d.action.setCurrentIndex(d.action.findData("clinician_notified"))
        qtbot.keyClicks(d.action_text, "Dr. Reyes informed")
        ok(d)
    on_next_dialog(acknowledge)
    qtbot.mouseClick(screen.flags.ack_button, Qt.MouseButton.LeftButton)

    # A side effect from the quick buttons.
    clock.t = t0 + timedelta(minutes=33)

    def nausea(d):
        qtbot.mouseClick(d.severity_buttons["moderate"], Qt.MouseButton.LeftButton)
        d.note.setFocus()
        qtbot.keyClicks(d.note, "settled")
        ok(d)
    on_next_dialog(nausea)
    qtbot.mouseClick(screen.events.quick_buttons["nausea"], Qt.MouseButton.LeftButton)
    assert screen.events.list.count() == 1
    assert screen.chart.event_marks == [(1, pytest.approx(23.0))]

    # Stop (after the planned 40 minutes: a confirmation), recovery readings, discharge with F8.
    clock.t = t0 + timedelta(minutes=52)
    on_next_dialog(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    press(qtbot, screen, Qt.Key.Key_F7)
    assert screen.record.infusion_end_at == clock.t
    clock.t = t0 + timedelta(minutes=67)
    screen.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is screen.entry.edits["bp"], timeout=3000)
    type_keys(qtbot, "132/84\t74\t98\n")
    typed.append((67, "132/84", 74, 98))
    assert screen.due.text().startswith("\u25d4 Next reading due")

    clock.t = t0 + timedelta(minutes=85)

    def discharge(d):
        for group in d.groups.values():
            qtbot.mouseClick(group.button(2), Qt.MouseButton.LeftButton)
        assert "10 of 10" in d.total.text()
        qtbot.keyClick(d.escort_present, Qt.Key.Key_Space)
        qtbot.keyClicks(d.escort_name, "Sam Ngata")
        qtbot.keyClick(d.instructions, Qt.Key.Key_Space)
        assert "ended" in d.observation.text()
        ok(d)
    on_next_dialog(discharge)
    press(qtbot, screen, Qt.Key.Key_F8)
    assert screen.record.status == Status.AWAITING_SIGNATURE

    # Sign with the password.
    clock.t = t0 + timedelta(minutes=90)

    def sign(d):
        assert d.ok_button.isEnabled(), d.missing.text()
        qtbot.keyClicks(d.password, PASSWORDS["nurse"])
        ok(d)
    on_next_dialog(sign)
    qtbot.mouseClick(screen.sign_button, Qt.MouseButton.LeftButton)

    # The database holds exactly what was typed and done.
    rec = queries.get_record(db, nurse, session)
    values = [(r.current.systolic, r.current.diastolic, r.current.heart_rate, r.current.spo2) for r in rec.readings]
    expected = [(128, 82, 72, 98)] + [(int(bp.split("/")[0]), int(bp.split("/")[1]), hr, spo2)
                                      for _m, bp, hr, spo2 in typed]
    assert values == expected
    assert [r.measured_at for r in rec.readings] == [t0 + timedelta(minutes=m) for m in (5, 20, 30, 40, 50, 67)]
    critical = [f for f in rec.flags if f.level == Level.CRITICAL]
    assert {(f.parameter, f.value) for f in critical} == {("systolic", 186)}
    ack = critical[0].ack
    assert ack is not None and ack.action == "clinician_notified" and ack.action_text == "Dr. Reyes informed"
    assert [(e.kind, e.severity, e.note) for e in rec.events] == [("nausea", "moderate", "settled")]
    assert rec.discharge.total == 10 and rec.discharge.escort_name == "Sam Ngata" and rec.discharge.observation_met
    assert [(s.meaning, s.printed_name) for s in rec.signatures] == [("Authored", "Nurse Tester")]
    assert rec.status == Status.SIGNED

    # The chart plots exactly those values, at minutes from the start, against the session's limits.
    chart = screen.chart
    minutes = [-5, 10, 20, 30, 40, 57]
    assert chart.series_points("systolic") == [(m, v[0]) for m, v in zip(minutes, expected)]
    assert chart.series_points("diastolic") == [(m, v[1]) for m, v in zip(minutes, expected)]
    assert chart.series_points("heart_rate") == [(m, v[2]) for m, v in zip(minutes, expected)]
    assert chart.series_points("spo2") == [(m, v[3]) for m, v in zip(minutes, expected)]
    left, right = chart.x_range
    limits = rec.thresholds
    for p in ("systolic", "diastolic", "heart_rate", "spo2"):
        L = limits.for_parameter(p)
        wanted = []
        if L.low_critical is not None:
            wanted.append(BandSegment(p, Level.CRITICAL, left, right, None, L.low_critical))
        if L.low_warning is not None:
            wanted.append(BandSegment(p, Level.WARNING, left, right, L.low_critical, L.low_warning))
        if L.high_warning is not None:
            wanted.append(BandSegment(p, Level.WARNING, left, right, L.high_warning, L.high_critical))
        if L.high_critical is not None:
            wanted.append(BandSegment(p, Level.CRITICAL, left, right, L.high_critical, None))
        assert [b for b in chart.bands if b.parameter == p] == wanted
    assert BandSegment("systolic", Level.CRITICAL, left, right, 180, None) in chart.bands

    # Signed: locked on screen, the signature shown.
    assert not screen.entry_box.isVisible()
    assert "Authored" in screen.signatures.body.text() and "Nurse Tester" in screen.signatures.body.text()


@pytest.mark.parametrize("fields, field, words", [
    ({"bp": "300/310"}, "bp", ["Diastolic BP", "20-200"]),
    ({"bp": "12O/80"}, "bp", ["Systolic BP", "40-300"]),
    ({"bp": "120/"}, "bp", ["systolic/diastolic", "40-300", "20-200"]),
    ({"bp": "120/80", "spo2": "101"}, "spo2", ["SpO2", "50-100"]),
    ({"time": "FUTURE", "bp": "120/80"}, "time", ["Time", "2 minutes in the future"]),
])
def test_refused_entries_keep_the_text_and_save_nothing(qtbot, db, actors, t0, session, fields, field, words):
    clock = Clock(t0 + timedelta(minutes=5))
    screen = open_screen(qtbot, db, actors["nurse"], session, clock)
    entry = screen.entry
    if fields.get("time") == "FUTURE":
        fields = {**fields, "time": fmt_time(clock.t + timedelta(minutes=10), screen.ctx.zone)}
    entry.edits["time"].setFocus()
    order = ("time", "bp", "heart_rate", "spo2")
    text = "\t".join(fields.get(k, "72" if k == "heart_rate" else "") for k in order) + "\n"
    type_keys(qtbot, text)

    assert entry.error.isVisible()
    for w in words:
        assert w in entry.error.text()
    assert entry.bad_field == field
    assert QApplication.focusWidget() is entry.edits[field]
    assert "border" in entry.edits[field].styleSheet()
    assert QApplication.activeModalWidget() is None  # inline, not a dialog over what was typed
    for k in order:
        assert entry.edits[k].text() == fields.get(k, "72" if k == "heart_rate" else "")
    assert entry.confirmation.text() == ""
    assert queries.get_record(db, actors["nurse"], session).readings == []
    assert screen.model.rowCount() == 0

    # Correcting the field and pressing Enter saves it.
    edit = entry.edits[field]
    edit.clear()
    qtbot.keyClicks(edit, {"bp": "120/80", "spo2": "97", "time": ""}[field])
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert not entry.error.isVisible()
    assert len(queries.get_record(db, actors["nurse"], session).readings) == 1


def test_amend_and_entered_in_error_from_the_table(qtbot, db, actors, t0, session):
    nurse = actors["nurse"]
    r1 = clinical.record_reading(db, nurse, session, Vitals(128, 82, 72, 98), measured_at=t0 + timedelta(minutes=3),
                                 now=t0 + timedelta(minutes=3))
    r2 = clinical.record_reading(db, nurse, session, Vitals(130, 80, 75, 97), measured_at=t0 + timedelta(minutes=6),
                                 now=t0 + timedelta(minutes=20))  # typed in 14 minutes later: a late entry
    clock = Clock(t0 + timedelta(minutes=21))
    screen = open_screen(qtbot, db, nurse, session, clock)
    table, model = screen.table, screen.model
    assert model.index(1, COLUMN_INDEX["time"]).data().startswith("\u25f7")
    assert "entered" in model.index(1, COLUMN_INDEX["time"]).data()

    # Amend the first reading's BP.
    rect = table.visualRect(model.index(0, COLUMN_INDEX["bp"]))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    def amend(d):
        assert d.fields["bp"].text() == "128/82"
        d.fields["bp"].selectAll()
        qtbot.keyClicks(d.fields["bp"], "138/82")
        d.reason.setFocus()
        qtbot.keyClicks(d.reason, "Misread the display")
        ok(d)
    on_next_dialog(amend)
    qtbot.mouseClick(screen.amend_button, Qt.MouseButton.LeftButton)
    cell = model.index(0, COLUMN_INDEX["bp"])
    assert cell.data() == "\u270e 138/82 (was 128/82)"
    assert "<s" in cell.data(HtmlRole) and "128/82" in cell.data(HtmlRole)
    assert "Misread the display" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert screen.chart.series_points("systolic")[0][1] == 138

    # A reason is mandatory for entered in error; the dialog says so and stays open.
    rect = table.visualRect(model.index(1, COLUMN_INDEX["bp"]))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    seen = {}

    def error(d):
        d.ok_button.click()
        seen["refusal"] = d.error.text()
        d.reason.setFocus()
        qtbot.keyClicks(d.reason, "Wrong chair")
        ok(d)
    on_next_dialog(error)
    qtbot.mouseClick(screen.error_button, Qt.MouseButton.LeftButton)
    assert "Reason is required" in seen["refusal"]
    font = model.index(1, COLUMN_INDEX["bp"]).data(Qt.ItemDataRole.FontRole)
    assert font.strikeOut()
    assert "Wrong chair" in model.index(1, COLUMN_INDEX["comment"]).data()
    assert len(screen.chart.series_points("systolic")) == 1

    rec = queries.get_record(db, nurse, session)
    first, second = rec.readings
    assert first.id == r1 and first.original.systolic == 128 and first.current.systolic == 138
    assert first.amendments[0].reason == "Misread the display"
    assert second.id == r2 and second.entered_in_error and second.error.reason == "Wrong chair"


def test_read_only_shows_the_record_without_editing_controls(qtbot, db, actors, t0, session):
    nurse = actors["nurse"]
    clinical.record_reading(db, nurse, session, Vitals(128, 82, 72, 98), measured_at=t0 + timedelta(minutes=3),
                            now=t0 + timedelta(minutes=3))
    screen = open_screen(qtbot, db, actors["auditor"], session, Clock(t0 + timedelta(minutes=10)))
    assert screen.read_only
    assert screen.model.rowCount() == 1
    for w in (screen.entry_box, screen.header.actions, screen.flags.ack_button, screen.events.quick,
              screen.amend_button, screen.error_button, screen.sign_button, screen.limits_button):
        assert not w.isVisible()
    assert screen.read_only_note.isVisible()
    assert screen.chart.series_points("systolic") == [(-7.0, 128.0)]


def test_start_above_the_preinfusion_limit_asks_for_the_authorising_clinician(qtbot, db, actors, t0):
    from dataclasses import replace
    from monitor_app.services import settings
    from monitor_app.domain.thresholds import KETAMINE_DEFAULT
    nurse, charge = actors["nurse"], actors["charge"]
    strict = replace(KETAMINE_DEFAULT, name="Strict start", preinfusion_systolic_max=150)
    profile = settings.save_profile(db, charge, strict)
    pid = clinical.create_patient(db, nurse, mrn="S-200", family_name="Żółć", given_name="Łukasz")
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="ocd")
    sid = clinical.create_session(db, nurse, course_id=cid, profile_id=profile, arrival_at=t0, now=t0)
    clinical.record_reading(db, nurse, sid, Vitals(162, 90, 80, 98), measured_at=t0 + timedelta(minutes=3),
                            now=t0 + timedelta(minutes=3))
    clock = Clock(t0 + timedelta(minutes=10))
    screen = open_screen(qtbot, db, nurse, sid, clock)

    def authorise(d):
        qtbot.keyClicks(d.clinician, "Dr. Reyes")
        d.note.setFocus()
        qtbot.keyClicks(d.note, "Known hypertensive, proceed")
        ok(d)
    on_next_dialog(authorise)
    press(qtbot, screen, Qt.Key.Key_F5)
    rec = queries.get_record(db, nurse, sid)
    assert rec.infusion_start_at == clock.t
    assert [(e.kind, e.details.get("clinician")) for e in rec.events] == [("start_authorised", "Dr. Reyes")]
