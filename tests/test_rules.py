"""The record rules of SPEC 3 through the services: times, late entry, nothing erased, signing, discharge."""
from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from conftest import PASSWORDS
from monitor_app.domain.clock import fmt_time, parse_clock_time
from monitor_app.domain.errors import (AuthenticationFailed, ConcurrentEdit, FieldError, PermissionDenied,
                                       RuleViolation)
from monitor_app.domain.schedule import GRACE, Due, Schedule, due_text
from monitor_app.domain.session import Phase, Status
from monitor_app.domain.thresholds import KETAMINE_DEFAULT
from monitor_app.services import audit, clinical as c, integrity, queries, records, users
from monitor_app.storage.models import AuditEvent, Reading, Signature, User
from session_flow import ALDRETE_OK, at, complete_session, discharge, open_session, start, to_recovery, v

UTC = timezone.utc
SERVICES = Path(__file__).resolve().parents[1] / "monitor_app" / "services"


def record(db, actor, sid):
    return queries.get_record(db, actor, sid)


def audit_rows(db) -> int:
    with db.reader() as s:
        return audit.count_rows(s)


# ------------------------------------------------------------------------------------------ measured-at

def test_measured_at_two_minutes_ahead_is_accepted_and_one_second_more_refused(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    now = at(t0, 20)
    rid = c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=now + timedelta(minutes=2), now=now)
    assert record(db, nurse, sid).readings[0].id == rid
    before = audit_rows(db)
    with pytest.raises(FieldError) as info:
        c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=now + timedelta(minutes=2, seconds=1),
                         now=now)
    assert info.value.field == "time" and "future" in info.value.message
    assert audit_rows(db) == before
    assert len(record(db, nurse, sid).readings) == 1


def test_measured_before_arrival_or_after_discharge_is_refused(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    with pytest.raises(FieldError, match="before the patient arrived"):
        c.record_reading(db, nurse, sid, v("128/82"), measured_at=t0 - timedelta(seconds=1), now=at(t0, 1))
    c.record_reading(db, nurse, sid, v("128/82"), measured_at=t0, now=at(t0, 1))  # at arrival is inside
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)
    discharge(db, nurse, sid, t0, 90)
    with pytest.raises(FieldError, match="after the patient was discharged"):
        c.record_reading(db, nurse, sid, v("128/82"), measured_at=at(t0, 90) + timedelta(seconds=1), now=at(t0, 95))
    with pytest.raises(FieldError, match="after the patient was discharged"):
        c.record_event(db, nurse, sid, "headache", severity="mild", at=at(t0, 91), now=at(t0, 95))
    # a reading from the paper chart, measured before discharge, can still be added before signing: late entry
    rid = c.record_reading(db, nurse, sid, v("126/80"), measured_at=at(t0, 80), now=at(t0, 95))
    assert next(r for r in record(db, nurse, sid).readings if r.id == rid).late


