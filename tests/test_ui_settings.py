"""Settings and clinicians' orders driven as people drive them, from the sign-in window: Settings opened from the
toolbar, list rows and tabs clicked where they are drawn, limits typed where the cursor is, every question
answered through its own buttons; then what the screen, the plotted preview and the archive show."""
from __future__ import annotations

import json
from datetime import timedelta

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QListWidget, QTableView
from sqlalchemy import func, select

from monitor_app.domain.schedule import IV_KETAMINE
from monitor_app.domain.thresholds import KETAMINE_DEFAULT, NEWS2
from monitor_app.domain.vitals import parse_vitals
from monitor_app.services import clinical, queries, settings, users
from monitor_app.storage.models import AuditEvent
from monitor_app.ui.floor import SessionCard
from monitor_app.ui.session.chart import BackgroundLayer, SessionChart
from monitor_app.ui.settings.band_preview import BandPreview
from tests.conftest import PASSWORDS, T0
from tests.driver import chairside, front_dialog  # noqa: F401  (the fixture)
from tests.session_flow import TICKED

M = timedelta(minutes=1)
SYSTOLIC_HIGH_WARNING = "Systolic BP high warning"  # the cell's accessible name, as a screen reader says it
PREVIEW = "Preview of the warning and critical bands"


class Clock:
    """The clinic's "now"."""

    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def signed_in(chairside, db, username, now=T0):  # noqa: F811
    user = chairside(db.data_dir, clock=Clock(now), size=(1280, 800))
    user.sign_in(username, PASSWORDS[username])
    return user


def open_settings(user):
    """Settings from the toolbar, as a charge nurse or an administrator opens it."""
    user.click("Settings")
    user.wait_until(lambda: user.window.windowTitle() == "Chairside settings")
    return user.window


def profile_list(user) -> QListWidget:
    return user.find("Threshold profiles", QListWidget)


def listed(view: QListWidget) -> list[str]:
    """The first line of every row of a list, as read on screen."""
    return [view.item(i).text().split("\n")[0] for i in range(view.count())]


def shaded(preview: BandPreview, parameter: str) -> list[tuple[str, float, float]]:
    """The bands plotted on the preview's row of `parameter`, as (kind, from, to): warning bands are shaded,
    critical ones shaded and hatched over the same stretch (the caption says so)."""
    regions = [item for item in preview.plots[parameter].items
               if isinstance(item, pg.LinearRegionItem) and item.isVisible()]
    hatched = {tuple(r.getRegion()) for r in regions if r.brush.style() == Qt.BrushStyle.BDiagPattern}
    return sorted(("critical" if tuple(r.getRegion()) in hatched else "warning", *r.getRegion())
                  for r in regions if r.brush.style() == Qt.BrushStyle.SolidPattern)


def default_profile(db):
    default = settings.read_settings(db).default_profile_id
    return next(t for pid, t, *_ in settings.list_profiles(db) if pid == default)


def profile_names(db, include_retired=False) -> list[str]:
    return [t.name for _id, t, *_ in settings.list_profiles(db, include_retired=include_retired)]


def audit_count(db, entity):
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == entity))


def marked(cell: QLineEdit) -> bool:
    """A cell shown in red, as refused or in conflict."""
    return "background" in cell.styleSheet()


# ------------------------------------------------------------------------------------------ threshold profiles
def test_a_charge_nurse_types_new_limits_and_saves_them(chairside, db, actors):  # noqa: F811
    user = signed_in(chairside, db, "charge")
    open_settings(user)
    assert user.field("Name").text() == KETAMINE_DEFAULT.name  # the clinic default is shown first
    assert not user.button("Save").isEnabled()
    user.fill(SYSTOLIC_HIGH_WARNING, "150")
    user.fill("Heart rate low critical", "")  # blank: no low critical limit
    user.fill("Pre-infusion systolic max", "180")
    user.fill("Reason for the change", "Clinic review")
    assert user.button("Save").isEnabled()
    user.click("Save")

    saved = default_profile(db)
    assert saved.for_parameter("systolic").high_warning == 150
    assert saved.for_parameter("systolic").high_critical == 180
    assert saved.for_parameter("heart_rate").low_critical is None
    assert saved.for_parameter("heart_rate").low_warning == 50
    assert saved.preinfusion_systolic_max == 180 and saved.preinfusion_diastolic_max is None
    shown = user.visible_text()
    assert f"Saved '{KETAMINE_DEFAULT.name}'" in shown and "keep the profile they started with" in shown
    assert not user.button("Save").isEnabled()
    with db.reader() as s:
        row = s.scalars(select(AuditEvent).where(AuditEvent.entity == "threshold_profile")
                        .order_by(AuditEvent.seq.desc())).first()
        assert (row.username, row.action, row.reason) == ("charge", "update", "Clinic review")
        before, after = json.loads(row.before), json.loads(row.after)
    assert before["limits"]["limits"]["systolic"]["high_warning"] == 160
    assert after["limits"]["limits"]["systolic"]["high_warning"] == 150
    user.click("Close")  # nothing unsaved: no question
    user.wait_until(lambda: user.main.settings_window is None)


