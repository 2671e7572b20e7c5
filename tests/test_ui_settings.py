"""Settings and order dialogs driven as a charge nurse would: typing into the limits editor, saving, orders."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy import func, select

from monitor_app.domain.schedule import IV_KETAMINE
from monitor_app.domain.thresholds import KETAMINE_DEFAULT, NEWS2, Level
from monitor_app.domain.vitals import parse_vitals
from monitor_app.services import clinical, queries, settings
from monitor_app.storage.models import AuditEvent
from monitor_app.ui.context import UiContext
from monitor_app.ui.settings.settings_window import SettingsWindow
from tests.session_flow import TICKED

M = timedelta(minutes=1)


def context(db, actor, now=None):
    ctx = UiContext(db, actor)
    ctx.reload_settings()
    if now is not None:
        ctx.clock = lambda: now
    return ctx


def type_into(qtbot, widget, text):
    """Select what the cell holds and type over it, as a nurse does."""
    qtbot.mouseClick(widget, Qt.LeftButton)
    qtbot.keyClick(widget, Qt.Key_A, Qt.ControlModifier)
    if text:
        qtbot.keyClicks(widget, text)
    else:
        qtbot.keyClick(widget, Qt.Key_Delete)


def default_profile(db):
    default = settings.read_settings(db).default_profile_id
    return next(t for pid, t, *_ in settings.list_profiles(db) if pid == default)


def audit_count(db, entity):
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == entity))


def discard_edits(win):
    """At teardown, drop unsaved edits so closing does not stop on the 'discard changes?' question."""
    win.profiles.revert()
    win.schedules.revert()


@pytest.fixture
def window(qtbot, db, actors):
    win = SettingsWindow(context(db, actors["charge"]))
    qtbot.addWidget(win, before_close_func=discard_edits)
    win.show()
    return win


def test_a_charge_nurse_types_new_limits_and_saves_them(qtbot, db, window):
    tab = window.profiles
    assert tab.current.name == KETAMINE_DEFAULT.name
    type_into(qtbot, tab.limits.cells[("systolic", "high_warning")], "150")
    type_into(qtbot, tab.limits.cells[("heart_rate", "low_critical")], "")  # blank: no low critical limit
    type_into(qtbot, tab.limits.preinfusion["preinfusion_systolic_max"], "180")
    qtbot.keyClicks(tab.reason_edit, "Clinic review")
    assert tab.save_button.isEnabled()
    qtbot.mouseClick(tab.save_button, Qt.LeftButton)

    saved = default_profile(db)
    assert saved.for_parameter("systolic").high_warning == 150
    assert saved.for_parameter("systolic").high_critical == 180
    assert saved.for_parameter("heart_rate").low_critical is None
    assert saved.for_parameter("heart_rate").low_warning == 50
    assert saved.preinfusion_systolic_max == 180 and saved.preinfusion_diastolic_max is None
    assert "Saved" in tab.message.text() and not tab.dirty
    assert not tab.save_button.isEnabled()
    with db.reader() as s:
        row = s.scalars(select(AuditEvent).where(AuditEvent.entity == "threshold_profile")
                        .order_by(AuditEvent.seq.desc())).first()
        assert (row.username, row.action, row.reason) == ("charge", "update", "Clinic review")
        before, after = json.loads(row.before), json.loads(row.after)
    assert before["limits"]["limits"]["systolic"]["high_warning"] == 160
    assert after["limits"]["limits"]["systolic"]["high_warning"] == 150


def test_inconsistent_limits_are_explained_kept_and_not_saved(qtbot, db, window):
    tab = window.profiles
    rows = audit_count(db, "threshold_profile")
    high_warning = tab.limits.cells[("systolic", "high_warning")]
    type_into(qtbot, high_warning, "190")

    message = tab.limits.error.text()
    assert tab.limits.error.isVisible()
    assert "Systolic BP" in message and "high warning (190)" in message and "high critical (180)" in message
    assert high_warning in tab.limits.marked and tab.limits.cells[("systolic", "high_critical")] in tab.limits.marked
    assert "background" in high_warning.styleSheet()

    qtbot.mouseClick(tab.save_button, Qt.LeftButton)
    assert high_warning.text() == "190"  # nothing typed is lost
    assert "Systolic BP" in tab.message.text()
    assert default_profile(db) == KETAMINE_DEFAULT
    assert audit_count(db, "threshold_profile") == rows

    # Text that is not a number names the parameter and the column.
    cell = tab.limits.cells[("heart_rate", "low_warning")]
    type_into(qtbot, cell, "5O")
    assert "Heart rate, low warning" in tab.limits.error.text() and "'5O' is not a number" in tab.limits.error.text()
    assert cell in tab.limits.marked

    # Correcting both clears the marks; the profile then saves.
    type_into(qtbot, cell, "50")
    type_into(qtbot, high_warning, "170")
    assert not tab.limits.error.isVisible() and tab.limits.marked == []
    assert high_warning.styleSheet() == ""
    qtbot.mouseClick(tab.save_button, Qt.LeftButton)
    assert default_profile(db).for_parameter("systolic").high_warning == 170


def test_the_preview_bands_follow_the_edit(qtbot, window):
    tab = window.profiles
    assert (Level.WARNING, 160, 180) in tab.preview.bands_for("systolic")
    type_into(qtbot, tab.limits.cells[("systolic", "high_warning")], "150")
    assert (Level.WARNING, 150, 180) in tab.preview.bands_for("systolic")
    assert (Level.WARNING, 160, 180) not in tab.preview.bands_for("systolic")
    type_into(qtbot, tab.limits.cells[("spo2", "low_warning")], "")
    assert tab.preview.bands_for("spo2") == [(Level.CRITICAL, None, 92)]
    # While the limits are inconsistent, the preview keeps the last consistent ones.
    type_into(qtbot, tab.limits.cells[("systolic", "high_warning")], "190")
    assert (Level.WARNING, 150, 180) in tab.preview.bands_for("systolic")


def test_duplicate_rename_default_and_retire(qtbot, db, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    tab = window.profiles
    news2_row = next(i for i, e in enumerate(tab.entries) if e.name == NEWS2.name)
    tab.list.setCurrentRow(news2_row)
    assert tab.current.name == NEWS2.name and "not clinical advice" in tab.status.text()
    qtbot.mouseClick(tab.duplicate_button, Qt.LeftButton)
    assert tab.current.name == f"{NEWS2.name} (copy)"
    type_into(qtbot, tab.name_edit, "NEWS2 for our clinic")
    qtbot.mouseClick(tab.save_button, Qt.LeftButton)
    names = [t.name for _id, t, *_ in settings.list_profiles(db)]
    assert "NEWS2 for our clinic" in names and f"{NEWS2.name} (copy)" not in names

    qtbot.mouseClick(tab.default_button, Qt.LeftButton)
    assert default_profile(db).name == "NEWS2 for our clinic"
    assert not tab.retire_button.isEnabled()  # the clinic default cannot be retired

    # A duplicate name is refused with the reason, and the typed name stays.
    type_into(qtbot, tab.name_edit, NEWS2.name)
    qtbot.mouseClick(tab.save_button, Qt.LeftButton)
    assert "already used" in tab.message.text() and tab.name_edit.text() == NEWS2.name
    qtbot.mouseClick(tab.revert_button, Qt.LeftButton)

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    tab.list.setCurrentRow(next(i for i, e in enumerate(tab.entries) if e.name == KETAMINE_DEFAULT.name))
    qtbot.mouseClick(tab.retire_button, Qt.LeftButton)
    assert KETAMINE_DEFAULT.name not in [t.name for _id, t, *_ in settings.list_profiles(db)]
    assert KETAMINE_DEFAULT.name in [t.name for _id, t, *_ in settings.list_profiles(db, include_retired=True)]
    assert KETAMINE_DEFAULT.name not in [e.name for e in tab.entries]
    tab.show_retired.setChecked(True)
    retired = next(e for e in tab.entries if e.name == KETAMINE_DEFAULT.name)
    tab.list.setCurrentRow(tab.entries.index(retired))
    assert tab.limits.cells[("systolic", "high_warning")].isReadOnly()


@pytest.mark.parametrize("role", ["nurse", "auditor"])
def test_other_roles_see_the_editors_read_only(qtbot, db, actors, role):
    win = SettingsWindow(context(db, actors[role]))
    qtbot.addWidget(win, before_close_func=discard_edits)
    win.show()
    tab = win.profiles
    assert tab.read_only_note.isVisible()
    assert not tab.save_button.isVisible() and not tab.duplicate_button.isVisible()
    cell = tab.limits.cells[("systolic", "high_warning")]
    assert cell.isReadOnly()
    qtbot.keyClicks(cell, "9")
    assert cell.text() == "160"
    assert win.schedules.schedule_editor.fields["infusion_interval_min"].isReadOnly()
    assert not win.clinic.save_button.isVisible() and not win.users.add_box.isVisible()


def test_schedules_are_edited_with_messages_naming_field_and_range(qtbot, db, window):
    tab = window.schedules
    window.tabs.setCurrentWidget(tab)
    field = tab.schedule_editor.fields["infusion_interval_min"]
    type_into(qtbot, field, "0")
    assert "Interval during the infusion" in tab.schedule_editor.error.text()
    assert "between 1 and 120" in tab.schedule_editor.error.text()
    qtbot.mouseClick(tab.save_button, Qt.LeftButton)
    assert field.text() == "0"
    assert settings.list_schedules(db)[0][1] == IV_KETAMINE
    type_into(qtbot, field, "5")
    tab.schedule_editor.observation_from.setCurrentIndex(1)
    qtbot.mouseClick(tab.save_button, Qt.LeftButton)
    saved = settings.list_schedules(db)[0][1]
    assert saved.infusion_interval_min == 5 and saved.observation_from == "first_dose"


def test_an_administrator_changes_clinic_details_and_adds_a_user(qtbot, db, actors, tmp_path):
    win = SettingsWindow(context(db, actors["admin"]))
    qtbot.addWidget(win, before_close_func=discard_edits)
    win.show()
    clinic = win.clinic
    type_into(qtbot, clinic.name, "Harbour Ketamine Clinic")
    clinic.timezone.setCurrentText("Mars/Olympus")
    qtbot.mouseClick(clinic.save_button, Qt.LeftButton)
    assert "Unknown time zone" in clinic.fields.text("timezone")
    assert clinic.name.text() == "Harbour Ketamine Clinic"
    clinic.timezone.setCurrentText("Europe/London")
    clinic.page_size.setCurrentText("Letter")
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    not_png = tmp_path / "logo.jpg"
    not_png.write_bytes(b"\xff\xd8\xff")
    assert not clinic.set_logo_file(str(not_png)) and "PNG" in clinic.fields.text("logo_png")
    assert clinic.set_logo_file(str(logo))
    qtbot.mouseClick(clinic.save_button, Qt.LeftButton)
    cs = settings.read_settings(db)
    assert (cs.name, cs.timezone, cs.page_size) == ("Harbour Ketamine Clinic", "Europe/London", "Letter")
    assert cs.logo_png == logo.read_bytes()

    tab = win.users
    qtbot.keyClicks(tab.new_username, "pat")
    qtbot.keyClicks(tab.new_full_name, "Pat Reyes")
    qtbot.keyClicks(tab.new_credentials, "RN")
    tab.new_role.setCurrentIndex(tab.new_role.findData("charge_nurse"))
    qtbot.keyClicks(tab.new_password, "short")
    qtbot.mouseClick(tab.add_button, Qt.LeftButton)
    assert "at least 8 characters" in tab.fields.text("password")
    qtbot.keyClicks(tab.new_password, "-but-long-now")
    qtbot.mouseClick(tab.add_button, Qt.LeftButton)
    assert any(r.username == "pat" and r.role.value == "charge_nurse" for r in tab.model.rows)


def test_the_charge_nurse_cannot_change_clinic_details(qtbot, window):
    window.tabs.setCurrentWidget(window.clinic)
    assert window.clinic.read_only_note.isVisible() and not window.clinic.save_button.isVisible()


# ------------------------------------------------------------------------------------------------- orders

def running_session(db, nurse, t0):
    pid = clinical.create_patient(db, nurse, mrn="ORD1", family_name="Nguyễn", given_name="Zoë", weight_kg=70)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="depression", outcome_measure="phq9")
    sid = clinical.create_session(db, nurse, course_id=cid, arrival_at=t0, now=t0, supervising_clinician="Dr Okafor",
                                  checklist=TICKED)
    clinical.record_reading(db, nurse, sid, parse_vitals("150/80", "72", "98"), measured_at=t0 + 5 * M,
                            now=t0 + 5 * M)
    clinical.start_infusion(db, nurse, sid, at=t0 + 10 * M, now=t0 + 10 * M)
    return sid


def test_the_order_dialog_saves_an_order_and_the_chart_bands_move_from_its_time(qtbot, db, actors, t0):
    from monitor_app.ui.session.chart import SessionChart
    from monitor_app.ui.session.order_dialog import OrderLimitsDialog
    nurse = actors["nurse"]
    sid = running_session(db, nurse, t0)
    order_at = t0 + 25 * M
    ctx = context(db, nurse, now=order_at)
    record = queries.get_record(db, nurse, sid)
    dialog = OrderLimitsDialog(ctx, record)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.limits.cells[("systolic", "high_warning")].text() == "160"  # prefilled with the limits in force
    type_into(qtbot, dialog.limits.cells[("systolic", "high_warning")], "175")
    assert (Level.WARNING, 175, 180) in dialog.preview.bands_for("systolic")
    # Clinician and reason are required: the dialog says so and stays open with what was typed.
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert "Authorising clinician is required" in dialog.error.text() and dialog.isVisible()
    assert dialog.limits.cells[("systolic", "high_warning")].text() == "175"
    qtbot.keyClicks(dialog.clinician, "Dr Okafor")
    qtbot.keyClicks(dialog.reason, "Known hypertension")
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert dialog.result() == QDialog.Accepted

    record = queries.get_record(db, nurse, sid)
    [order] = [e for e in record.events if e.kind == "limits_changed"]
    assert order.at == order_at and order.details["clinician"] == "Dr Okafor" and order.note == "Known hypertension"
    assert record.thresholds_at(order_at).for_parameter("systolic").high_warning == 175

    chart = SessionChart(ctx)
    qtbot.addWidget(chart)
    chart.set_record(record, order_at + 5 * M)
    order_x = chart.x_of(order_at)
    assert order_x == 15
    high = sorted((b.x_from, b.x_to, b.low) for b in chart.bands
                  if b.parameter == "systolic" and b.level == Level.WARNING and b.low is not None and b.low > 100)
    assert [low for _f, _t, low in high] == [160, 175]
    assert high[0][1] == order_x and high[1][0] == order_x


def test_an_inconsistent_order_is_refused_and_nothing_is_saved(qtbot, db, actors, t0):
    from monitor_app.ui.session.order_dialog import OrderLimitsDialog, OrderScheduleDialog
    nurse = actors["nurse"]
    sid = running_session(db, nurse, t0)
    ctx = context(db, nurse, now=t0 + 25 * M)
    dialog = OrderLimitsDialog(ctx, queries.get_record(db, nurse, sid))
    qtbot.addWidget(dialog)
    dialog.show()
    type_into(qtbot, dialog.limits.cells[("diastolic", "low_warning")], "120")
    qtbot.keyClicks(dialog.clinician, "Dr Okafor")
    qtbot.keyClicks(dialog.reason, "r")
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert "Diastolic BP" in dialog.error.text() and "low warning (120)" in dialog.error.text()
    assert dialog.result() != QDialog.Accepted
    assert queries.get_record(db, nurse, sid).events == []

    schedule = OrderScheduleDialog(ctx, queries.get_record(db, nurse, sid))
    qtbot.addWidget(schedule)
    schedule.show()
    assert schedule.schedule_editor.fields["infusion_interval_min"].text() == "10"
    type_into(qtbot, schedule.schedule_editor.fields["infusion_interval_min"], "5")
    qtbot.keyClicks(schedule.clinician, "Dr Okafor")
    qtbot.keyClicks(schedule.reason, "BP rising")
    qtbot.mouseClick(schedule.ok_button, Qt.LeftButton)
    assert schedule.result() == QDialog.Accepted
    record = queries.get_record(db, nurse, sid)
    assert record.schedule_at(t0 + 25 * M).infusion_interval_min == 5
    assert record.next_due(t0 + 26 * M).at == t0 + 15 * M  # 5 minutes after the start, now overdue