def test_late_entry_is_more_than_ten_minutes_after_measurement(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    on_time = c.record_reading(db, nurse, sid, v("128/82"), measured_at=at(t0, 5), now=at(t0, 15))
    late = c.record_reading(db, nurse, sid, v("130/84"), measured_at=at(t0, 6),
                            now=at(t0, 16) + timedelta(seconds=1))
    rec = record(db, nurse, sid)
    by_id = {r.id: r for r in rec.readings}
    assert not by_id[on_time].late
    assert by_id[late].late
    # the record keeps both times
    assert by_id[late].measured_at == at(t0, 6)
    assert by_id[late].recorded_at == at(t0, 16) + timedelta(seconds=1)
    assert by_id[late].recorded_by.startswith("Nurse Tester")


# ------------------------------------------------------------------------------------------ DST

@pytest.mark.parametrize("zone,arrival,wall_clock", [
    # 01:10 BST; at 02:00 BST the clocks go back to 01:00 GMT, so 01:20 to 01:50 come twice
    ("Europe/London", datetime(2025, 10, 26, 0, 10, tzinfo=UTC),
     ["01:20", "01:30", "01:40", "01:50", "01:00", "01:10", "01:20", "01:30", "01:40", "01:50", "02:00", "02:10"]),
    # 00:20 GMT; at 01:00 GMT the clocks go forward to 02:00 BST, so no reading is taken at 01:xx
    ("Europe/London", datetime(2026, 3, 29, 0, 20, tzinfo=UTC),
     ["00:30", "00:40", "00:50", "02:00", "02:10", "02:20", "02:30", "02:40", "02:50", "03:00", "03:10", "03:20"]),
    # the test clinic's own zone: 01:40 EST on 8 March 2026; at 02:00 EST the clocks go forward to 03:00 EDT
    ("America/New_York", datetime(2026, 3, 8, 6, 40, tzinfo=UTC),
     ["01:50", "03:00", "03:10", "03:20", "03:30", "03:40", "03:50", "04:00", "04:10", "04:20", "04:30", "04:40"]),
])
def test_readings_typed_across_a_dst_change_keep_their_order_in_the_record(db, actors, zone, arrival, wall_clock):
    nurse, tz = actors["nurse"], ZoneInfo(zone)
    sid = open_session(db, nurse, arrival)
    taken = [arrival + timedelta(minutes=10 * i) for i in range(1, 13)]  # every 10 minutes for two hours
    for i, (measured, text) in enumerate(zip(taken, wall_clock), start=1):
        now = measured + timedelta(minutes=1)  # typed as the wall clock showed, a minute later
        c.record_reading(db, nurse, sid, v("128/82", str(60 + i), "98"), measured_at=parse_clock_time(text, now, tz),
                         now=now)
    rec = record(db, nurse, sid)
    times = [r.measured_at for r in rec.readings]
    assert times == taken  # each typed wall-clock time is the moment it was taken, none moved by an hour
    assert [r.current.heart_rate for r in rec.readings] == list(range(61, 73))  # the order they were taken
    shown = [fmt_time(t, tz) for t in times]
    assert [s.split()[0] for s in shown] == wall_clock  # the wall clock as it was typed
    assert len(set(shown)) == len(shown)  # in a repeated hour the zone tells the two 01:20s apart (SPEC 3 rule 6)
    assert all(t.utcoffset() == timedelta(0) for t in times)


# ------------------------------------------------------------------------------------------ nothing erased

def test_an_amendment_keeps_the_original(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    rid = c.record_reading(db, nurse, sid, v("128/82", "48", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    c.amend_reading(db, nurse, rid, {"heart_rate": 84}, "Transcribed 48 instead of 84", now=at(t0, 7))
    r = record(db, nurse, sid).readings[0]
    assert r.original.heart_rate == 48 and r.current.heart_rate == 84
    assert r.amended and r.amended_fields() == {"heart_rate"}
    a = r.amendments[0]
    assert a.changes == {"heart_rate": [48, 84]}
    assert a.reason == "Transcribed 48 instead of 84" and a.at == at(t0, 7) and a.by.startswith("Nurse Tester")
    with db.reader() as s:
        assert s.get(Reading, rid).heart_rate == 48  # the stored reading itself never changes
    with pytest.raises(FieldError, match="Reason"):
        c.amend_reading(db, nurse, rid, {"heart_rate": 85}, "  ", now=at(t0, 8))
    with pytest.raises(FieldError, match="between 20-250"):
        c.amend_reading(db, nurse, rid, {"heart_rate": 300}, "typo", now=at(t0, 8))


def test_entered_in_error_stays_with_its_reason_and_is_not_the_baseline(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    good = c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 3), now=at(t0, 3))
    wrong = c.record_reading(db, nurse, sid, v("170/100", "90", "97"), measured_at=at(t0, 6), now=at(t0, 6))
    assert record(db, nurse, sid).baseline.id == wrong
    c.mark_entered_in_error(db, nurse, "reading", wrong, "Entered for the wrong chair", now=at(t0, 7))
    rec = record(db, nurse, sid)
    assert [r.id for r in rec.readings] == [good, wrong]  # still there
    shown = rec.readings[1]
    assert shown.entered_in_error and shown.error.reason == "Entered for the wrong chair"
    assert rec.baseline.id == good
    with pytest.raises(RuleViolation, match="already marked"):
        c.mark_entered_in_error(db, nurse, "reading", wrong, "again", now=at(t0, 8))
    with pytest.raises(RuleViolation, match="entered in error"):
        c.amend_reading(db, nurse, wrong, {"heart_rate": 80}, "fix", now=at(t0, 8))
    # flags compare with the valid baseline (128/82): 156 is 22 % above 128 (but 8 % below the erroneous 170)
    c.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10))
    c.record_reading(db, nurse, sid, v("156/90", "80"), measured_at=at(t0, 20), now=at(t0, 20))
    flags = record(db, nurse, sid).readings[-1].flags
    assert [(f.parameter, f.kind, f.level.value) for f in flags] == [("systolic", "baseline", "warning")]


def _python_sources(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        yield path, path.read_text(encoding="utf-8")


def test_there_is_no_delete_of_records_anywhere():
    found = []
    for path, text in _python_sources(SERVICES):
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "delete":
                found.append(f"{path.name}:{node.lineno} .delete")
            if isinstance(node, ast.Name) and node.id == "delete":
                found.append(f"{path.name}:{node.lineno} delete()")
            if isinstance(node, ast.ImportFrom) and any(a.name == "delete" for a in node.names):
                found.append(f"{path.name}:{node.lineno} import delete")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.search(r"\b(DELETE|TRUNCATE|DROP)\b", node.value):
                found.append(f"{path.name}:{node.lineno} SQL text {node.value[:40]!r}")
    assert not found, found
    # and nothing deletes through cascades either
    models = (SERVICES.parent / "storage" / "models.py").read_text()
    assert "delete-orphan" not in models and 'cascade="all' not in models


# ------------------------------------------------------------------------------------------ signing

def test_signing_is_refused_naming_the_missing_discharge_assessment(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)
    with pytest.raises(RuleViolation) as info:
        c.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 60))
    assert "discharge assessment" in str(info.value)
    assert record(db, nurse, sid).status == Status.IN_PROGRESS