def test_inconsistent_limits_are_explained_kept_and_not_saved(chairside, db, actors):  # noqa: F811
    user = signed_in(chairside, db, "charge")
    open_settings(user)
    rows = audit_count(db, "threshold_profile")
    user.fill(SYSTOLIC_HIGH_WARNING, "190")

    [message] = [t for t in user.visible_text().split("\n") if t.startswith("\u25c6 Systolic BP")]
    assert "high warning (190)" in message and "high critical (180)" in message
    high_warning, high_critical = user.field(SYSTOLIC_HIGH_WARNING), user.field("Systolic BP high critical")
    assert marked(high_warning) and marked(high_critical)
    assert "high warning (190)" in high_warning.toolTip()  # the reason where the cell is, on hovering it

    user.click("Save")
    assert high_warning.text() == "190"  # nothing typed is lost
    assert user.visible_text().count("Systolic BP") >= 2  # said under the editor and on the save line
    assert default_profile(db) == KETAMINE_DEFAULT
    assert audit_count(db, "threshold_profile") == rows

    # Text that is not a number names the parameter and the column.
    user.fill("Heart rate low warning", "5O")
    assert "Heart rate, low warning: '5O' is not a number" in user.visible_text()
    assert marked(user.field("Heart rate low warning"))

    # Correcting both clears the marks; the profile then saves.
    user.fill("Heart rate low warning", "50")
    user.fill(SYSTOLIC_HIGH_WARNING, "170")
    assert "\u25c6" not in user.visible_text()
    assert not marked(high_warning) and not marked(high_critical) and high_warning.styleSheet() == ""
    user.click("Save")
    assert default_profile(db).for_parameter("systolic").high_warning == 170


def test_the_preview_bands_follow_the_edit(chairside, db, actors):  # noqa: F811
    user = signed_in(chairside, db, "charge")
    open_settings(user)
    preview = user.find(PREVIEW, BandPreview)
    assert ("warning", 160, 180) in shaded(preview, "systolic")
    user.fill(SYSTOLIC_HIGH_WARNING, "150")
    assert ("warning", 150, 180) in shaded(preview, "systolic")
    assert ("warning", 160, 180) not in shaded(preview, "systolic")
    assert [(kind, high) for kind, _low, high in shaded(preview, "spo2")] == [("critical", 92), ("warning", 94)]
    user.fill("SpO2 low warning", "")
    assert [(kind, high) for kind, _low, high in shaded(preview, "spo2")] == [("critical", 92)]
    # While the limits are inconsistent, the preview keeps the last consistent ones: 190 typed over the 150.
    user.click(user.field(SYSTOLIC_HIGH_WARNING))
    user.press("Ctrl+A")
    user.type("190")
    assert "high warning (190)" in user.visible_text()
    assert ("warning", 150, 180) in shaded(preview, "systolic")


