"""The chairside session screen driven as a nurse drives it, from the sign-in window: keys, clicks, dialogs
answered through their buttons, and the database afterwards."""
from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from sqlalchemy import select

from monitor_app.domain.session import Phase, Status
from monitor_app.domain.thresholds import Level
from monitor_app.domain.vitals import Vitals
from monitor_app.services import clinical, queries
from monitor_app.storage.models import AuditEvent
from monitor_app.ui.floor import SessionCard
from monitor_app.ui.session.readings_model import COLUMN_INDEX
from tests.conftest import PASSWORDS
from tests.driver import Screen, chairside, clipped, front_dialog  # noqa: F401  (the fixture)
from tests.test_chart_render import painted_texts

READING = "128/82\t74\t97\n"


class Clock:
    """The clinic's "now", moved on by the test."""

    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t

    def at(self, t0, minutes):
        self.t = t0 + timedelta(minutes=minutes)


@pytest.fixture
def clock(t0):
    return Clock(t0 + timedelta(minutes=5))


def new_session(db, nurse, t0, *, mrn="S-100", chair="3", checklist=True, medicines=(), allergies=""):
    pid = clinical.create_patient(db, nurse, mrn=mrn, family_name="Nguyễn", given_name="Zoë", weight_kg=64,
                                  allergies=allergies)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="depression")
    items = {item: checklist for item in ("Consent current", "Fasting per protocol", "Escort confirmed",
                                          "No-driving advice given")}
    return clinical.create_session(db, nurse, course_id=cid, chair=chair, arrival_at=t0, now=t0, checklist=items,
                                   concomitant_medicines=list(medicines))


def reading(db, nurse, sid, t0, minutes, bp="128/82", hr=72, spo2=98):
    s, d = (int(x) for x in bp.split("/"))
    return clinical.record_reading(db, nurse, sid, Vitals(s, d, hr, spo2), measured_at=t0 + timedelta(minutes=minutes),
                                   now=t0 + timedelta(minutes=minutes))


def values(db, actor, sid):
    rec = queries.get_record(db, actor, sid)
    return [(r.current.systolic, r.current.diastolic, r.current.heart_rate, r.current.spo2) for r in rec.readings]


def signed_in(chairside, db, clock, username="nurse", **kw):
    user = chairside(db.data_dir, clock=clock, **kw)
    user.sign_in(username, PASSWORDS[username])
    return user


def open_from_floor(user, chair="3"):
    """Arrow keys to the chair's card, Enter: the session screen."""
    user.wait_until(lambda: isinstance(user.focus, SessionCard))
    for _ in range(10):
        if user.focus.record.chair == chair:
            break
        user.press("Right")
    assert user.focus.record.chair == chair
    user.press("Return")
    return user.page


def cursor_in_bp(user) -> bool:
    page = user.page
    return hasattr(page, "entry") and user.focus is page.entry.edits["bp"]


# ------------------------------------------------------------------------------------------ keyboard contract
def test_first_reading_from_the_floor_typed_at_once(chairside, db, actors, t0, clock):
    sid = new_session(db, actors["nurse"], t0)
    user = chairside(db.data_dir, clock=clock)
    before = Screen.keystrokes
    user.sign_in("nurse", PASSWORDS["nurse"])
    assert isinstance(user.focus, SessionCard), f"after sign-in the cursor is on {user.focus!r}"
    at_floor = Screen.keystrokes
    user.press("Return")
    user.type(READING)
    assert values(db, actors["nurse"], sid) == [(128, 82, 74, 97)]
    assert user.page.entry.confirmation.text().startswith("\u2713 Saved")
    assert cursor_in_bp(user)
    # Enter on the card and the reading's 13 keys; the sign-in before it is the user name, Enter, password, Enter.
    assert Screen.keystrokes - at_floor == 14
    assert at_floor - before == len("nurse") + 1 + len(PASSWORDS["nurse"]) + 1