def test_signing_is_refused_while_a_critical_flag_is_unacknowledged(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)
    discharge(db, nurse, sid, t0)
    # An open critical flag blocks the discharge; one can still come after it, with a late entry.
    c.record_reading(db, nurse, sid, v("190/104", "80", "97"), measured_at=at(t0, 60), now=at(t0, 92))
    rec = record(db, nurse, sid)
    critical = rec.open_critical_flags
    assert len(critical) == 1 and critical[0].parameter == "systolic"
    with pytest.raises(RuleViolation) as info:
        c.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    assert "acknowledgement of 1 critical flag" in str(info.value)
    assert "discharge" not in str(info.value)
    c.acknowledge_flag(db, nurse, critical[0].id, "clinician_notified", now=at(t0, 96))
    c.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 97))
    assert record(db, nurse, sid).status == Status.SIGNED


def _failed_logins(db, username):
    with db.reader() as s:
        u = s.scalar(select(User).where(User.username == username))
        return u.failed_logins, u.locked_until


def test_signing_with_a_wrong_password_is_refused_and_counts_towards_lock_out(db, actors, t0):
    nurse = actors["nurse"]
    sid = complete_session(db, nurse, t0)
    with pytest.raises(AuthenticationFailed):
        c.sign(db, nurse, sid, "not-my-password", now=at(t0, 95))
    assert record(db, nurse, sid).status == Status.AWAITING_SIGNATURE
    assert _failed_logins(db, "nurse")[0] == 1
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Signature)) == 0


def test_only_the_primary_nurse_signs_as_author(db, actors, t0):
    sid = complete_session(db, actors["nurse"], t0)
    with pytest.raises(PermissionDenied, match="primary nurse"):
        c.sign(db, actors["nurse2"], sid, PASSWORDS["nurse2"], now=at(t0, 95))