def test_duplicate_rename_default_and_retire(chairside, db, actors):  # noqa: F811
    user = signed_in(chairside, db, "charge")
    open_settings(user)
    profiles = profile_list(user)
    user.click_item(profiles, NEWS2.name)
    assert user.field("Name").text() == NEWS2.name
    assert "Preset: Editable starting point, not clinical advice." in user.visible_text()
    user.click("Duplicate")
    copy = f"{NEWS2.name} (copy)"
    assert user.field("Name").text() == copy and "Preset:" not in user.visible_text()
    assert user.focus is user.field("Name")  # the name is ready to be typed over
    user.type("NEWS2 for our clinic")
    user.click("Save")
    names = profile_names(db)
    assert "NEWS2 for our clinic" in names and copy not in names
    assert "NEWS2 for our clinic" in listed(profiles)

    user.click("Make clinic default")
    assert default_profile(db).name == "NEWS2 for our clinic"
    assert "The clinic default: new sessions use this profile." in user.visible_text()
    assert not user.button("Retire").isEnabled()  # the clinic default cannot be retired

    # A duplicate name is refused with the reason, and the typed name stays.
    user.fill("Name", NEWS2.name)
    user.click("Save")
    assert "already used" in user.visible_text() and user.field("Name").text() == NEWS2.name
    assert user.focus is user.field("Name")
    user.click("Undo changes")
    assert user.field("Name").text() == "NEWS2 for our clinic"

    user.click_item(profiles, KETAMINE_DEFAULT.name)
    asked = []

    def keep_it(d):
        asked.append(d.visible_text())
        d.click("Cancel")
    with user.expect_dialog(keep_it):
        user.click("Retire")
    assert f"Retire '{KETAMINE_DEFAULT.name}'?" in asked[0] and "nothing is deleted" in asked[0]
    assert KETAMINE_DEFAULT.name in profile_names(db)
    with user.expect_dialog(lambda d: d.click("Yes")):
        user.click("Retire")
    assert KETAMINE_DEFAULT.name not in profile_names(db)
    assert KETAMINE_DEFAULT.name in profile_names(db, include_retired=True)
    assert KETAMINE_DEFAULT.name not in listed(profiles)
    user.tick("Show retired")
    user.click_item(profiles, KETAMINE_DEFAULT.name)
    assert "Retired: no longer offered for new sessions." in user.visible_text()
    cell = user.field(SYSTOLIC_HIGH_WARNING)
    user.click(cell)
    user.type("9")
    assert cell.text() == "160" and cell.isReadOnly()  # a retired profile is shown, not changed
    assert not user.button("Save").isEnabled()


def test_unsaved_limits_are_not_lost_without_a_question(chairside, db, actors):  # noqa: F811
    user = signed_in(chairside, db, "charge")
    settings_window = open_settings(user)
    profiles = profile_list(user)
    user.fill(SYSTOLIC_HIGH_WARNING, "150")
    asked = []

    def stay(d):
        asked.append((d.title, d.visible_text()))
        d.click("Cancel")
    with user.expect_dialog(stay):
        user.click_item(profiles, NEWS2.name)
    title, text = asked[0]
    assert title == "Unsaved changes" and f"'{KETAMINE_DEFAULT.name}' has unsaved changes" in text
    assert user.field("Name").text() == KETAMINE_DEFAULT.name and user.field(SYSTOLIC_HIGH_WARNING).text() == "150"
    assert profiles.currentItem().text().startswith(KETAMINE_DEFAULT.name)  # the row shown stays the one edited

    # Closing asks too; Cancel keeps the window and the edit.
    with user.expect_dialog(stay):
        user.click("Close")
    assert "threshold profile you are editing has unsaved changes" in asked[1][1]
    assert settings_window.isVisible() and user.field(SYSTOLIC_HIGH_WARNING).text() == "150"

    with user.expect_dialog(lambda d: d.click("Discard")):
        user.click_item(profiles, NEWS2.name)
    assert user.field("Name").text() == NEWS2.name
    assert default_profile(db) == KETAMINE_DEFAULT  # nothing was saved
    user.click("Close")  # nothing unsaved now: it closes at once
    user.wait_until(lambda: user.main.settings_window is None)


# ------------------------------------------------------------------------------------------ who may change what
@pytest.mark.parametrize("role", ["nurse", "auditor"])
def test_settings_are_not_offered_to_nurses_and_auditors(chairside, db, actors, role):  # noqa: F811
    user = signed_in(chairside, db, role)
    assert not user.find_all("Settings", exact=True)
    user.press("Ctrl+,")
    assert front_dialog() is None and user.main.settings_window is None


def test_a_charge_nurse_sees_clinic_details_and_users_read_only(chairside, db, actors):  # noqa: F811
    user = signed_in(chairside, db, "charge")
    open_settings(user)
    user.click_tab("Clinic details")
    assert "Only an administrator changes the clinic details. Shown read-only." in user.visible_text()
    assert not user.find_all("Save clinic details")
    name = user.field("Clinic name")
    user.click(name)
    user.type("X")
    assert name.text() == settings.read_settings(db).name
    user.click_tab("Users")
    assert "Only an administrator manages user accounts. Shown read-only." in user.visible_text()
    assert not user.find_all("Add user") and not user.find_all("Disable")