def test_arrow_keys_move_between_floor_cards(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    new_session(db, nurse, t0, mrn="S-1", chair="1")
    second = new_session(db, nurse, t0, mrn="S-2", chair="2")
    user = signed_in(chairside, db, clock)
    assert user.focus.record.chair == "1"
    user.press("Right")
    assert user.focus.record.chair == "2"
    user.press("Return")
    user.type("131/79\t70\t99\n")
    assert values(db, nurse, second) == [(131, 79, 70, 99)]


def test_after_new_session_the_cursor_is_in_bp(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    pid = clinical.create_patient(db, nurse, mrn="S-300", family_name="Ngata", given_name="Aroha", weight_kg=70)
    clinical.create_course(db, nurse, patient_id=pid, indication="depression")
    user = signed_in(chairside, db, clock)
    user.press("Ctrl+N")
    user.type("S-300\n")  # the one patient found is chosen
    user.fill("Chair", "4")
    user.press("Ctrl+Return")
    user.wait_until(lambda: hasattr(user.page, "entry"))
    assert cursor_in_bp(user), f"the cursor is on {user.focus!r}"
    user.type(READING)
    sid = user.page.session_id
    assert values(db, nurse, sid) == [(128, 82, 74, 97)]


def test_after_the_event_dialog_the_cursor_is_back_in_bp(chairside, db, actors, t0, clock):
    sid = new_session(db, actors["nurse"], t0)
    user = signed_in(chairside, db, clock)
    open_from_floor(user)

    def nausea(d):
        d.click("moderate")
        d.fill("Note", "settled with rest")
        d.click("Record event")
    with user.expect_dialog(nausea):
        user.click("Nausea")
    assert cursor_in_bp(user), f"the cursor is on {user.focus!r}"
    user.type(READING)
    rec = queries.get_record(db, actors["nurse"], sid)
    assert [(e.kind, e.severity, e.note) for e in rec.events] == [("nausea", "moderate", "settled with rest")]
    assert values(db, actors["nurse"], sid) == [(128, 82, 74, 97)]

    # A dialog cancelled brings the cursor back too.
    with user.expect_dialog(lambda d: d.click("Cancel")):
        user.click("Vomiting")
    assert cursor_in_bp(user)


def test_one_acknowledgement_for_every_flag_of_a_reading_then_back_in_bp(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    reading(db, nurse, sid, t0, 3)
    clinical.start_infusion(db, nurse, sid, at=t0 + timedelta(minutes=8), now=t0 + timedelta(minutes=8))
    clock.at(t0, 20)
    user = signed_in(chairside, db, clock)
    screen = open_from_floor(user)
    user.type("192/114\t135\t91\n")

    # Loud: the save confirmation names the critical values, in the critical style; the header strip too.
    assert screen.entry.confirmation.text().startswith("\u25c6 Saved")
    assert "critical: SYS 192, DIA 114, HR 135, SpO2 91" in screen.entry.confirmation.text()
    assert "white" in screen.entry.confirmation.styleSheet()
    strip = screen.header.critical
    assert strip.isVisible() and "4 critical flags open" in strip.text() and "SYS 192" in strip.text()

    clock.at(t0, 22)

    def acknowledge(d):
        text = d.visible_text()
        assert "All 4 open flags" in text and "192" in text and "135" in text
        d.choose("Action taken", "Clinician notified")
        d.fill("Details", "Dr. Reyes informed")
        d.click("Acknowledge all")
    with user.expect_dialog(acknowledge):
        user.click("Acknowledge")
    assert cursor_in_bp(user), f"the cursor is on {user.focus!r}"
    rec = queries.get_record(db, nurse, sid)
    assert rec.open_flags == []
    acks = [(f.parameter, f.ack.action, f.ack.action_text) for f in rec.flags]
    assert sorted(acks) == sorted((p, "clinician_notified", "Dr. Reyes informed")
                                  for p in ("systolic", "diastolic", "heart_rate", "spo2"))
    with db.reader() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "acknowledge")).all()
    assert len(rows) == 4  # one audit row per flag
    # Acknowledged flags stay listed, greyed, with the action, who and when.
    items = [screen.flags.list.item(i).text() for i in range(screen.flags.list.count())]
    assert len(items) == 4 and all("Clinician notified: Dr. Reyes informed" in t and "Nurse Tester" in t
                                   for t in items)
    assert strip.text() == "\u2713 No open critical flags"
    user.type(READING)
    assert values(db, nurse, sid)[-1] == (128, 82, 74, 97)


def test_after_unlock_the_cursor_is_in_bp(chairside, db, actors, t0, clock):
    sid = new_session(db, actors["nurse"], t0)
    user = signed_in(chairside, db, clock)
    open_from_floor(user)
    user.press("Ctrl+L")
    assert user.main.locked
    user.type(PASSWORDS["nurse"] + "\n")
    assert not user.main.locked
    assert cursor_in_bp(user), f"the cursor is on {user.focus!r}"
    user.type(READING)
    assert values(db, actors["nurse"], sid) == [(128, 82, 74, 97)]


def test_digits_typed_elsewhere_on_the_screen_go_to_the_entry(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    reading(db, nurse, sid, t0, 2)
    user = signed_in(chairside, db, clock)
    screen = open_from_floor(user)
    user.click_cell(screen.table, 0, 1)  # the cursor on the readings table
    assert user.focus is screen.table
    user.type("130/80\t76\t98\n")
    assert values(db, nurse, sid)[-1] == (130, 80, 76, 98)


def test_space_and_enter_after_a_reading_never_change_the_infusion(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    user = signed_in(chairside, db, clock)
    screen = open_from_floor(user)
    user.type(READING)  # the baseline
    user.type(" \n \n\t \n\t\t \n")
    assert screen.record.phase == Phase.PRE_INFUSION
    assert front_dialog() is None  # no confirmation was asked for either

    clinical.start_infusion(db, nurse, sid, now=clock.t)
    clock.at(t0, 15)
    user.press("Ctrl+1")
    screen = open_from_floor(user)
    user.type("128/82 \t \n")
    user.type(READING + " \n\t \n\t\t\t\t \n")
    rec = queries.get_record(db, nurse, sid)
    assert rec.phase == Phase.INFUSION and rec.infusion_end_at is None
    with db.reader() as s:
        actions = set(s.scalars(select(AuditEvent.action)).all())
    assert not actions & {"pause_infusion", "stop_infusion"}


def test_pause_asks_in_a_bar_and_the_same_key_confirms(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    reading(db, nurse, sid, t0, 3)
    clinical.start_infusion(db, nurse, sid, at=t0 + timedelta(minutes=5), now=t0 + timedelta(minutes=5))
    clock.at(t0, 12)
    user = signed_in(chairside, db, clock)
    screen = open_from_floor(user)
    user.press("F6")
    bar = screen.confirm_bar
    assert bar.isVisible() and "Pause the infusion at" in bar.text.text()
    assert cursor_in_bp(user)
    user.type(READING)  # a reading typed meanwhile is saved, and confirms nothing
    assert queries.get_record(db, nurse, sid).phase == Phase.INFUSION
    user.press("Escape")
    assert not bar.isVisible()
    user.press("F6")
    user.press("F6")
    assert queries.get_record(db, nurse, sid).phase == Phase.PAUSED
    assert cursor_in_bp(user)
    user.press("F6")
    user.click("Resume infusion")  # the bar's own button
    assert queries.get_record(db, nurse, sid).phase == Phase.INFUSION
    assert cursor_in_bp(user)


def test_header_buttons_are_outside_the_tab_chain(chairside, db, actors, t0, clock):
    new_session(db, actors["nurse"], t0)
    user = signed_in(chairside, db, clock)
    screen = open_from_floor(user)
    seen = set()
    for _ in range(40):
        user.press("Tab")
        seen.add(user.focus)
    assert not seen & set(screen.header.buttons.values())


# ------------------------------------------------------------------------------------------ start infusion
def test_start_shows_what_the_record_holds_and_needs_a_reason_for_unticked_items(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0, checklist=False, medicines=["Benzodiazepines"], allergies="Latex")
    reading(db, nurse, sid, t0, 2)
    clock.at(t0, 10)
    user = signed_in(chairside, db, clock)
    open_from_floor(user)
    seen = {}

    def review(d):
        text = d.visible_text()
        seen["text"] = text
        d.click("Start infusion")
        seen["refusal"] = d.widget.error.text()
        d.fill("Reason to start with items not done", "Consent re-signed on paper, escort on the way")
        d.click("Start infusion")
    with user.expect_dialog(review):
        user.press("F5")
    text = seen["text"]
    for words in ("Not done: Consent current, Fasting per protocol, Escort confirmed, No-driving advice given",
                  "Benzodiazepines", "Latex", "64 kg", "128/82", "8 min ago"):
        assert words in text, words
    assert "Consent current" in seen["refusal"]
    rec = queries.get_record(db, nurse, sid)
    assert rec.infusion_start_at == clock.t
    ev = [e for e in rec.events if e.kind == "start_checklist_incomplete"]
    assert len(ev) == 1 and ev[0].note == "Consent re-signed on paper, escort on the way"
    assert ev[0].details["not_done"][0] == "Consent current"
    assert cursor_in_bp(user)


def test_the_service_refuses_a_start_with_unticked_items_without_a_reason(db, actors, t0):
    from monitor_app.domain.errors import FieldError
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0, checklist=False)
    reading(db, nurse, sid, t0, 2)
    with pytest.raises(FieldError) as refused:
        clinical.start_infusion(db, nurse, sid, now=t0 + timedelta(minutes=5))
    assert refused.value.field == "checklist_reason" and "Escort confirmed" in refused.value.message
    assert queries.get_record(db, nurse, sid).infusion_start_at is None


def test_start_above_the_preinfusion_limit_asks_for_the_authorising_clinician(chairside, db, actors, t0, clock):
    from dataclasses import replace
    from monitor_app.domain.thresholds import KETAMINE_DEFAULT
    from monitor_app.services import settings
    nurse, charge = actors["nurse"], actors["charge"]
    profile = settings.save_profile(db, charge, replace(KETAMINE_DEFAULT, name="Strict start",
                                                        preinfusion_systolic_max=150))
    pid = clinical.create_patient(db, nurse, mrn="S-200", family_name="Żółć", given_name="Łukasz")
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="ocd")
    items = {k: True for k in ("Consent current", "Fasting per protocol", "Escort confirmed",
                               "No-driving advice given")}
    sid = clinical.create_session(db, nurse, course_id=cid, profile_id=profile, chair="3", arrival_at=t0, now=t0,
                                  checklist=items)
    reading(db, nurse, sid, t0, 3, bp="162/90", hr=80)
    clock.at(t0, 10)
    user = signed_in(chairside, db, clock)
    open_from_floor(user)

    def authorise(d):
        d.fill("Authorising clinician", "Dr. Reyes")
        d.fill("Clinician's note", "Known hypertensive, proceed")
        d.click("Start infusion")
    with user.expect_dialog(authorise):
        user.press("F5")
    rec = queries.get_record(db, nurse, sid)
    assert rec.infusion_start_at == clock.t
    assert [(e.kind, e.details.get("clinician")) for e in rec.events] == [("start_authorised", "Dr. Reyes")]


# ------------------------------------------------------------------------------------------ entry refusals
@pytest.mark.parametrize("typed, field, words", [
    ("300/310\t72\t\n", "bp", ["Diastolic BP", "20-200"]),
    ("12O/80\t72\t\n", "bp", ["Systolic BP", "40-300"]),
    ("120/\t72\t\n", "bp", ["systolic/diastolic", "40-300", "20-200"]),
    ("120/80\t72\t101\n", "spo2", ["SpO2", "50-100"]),
])
def test_refused_entries_keep_the_text_and_save_nothing(chairside, db, actors, t0, clock, typed, field, words):
    sid = new_session(db, actors["nurse"], t0)
    user = signed_in(chairside, db, clock)
    screen = open_from_floor(user)
    user.type(typed)
    entry = screen.entry
    assert entry.error.isVisible()
    for w in words:
        assert w in entry.error.text()
    assert user.focus is entry.edits[field]
    assert QApplication.activeModalWidget() is None  # inline, not a dialog over what was typed
    bp, hr, spo2 = (typed.rstrip("\n").split("\t") + ["", "", ""])[:3]
    assert (entry.edits["bp"].text(), entry.edits["heart_rate"].text(), entry.edits["spo2"].text()) == (bp, hr, spo2)
    assert queries.get_record(db, actors["nurse"], sid).readings == []
    # Corrected where the cursor is, and Enter saves.
    user.press("Ctrl+A")
    user.type({"bp": "120/80", "spo2": "97"}[field] + "\n")
    assert not entry.error.isVisible()
    assert len(queries.get_record(db, actors["nurse"], sid).readings) == 1


# ------------------------------------------------------------------------------------------ corrections
def test_amend_and_entered_in_error_from_the_table(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    reading(db, nurse, sid, t0, 3)
    clinical.record_reading(db, nurse, sid, Vitals(130, 80, 75, 97), measured_at=t0 + timedelta(minutes=6),
                            now=t0 + timedelta(minutes=20))  # typed in 14 minutes later: a late entry
    clock.at(t0, 21)
    user = signed_in(chairside, db, clock)
    screen = open_from_floor(user)
    from monitor_app.ui.session.readings_model import COLUMN_INDEX
    model = screen.model
    assert model.index(1, COLUMN_INDEX["time"]).data().startswith("\u25f7")

    user.click_cell(screen.table, 0, COLUMN_INDEX["bp"])

    def amend(d):
        assert d.field("BP").text() == "128/82"
        d.fill("BP", "138/82")
        d.fill("Reason", "Misread the display")
        d.click("Amend")
    with user.expect_dialog(amend):
        user.click("Amend")
    assert model.index(0, COLUMN_INDEX["bp"]).data() == "\u270e 138/82 (was 128/82)"
    assert cursor_in_bp(user)

    user.click_cell(screen.table, 1, COLUMN_INDEX["bp"])
    seen = {}

    def error(d):
        d.click("Mark entered in error")
        seen["refusal"] = d.widget.error.text()
        d.fill("Reason", "Wrong chair")
        d.click("Mark entered in error")
    with user.expect_dialog(error):
        user.click("Mark the selected reading entered in error")
    assert "Reason is required" in seen["refusal"]
    assert model.index(1, COLUMN_INDEX["bp"]).data(0x0006).strikeOut()  # FontRole
    rec = queries.get_record(db, nurse, sid)
    first, second = rec.readings
    assert first.original.systolic == 128 and first.current.systolic == 138
    assert first.amendments[0].reason == "Misread the display"
    assert second.entered_in_error and second.error.reason == "Wrong chair"
    assert cursor_in_bp(user)


# ------------------------------------------------------------------------------------------ a whole session
def test_a_whole_session_by_keyboard(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    user = signed_in(chairside, db, clock)
    screen = open_from_floor(user)
    user.type(READING)
    clock.at(t0, 10)
    with user.expect_dialog(lambda d: d.click("Start infusion")):
        user.press("F5")
    assert screen.record.infusion_start_at == clock.t
    for minute, bp in ((20, "142/88"), (30, "150/92"), (50, "140/86")):
        clock.at(t0, minute)
        user.type(f"{bp}\t80\t98\n")
        assert screen.entry.confirmation.text().startswith("\u2713 Saved"), screen.entry.error.text()
    clock.at(t0, 52)
    user.press("F7")
    assert "Stop the infusion" in screen.confirm_bar.text.text()
    user.press("F7")
    assert screen.record.phase == Phase.RECOVERY
    clock.at(t0, 67)
    user.type("132/84\t74\t98\n")
    clock.at(t0, 85)

    def discharge(d):
        text = d.visible_text()
        assert "Minimum observation ended" in text
        assert "From the record: 2 (BP against the baseline: systolic 132 vs 128 (+3 %)" in text
        assert "From the record: 2 (last SpO2 98 %)" in text
        for item in ("Activity: 2", "Respiration: 2", "Consciousness: 2"):
            d.tick(item)
        d.tick("Responsible adult escort present")
        d.fill("Escort's name", "Sam Ngata")
        d.tick("Discharge instructions given (no driving until the next day)")
        d.click("Discharge")
    with user.expect_dialog(discharge):
        user.press("F8")
    rec = queries.get_record(db, nurse, sid)
    assert rec.status == Status.AWAITING_SIGNATURE and rec.discharge.total == 10
    clock.at(t0, 90)

    def sign(d):
        d.fill("Password", PASSWORDS["nurse"])
        d.click("Sign")
    with user.expect_dialog(sign):
        user.click("Sign")
    rec = queries.get_record(db, nurse, sid)
    assert rec.status == Status.SIGNED
    assert values(db, nurse, sid) == [(128, 82, 74, 97), (142, 88, 80, 98), (150, 92, 80, 98),
                                      (140, 86, 80, 98), (132, 84, 74, 98)]
    assert not screen.entry_box.isVisible()


# ------------------------------------------------------------------------------------------ discharge checks
def recovery_session(db, nurse, t0, *, last_bp="192/114", last_hr=135, last_spo2=91):
    sid = new_session(db, nurse, t0)
    reading(db, nurse, sid, t0, 3, bp="130/80", hr=70, spo2=98)
    clinical.start_infusion(db, nurse, sid, at=t0 + timedelta(minutes=5), now=t0 + timedelta(minutes=5))
    clinical.stop_infusion(db, nurse, sid, at=t0 + timedelta(minutes=45), now=t0 + timedelta(minutes=45))
    reading(db, nurse, sid, t0, 46, bp=last_bp, hr=last_hr, spo2=last_spo2)
    return sid


def test_discharge_is_blocked_by_an_open_critical_flag_and_shows_the_checks(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = recovery_session(db, nurse, t0)
    clock.at(t0, 47)
    user = signed_in(chairside, db, clock)
    open_from_floor(user)
    seen = {}

    def look(d):
        seen["text"] = d.visible_text()
        seen["enabled"] = d.button("Discharge").isEnabled()
        d.click("Cancel")
    with user.expect_dialog(look):
        user.press("F8")
    text = seen["text"]
    assert not seen["enabled"]
    assert "4 critical flags open (SYS 192" in text and "acknowledge them before the discharge" in text
    assert "Minimum observation ends at" in text  # 2 minutes into recovery
    assert "BP 192/114 (+48 % / +42 %), HR 135 (+93 %), SpO2 91 %; baseline 130/80, HR 70, SpO2 98 %" in text
    # Circulation from BP against the baseline: +48 % is 20-50 %, so 1, not "within 20 %".
    assert "From the record: 1 (BP against the baseline" in text
    assert queries.get_record(db, nurse, sid).discharged_at is None
    assert cursor_in_bp(user)


def test_the_service_refuses_discharge_while_a_critical_flag_is_open(db, actors, t0):
    from monitor_app.domain.errors import RuleViolation
    from tests.session_flow import ALDRETE_OK
    nurse = actors["nurse"]
    sid = recovery_session(db, nurse, t0)
    with pytest.raises(RuleViolation) as refused:
        clinical.discharge(db, nurse, sid, scale="aldrete", items=ALDRETE_OK, escort_present=True,
                           escort_name="Sam", instructions_given=True, early_reason="patient insists",
                           at=t0 + timedelta(minutes=90), now=t0 + timedelta(minutes=90))
    assert "critical" in str(refused.value)
    assert queries.get_record(db, nurse, sid).discharged_at is None


def test_discharge_prefills_from_the_record_and_records_the_items_changed(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = recovery_session(db, nurse, t0, last_bp="170/100", last_hr=88, last_spo2=97)  # warnings only
    clock.at(t0, 80)
    user = signed_in(chairside, db, clock)
    open_from_floor(user)

    def discharge(d):
        group = d.widget.groups
        assert group["circulation"].checkedId() == 1  # systolic +31 %, diastolic +25 %
        assert group["oxygen"].checkedId() == 2  # SpO2 97 %
        assert group["activity"].checkedId() == -1  # the record does not answer it
        for item in ("Activity: 2", "Respiration: 2", "Consciousness: 2", "Circulation: 2"):
            d.tick(item)
        d.tick("Responsible adult escort present")
        d.fill("Escort's name", "Sam Ngata")
        d.tick("Discharge instructions given (no driving until the next day)")
        d.click("Discharge")
    with user.expect_dialog(discharge):
        user.press("F8")
    rec = queries.get_record(db, nurse, sid)
    assert rec.discharge.items["circulation"] == 2 and rec.status == Status.AWAITING_SIGNATURE
    with db.reader() as s:
        row = s.scalars(select(AuditEvent).where(AuditEvent.entity == "discharge_assessment")).one()
    assert row.reason == "Scored otherwise than the record suggested: Circulation 1 \u2192 2"
    # Discharged: the entry line is closed, late entries go through their own action.
    screen = user.page
    assert not screen.entry.isEnabled() or not screen.entry_box.isVisible()
    assert user.button("Late entry").isVisible()


# ------------------------------------------------------------------------------------------ co-signature
def test_cosign_lists_the_exceptions_a_reviewer_must_see(chairside, db, actors, t0, clock):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0, checklist=False)
    reading(db, nurse, sid, t0, 3, bp="130/80", hr=70, spo2=98)
    clinical.start_infusion(db, nurse, sid, checklist_reason="Consent on paper", at=t0 + timedelta(minutes=5),
                            now=t0 + timedelta(minutes=5))
    late = clinical.record_reading(db, nurse, sid, Vitals(140, 85, 80, 97), measured_at=t0 + timedelta(minutes=15),
                                   now=t0 + timedelta(minutes=30))
    crit = reading(db, nurse, sid, t0, 31, bp="186/104", hr=96, spo2=97)
    flag = next(f for f in queries.get_record(db, nurse, sid).flags if f.reading_id == crit and f.level == Level.CRITICAL)
    clinical.acknowledge_flags(db, nurse, [flag.id], "clinician_notified", "Dr. Reyes",
                               now=t0 + timedelta(minutes=32))
    wrong = reading(db, nurse, sid, t0, 35, bp="150/90")
    clinical.mark_entered_in_error(db, nurse, "reading", wrong, "Wrong chair", now=t0 + timedelta(minutes=36))
    clinical.amend_reading(db, nurse, late, {"systolic": 142}, "Misread",
                           now=t0 + timedelta(minutes=37))
    clinical.stop_infusion(db, nurse, sid, at=t0 + timedelta(minutes=45), now=t0 + timedelta(minutes=45))
    reading(db, nurse, sid, t0, 50, bp="132/82", hr=72, spo2=98)
    clinical.discharge(db, nurse, sid, scale="aldrete", items=dict(activity=2, respiration=2, circulation=2,
                       consciousness=2, oxygen=2), escort_present=True, escort_name="Sam",
                       instructions_given=True, early_reason="Escort must leave", at=t0 + timedelta(minutes=55),
                       now=t0 + timedelta(minutes=55))
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=t0 + timedelta(minutes=56))
    clock.at(t0, 120)
    user = signed_in(chairside, db, clock, username="charge")
    user.click("awaiting co-signature")
    seen = {}

    def look(d):
        seen["text"] = d.visible_text()
        d.fill("Password", PASSWORDS["charge"])
        d.click("Co-sign")
    with user.expect_dialog(look):
        user.click("Co-sign")
    text = seen["text"]
    for words in ("Late entry: reading of", "Amended: reading of", "systolic 140 \u2192 142", "Misread",
                  "Entered in error: reading of", "Wrong chair",
                  "Started with checklist items not done", "Consent on paper",
                  "Early discharge at", "Escort must leave",
                  "Critical SYS 186 at", "Clinician notified: Dr. Reyes"):
        assert words in text, words
    assert queries.get_record(db, actors["charge"], sid).status == Status.REVIEWED


# ------------------------------------------------------------------------------------------ fits the screen
TITLE_BAR = 32  # a desktop's window title bar (with a margin), which the offscreen platform does not draw


@pytest.mark.parametrize("size, large", [((1280, 800), True), ((1366, 768), False), ((1280, 800), False),
                                         ((1366, 768), True)])
def test_session_screen_fits_without_clipped_text(chairside, db, actors, t0, clock, size, large):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0, allergies="Penicillin")
    reading(db, nurse, sid, t0, 3, bp="130/84", hr=74, spo2=98)
    clinical.start_infusion(db, nurse, sid, at=t0 + timedelta(minutes=5), now=t0 + timedelta(minutes=5))
    for m, bp in ((15, "142/88"), (25, "151/92"), (35, "184/112")):
        reading(db, nurse, sid, t0, m, bp=bp, hr=96, spo2=96)
    clock.at(t0, 37)
    user = signed_in(chairside, db, clock, large_type=large, size=(size[0], size[1] - TITLE_BAR))
    screen = open_from_floor(user)
    assert "2 critical flags open" in screen.header.critical.text()
    problems = clipped(user.main)
    assert not problems, "\n".join(problems)
    # Six readings in view at 1280x800 in ordinary type (four at 1366x768, three in large type), and a chart that
    # shows every panel whole (a chart squeezed below that would cut its SpO2 panel off).
    rows = screen.table.verticalHeader().defaultSectionSize()
    assert screen.table.viewport().height() >= (3 if large else 6 if size == (1280, 800) else 4) * rows
    assert screen.chart.height() >= screen.chart.compact_height() >= 170
    # ... in the room the divider leaves it, above the table, not over the table's headings.
    assert screen.chart.geometry().bottom() < screen.table.parentWidget().geometry().top()
    # ... down to the clock times and elapsed minutes under the plot (large type cut the minutes off).
    assert screen.chart.bottom_axis.sceneBoundingRect().bottom() <= screen.chart.viewport().height() + 0.5
    # The panels' titles along the chart's axis stay apart ("BP mmHg" ran into "HR" in large type).
    def ink(label):  # the title's text, without the margin its text item keeps around it
        m = label.document().documentMargin()
        return label.sceneBoundingRect().adjusted(m, m, -m, -m)
    titles = [(p.getAxis("left").labelText, ink(p.getAxis("left").label)) for p in screen.chart.plots.values()]
    for (a, ra), (b, rb) in zip(titles, titles[1:]):
        assert not ra.intersects(rb), f"the chart's titles {a!r} and {b!r} overlap"
    # Every critical limit keeps its label in the margin ("Dia 40" gave way in large type at 1280x800), and no
    # label covers another, of its panel or the next ("Dia 40" sat on HR's "130" at 1366x768).
    margin = []
    for name, plot in screen.chart.plots.items():
        critical = {label.text for label in screen.chart.model.limit_labels(name, 0.0) if label.level == Level.CRITICAL}
        painted = painted_texts(plot.getAxis("right"))
        assert critical and critical <= {text for _rect, text in painted}, name
        margin += painted
    for i, (a, text) in enumerate(margin):
        assert not [other for b, other in margin[i + 1:] if a.intersects(b)], text
    # Every column of the readings in view in ordinary type, none to scroll sideways to (RR, sedation, pain,
    # comment, who); large type may scroll, its headings whole (above).
    table = screen.table
    if not large:
        assert not table.horizontalScrollBar().isVisible()
        assert table.horizontalHeader().length() <= table.viewport().width()
    # The header keeps its size and place in every phase.
    before = screen.header.geometry()
    clock.at(t0, 50)
    user.press("F7")
    user.press("F7")
    assert screen.record.phase == Phase.RECOVERY
    assert user.focus is screen.entry.edits["bp"] and screen.header.geometry() == before


def test_large_type_applies_at_once_to_an_open_session_screen(chairside, db, actors, t0, clock):
    from monitor_app.ui import theme
    new_session(db, actors["nurse"], t0)
    user = signed_in(chairside, db, clock, size=(1280, 800 - TITLE_BAR))
    screen = open_from_floor(user)
    user.type("128/8")  # half-typed when the nurse turns large type on
    before = screen.entry.edits["bp"].font().pointSize()
    user.press("Ctrl+Shift+L")
    screen = user.page
    assert screen.entry.edits["bp"].font().pointSize() > before
    assert screen.header.name.font().pointSize() >= theme.LARGE_POINT_SIZE + 6
    assert screen.entry.edits["bp"].text() == "128/8" and cursor_in_bp(user)
    assert not clipped(user.main), clipped(user.main)
    user.press("Ctrl+Shift+L")
    assert user.page.entry.edits["bp"].font().pointSize() == before


def test_the_readings_on_screen_after_saves_are_those_a_full_repaint_shows(chairside, db, actors, t0, clock):
    """After each save only the new row is painted and the rows above are moved as drawn: what the nurse sees of
    the table must be exactly what painting it afresh gives, row numbers, values and all, as it fills and scrolls."""
    sid = new_session(db, actors["nurse"], t0)
    for m in range(1, 5):  # one critical, in bold: the widest BP a table holds
        reading(db, actors["nurse"], sid, t0, m, bp="186/112" if m == 2 else "128/82")
    user = signed_in(chairside, db, clock, size=(1280, 800 - TITLE_BAR))
    clock.at(t0, 5)
    screen = open_from_floor(user)
    table = screen.table
    for i in range(9):  # from a table with room to spare to one that scrolls at every save
        clock.at(t0, 6 + i)
        user.type(f"{150 + i}/9{i}\t{70 + i}\t{95 + i % 5}\n")
        user.wait_until(lambda: screen.entry.confirmation.text().startswith("\u2713 Saved"))
        QApplication.processEvents()
        window = user.main
        on_screen = window.screen().grabWindow(window.winId()).toImage()
        origin = table.viewport().mapTo(window, QPoint(0, 0))
        shown = on_screen.copy(QRect(origin, table.viewport().size()))
        fresh = table.viewport().grab().toImage()
        assert shown.convertToFormat(fresh.format()) == fresh, f"the table on screen differs after save {i + 1}"
    last = table.model().rowCount() - 1
    assert table.model().data(table.model().index(last, COLUMN_INDEX["bp"])) == "158/98"
    assert table.rowViewportPosition(last) + table.rowHeight(last) <= table.viewport().height()  # in view
    # Grown past its height, the table scrolls up and down, and still not sideways.
    assert table.verticalScrollBar().isVisible() and not table.horizontalScrollBar().isVisible()


@pytest.mark.parametrize("width, shown_by", [(1280, "NT"), (1920, "Nurse Tester, RN")])
def test_a_comment_is_read_whole_where_by_gives_way_to_initials(chairside, db, actors, t0, clock, width, shown_by):
    """At 1280x800 the comment takes the room the name in By would have: the comment whole, By as initials (its
    tooltip keeps the whole name), nothing to scroll sideways to. At 1920x1080 there is room for both."""
    sid = new_session(db, actors["nurse"], t0)
    reading(db, actors["nurse"], sid, t0, 1)
    user = signed_in(chairside, db, clock, size=(width, {1280: 800, 1920: 1080}[width] - TITLE_BAR))
    clock.at(t0, 5)
    screen = open_from_floor(user)
    comment = "Anxious, settled by a talk"
    user.type(f"128/82\t72\t98\t\t\t\t{comment}\n")
    user.wait_until(lambda: screen.entry.confirmation.text().startswith("\u2713 Saved"))
    table, model = screen.table, screen.table.model()
    row = model.rowCount() - 1
    by = model.index(row, COLUMN_INDEX["by"])
    assert model.data(model.index(row, COLUMN_INDEX["comment"])) == comment
    assert table.columnWidth(COLUMN_INDEX["comment"]) >= table.fontMetrics().horizontalAdvance(comment) + 8
    assert not table.horizontalScrollBar().isVisible()
    name = model.data(by)
    assert name == "Nurse Tester, RN" and model.data(by, Qt.ItemDataRole.ToolTipRole).endswith(name)
    gave_way = table.columnWidth(COLUMN_INDEX["by"]) < table.fontMetrics().horizontalAdvance(name) + 8
    assert gave_way == (width == 1280)
    shown = QStyleOptionViewItem()  # By as its cell is painted
    shown.rect, shown.font = table.visualRect(by), table.font()
    table.itemDelegateForColumn(COLUMN_INDEX["by"]).initStyleOption(shown, by)
    assert shown.text == shown_by