def test_after_signing_every_change_is_refused_except_a_signed_addendum(db, actors, t0):
    nurse, charge = actors["nurse"], actors["charge"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    warn = c.record_reading(db, nurse, sid, v("165/90", "80", "97"), measured_at=at(t0, 15), now=at(t0, 15))
    to_recovery(db, nurse, sid, t0)
    discharge(db, nurse, sid, t0)
    sig_id = c.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    rec = record(db, nurse, sid)
    assert rec.status == Status.SIGNED and rec.locked
    warning = rec.open_flags[0]  # a warning flag may stay open at signing; it cannot be acknowledged afterwards
    reading_id = rec.readings[0].id
    now = at(t0, 100)
    attempts = {
        "record_reading": lambda: c.record_reading(db, nurse, sid, v("120/80"), measured_at=at(t0, 60), now=now),
        "amend_reading": lambda: c.amend_reading(db, nurse, reading_id, {"heart_rate": 70}, "typo", now=now),
        "mark_entered_in_error": lambda: c.mark_entered_in_error(db, nurse, "reading", reading_id, "wrong", now=now),
        "record_event": lambda: c.record_event(db, nurse, sid, "headache", severity="mild", at=at(t0, 60), now=now),
        "acknowledge_flag": lambda: c.acknowledge_flag(db, nurse, warning.id, "rechecked", now=now),
        "discharge": lambda: discharge(db, nurse, sid, t0, 99),
        "start_infusion": lambda: c.start_infusion(db, nurse, sid, at=at(t0, 60), now=now),
        "pause_infusion": lambda: c.pause_infusion(db, nurse, sid, now=now),
        "resume_infusion": lambda: c.resume_infusion(db, nurse, sid, now=now),
        "stop_infusion": lambda: c.stop_infusion(db, nurse, sid, at=at(t0, 60), now=now),
        "order_limits": lambda: c.order_limits(db, nurse, sid, KETAMINE_DEFAULT, clinician="Dr. R", reason="r",
                                               at=at(t0, 60), now=now),
        "order_schedule": lambda: c.order_schedule(db, nurse, sid, Schedule("x"), clinician="Dr. R", reason="r",
                                                   at=at(t0, 60), now=now),
        "sign": lambda: c.sign(db, nurse, sid, PASSWORDS["nurse"], now=now),
    }
    before = audit_rows(db)
    for name, attempt in attempts.items():
        with pytest.raises(RuleViolation, match="signed and locked") as info:
            attempt()
        assert info.value, name
    assert audit_rows(db) == before
    # the addendum: text, and a correction as an amendment, both shown in the record
    ad = c.add_addendum(db, nurse, sid, "Patient phoned: slept well.", PASSWORDS["nurse"],
                        corrections=[(warn, {"heart_rate": 78}, "Monitor showed 78")], now=at(t0, 300))
    rec = record(db, nurse, sid)
    assert [a.text for a in rec.addenda] == ["Patient phoned: slept well."]
    assert rec.addenda[0].id == ad and rec.addenda[0].corrections[0].changes == {"heart_rate": [80, 78]}
    corrected = next(r for r in rec.readings if r.id == warn)
    assert corrected.original.heart_rate == 80 and corrected.current.heart_rate == 78
    assert [s.meaning for s in rec.signatures] == ["Authored", "Addendum"]
    assert rec.status == Status.SIGNED
    # the author signature still matches what was signed
    with db.reader() as s:
        sig = s.get(Signature, sig_id)
        row = records.get_session_row(s, sid)
        assert re.fullmatch(r"[0-9a-f]{64}", sig.content_hash)
        assert records.content_hash(s, row, sig.signed_at) == sig.content_hash
        assert records.content_hash(s, row, None) != sig.content_hash  # the addendum came after
    report = integrity.verify_archive(db, charge)
    assert report.intact, report.problems
    # an addendum to an unsigned record is refused: it can still be edited
    other = complete_session(db, nurse, t0)
    with pytest.raises(RuleViolation, match="still be edited"):
        c.add_addendum(db, nurse, other, "text", PASSWORDS["nurse"], now=at(t0, 300))
    with pytest.raises(AuthenticationFailed):
        c.add_addendum(db, nurse, sid, "text", "wrong-password", now=at(t0, 301))
    assert len(record(db, nurse, sid).addenda) == 1


def test_cosign_by_a_charge_nurse_only_and_never_by_the_author(db, actors, t0):
    nurse, charge = actors["nurse"], actors["charge"]
    sid = complete_session(db, nurse, t0)
    with pytest.raises(RuleViolation, match="signed by its author"):
        c.cosign(db, charge, sid, PASSWORDS["charge"], now=at(t0, 94))
    c.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    with pytest.raises(PermissionDenied):
        c.cosign(db, actors["nurse2"], sid, PASSWORDS["nurse2"], now=at(t0, 96))
    with pytest.raises(PermissionDenied):
        c.cosign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 96))
    c.cosign(db, charge, sid, PASSWORDS["charge"], now=at(t0, 120))
    rec = record(db, nurse, sid)
    assert rec.status == Status.REVIEWED
    review = rec.review_signature()
    assert review.printed_name == "Charge Tester" and review.credentials == "RN" and review.signed_at == at(t0, 120)
    assert rec.author_signature().printed_name == "Nurse Tester"
    with pytest.raises(RuleViolation):
        c.cosign(db, charge, sid, PASSWORDS["charge"], now=at(t0, 121))
    # a charge nurse's own session cannot be reviewed by that charge nurse
    own = complete_session(db, charge, t0)
    c.sign(db, charge, own, PASSWORDS["charge"], now=at(t0, 95))
    with pytest.raises(PermissionDenied, match="author"):
        c.cosign(db, charge, own, PASSWORDS["charge"], now=at(t0, 96))
    # an addendum after review keeps every signature intact
    c.add_addendum(db, nurse, sid, "Follow-up call: well.", PASSWORDS["nurse"], now=at(t0, 400))
    assert integrity.verify_archive(db, charge).intact