# ------------------------------------------------------------------------------------------ schedules
def test_schedules_are_edited_with_messages_naming_field_and_range(chairside, db, actors):  # noqa: F811
    user = signed_in(chairside, db, "charge")
    open_settings(user)
    user.click_tab("Monitoring schedules")
    user.fill("Interval during the infusion", "0")
    assert "\u25c6 Interval during the infusion: '0' is not a whole number of minutes between 1 and 120." \
        in user.visible_text()
    user.click("Save")
    assert user.field("Interval during the infusion").text() == "0"
    assert settings.list_schedules(db)[0][1] == IV_KETAMINE
    user.fill("Interval during the infusion", "5")
    user.choose("Observation counted from", "the first dose (esketamine)")
    user.click("Save")
    saved = settings.list_schedules(db)[0][1]
    assert saved.infusion_interval_min == 5 and saved.observation_from == "first_dose"


# ------------------------------------------------------------------------------------------ the administrator
def test_an_administrator_changes_clinic_details_and_manages_a_user(chairside, db, actors, tmp_path):  # noqa: F811
    user = signed_in(chairside, db, "admin")
    open_settings(user)
    user.click_tab("Clinic details")
    user.fill("Clinic name", "Harbour Ketamine Clinic")
    user.fill("Time zone", "Mars/Olympus")
    user.click("Save clinic details")
    assert "Unknown time zone" in user.visible_text()
    assert user.field("Clinic name").text() == "Harbour Ketamine Clinic"
    user.fill("Time zone", "Europe/London")
    user.choose("PDF page size", "Letter")

    def pick(path):
        def answer(d):  # the file dialog opens with the cursor in its file name
            d.type(f"{path}\n")
        return answer
    not_png = tmp_path / "photo.png"  # a JPEG whatever its name says
    not_png.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 20)
    with user.expect_dialog(pick(not_png)):
        user.click("Choose PNG")
    assert "The logo must be a PNG file." in user.visible_text()
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    with user.expect_dialog(pick(logo)):
        user.click("Choose PNG")
    assert "must be a PNG" not in user.visible_text()
    user.click("Save clinic details")
    assert "Clinic details saved." in user.visible_text()
    cs = settings.read_settings(db)
    assert (cs.name, cs.timezone, cs.page_size) == ("Harbour Ketamine Clinic", "Europe/London", "Letter")
    assert cs.logo_png == logo.read_bytes()

    user.click_tab("Users")
    user.fill("User name", "pat")
    user.fill("Full name", "Pat Reyes")
    user.fill("Credentials", "RN")
    user.choose("Role", "Charge nurse")
    user.fill("Password", "short")
    user.click("Add user")
    assert "at least 8 characters" in user.visible_text()
    user.fill("Password", "short-but-long-now")
    user.click("Add user")
    assert "User 'pat' added." in user.visible_text()
    assert users.sign_in(db, "pat", "short-but-long-now").role.value == "charge_nurse"
    table = user.find("User accounts", QTableView)
    model = table.model()
    shown = {tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())}
    assert ("pat", "Pat Reyes", "RN", "Charge nurse", "active") in shown

    # Disabling: the row clicked, the reason typed in the question.
    user.click_item(table, "pat")

    def disable(d):
        assert "Disable Pat Reyes (pat)?" in d.visible_text()
        d.type("Left the clinic")
        d.click("OK")
    with user.expect_dialog(disable):
        user.click("Disable")
    assert "User 'pat' disabled." in user.visible_text()
    shown = {tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())}
    assert ("pat", "Pat Reyes", "RN", "Charge nurse", "disabled") in shown
    [pat] = [u for u in users.list_users(db, actors["admin"]) if u.username == "pat"]
    assert not pat.active
    with db.reader() as s:
        row = s.scalars(select(AuditEvent).where(AuditEvent.entity == "user")
                        .order_by(AuditEvent.seq.desc())).first()
        assert (row.username, row.reason) == ("admin", "Left the clinic")

    # Nobody disables their own account.
    user.click_item(table, "admin")
    with user.expect_no_dialog():
        user.click("Disable")
    assert "You cannot disable your own account." in user.visible_text()


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