def test_attempts_during_the_lock_do_not_extend_it(db, actors, t0):
    """SPEC 9: attempts during the lock are refused without extending it, however many there are."""
    now = at(t0, 120)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            users.sign_in(db, "nurse2", "wrong-password", now=now)
    assert _failed_logins(db, "nurse2")[1] == now + timedelta(minutes=15)
    # more than five attempts during the lock, right and wrong, the last a second before it ends
    for minutes, password in ((1, "wrong"), (3, "wrong"), (6, PASSWORDS["nurse2"]), (9, "wrong"), (12, "wrong"),
                              (15 - 1 / 60, PASSWORDS["nurse2"])):
        with pytest.raises(AuthenticationFailed, match="locked"):
            users.sign_in(db, "nurse2", password, now=now + timedelta(minutes=minutes))
    assert _failed_logins(db, "nurse2")[1] == now + timedelta(minutes=15)
    assert users.sign_in(db, "nurse2", PASSWORDS["nurse2"], now=now + timedelta(minutes=15)).username == "nurse2"


def test_lock_out_after_five_wrong_passwords(db, actors, t0):
    nurse = actors["nurse"]
    sid = complete_session(db, nurse, t0)
    now = at(t0, 120)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            users.sign_in(db, "nurse", "wrong-password", now=now)
    with pytest.raises(AuthenticationFailed):  # the fifth, at the signature
        c.sign(db, nurse, sid, "wrong-again", now=now)
    with pytest.raises(AuthenticationFailed, match="locked"):
        users.sign_in(db, "nurse", PASSWORDS["nurse"], now=now + timedelta(minutes=1))
    with pytest.raises(AuthenticationFailed, match="locked"):
        c.sign(db, nurse, sid, PASSWORDS["nurse"], now=now + timedelta(minutes=1))
    assert record(db, nurse, sid).status == Status.AWAITING_SIGNATURE
    # the lock lasts 15 minutes from the fifth failure, not from the attempts during it; then the password works
    assert users.sign_in(db, "nurse", PASSWORDS["nurse"], now=now + timedelta(minutes=15)).username == "nurse"
    assert _failed_logins(db, "nurse") == (0, None)
    with db.reader() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.username == "nurse")
                            .order_by(AuditEvent.seq)).all()
    # four wrong passwords, the fifth locking, two attempts refused during the lock (neither counted)
    assert (actions.count("login_failed"), actions.count("locked_out"), actions.count("login_refused")) == (4, 1, 2)


# ------------------------------------------------------------------------------------------ discharge

def test_discharge_needs_a_score_of_nine(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    with pytest.raises(RuleViolation, match="Stop the infusion"):
        discharge(db, nurse, sid, t0, 40)
    to_recovery(db, nurse, sid, t0)
    with pytest.raises(FieldError) as info:
        discharge(db, nurse, sid, t0, items={**ALDRETE_OK, "oxygen": 0})
    assert info.value.field == "score" and "8" in info.value.message and "9" in info.value.message
    with pytest.raises(FieldError) as info:
        discharge(db, nurse, sid, t0, items={k: v for k, v in ALDRETE_OK.items() if k != "oxygen"})
    assert info.value.field == "oxygen"
    with pytest.raises(FieldError) as info:
        discharge(db, nurse, sid, t0, escort_present=False)
    assert info.value.field == "escort_name"
    with pytest.raises(FieldError) as info:
        discharge(db, nurse, sid, t0, escort_name="  ")
    assert info.value.field == "escort_name"
    with pytest.raises(FieldError) as info:
        discharge(db, nurse, sid, t0, instructions_given=False)
    assert info.value.field == "instructions_given"
    assert record(db, nurse, sid).discharge is None
    discharge(db, nurse, sid, t0, items={**ALDRETE_OK, "oxygen": 2})
    rec = record(db, nurse, sid)
    assert rec.discharge.total == 10 and rec.phase == Phase.DISCHARGED and rec.status == Status.AWAITING_SIGNATURE
    with pytest.raises(RuleViolation, match="already discharged"):
        discharge(db, nurse, sid, t0, 95)


def test_early_discharge_needs_a_reason(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)  # stopped at +50; the default minimum observation is 30 minutes
    with pytest.raises(FieldError) as info:
        discharge(db, nurse, sid, t0, 79)
    assert info.value.field == "early_reason" and "30 minutes" in info.value.message
    discharge(db, nurse, sid, t0, 79, early_reason="Transport arrived; clinician agreed")
    d = record(db, nurse, sid).discharge
    assert not d.observation_met and d.early_reason == "Transport arrived; clinician agreed"
    # exactly at the end of the minimum observation no reason is needed
    other = open_session(db, nurse, t0)
    start(db, nurse, other, t0)
    to_recovery(db, nurse, other, t0)
    discharge(db, nurse, other, t0, 80)
    d = record(db, nurse, other).discharge
    assert d.observation_met and d.early_reason == ""


# ------------------------------------------------------------------------------------------ schedule

def test_next_reading_due_and_overdue_after_the_grace_minute(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    rec = record(db, nurse, sid)
    due = rec.next_due(at(t0, 1))
    assert due.reason == "baseline" and not due.overdue
    start(db, nurse, sid, t0)  # baseline +5, start +10
    c.record_reading(db, nurse, sid, v("130/84", "74", "98"), measured_at=at(t0, 20), now=at(t0, 20))
    rec = record(db, nurse, sid)
    due = rec.next_due(at(t0, 25))
    assert due.reason == "infusion" and due.at == at(t0, 30) and not due.overdue
    assert not rec.next_due(at(t0, 30) + GRACE).overdue
    assert rec.next_due(at(t0, 30) + GRACE + timedelta(seconds=1)).overdue
    c.stop_infusion(db, nurse, sid, at=at(t0, 50), now=at(t0, 50))
    rec = record(db, nurse, sid)
    due = rec.next_due(at(t0, 51))
    assert due.reason == "recovery" and due.at == at(t0, 65)  # the recovery clock starts at the infusion end
    # a clinician's order of another schedule applies from its time on
    c.order_schedule(db, nurse, sid, Schedule("Every 5 in recovery", recovery_interval_min=5), clinician="Dr. R",
                     reason="BP still high", at=at(t0, 52), now=at(t0, 52))
    rec = record(db, nurse, sid)
    assert rec.next_due(at(t0, 53)).at == at(t0, 55)
    assert rec.next_due(at(t0, 56) + timedelta(seconds=1)).overdue


def test_a_baseline_older_than_the_window_is_due_again_and_the_start_refused(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    rec = record(db, nurse, sid)
    due = rec.next_due(at(t0, 20))
    assert (due.reason, due.at, due.overdue) == ("rebaseline", at(t0, 35), False)  # 30-minute window
    assert not rec.next_due(at(t0, 35) + GRACE).overdue
    assert rec.next_due(at(t0, 35) + GRACE + timedelta(seconds=1)).overdue
    with pytest.raises(RuleViolation, match="within 30 minutes"):
        c.start_infusion(db, nurse, sid, at=at(t0, 36), now=at(t0, 36))
    c.record_reading(db, nurse, sid, v("126/80", "70", "98"), measured_at=at(t0, 37), now=at(t0, 37))
    assert record(db, nurse, sid).next_due(at(t0, 38)).at == at(t0, 67)
    c.start_infusion(db, nurse, sid, at=at(t0, 38), now=at(t0, 38))


@pytest.mark.parametrize("due, now, text", [
    (Due(None, False, "baseline"), 0, "Baseline reading due"),
    (Due(None, False, ""), 0, "No reading due"),
    (Due(10, False, "infusion"), 0, "Next reading due 10:10 (in 10 min)"),
    (Due(10, False, "infusion"), 4.5, "Next reading due 10:10 (in 6 min)"),
    (Due(10, False, "recovery"), 9.8, "Next reading due 10:10 (now)"),
    (Due(10, True, "infusion"), 13.2, "OVERDUE: reading due 10:10, 3 min ago"),
    (Due(10, True, "infusion"), 85, "OVERDUE: reading due 10:10, 1 h 15 min ago"),
    (Due(35, False, "rebaseline"), 20, "Start by 10:35 (in 15 min) or repeat the baseline"),
    (Due(35, True, "rebaseline"), 37, "OVERDUE: baseline too old since 10:35, repeat it"),
])
def test_the_due_clock_in_words(due, now, text):
    base = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    moment = lambda m: None if m is None else base + timedelta(minutes=m)
    assert due_text(Due(moment(due.at), due.overdue, due.reason), moment(now), UTC) == text


# ------------------------------------------------------------------------------------------ concurrent edits

def test_a_stale_version_is_a_concurrent_edit(db, actors, t0):
    nurse, other = actors["nurse"], actors["nurse2"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    seen = record(db, nurse, sid).version
    c.pause_infusion(db, other, sid, note="patient asked", now=at(t0, 15))  # another workstation
    before = audit_rows(db)
    with pytest.raises(ConcurrentEdit, match="another workstation"):
        c.stop_infusion(db, nurse, sid, at=at(t0, 16), now=at(t0, 16), expected_version=seen)
    assert audit_rows(db) == before
    rec = record(db, nurse, sid)
    assert rec.infusion_end_at is None and rec.paused
    c.resume_infusion(db, nurse, sid, now=at(t0, 17), expected_version=rec.version)
    rid = rec.readings[0].id
    with pytest.raises(ConcurrentEdit):
        c.amend_reading(db, nurse, rid, {"heart_rate": 70}, "typo", expected_version=rec.version, now=at(t0, 18))