def session_screen(chairside, db, now):  # noqa: F811
    """The nurse signs in and opens the running session from its floor card (Enter)."""
    user = signed_in(chairside, db, "nurse", now=now)
    user.wait_until(lambda: isinstance(user.focus, SessionCard))
    user.press("Return")
    user.wait_until(lambda: hasattr(user.page, "entry") and user.focus is user.page.entry.edits["bp"])
    return user


def warning_fills(chart: SessionChart, panel: str) -> list[tuple[float, float, float, float]]:
    """The shaded, not hatched, stretches of a chart panel as plotted: (from x, to x, low, high)."""
    [layer] = [item for item in chart.plots[panel].items if isinstance(item, BackgroundLayer) and item.isVisible()]
    fills = [s for s in layer.shapes if s.kind == "fill"]
    hatched = {(s.x0, s.x1, s.y0, s.y1) for s in fills if s.style.style() != Qt.BrushStyle.SolidPattern}
    return sorted(r for r in ((s.x0, s.x1, s.y0, s.y1) for s in fills
                              if s.style.style() == Qt.BrushStyle.SolidPattern) if r not in hatched)


def test_the_order_dialog_saves_an_order_and_the_chart_bands_move_from_its_time(chairside, db, actors,  # noqa: F811
                                                                                 t0):
    nurse = actors["nurse"]
    sid = running_session(db, nurse, t0)
    order_at = t0 + 25 * M
    user = session_screen(chairside, db, order_at)

    def order(d):
        assert d.field(SYSTOLIC_HIGH_WARNING).text() == "160"  # prefilled with the limits in force
        d.fill(SYSTOLIC_HIGH_WARNING, "175")
        assert ("warning", 175, 180) in shaded(d.find(PREVIEW, BandPreview), "systolic")
        # Clinician and reason are required: the dialog says so and stays open with what was typed.
        d.click("Save order")
        assert d.is_open and "Authorising clinician is required" in d.visible_text()
        assert d.field(SYSTOLIC_HIGH_WARNING).text() == "175"
        d.fill("Authorising clinician", "Dr Okafor")
        d.fill("Reason", "Known hypertension")
        d.click("Save order")
    with user.expect_dialog(order):
        user.click("Change limits")

    record = queries.get_record(db, nurse, sid)
    [ordered] = [e for e in record.events if e.kind == "limits_changed"]
    assert ordered.at == order_at and ordered.details["clinician"] == "Dr Okafor"
    assert ordered.note == "Known hypertension"
    assert record.thresholds_at(order_at).for_parameter("systolic").high_warning == 175

    # The session's chart: the systolic warning band moves from 160 to 175 at the order, 15 minutes after the start.
    [chart] = [w for w in user.page.findChildren(SessionChart) if w.isVisible()]
    user.wait_until(lambda: [low for _x0, _x1, low, _h in warning_fills(chart, "bp") if low >= 150] == [160, 175])
    before, after = [f for f in warning_fills(chart, "bp") if f[2] >= 150]
    assert before[1] == after[0] == 15 and before[3] == after[3] == 180


def test_an_inconsistent_order_is_refused_and_nothing_is_saved(chairside, db, actors, t0):  # noqa: F811
    nurse = actors["nurse"]
    sid = running_session(db, nurse, t0)
    user = session_screen(chairside, db, t0 + 25 * M)

    def inconsistent(d):
        d.fill("Diastolic BP low warning", "120")
        d.fill("Authorising clinician", "Dr Okafor")
        d.fill("Reason", "r")
        d.click("Save order")
        assert d.is_open
        text = d.visible_text()
        assert "Diastolic BP" in text and "low warning (120)" in text
        d.click("Cancel")
    with user.expect_dialog(inconsistent):
        user.click("Change limits")
    assert queries.get_record(db, nurse, sid).events == []

    def five_minutes(d):
        assert d.field("Interval during the infusion").text() == "10"
        d.fill("Interval during the infusion", "5")
        d.fill("Authorising clinician", "Dr Okafor")
        d.fill("Reason", "BP rising")
        d.click("Save order")
    with user.expect_dialog(five_minutes):
        user.click("Change schedule")
    record = queries.get_record(db, nurse, sid)
    assert record.schedule_at(t0 + 25 * M).infusion_interval_min == 5
    assert record.next_due(t0 + 26 * M).at == t0 + 15 * M  # 5 minutes after the start, now overdue
