"""Rules of the services that no other module pins down: which permission each audited action needs, who a
refusal names, and the record rules of SPEC 3 and 4 at their edges, through the services and a real archive."""
from __future__ import annotations

import hashlib
import json
import pickle
import re
import sqlite3
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from conftest import CLINIC_ZONE, PASSWORDS, new_archive
from monitor_app.domain.errors import (AuthenticationFailed, ConcurrentEdit, FieldError, NotFound, PermissionDenied,
                                       RuleViolation)
from monitor_app.domain.record import CourseView, DischargeView, PatientView
from monitor_app.domain.schedule import ESKETAMINE, Schedule
from monitor_app.domain.session import ACK_ACTIONS, INDICATIONS, Phase, Role, Status
from monitor_app.domain.thresholds import KETAMINE_DEFAULT, NEWS2
from monitor_app.domain.vitals import Vitals
from monitor_app.services import audit, clinical, integrity, queries, settings, users
from monitor_app.services.access import SYSTEM, Actor, record_refusal
from monitor_app.storage.models import AuditEvent, InfusionSession, Patient, Signature, User
from session_flow import ALDRETE_OK, at, complete_session, discharge, open_session, start, to_recovery, v


def trail_after(db, seq: int) -> list[AuditEvent]:
    with db.reader() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)))


def trail_end(db) -> int:
    with db.reader() as s:
        return s.scalar(select(func.max(AuditEvent.seq))) or 0


def findings(db, actor, reading_id: int) -> list[tuple[str, str, str]]:
    """A saved reading's flags as its record shows them: (parameter, level, kind)."""
    return [(f.parameter, f.level.value, f.kind) for f in queries.get_reading(db, actor, reading_id)[0].flags]


def insider_row(db, user, action: str, entity: str, entity_id, when, after: dict | None = None) -> int:
    """An audit row written around the services, chained and hashed as they would: only verify's replay of the
    roles can tell that the user's role did not allow it."""
    with db.transaction() as s:
        last = s.execute(select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc())).first()
        row = AuditEvent(seq=last.seq + 1, at=when, user_id=user.user_id, username=user.username, action=action,
                         entity=entity, entity_id=str(entity_id), session_id=None, before=None,
                         after=None if after is None else audit.canonical(after), reason="",
                         prev_hash=last.row_hash)
        row.row_hash = audit.row_hash(row)
        s.add(row)
        return row.seq


# ------------------------------------------------------------------------------------------ permissions (SPEC 9)

def test_verify_names_every_kind_of_row_the_role_did_not_allow_and_no_other(db, actors, t0):
    """Each audited action needs the permission SPEC 9 gives it; verify replays the roles row by row."""
    nurse, charge, auditor = actors["nurse"], actors["charge"], actors["auditor"]
    users.disable_user(db, actors["admin"], "nurse2", "left the clinic")
    gone = actors["nurse2"]
    when = iter(at(t0, m) for m in range(1, 100))
    care = ("patient", "course", "session", "amendment", "event", "flag", "flag_acknowledgement",
            "discharge_assessment", "addendum", "signature")
    named, allowed = {}, []
    for n, entity in enumerate(care):  # an auditor documenting care, an authorship signature included
        after = {"meaning": "Authored"} if entity == "signature" else None
        seq = insider_row(db, auditor, "create", entity, 900 + n, next(when), after)
        named[seq] = (f"auditor acted (create {entity} {900 + n})", "may not document sessions")
    named[insider_row(db, nurse, "sign", "signature", 950, next(when), {"meaning": "Reviewed"})] = (
        "nurse acted (sign signature 950)", "may not co-sign records")
    allowed.append(insider_row(db, nurse, "sign", "signature", 951, next(when), {"meaning": "Authored"}))
    # a signature row without its snapshot claims no review: judged as documenting
    named[insider_row(db, auditor, "sign", "signature", 952, next(when))] = (
        "auditor acted (sign signature 952)", "may not document sessions")
    for who, action, entity, why in (
            (nurse, "create", "threshold_profile", "may not change threshold profiles or schedules"),
            (nurse, "update", "monitoring_schedule", "may not change threshold profiles or schedules"),
            (nurse, "set_default_profile", "clinic_settings", "may not change threshold profiles or schedules"),
            (nurse, "update", "clinic_settings", "may not change clinic settings"),
            (charge, "update", "clinic_settings", "may not change clinic settings"),
            (charge, "create", "user", "may not manage user accounts")):
        named[insider_row(db, who, action, entity, 1, next(when))] = (
            f"{who.username} acted ({action} {entity} 1)", why)
    for action, entity in (("set_default_schedule", "clinic_settings"), ("create", "threshold_profile"),
                           ("update", "monitoring_schedule")):
        allowed.append(insider_row(db, charge, action, entity, 1, next(when)))
    for action, entity in (("export", "session"), ("print", "session"), ("backup", "archive")):
        allowed.append(insider_row(db, auditor, action, entity, 1, next(when)))  # anyone may export and print
        named[insider_row(db, gone, action, entity, 1, next(when))] = (
            f"nurse2 acted ({action} {entity} 1)", "while the account was disabled")

    with db.transaction() as s:  # an account added straight into the table: the trail never saw it
        ghost = User(username="ghost", full_name="Ghost", credentials="", role="nurse", password_hash="x",
                     active=True, failed_logins=0, created_at=t0)
        s.add(ghost)
        s.flush()
        ghost = Actor(ghost.id, "ghost", "Ghost", "", Role.NURSE)
    named[insider_row(db, ghost, "create", "reading", 1, next(when))] = (
        "ghost acted (create reading 1)", "before the trail knows the account")

    found = {}
    for problem in integrity.verify_archive(db, charge).problems:
        if " acted (" in problem:
            seq = int(problem.split(":")[0].removeprefix("audit row "))
            found[seq] = problem
    assert sorted(found) == sorted(named), (found, allowed)
    for seq, (what, why) in named.items():
        assert found[seq].startswith(f"audit row {seq}: {what} ") and found[seq].endswith(why), found[seq]
        if what.startswith("charge "):  # the role in the clinic's words
            assert f"as a charge nurse, a role that {why}" in found[seq], found[seq]


def test_every_role_exports_and_prints_a_record_and_the_trail_says_who(db, actors, t0):
    sid = open_session(db, actors["nurse"], t0)
    end = trail_end(db)
    for who in ("auditor", "admin", "charge", "nurse"):
        integrity.record_export(db, actors[who], sid, "export", f"PDF for {who}")
        integrity.record_export(db, actors[who], sid, "print", f"printed for {who}")
    rows = [(r.username, r.action, r.entity, r.entity_id, r.reason) for r in trail_after(db, end)]
    assert rows == [(who, action, "session", str(sid), f"{text} for {who}")
                    for who in ("auditor", "admin", "charge", "nurse")
                    for action, text in (("export", "PDF"), ("print", "printed"))]
    assert integrity.verify_archive(db, actors["auditor"]).intact


def test_a_charge_nurse_sets_the_default_profile_and_the_trail_verifies(db, actors):
    charge = actors["charge"]
    profile = settings.save_profile(db, charge, replace(NEWS2, name="Ward profile"))
    end = trail_end(db)
    settings.set_default_profile(db, charge, profile)
    assert [(r.username, r.action, r.reason) for r in trail_after(db, end)] == [
        ("charge", "set_default_profile", "")]
    assert settings.read_settings(db).default_profile_id == profile
    assert integrity.verify_archive(db, actors["auditor"]).intact


def test_a_refusal_says_which_role_may_not_do_what_and_the_trail_names_the_person(db, actors):
    end = trail_end(db)
    for who, text in (("auditor", "An auditor may not document sessions."),
                      ("admin", "An administrator may not document sessions.")):
        with pytest.raises(PermissionDenied) as refused:
            clinical.create_patient(db, actors[who], mrn=f"M-{who}", family_name="Ngata", given_name="Aroha")
        assert str(refused.value) == text
    with pytest.raises(PermissionDenied) as refused:
        settings.set_default_profile(db, actors["nurse"], 1)
    assert str(refused.value) == "A nurse may not change threshold profiles or schedules."
    rows = trail_after(db, end)
    assert [(r.username, r.action, r.entity, r.entity_id) for r in rows] == [
        ("auditor", "permission_denied", "user", str(actors["auditor"].user_id)),
        ("admin", "permission_denied", "user", str(actors["admin"].user_id)),
        ("nurse", "permission_denied", "user", str(actors["nurse"].user_id))]
    assert [r.reason for r in rows] == [
        "An auditor may not document sessions. (create_patient)",
        "An administrator may not document sessions. (create_patient)",
        "A nurse may not change threshold profiles or schedules. (set_default_profile)"]
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 0


def test_a_disabled_account_cannot_even_read_with_an_actor_from_before(db, actors, t0):
    sid = open_session(db, actors["nurse"], t0)
    users.disable_user(db, actors["admin"], "nurse2", "left the clinic")
    end = trail_end(db)
    with pytest.raises(PermissionDenied) as refused:
        queries.get_record(db, actors["nurse2"], sid)
    assert str(refused.value) == "This account is disabled."
    (row,) = trail_after(db, end)
    assert (row.username, row.action, row.reason) == ("nurse2", "permission_denied",
                                                      "This account is disabled. (get_record)")


def test_an_actor_signed_in_on_another_archive_is_refused_there(db, actors, tmp_path):
    """After a restore or on another workstation's archive, a user id may be someone else's or no one's."""
    other = new_archive(tmp_path / "other")
    try:
        users.add_user(other, SYSTEM, "bea", "Bea Other", "nurse", "bea-pass-123", "RN")  # id 1, like "nurse" here
        for who in ("nurse", "nurse2"):  # id 1 is someone else there; id 2 is no one
            with pytest.raises(PermissionDenied) as refused:
                clinical.create_patient(other, actors[who], mrn=f"X-{who}", family_name="Ngata", given_name="Aroha")
            assert str(refused.value) == "This account is not in the archive; sign in again."
        with other.reader() as s:
            assert s.scalar(select(func.count()).select_from(Patient)) == 0
            refusals = s.execute(select(AuditEvent.username, AuditEvent.action)
                                 .where(AuditEvent.action == "permission_denied").order_by(AuditEvent.seq)).all()
        assert refusals == [("nurse", "permission_denied"), ("nurse2", "permission_denied")]
    finally:
        other.dispose()


def test_an_actor_sent_to_a_worker_process_is_held_to_its_own_role(db, actors):
    """An actor crosses to a worker process without its archive: there its own role decides, and a nurse may
    still not verify the archive."""
    for who, refused_text in (("nurse", "A nurse may not verify the archive."), ("auditor", None)):
        sent = pickle.loads(pickle.dumps(actors[who]))
        assert sent.archive is None and sent == actors[who]
        if refused_text is None:
            assert integrity.verify_archive(db, sent).intact
            continue
        with pytest.raises(PermissionDenied) as refused:
            integrity.verify_archive(db, sent)
        assert str(refused.value) == refused_text


def test_a_refused_attempt_with_no_account_is_audited_under_the_name_given(db):
    """The command line without a password: the claimed name, no user id, in the trail."""
    end = trail_end(db)
    record_refusal(db, Actor(None, "carla", "", "", Role.NURSE), "login_failed",
                   "export-csv via the command line: no password")
    (row,) = trail_after(db, end)
    assert (row.username, row.user_id, row.action, row.entity, row.entity_id, row.reason) == (
        "carla", None, "login_failed", "user", "", "export-csv via the command line: no password")


# ------------------------------------------------------------------------------------------ the audit trail

def test_each_row_of_a_session_says_which_session_and_why(db, actors, t0):
    """The trail of a record is found by its session: every row of it carries the session, and the reason the
    nurse gave (or none); rows about no session carry none."""
    nurse = actors["nurse"]
    end = trail_end(db)
    sid = open_session(db, nurse, t0)
    clinical.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    clinical.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10))
    rid = clinical.record_reading(db, nurse, sid, v("165/90", "72", "98"), measured_at=at(t0, 20), now=at(t0, 20))
    clinical.amend_reading(db, nurse, rid, {"systolic": 130}, "misread", now=at(t0, 21))
    cs = settings.read_settings(db)
    settings.update_clinic(db, actors["admin"], settings.ClinicDetails(
        "Harbour Clinic", cs.address, cs.page_size, cs.timezone, cs.inactivity_lock_min, cs.discharge_scale,
        tuple(cs.checklist_items)))
    rows = trail_after(db, end)
    assert [(r.action, r.entity, r.session_id, r.reason) for r in rows] == [
        ("create", "patient", None, ""), ("create", "course", None, ""), ("create", "session", sid, ""),
        ("create", "reading", sid, ""), ("start_infusion", "session", sid, ""),
        ("create", "reading", sid, ""), ("create", "flag", sid, ""),
        ("amend", "amendment", sid, "misread"), ("clear", "flag", sid, "value amended"),
        ("update", "clinic_settings", None, "")]
    assert [r.before is None for r in rows] == [r.action in ("create", "amend") for r in rows]  # a change has one
    created = json.loads(rows[2].after)  # the session as opened: its dose, checklist and frozen limits, in full
    assert created["dose_mg_per_kg"] == 0.5 and created["dose_mg_total"] == 32.0
    assert created["checklist"] == dict.fromkeys(settings.read_settings(db).checklist_items, True)
    assert created["thresholds"] == KETAMINE_DEFAULT.to_dict()
    with db.reader() as s:
        assert audit.count_rows(s) == rows[-1].seq  # the count the two-process verify is chosen by
    report = integrity.verify_archive(db, actors["auditor"])
    assert report.intact and report.rows_checked == rows[-1].seq


def test_a_patient_snapshot_in_an_earlier_form_still_verifies(db, actors, t0):
    """An archive written before the search keys left the snapshots (and before the name order was kept): its
    last snapshot of a patient holds the keys and no name order, and the patient still matches it."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    with db.reader() as s:
        patient = s.scalar(select(Patient).order_by(Patient.id.desc()))
        earlier = {k: v for k, v in audit.snapshot(patient).items() if k != "family_first"}
        earlier.update(family_key=patient.family_key, given_key=patient.given_key, full_key=patient.full_key,
                       full_key_reversed=patient.full_key_reversed)
    insider_row(db, nurse, "update", "patient", patient.id, at(t0, 1), earlier)
    report = integrity.verify_archive(db, actors["auditor"])
    assert report.intact, report.problems
    assert queries.get_record(db, nurse, sid).patient.family_name == "Nguyễn"


def test_the_one_writer_of_audit_rows_refuses_what_the_role_does_not_allow(db, actors, t0):
    """A service that forgot to check still cannot write: the audit row is refused, the change rolled back, and
    the refusal itself kept."""
    sid = open_session(db, actors["nurse"], t0)
    end = trail_end(db)
    for who, entity, after, text in (
            ("auditor", "reading", None, "An auditor may not document sessions."),
            ("nurse", "signature", {"meaning": "Reviewed"}, "A nurse may not co-sign records.")):
        with pytest.raises(PermissionDenied) as refused:
            with db.transaction() as s:
                audit.write(s, actors[who], "create", entity, 1, after=after, session_id=sid)
        assert str(refused.value) == text
    rows = trail_after(db, end)
    assert [(r.username, r.action, r.reason) for r in rows] == [
        ("auditor", "permission_denied", "An auditor may not document sessions. (create reading)"),
        ("nurse", "permission_denied", "A nurse may not co-sign records. (create signature)")]


def test_the_trail_keeps_a_digest_of_a_password_never_the_hash(db, actors):
    end = trail_end(db)
    users.add_user(db, actors["admin"], "dana", "Dana Park", "nurse", "dana-pass-123", "RN")
    (row,) = trail_after(db, end)
    with db.reader() as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "dana"))
    assert stored not in row.after
    assert json.loads(row.after)["password_hash"] == "sha256:" + hashlib.sha256(stored.encode()).hexdigest()
    assert integrity.verify_archive(db, actors["auditor"]).intact


def test_a_clinic_logo_is_in_the_trail_as_its_digest(db, actors):
    logo = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    cs = settings.read_settings(db)
    end = trail_end(db)
    settings.update_clinic(db, actors["admin"], settings.ClinicDetails(
        cs.name, cs.address, cs.page_size, cs.timezone, cs.inactivity_lock_min, cs.discharge_scale,
        tuple(cs.checklist_items), logo_png=logo))
    (row,) = trail_after(db, end)
    assert json.loads(row.after)["logo_png"] == "sha256:" + hashlib.sha256(logo).hexdigest()
    assert integrity.verify_archive(db, actors["auditor"]).intact


def _tamper(db, sql: str, *params) -> None:
    """Change the file directly, as someone with a SQLite browser would."""
    con = sqlite3.connect(db.sqlite_path)
    try:
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def test_when_a_row_happened_is_part_of_its_hash(db, actors, t0):
    sid = open_session(db, actors["nurse"], t0)
    seq = trail_end(db)
    con = sqlite3.connect(db.sqlite_path)
    try:
        (stored,) = con.execute("SELECT at FROM audit_events WHERE seq = ?", (seq,)).fetchone()
    finally:
        con.close()
    earlier = datetime.fromisoformat(stored) - timedelta(hours=1)
    _tamper(db, "UPDATE audit_events SET at = ? WHERE seq = ?", earlier.strftime("%Y-%m-%d %H:%M:%S.%f"), seq)
    assert integrity.verify_archive(db, actors["auditor"]).problems == [
        f"audit row {seq}: content does not match its hash (create session {sid})"]


def test_a_reading_deleted_from_the_file_is_named(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    rid = clinical.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    _tamper(db, "DELETE FROM readings WHERE id = ?", rid)
    assert integrity.verify_archive(db, actors["auditor"]).problems == [
        f"reading {rid}: in the audit trail but missing from the database"]


def test_the_trail_verifies_on_a_workstation_in_another_zone(db, actors, t0, monkeypatch):
    """Rows hashed at one workstation verify at another: every time in a hash is UTC, never the local zone."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    clinical.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    try:
        monkeypatch.setenv("TZ", "Pacific/Chatham")  # UTC+13:45 in March
        time.tzset()
        report = integrity.verify_archive(db, actors["auditor"])
    finally:
        monkeypatch.undo()
        time.tzset()
    assert report.intact, report.problems


def test_a_command_line_action_names_the_person_and_the_way_in(db, actors, t0):
    """SPEC 7: what is done from the command line is audited under the person who signed in, and says so."""
    sid = open_session(db, actors["nurse"], t0)
    cli = replace(actors["auditor"], via="the command line")
    end = trail_end(db)
    integrity.record_export(db, cli, sid, "export", "CSV readings.csv")
    integrity.record_export(db, cli, sid, "export", "")
    users.sign_in(db, "auditor", PASSWORDS["auditor"])
    rows = trail_after(db, end)
    assert [(r.username, r.action, r.reason) for r in rows] == [
        ("auditor", "export", "CSV readings.csv; by Auditor Tester, RN via the command line"),
        ("auditor", "export", "by Auditor Tester, RN via the command line"),
        ("auditor", "login", "")]


# ------------------------------------------------------------------------------------------ the record as read

def test_each_reading_shows_its_phase_minutes_comment_and_version_and_a_saved_reading_reads_the_same(db, actors,
                                                                                                    t0):
    """SPEC 3: a reading belongs to the phase of its measured time (a pause counts as infusion), shows its minutes
    from the start of the infusion, and reads the same when a screen fetches it alone after saving."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    base = clinical.record_reading(db, nurse, sid, v("128/82", "72", "98", comment="left arm, seated"),
                                   measured_at=at(t0, 5), now=at(t0, 5))
    clinical.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10))
    during = clinical.record_reading(db, nurse, sid, v("165/90", "80", "97"), measured_at=at(t0, 20), now=at(t0, 20))
    clinical.pause_infusion(db, nurse, sid, note="nausea", at=at(t0, 25), now=at(t0, 25))
    paused = clinical.record_reading(db, nurse, sid, v("150/88", "78", "97"), measured_at=at(t0, 27), now=at(t0, 27))
    clinical.resume_infusion(db, nurse, sid, at=at(t0, 30), now=at(t0, 30))
    clinical.stop_infusion(db, nurse, sid, at=at(t0, 50), now=at(t0, 50))
    recovery = clinical.record_reading(db, nurse, sid, v("190/104", "80", "97"), measured_at=at(t0, 60),
                                       now=at(t0, 60))
    flags = [f.id for f in queries.get_record(db, nurse, sid).readings[-1].flags]
    clinical.acknowledge_flags(db, nurse, flags, "clinician_notified", now=at(t0, 61))
    clinical.amend_reading(db, nurse, during, {"heart_rate": 84}, "monitor showed 84", now=at(t0, 62))
    clinical.mark_entered_in_error(db, nurse, "reading", paused, "another patient's", now=at(t0, 63))
    discharge(db, nurse, sid, t0, 90)
    last = clinical.record_reading(db, nurse, sid, v("130/80", "70", "98"), measured_at=at(t0, 90), now=at(t0, 91))
    rec = queries.get_record(db, nurse, sid)
    assert [(r.id, r.phase, r.minutes) for r in rec.readings] == [
        (base, Phase.PRE_INFUSION, -5.0), (during, Phase.INFUSION, 10.0), (paused, Phase.INFUSION, 17.0),
        (recovery, Phase.RECOVERY, 50.0), (last, Phase.DISCHARGED, 80.0)]
    assert rec.readings[0].original.comment == rec.readings[0].current.comment == "left arm, seated"
    assert [r.version for r in rec.readings] == [1, 2, 2, 1, 1]  # an amendment and an error mark are changes
    for shown in rec.readings:
        alone, version = queries.get_reading(db, nurse, shown.id)
        assert alone == shown, shown.id
        assert version == rec.version


def test_a_reading_fetched_alone_names_everyone_who_touched_it_and_lists_its_corrections_as_the_record_does(
        db, actors, t0):
    """SPEC 3 rules 3 and 4, on the screen's cheap update after a save: who corrected a reading and who
    acknowledged its flags, the corrections in the record's time order (a workstation whose clock is behind
    may store a later correction with an earlier time), and which came with a signed addendum."""
    nurse, other, charge = actors["nurse"], actors["nurse2"], actors["charge"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    rid = clinical.record_reading(db, nurse, sid, v("190/112", "72", "98"), measured_at=at(t0, 20), now=at(t0, 20))
    flags = [f.id for f in queries.get_record(db, nurse, sid).readings[-1].flags]
    assert flags
    clinical.acknowledge_flags(db, charge, flags, "clinician_notified", now=at(t0, 21))
    clinical.amend_reading(db, other, rid, {"heart_rate": 84}, "monitor showed 84", now=at(t0, 24))
    clinical.amend_reading(db, nurse, rid, {"spo2": 97}, "probe moved", now=at(t0, 23))  # a clock 2 min behind
    to_recovery(db, nurse, sid, t0)
    discharge(db, nurse, sid, t0, 90)
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    ad = clinical.add_addendum(db, nurse, sid, "Cuff was too small.", PASSWORDS["nurse"],
                               corrections=[(rid, {"systolic": 150}, "cuff too small")], now=at(t0, 300))

    shown = next(r for r in queries.get_record(db, nurse, sid).readings if r.id == rid)
    alone, _version = queries.get_reading(db, nurse, rid)
    assert alone == shown
    assert [(a.changes, a.by, a.at, a.addendum_id) for a in alone.amendments] == [
        ({"spo2": [98, 97]}, "Nurse Tester, RN", at(t0, 23), None),
        ({"heart_rate": [72, 84]}, "Nurse2 Tester, RN", at(t0, 24), None),
        ({"systolic": [190, 150]}, "Nurse Tester, RN", at(t0, 300), ad)]
    assert (alone.current.systolic, alone.current.heart_rate, alone.current.spo2) == (150, 84, 97)
    assert {f.ack.by for f in alone.flags} == {"Charge Tester, RN"}
    with pytest.raises(NotFound) as missing:
        queries.get_reading(db, nurse, rid + 1000)
    assert str(missing.value) == f"There is no reading with id {rid + 1000}."


def test_the_floor_shows_each_active_chair_its_own_record_once_and_the_records_awaiting_a_signature(db, actors,
                                                                                                   t0):
    """SPEC 5, floor view: every active session's card with its own readings and flags, read together with the
    records still awaiting a signature, none of them mixed with another's or shown twice."""
    nurse = actors["nurse"]
    done = complete_session(db, nurse, t0, family="Okafor", given="Ada")
    quiet = open_session(db, nurse, t0)
    loud = open_session(db, nurse, t0, family="Ngata", given="Aroha")
    clinical.record_reading(db, nurse, quiet, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    clinical.record_reading(db, nurse, loud, v("190/112", "72", "98"), measured_at=at(t0, 6), now=at(t0, 6))
    clinical.record_reading(db, nurse, loud, v("130/80", "70", "98"), measured_at=at(t0, 7), now=at(t0, 7))
    floor = queries.floor_data(db, nurse, with_awaiting=True, now=at(t0, 8))
    assert [(r.id, r.patient.family_name, [x.current.systolic for x in r.readings],
             sorted(f.parameter for f in r.open_critical_flags)) for r in floor.active] == [
        (quiet, "Nguyễn", [128], []), (loud, "Ngata", [190, 130], ["diastolic", "systolic"])]
    assert [(r.id, r.patient.family_name, [x.current.systolic for x in r.readings], r.discharge is not None)
            for r in floor.awaiting] == [(done, "Okafor", [128, 138, 142, 140], True)]


def test_a_reading_for_a_session_that_is_not_in_the_archive_is_refused_naming_the_session(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    with pytest.raises(NotFound) as missing:
        clinical.record_reading(db, nurse, sid + 1, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    assert str(missing.value) == f"There is no session with id {sid + 1}."
    assert queries.get_record(db, nurse, sid).readings == []


def test_a_reading_amended_at_another_workstation_refuses_a_correction_of_what_was_seen_before(db, actors, t0):
    nurse, other = actors["nurse"], actors["nurse2"]
    sid = open_session(db, nurse, t0)
    rid = clinical.record_reading(db, nurse, sid, v("128/82", "48", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    seen = queries.get_record(db, nurse, sid).readings[0].version
    clinical.amend_reading(db, other, rid, {"heart_rate": 84}, "transcribed 48", expected_version=seen,
                           now=at(t0, 6))
    with pytest.raises(ConcurrentEdit) as stale:
        clinical.amend_reading(db, nurse, rid, {"heart_rate": 86}, "typo", expected_version=seen, now=at(t0, 7))
    assert str(stale.value) == ("This reading was changed at another workstation; it has been reloaded. "
                                "Check it and try again.")
    fresh = queries.get_record(db, nurse, sid).readings[0]
    assert fresh.current.heart_rate == 84 and fresh.version == seen + 1
    clinical.amend_reading(db, nurse, rid, {"heart_rate": 86}, "typo", expected_version=fresh.version,
                           now=at(t0, 8))
    assert queries.get_record(db, nurse, sid).readings[0].current.heart_rate == 86


def test_everything_documented_comes_back_in_the_record(db, actors, t0):
    """What the nurse typed, who did it and when, as the record (screens, PDF, exports) reads it back."""
    nurse, charge = actors["nurse"], actors["charge"]
    pid = clinical.create_patient(db, nurse, mrn="MRN-77", family_name="王", given_name="小龙",
                                  date_of_birth=date(1980, 5, 17), sex="M", weight_kg=72.5, allergies="Penicillin",
                                  notes="Prefers the window chair", family_first=True)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="other", indication_other="Cluster headache",
                                 planned_infusions=8, prescriber="Dr. Ana Ruiz", outcome_measure="gad7")
    checklist = settings.read_settings(db).checklist_items
    ticked = {item: item != "No-driving advice given" for item in checklist}
    sid = clinical.create_session(db, nurse, course_id=cid, chair="7B", supervising_clinician="Dr. Ana Ruiz",
                                  dose_mg_per_kg=0.75, planned_minutes=45, lot_number="LOT-2026-01",
                                  concomitant_medicines=["Benzodiazepines", "Melatonin 3 mg"], checklist=ticked,
                                  outcome_score_before=12, arrival_at=t0, now=t0)
    clinical.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    clinical.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10), checklist_reason="Advice given at 09:00")
    e_nausea = clinical.record_event(db, nurse, sid, "nausea", severity="mild", note="Settled with rest",
                                     at=at(t0, 15), now=at(t0, 16))
    e_wrong = clinical.record_event(db, nurse, sid, "headache", severity="moderate", at=at(t0, 18), now=at(t0, 18))
    e_order = clinical.order_limits(db, nurse, sid, NEWS2, clinician="Dr. Ana Ruiz", reason="NEWS2 bands",
                                    at=at(t0, 20), now=at(t0, 20))
    e_void = clinical.order_limits(db, nurse, sid, KETAMINE_DEFAULT, clinician="Dr. Ana Ruiz", reason="Wrong chair",
                                   at=at(t0, 22), now=at(t0, 22))
    e_med = clinical.record_event(db, nurse, sid, "medication_given", at=at(t0, 25), now=at(t0, 25),
                                  details={"medication": "Ondansetron", "dose": "4 mg", "route": "IV"})
    clinical.mark_entered_in_error(db, nurse, "event", e_wrong, "Another patient's", now=at(t0, 26))
    clinical.mark_entered_in_error(db, nurse, "event", e_void, "Order was for chair 8", now=at(t0, 27))
    fixed = clinical.record_reading(db, nurse, sid, v("132/84", "76", "97"), measured_at=at(t0, 30),
                                    now=at(t0, 30))
    clinical.stop_infusion(db, nurse, sid, at=at(t0, 50), now=at(t0, 50))
    d_id = discharge(db, nurse, sid, t0, 95)
    s_author = clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 100))
    s_review = clinical.cosign(db, charge, sid, PASSWORDS["charge"], now=at(t0, 120))
    ad = clinical.add_addendum(db, nurse, sid, "Phoned next day: slept well.", PASSWORDS["nurse"],
                               corrections=[(fixed, {"heart_rate": 78}, "Monitor showed 78")], now=at(t0, 300))

    rec = queries.get_record(db, nurse, sid)
    assert rec.patient == PatientView(pid, "MRN-77", "王", "小龙", date(1980, 5, 17), "M", 72.5, "Penicillin",
                                      "Prefers the window chair", True)
    assert rec.course == CourseView(cid, "other", "Cluster headache", 8, "Dr. Ana Ruiz", "gad7")
    assert (rec.id, rec.number, rec.chair, rec.primary_nurse_id, rec.primary_nurse, rec.supervising_clinician,
            rec.medication, rec.dose_mg_per_kg, rec.dose_mg_total, rec.route, rec.planned_minutes, rec.lot_number,
            rec.concomitant_medicines, rec.checklist, rec.outcome_score_before) == (
        sid, 1, "7B", nurse.user_id, "Nurse Tester, RN", "Dr. Ana Ruiz", "Ketamine HCl", 0.75, 54.4, "IV", 45,
        "LOT-2026-01", ["Benzodiazepines", "Melatonin 3 mg"], ticked, 12)
    assert (rec.arrival_at, rec.infusion_start_at, rec.infusion_end_at, rec.discharged_at, rec.paused,
            rec.status) == (t0, at(t0, 10), at(t0, 50), at(t0, 95), False, Status.REVIEWED)
    assert rec.thresholds.to_dict() == KETAMINE_DEFAULT.to_dict()
    # the order entered in error is no order: only the first applies from its time
    assert [(when, limits.to_dict()) for when, limits in rec.threshold_orders] == [(at(t0, 20), NEWS2.to_dict())]
    assert [(e.id, e.number, e.kind, e.severity, e.note, e.details, e.at, e.recorded_at, e.recorded_by,
             e.error.reason if e.error else None) for e in rec.events] == [
        (rec.events[0].id, 1, "start_checklist_incomplete", "", "Advice given at 09:00",
         {"not_done": ["No-driving advice given"]}, at(t0, 10), at(t0, 10), "Nurse Tester, RN", None),
        (e_nausea, 2, "nausea", "mild", "Settled with rest", {}, at(t0, 15), at(t0, 16), "Nurse Tester, RN", None),
        (e_wrong, 3, "headache", "moderate", "", {}, at(t0, 18), at(t0, 18), "Nurse Tester, RN",
         "Another patient's"),
        (e_order, 4, "limits_changed", "", "NEWS2 bands",
         {"clinician": "Dr. Ana Ruiz", "thresholds": NEWS2.to_dict()}, at(t0, 20), at(t0, 20), "Nurse Tester, RN",
         None),
        (e_void, 5, "limits_changed", "", "Wrong chair",
         {"clinician": "Dr. Ana Ruiz", "thresholds": KETAMINE_DEFAULT.to_dict()}, at(t0, 22), at(t0, 22),
         "Nurse Tester, RN", "Order was for chair 8"),
        (e_med, 6, "medication_given", "", "", {"medication": "Ondansetron", "dose": "4 mg", "route": "IV"},
         at(t0, 25), at(t0, 25), "Nurse Tester, RN", None)]
    assert [e.version for e in rec.events] == [1, 1, 2, 1, 2, 1]  # marked in error: changed once
    assert rec.discharge == DischargeView(d_id, "aldrete", ALDRETE_OK, 9, True, "Sam Partner", True, True, "",
                                          at(t0, 95), "Nurse Tester, RN")
    with db.reader() as s:
        stored = s.execute(select(Signature.id, Signature.content_hash).order_by(Signature.id)).all()
    assert [(g.id, g.meaning, g.printed_name, g.credentials, g.signed_at, g.content_hash, g.addendum_id)
            for g in rec.signatures] == [
        (s_author, "Authored", "Nurse Tester", "RN", at(t0, 100), stored[0].content_hash, None),
        (s_review, "Reviewed", "Charge Tester", "RN", at(t0, 120), stored[1].content_hash, None),
        (stored[2].id, "Addendum", "Nurse Tester", "RN", at(t0, 300), stored[2].content_hash, ad)]
    assert [(a.id, a.text, a.by, a.at, [(m.target_id, m.changes, m.reason, m.addendum_id) for m in a.corrections])
            for a in rec.addenda] == [(ad, "Phoned next day: slept well.", "Nurse Tester, RN", at(t0, 300),
                                       [(fixed, {"heart_rate": [76, 78]}, "Monitor showed 78", ad)])]
    assert re.fullmatch(r"[0-9a-f]{64}", rec.content_hash)
    assert queries.get_record(db, nurse, sid, with_hash=False).content_hash == ""
    assert integrity.verify_archive(db, actors["auditor"]).intact


def test_a_signature_covers_what_was_recorded_up_to_its_moment_and_outlives_a_correction_in_an_addendum(db, actors,
                                                                                                        t0):
    """SPEC 3 rule 4: a signature holds the hash of the record at signing. A reading saved at that very moment
    is covered; a flag cleared later by a signed addendum's correction does not break the author's signature."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    flagged = clinical.record_reading(db, nurse, sid, v("165/90", "80", "97"), measured_at=at(t0, 20),
                                      now=at(t0, 20))
    to_recovery(db, nurse, sid, t0)
    discharge(db, nurse, sid, t0, 90)
    last = clinical.record_reading(db, nurse, sid, v("130/80", "70", "98"), measured_at=at(t0, 89),
                                   now=at(t0, 95))
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    clinical.add_addendum(db, nurse, sid, "Cuff was too small.", PASSWORDS["nurse"],
                          corrections=[(flagged, {"systolic": 150}, "cuff too small")], now=at(t0, 300))
    rec = queries.get_record(db, nurse, sid)
    assert [f.cleared for f in next(r for r in rec.readings if r.id == flagged).flags] == [True]
    report = integrity.verify_archive(db, actors["auditor"])
    assert report.intact, report.problems
    assert report.records_checked == 1
    _tamper(db, "UPDATE readings SET heart_rate = 99 WHERE id = ?", last)
    found = integrity.verify_archive(db, actors["auditor"]).problems
    assert found[0] == f"reading {last}: differs from the audit trail (changed outside Chairside)"
    assert [line.split(" signature of ")[0].rsplit(" ", 1)[1] for line in found[1:]] == ["authored", "addendum"]


def test_a_signed_session_changed_in_the_file_breaks_its_signature(db, actors, t0):
    nurse = actors["nurse"]
    sid = complete_session(db, nurse, t0)
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    _tamper(db, "UPDATE infusion_sessions SET lot_number = 'LOT-OTHER' WHERE id = ?", sid)
    uid = queries.get_record(db, nurse, sid).record_uid
    assert integrity.verify_archive(db, actors["auditor"]).problems == [
        f"session {sid}: differs from the audit trail (changed outside Chairside)",
        f"record {uid} (session {sid}): content no longer matches the authored signature of Nurse Tester "
        f"({at(t0, 95):%Y-%m-%d %H:%M} UTC)"]
    with pytest.raises(NotFound) as missing:
        queries.get_record(db, nurse, sid + 1)
    assert str(missing.value) == f"There is no session with id {sid + 1}."


def test_a_person_without_credentials_is_named_by_name_alone(db, actors, t0):
    users.add_user(db, actors["admin"], "dana", "Dana Park", "nurse", "dana-pass-123", "")
    dana = users.sign_in(db, "dana", "dana-pass-123")
    sid = open_session(db, dana, t0)
    clinical.record_reading(db, dana, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    rec = queries.get_record(db, dana, sid)
    assert (rec.primary_nurse, rec.readings[0].recorded_by) == ("Dana Park", "Dana Park")


# ------------------------------------------------------------------------------------------ clinical rules

def _refusals(db, nurse, sid, t0) -> list[tuple]:
    """(what, call, error, field or None, message): each a value a nurse might type, refused at its limit."""
    c = clinical
    now = at(t0, 30)
    pid = c.create_patient(db, nurse, mrn="LIMITS-1", family_name="Okafor", given_name="Ada")
    none_course = c.create_course(db, nurse, patient_id=pid, indication="ocd")
    phq_course = c.create_course(db, nurse, patient_id=pid, indication="depression", outcome_measure="phq9")
    other = open_session(db, nurse, t0, family="Other", given="Chair")
    other_reading = c.record_reading(db, nurse, other, v("120/80"), measured_at=at(t0, 5), now=at(t0, 5))

    def patient(**kw):
        return lambda: c.create_patient(db, nurse, **{"mrn": "NEW-1", "family_name": "Ngata", "given_name": "Aroha",
                                                      **kw})

    def course(**kw):
        return lambda: c.create_course(db, nurse, **{"patient_id": pid, "indication": "ptsd", **kw})

    def session(**kw):
        return lambda: c.create_session(db, nurse, **{"course_id": none_course, "arrival_at": now, "now": now, **kw})

    def event(kind, **kw):
        return lambda: c.record_event(db, nurse, sid, kind, **{"at": now, "now": now, **kw})

    def order(**kw):
        return lambda: c.order_limits(db, nurse, sid, NEWS2, **{"clinician": "Dr R", "reason": "BP", "at": now,
                                                                 "now": now, **kw})

    def schedule_order(**kw):
        return lambda: c.order_schedule(db, nurse, sid, Schedule("Every 5"), **{"clinician": "Dr R", "reason": "BP",
                                                                                "at": now, "now": now, **kw})

    long = "x" * 2001
    return [
        ("MRN required", patient(mrn=" "), FieldError, "mrn", "MRN is required."),
        ("MRN length", patient(mrn="M" * 65), FieldError, "mrn", "MRN must be at most 64 characters."),
        ("MRN taken", patient(mrn="LIMITS-1"), FieldError, "mrn", "MRN LIMITS-1 already belongs to another patient."),
        ("family name", patient(family_name=""), FieldError, "family_name", "Family name is required."),
        ("family name length", patient(family_name="N" * 121), FieldError, "family_name",
         "Family name must be at most 120 characters."),
        ("given name", patient(given_name=""), FieldError, "given_name", "Given name is required."),
        ("given name length", patient(given_name="A" * 121), FieldError, "given_name",
         "Given name must be at most 120 characters."),
        ("born before 1900", patient(date_of_birth=date(1899, 12, 31)), FieldError, "date_of_birth",
         "Date of birth must be between 1900-01-01 and today."),
        ("born in the future", patient(date_of_birth=date(2999, 1, 1)), FieldError, "date_of_birth",
         "Date of birth must be between 1900-01-01 and today."),
        # 23:30 at the clinic (New York) is 04:30 the next day in UTC: that day is the clinic's tomorrow.
        ("born tomorrow at the clinic", patient(date_of_birth=date(2026, 3, 8), now=t0), FieldError,
         "date_of_birth", "Date of birth must be between 1900-01-01 and today."),
        ("weight low", patient(weight_kg=19.9), FieldError, "weight_kg", "Weight must be between 20 and 300 kg."),
        ("weight high", patient(weight_kg=300.1), FieldError, "weight_kg", "Weight must be between 20 and 300 kg."),
        ("sex length", patient(sex="S" * 17), FieldError, "sex", "Sex must be at most 16 characters."),
        ("allergies length", patient(allergies="a" * 2001), FieldError, "allergies",
         "Allergies must be at most 2000 characters."),
        ("notes length", patient(notes="n" * 4001), FieldError, "notes", "Notes must be at most 4000 characters."),
        ("indication", course(indication="flu"), FieldError, "indication",
         "Indication must be one of: " + ", ".join(INDICATIONS.values()) + "."),
        ("other indication", course(indication="other", indication_other=" "), FieldError, "indication_other",
         "Describe the indication when it is 'Other'."),
        ("other indication length", course(indication="other", indication_other="i" * 201), FieldError,
         "indication_other", "Indication must be at most 200 characters."),
        ("no infusions", course(planned_infusions=0), FieldError, "planned_infusions",
         "Planned infusions must be between 1 and 100."),
        ("too many infusions", course(planned_infusions=101), FieldError, "planned_infusions",
         "Planned infusions must be between 1 and 100."),
        ("outcome measure", course(outcome_measure="mood"), FieldError, "outcome_measure",
         "Unknown outcome measure."),
        ("prescriber length", course(prescriber="p" * 201), FieldError, "prescriber",
         "Prescriber must be at most 200 characters."),
        ("no patient", course(patient_id=9999), NotFound, None, "There is no patient with id 9999."),
        ("arrival ahead", session(arrival_at=now + timedelta(minutes=2, seconds=1)), FieldError, "arrival_at",
         "Arrival time must not be in the future."),
        ("no dose", session(dose_mg_per_kg=0), FieldError, "dose_mg_per_kg", "Dose must be between 0.01 and 5 mg/kg."),
        ("dose high", session(dose_mg_per_kg=5.01), FieldError, "dose_mg_per_kg",
         "Dose must be between 0.01 and 5 mg/kg."),
        ("no total", session(dose_mg_total=0), FieldError, "dose_mg_total",
         "Total dose must be between 0.1 and 1000 mg."),
        ("total high", session(dose_mg_total=1000.1), FieldError, "dose_mg_total",
         "Total dose must be between 0.1 and 1000 mg."),
        ("no minutes", session(planned_minutes=0), FieldError, "planned_minutes",
         "Planned minutes must be between 1 and 600."),
        ("minutes high", session(planned_minutes=601), FieldError, "planned_minutes",
         "Planned minutes must be between 1 and 600."),
        ("unnamed medicine", session(concomitant_medicines=["Opioids", " "]), FieldError, "concomitant_medicines",
         "Concomitant medicines must be named."),
        ("no course", session(course_id=9999), NotFound, None, "There is no course with id 9999."),
        ("score without measure", session(outcome_score_before=3), FieldError, "outcome_score_before",
         "This course records no outcome measure."),
        ("score high", session(course_id=phq_course, outcome_score_before=28), FieldError, "outcome_score_before",
         "PHQ-9 score must be between 0 and 27."),
        ("score low", session(course_id=phq_course, outcome_score_before=-1), FieldError, "outcome_score_before",
         "PHQ-9 score must be between 0 and 27."),
        ("chair length", session(chair="c" * 33), FieldError, "chair", "Chair must be at most 32 characters."),
        ("medication", session(medication=" "), FieldError, "medication", "Medication is required."),
        ("medication length", session(medication="m" * 121), FieldError, "medication",
         "Medication must be at most 120 characters."),
        ("route length", session(route="r" * 17), FieldError, "route", "Route must be at most 16 characters."),
        ("lot length", session(lot_number="l" * 65), FieldError, "lot_number",
         "Lot number must be at most 64 characters."),
        ("clinician length", session(supervising_clinician="d" * 201), FieldError, "supervising_clinician",
         "Supervising clinician must be at most 200 characters."),
        ("event kind", event("fainting"), FieldError, "kind", "Unknown event kind 'fainting'."),
        ("pause as an event", event("infusion_paused"), FieldError, "kind", "Use Pause and Resume for the infusion."),
        ("resume as an event", event("infusion_resumed"), FieldError, "kind",
         "Use Pause and Resume for the infusion."),
        ("severity", event("nausea", severity="awful"), FieldError, "severity",
         "Severity must be mild, moderate or severe."),
        ("side effect severity", event("nausea"), FieldError, "severity",
         "Choose the severity of the side effect: mild, moderate or severe."),
        ("medication name", event("medication_given", details={"dose": "4 mg", "route": "IV"}), FieldError,
         "medication", "Medication name is required."),
        ("medication dose", event("medication_given", details={"medication": "Ondansetron", "route": "IV"}),
         FieldError, "dose", "Dose is required."),
        ("medication route", event("medication_given", details={"medication": "Ondansetron", "dose": "4 mg"}),
         FieldError, "route", "Route is required."),
        ("medication length", event("medication_given", details={"medication": "m" * 121, "dose": "4 mg",
                                                                 "route": "IV"}),
         FieldError, "medication", "Medication name must be at most 120 characters."),
        ("clinician notified", event("clinician_notified"), FieldError, "clinician", "Clinician's name is required."),
        ("other side effect", event("other_side_effect", severity="mild", note=" "), FieldError, "note",
         "Describe the event in the note when it is 'Other'."),
        ("other intervention", event("other_intervention"), FieldError, "note",
         "Describe the event in the note when it is 'Other'."),
        ("event note length", event("oxygen_applied", note=long), FieldError, "note",
         "Note must be at most 2000 characters."),
        ("event before arrival", event("oxygen_applied", at=t0 - timedelta(seconds=1)), FieldError, "time",
         "Time is before the patient arrived for this session."),
        ("order clinician", order(clinician=" "), FieldError, "clinician", "Authorising clinician is required."),
        ("order clinician length", order(clinician="d" * 201), FieldError, "clinician",
         "Authorising clinician must be at most 200 characters."),
        ("order reason", order(reason=""), FieldError, "reason", "Reason is required."),
        ("order reason length", order(reason=long), FieldError, "reason", "Reason must be at most 2000 characters."),
        ("order before arrival", order(at=t0 - timedelta(seconds=1)), FieldError, "time",
         "Time is before the patient arrived for this session."),
        ("order ahead", order(at=now + timedelta(minutes=3)), FieldError, "time",
         "Time must not be more than 2 minutes in the future."),
        ("schedule clinician", schedule_order(clinician=""), FieldError, "clinician",
         "Authorising clinician is required."),
        ("schedule clinician length", schedule_order(clinician="d" * 201), FieldError, "clinician",
         "Authorising clinician must be at most 200 characters."),
        ("schedule reason", schedule_order(reason=" "), FieldError, "reason", "Reason is required."),
        ("schedule reason length", schedule_order(reason=long), FieldError, "reason",
         "Reason must be at most 2000 characters."),
        ("schedule before arrival", schedule_order(at=t0 - timedelta(seconds=1)), FieldError, "time",
         "Time is before the patient arrived for this session."),
        ("schedule ahead", schedule_order(at=now + timedelta(minutes=3)), FieldError, "time",
         "Time must not be more than 2 minutes in the future."),
        ("error of a discharge", lambda: c.mark_entered_in_error(db, nurse, "discharge", 1, "wrong", now=now),
         FieldError, "target", "Only readings and events can be marked entered in error."),
        ("error without reason", lambda: c.mark_entered_in_error(db, nurse, "reading", other_reading, " ", now=now),
         FieldError, "reason", "Reason is required."),
        ("error reason length", lambda: c.mark_entered_in_error(db, nurse, "reading", other_reading, long, now=now),
         FieldError, "reason", "Reason must be at most 2000 characters."),
        ("error of no reading", lambda: c.mark_entered_in_error(db, nurse, "reading", 9999, "wrong", now=now),
         NotFound, None, "There is no reading with id 9999."),
        ("error of no event", lambda: c.mark_entered_in_error(db, nurse, "event", 9999, "wrong", now=now),
         NotFound, None, "There is no event with id 9999."),
        ("amend no reading", lambda: c.amend_reading(db, nurse, 9999, {"heart_rate": 70}, "typo", now=now),
         NotFound, None, "There is no reading with id 9999."),
        ("amend the time", lambda: c.amend_reading(db, nurse, other_reading, {"measured_at": now, "zeta": 1},
                                                   "typo", now=now),
         FieldError, "measured_at", "Only the measured values and the comment can be amended."),
        ("amend nothing", lambda: c.amend_reading(db, nurse, other_reading, {"systolic": 120}, "typo", now=now),
         FieldError, "reason", "The amendment changes nothing."),
        ("amend reason", lambda: c.amend_reading(db, nurse, other_reading, {"systolic": 121}, "", now=now),
         FieldError, "reason", "Reason is required."),
        ("amend reason length", lambda: c.amend_reading(db, nurse, other_reading, {"systolic": 121}, long, now=now),
         FieldError, "reason", "Reason must be at most 2000 characters."),
        ("ack action", lambda: c.acknowledge_flags(db, nurse, [1], "ignored", now=now), FieldError, "action",
         "Choose the action taken: " + ", ".join(ACK_ACTIONS.values()) + "."),
        ("ack other", lambda: c.acknowledge_flags(db, nurse, [1], "other", " ", now=now), FieldError, "action_text",
         "Describe the action taken when it is 'Other'."),
        ("ack nothing", lambda: c.acknowledge_flags(db, nurse, [], "rechecked", now=now), RuleViolation, None,
         "Choose the flags to acknowledge."),
        ("ack no flag", lambda: c.acknowledge_flags(db, nurse, [9999], "rechecked", now=now), NotFound, None,
         "There is no flag with id 9999."),
        ("addendum text", lambda: c.add_addendum(db, nurse, sid, " ", PASSWORDS["nurse"], now=now), FieldError,
         "text", "Addendum is required."),
        ("addendum length", lambda: c.add_addendum(db, nurse, sid, "a" * 8001, PASSWORDS["nurse"], now=now),
         FieldError, "text", "Addendum must be at most 8000 characters."),
    ]


def test_each_value_outside_its_limits_is_refused_naming_the_field_and_nothing_is_written(db, actors, t0):
    """House rule and SPEC 3: a refused value names its field and what is allowed; the archive is unchanged."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    for what, call, error, field, message in _refusals(db, nurse, sid, t0):
        end = trail_end(db)
        with pytest.raises(error) as refused:
            call()
        assert str(refused.value) == message, what
        if field is not None:
            assert refused.value.field == field, what
        assert trail_end(db) == end, what


def test_values_at_their_limits_are_accepted(db, actors, t0):
    nurse = actors["nurse"]
    now = at(t0, 1)
    assert (t0.date(), t0.astimezone(ZoneInfo(CLINIC_ZONE)).date()) == (date(2026, 3, 8), date(2026, 3, 7))
    for n, kw in enumerate((dict(date_of_birth=date(1900, 1, 1), weight_kg=20), dict(weight_kg=300),
                            dict(date_of_birth=date(2026, 3, 7), now=t0),  # born today, at the clinic
                            dict(mrn="M" * 64, family_name="N" * 120, given_name="A" * 120, sex="S" * 16,
                                 allergies="a" * 2000, notes="n" * 4000))):
        clinical.create_patient(db, nurse, **{"mrn": f"EDGE-{n}", "family_name": "Ngata", "given_name": "Aroha",
                                              **kw})
    pid = clinical.create_patient(db, nurse, mrn="EDGE-X", family_name="Ngata", given_name="Aroha", weight_kg=80)
    for planned in (1, 100):
        clinical.create_course(db, nurse, patient_id=pid, indication="ptsd", planned_infusions=planned)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="other", indication_other="i" * 200,
                                 outcome_measure="phq9", prescriber="p" * 200)
    made = []
    for kw in (dict(dose_mg_per_kg=5, planned_minutes=1, outcome_score_before=0),
               dict(dose_mg_per_kg=None, dose_mg_total=1000, planned_minutes=600, outcome_score_before=27),
               dict(dose_mg_total=0.1, chair="c" * 32, route="r" * 16, lot_number="l" * 64,
                    supervising_clinician="d" * 200, concomitant_medicines=["Opioids", "Melatonin"]),
               dict(arrival_at=now + timedelta(minutes=2))):
        made.append(clinical.create_session(db, nurse, **{"course_id": cid, "arrival_at": now, "now": now, **kw}))
    records = [queries.get_record(db, nurse, sid) for sid in made]
    # the total follows from the dose per kg and the weight unless it was given
    assert [(r.number, r.dose_mg_per_kg, r.dose_mg_total) for r in records] == [
        (1, 5, 400.0), (2, None, 1000), (3, 0.5, 0.1), (4, 0.5, 40.0)]


def test_the_infusion_starts_pauses_resumes_and_stops_only_in_that_order(db, actors, t0):
    """SPEC 3: the phase follows from the recorded times; each step is refused when the infusion is not in the
    state it needs, and each is an event and an audit row of the session."""
    nurse = actors["nurse"]
    c = clinical
    sid = open_session(db, nurse, t0)

    def refused(step, message):
        end = trail_end(db)
        with pytest.raises(RuleViolation) as info:
            step()
        assert str(info.value) == message
        assert trail_end(db) == end

    pause = lambda m, note="": c.pause_infusion(db, nurse, sid, note=note, at=at(t0, m), now=at(t0, m))
    resume = lambda m, note="": c.resume_infusion(db, nurse, sid, note=note, at=at(t0, m), now=at(t0, m))
    stop = lambda m: c.stop_infusion(db, nurse, sid, at=at(t0, m), now=at(t0, m))
    refused(lambda: pause(1), "Only a running infusion can be paused.")
    refused(lambda: resume(1), "The infusion is not paused.")
    refused(lambda: stop(1), "Only a started infusion can be stopped.")
    refused(lambda: c.start_infusion(db, nurse, sid, at=at(t0, 2), now=at(t0, 2)),
            "Record a baseline reading before starting the infusion.")
    start(db, nurse, sid, t0)  # baseline +5, start +10
    refused(lambda: c.start_infusion(db, nurse, sid, at=at(t0, 11), now=at(t0, 11)),
            "The infusion has already started.")
    refused(lambda: resume(12), "The infusion is not paused.")
    end = trail_end(db)
    pause(15, "Patient asked")
    assert queries.get_record(db, nurse, sid).phase == Phase.PAUSED
    refused(lambda: pause(16), "Only a running infusion can be paused.")
    resume(18, "Settled")
    assert queries.get_record(db, nurse, sid).phase == Phase.INFUSION
    pause(20)
    with pytest.raises(FieldError) as early:
        c.stop_infusion(db, nurse, sid, at=at(t0, 9), now=at(t0, 21))
    assert early.value.field == "time"
    c.stop_infusion(db, nurse, sid, at=at(t0, 22), now=at(t0, 23), early_reason="Dizzy, clinician agreed")
    rec = queries.get_record(db, nurse, sid)
    assert (rec.phase, rec.paused, rec.infusion_end_at) == (Phase.RECOVERY, False, at(t0, 22))  # a stop ends a pause
    refused(lambda: pause(24), "Only a running infusion can be paused.")
    refused(lambda: resume(24), "The infusion is not paused.")
    refused(lambda: stop(24), "Only a started infusion can be stopped.")
    assert [(e.kind, e.note, e.at, e.recorded_at) for e in rec.events] == [
        ("infusion_paused", "Patient asked", at(t0, 15), at(t0, 15)),
        ("infusion_resumed", "Settled", at(t0, 18), at(t0, 18)),
        ("infusion_paused", "", at(t0, 20), at(t0, 20)),
        ("stopped_early", "Dizzy, clinician agreed", at(t0, 22), at(t0, 23))]
    assert [(r.action, r.entity, r.session_id) for r in trail_after(db, end)] == [
        ("create", "event", sid), ("pause_infusion", "session", sid),
        ("create", "event", sid), ("resume_infusion", "session", sid),
        ("create", "event", sid), ("pause_infusion", "session", sid),
        ("create", "event", sid), ("stop_infusion", "session", sid)]


def test_each_step_of_a_session_refuses_a_version_changed_at_another_workstation(db, actors, t0):
    """SPEC 3 rule 7: a step taken on the record as it was before another workstation's change is refused, and
    taken on the fresh record it goes through."""
    nurse, other = actors["nurse"], actors["nurse2"]
    sid = open_session(db, nurse, t0)
    c = clinical
    version = lambda: queries.get_record(db, nurse, sid).version
    steps = [
        lambda who, ver: c.start_infusion(db, who, sid, at=at(t0, 10), now=at(t0, 10), expected_version=ver),
        lambda who, ver: c.pause_infusion(db, who, sid, at=at(t0, 15), now=at(t0, 15), expected_version=ver),
        lambda who, ver: c.resume_infusion(db, who, sid, at=at(t0, 18), now=at(t0, 18), expected_version=ver),
        lambda who, ver: c.stop_infusion(db, who, sid, at=at(t0, 50), now=at(t0, 50), expected_version=ver),
        lambda who, ver: discharge(db, who, sid, t0, 90, expected_version=ver),
    ]
    seen = version()
    # the other chair's nurse saves a critical reading: the session is marked as having one
    high = c.record_reading(db, other, sid, v("185/95", "72", "98"), measured_at=at(t0, 4), now=at(t0, 4))
    c.acknowledge_flags(db, other, [f.id for f in queries.get_reading(db, other, high)[0].flags], "rechecked",
                        now=at(t0, 4))
    c.record_reading(db, other, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    for n, step in enumerate(steps):
        end = trail_end(db)
        with pytest.raises(ConcurrentEdit) as stale:
            step(nurse, seen)
        assert str(stale.value) == ("This session was changed at another workstation; it has been reloaded. "
                                    "Check it and try again."), n
        assert trail_end(db) == end, n
        seen = version()
        step(nurse, seen)
        assert version() > seen, n
    rec = queries.get_record(db, nurse, sid)
    assert (rec.phase, rec.discharge.at) == (Phase.DISCHARGED, at(t0, 90))


def test_an_amended_value_clears_its_own_flag_and_is_flagged_afresh(db, actors, t0):
    """SPEC 3 rule 3 and SPEC 4: a corrected value's flag no longer applies, the other values' flags stay, and the
    new value is judged against the limits like any reading."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    rid = clinical.record_reading(db, nurse, sid, v("190/115", "135", "90", "26"), measured_at=at(t0, 5),
                                  now=at(t0, 5))
    flags = lambda: [(f.parameter, f.level.value, f.value, f.cleared)
                     for f in queries.get_record(db, nurse, sid).readings[0].flags]
    assert flags() == [(p, "critical", value, False) for p, value in
                       (("systolic", 190), ("diastolic", 115), ("heart_rate", 135), ("spo2", 90), ("resp_rate", 26))]
    end = trail_end(db)
    fixed = {"systolic": 130, "diastolic": 85, "heart_rate": 80, "spo2": 97, "resp_rate": 16}
    for n, (parameter, value) in enumerate(fixed.items(), start=1):
        clinical.amend_reading(db, nurse, rid, {parameter: value}, f"misread {parameter}", now=at(t0, 5 + n))
        assert [cleared for *_, cleared in flags()] == [True] * n + [False] * (5 - n), parameter
    clinical.amend_reading(db, nurse, rid, {"heart_rate": 115}, "recounted", now=at(t0, 11))
    clinical.amend_reading(db, nurse, rid, {"comment": "Left arm, after a walk"}, "context", now=at(t0, 12))
    assert flags()[5:] == [("heart_rate", "warning", 115, False)]  # the new value, judged afresh
    reading = queries.get_record(db, nurse, sid).readings[0]
    assert reading.current == Vitals(systolic=130, diastolic=85, heart_rate=115, spo2=97, resp_rate=16,
                                     comment="Left arm, after a walk")
    assert reading.original == Vitals(systolic=190, diastolic=115, heart_rate=135, spo2=90, resp_rate=26)
    rows = trail_after(db, end)
    clears = [(r.action, r.entity, r.session_id, r.reason, r.before is not None) for r in rows if r.action == "clear"]
    assert clears == [("clear", "flag", sid, "value amended", True)] * 5
    assert [(r.action, r.entity) for r in rows if r.action != "clear"] == [("amend", "amendment")] * 5 + [
        ("amend", "amendment"), ("create", "flag"), ("amend", "amendment")]


def test_flags_are_acknowledged_once_per_reading_with_the_action_taken(db, actors, t0):
    """SPEC 4: each flag is acknowledged once, with the action taken (and words when it is 'Other'), by whom and
    when; one acknowledgement covers the flags of one reading."""
    nurse, other = actors["nurse"], actors["nurse2"]
    sid = open_session(db, nurse, t0)
    first = clinical.record_reading(db, nurse, sid, v("190/115", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    second = clinical.record_reading(db, nurse, sid, v("128/82", "135", "98"), measured_at=at(t0, 6), now=at(t0, 6))
    reading = lambda rid: queries.get_reading(db, nurse, rid)[0]
    (high_sys, high_dia), (fast,) = reading(first).flags, reading(second).flags
    end = trail_end(db)
    with pytest.raises(RuleViolation) as mixed:
        clinical.acknowledge_flags(db, nurse, [high_sys.id, fast.id], "rechecked", now=at(t0, 7))
    assert str(mixed.value) == "One acknowledgement covers the flags of one reading only."
    clinical.acknowledge_flag(db, other, high_dia.id, "rechecked", expected_version=high_dia.version, now=at(t0, 7))
    with pytest.raises(ConcurrentEdit) as stale:  # the nurse's screen still showed the flag open
        clinical.acknowledge_flags(db, nurse, [high_sys.id, high_dia.id], "paused",
                                   versions_seen={high_sys.id: high_sys.version, high_dia.id: high_dia.version},
                                   now=at(t0, 8))
    assert str(stale.value) == ("This flag was changed at another workstation; it has been reloaded. "
                                "Check it and try again.")
    with pytest.raises(ConcurrentEdit):
        clinical.acknowledge_flag(db, nurse, high_dia.id, "paused", expected_version=high_dia.version, now=at(t0, 8))
    with pytest.raises(RuleViolation) as twice:
        clinical.acknowledge_flag(db, nurse, high_dia.id, "paused", now=at(t0, 8))
    assert str(twice.value) == "This flag is already acknowledged."
    (ack_sys,) = clinical.acknowledge_flags(db, nurse, [high_sys.id], "other", " Cuff repositioned ", now=at(t0, 9))
    ack_fast = clinical.acknowledge_flag(db, nurse, fast.id, "clinician_notified", "Dr Ruiz on the phone",
                                         expected_version=fast.version, now=at(t0, 10))
    shown = {f.id: (f.ack.action, f.ack.action_text, f.ack.by, f.ack.at) if f.ack else None
             for r in queries.get_record(db, nurse, sid).readings for f in r.flags}
    assert shown == {high_sys.id: ("other", "Cuff repositioned", "Nurse Tester, RN", at(t0, 9)),
                     high_dia.id: ("rechecked", "", "Nurse2 Tester, RN", at(t0, 7)),
                     fast.id: ("clinician_notified", "Dr Ruiz on the phone", "Nurse Tester, RN", at(t0, 10))}
    rows = [(r.action, r.entity, r.entity_id, r.session_id) for r in trail_after(db, end)]
    assert rows[0][:2] == ("acknowledge", "flag_acknowledgement") and rows[1:] == [
        ("acknowledge", "flag_acknowledgement", str(ack_sys), sid),
        ("acknowledge", "flag_acknowledgement", str(ack_fast), sid)]
    assert rows[0][3] == sid


def test_co_signing_is_refused_to_a_nurse_before_the_password_is_looked_at(db, actors, t0):
    nurse, nurse2 = actors["nurse"], actors["nurse2"]
    sid = complete_session(db, nurse, t0)
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    end = trail_end(db)
    with pytest.raises(PermissionDenied) as refused:
        clinical.cosign(db, nurse2, sid, "not-even-the-password", now=at(t0, 96))
    assert str(refused.value) == "A nurse may not co-sign records."
    assert [(r.username, r.action, r.reason) for r in trail_after(db, end)] == [
        ("nurse2", "permission_denied", "A nurse may not co-sign records. (cosign)")]
    with db.reader() as s:
        assert s.scalar(select(User.failed_logins).where(User.username == "nurse2")) == 0


@pytest.mark.parametrize("step", ["cosign", "add_addendum"])
def test_five_wrong_passwords_at_a_signature_lock_the_account_from_the_fifth(db, actors, t0, step):
    nurse, charge = actors["nurse"], actors["charge"]
    sid = complete_session(db, nurse, t0)
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    who = charge if step == "cosign" else nurse
    attempt = {"cosign": lambda m: clinical.cosign(db, charge, sid, "wrong-password", now=at(t0, m)),
               "add_addendum": lambda m: clinical.add_addendum(db, nurse, sid, "Called back", "wrong-password",
                                                               now=at(t0, m))}[step]
    for m in range(100, 105):
        with pytest.raises(AuthenticationFailed):
            attempt(m)
    with db.reader() as s:
        locked_until = s.scalar(select(User.locked_until).where(User.username == who.username))
    assert locked_until == at(t0, 104) + timedelta(minutes=15)
    assert [sig.meaning for sig in queries.get_record(db, nurse, sid).signatures] == ["Authored"]


def test_an_addendum_corrects_only_readings_of_its_own_record(db, actors, t0):
    nurse = actors["nurse"]
    sid = complete_session(db, nurse, t0)
    other = open_session(db, nurse, t0)
    elsewhere = clinical.record_reading(db, nurse, other, v("120/80"), measured_at=at(t0, 5), now=at(t0, 5))
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    end = trail_end(db)
    with pytest.raises(FieldError) as refused:
        clinical.add_addendum(db, nurse, sid, "Correction", PASSWORDS["nurse"],
                              corrections=[(elsewhere, {"systolic": 125}, "typo")], now=at(t0, 300))
    assert (refused.value.field, str(refused.value)) == ("corrections",
                                                         "A correction must be of a reading of this session.")
    assert trail_end(db) == end
    ad = clinical.add_addendum(db, nurse, sid, "Called back: well.", PASSWORDS["nurse"], now=at(t0, 301))
    assert [(r.action, r.entity, r.entity_id, r.session_id) for r in trail_after(db, end)] == [
        ("create", "addendum", str(ad), sid), ("sign", "signature", str(queries.get_record(
            db, nurse, sid).signatures[-1].id), sid)]


def test_flags_use_the_corrected_baseline_from_the_start_and_only_orders_in_force(db, actors, t0):
    """SPEC 4: from the start of the infusion a reading is compared with the baseline as corrected, and with the
    limits a clinician ordered from the order's time; an order entered in error is no order."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    base = clinical.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    clinical.amend_reading(db, nurse, base, {"systolic": 100}, "cuff misread", now=at(t0, 6))
    clinical.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10))

    def flags_of(bp, minute, now=None, hr="72"):
        rid = clinical.record_reading(db, nurse, sid, v(bp, hr, "98"), measured_at=at(t0, minute),
                                      now=at(t0, now or minute))
        return findings(db, nurse, rid)

    assert flags_of("125/82", 10, now=11) == [("systolic", "warning", "baseline")]  # 25 % above 100, at the start
    assert flags_of("160/82", 4, now=12) == []  # measured before the start: not compared with the baseline
    assert flags_of("125/82", 20) == [("systolic", "warning", "baseline")]
    wrong = clinical.order_limits(db, nurse, sid, NEWS2, clinician="Dr R", reason="r", at=at(t0, 22), now=at(t0, 22))
    clinical.mark_entered_in_error(db, nurse, "event", wrong, "meant for chair 8", now=at(t0, 23))
    assert flags_of("100/82", 30) == []  # NEWS2 would flag 100 as low: the order was entered in error
    end = trail_end(db)
    assert flags_of("190/82", 35) == [("systolic", "critical", "high")]
    assert flags_of("185/82", 36) == [("systolic", "critical", "high")]
    assert [r.action for r in trail_after(db, end)].count("flag_critical") == 1  # the session marked once
    clinical.order_limits(db, nurse, sid, NEWS2, clinician="Dr R", reason="r", at=at(t0, 40), now=at(t0, 40))
    assert flags_of("100/82", 45) == [("systolic", "warning", "low")]
    assert flags_of("100/82", 39, now=46) == []  # measured before the order


def test_discharge_names_what_stops_it_and_keeps_what_the_nurse_scored_otherwise(db, actors, t0):
    """SPEC 3 and 5: no discharge with open critical flags (counted), nor before the minimum observation without a
    reason; items scored otherwise than the record suggested are written to the trail."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)  # stopped at +50
    high = clinical.record_reading(db, nurse, sid, v("190/115", "72", "98"), measured_at=at(t0, 55),
                                   now=at(t0, 55))
    flags = [f.id for f in queries.get_reading(db, nurse, high)[0].flags]
    end = trail_end(db)
    with pytest.raises(RuleViolation) as blocked:
        discharge(db, nurse, sid, t0, 90)
    assert str(blocked.value) == "2 critical flags are not acknowledged: acknowledge them before the discharge."
    clinical.acknowledge_flag(db, nurse, flags[0], "rechecked", now=at(t0, 60))
    with pytest.raises(RuleViolation) as blocked:
        discharge(db, nurse, sid, t0, 90)
    assert str(blocked.value) == "1 critical flag is not acknowledged: acknowledge them before the discharge."
    clinical.acknowledge_flag(db, nurse, flags[1], "rechecked", now=at(t0, 61))
    with pytest.raises(FieldError) as early:
        discharge(db, nurse, sid, t0, 70.5)  # observation ends at +80: 9 1/2 minutes left
    assert (early.value.field, str(early.value)) == (
        "early_reason", "Minimum observation of 30 minutes is not over (10 min left): document the reason to "
                        "discharge early.")
    suggested = {**ALDRETE_OK, "circulation": 1, "oxygen": 2}
    d_id = discharge(db, nurse, sid, t0, 80, prefilled=suggested)
    rows = [r for r in trail_after(db, end) if r.entity == "discharge_assessment"]
    assert [(r.action, r.entity_id, r.session_id, r.reason) for r in rows] == [
        ("create", str(d_id), sid, "Scored otherwise than the record suggested: Circulation 1 \u2192 2; "
                                   "SpO2 2 \u2192 1")]
    rec = queries.get_record(db, nurse, sid)
    assert (rec.status, rec.discharged_at, rec.discharge.observation_met) == (
        Status.AWAITING_SIGNATURE, at(t0, 80), True)


def test_signing_names_everything_still_missing(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    clinical.record_reading(db, nurse, sid, v("190/115", "72", "98"), measured_at=at(t0, 20), now=at(t0, 20))
    end = trail_end(db)
    with pytest.raises(RuleViolation) as refused:
        clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 21))
    assert str(refused.value) == ("Cannot sign yet: missing the discharge assessment and acknowledgement of 2 "
                                  "critical flags.")
    assert trail_end(db) == end


def test_a_session_opens_with_its_number_the_clinic_checklist_and_the_chosen_limits_and_schedule(db, actors, t0):
    nurse, charge = actors["nurse"], actors["charge"]
    pid = clinical.create_patient(db, nurse, mrn="SERIES-1", family_name="Ngata", given_name="Aroha", weight_kg=70)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="ptsd")
    other = clinical.create_course(db, nurse, patient_id=pid, indication="anxiety")
    guarded = settings.save_profile(db, charge, replace(NEWS2, name="Ward profile"))
    fast = settings.save_schedule(db, charge, Schedule("Every 5", infusion_interval_min=5))
    items = settings.read_settings(db).checklist_items
    first = clinical.create_session(db, nurse, course_id=cid, arrival_at=t0, now=t0,
                                    checklist={items[0]: True, "Not a clinic item": True})
    second = clinical.create_session(db, nurse, course_id=cid, profile_id=guarded, schedule_id=fast, now=at(t0, 1))
    elsewhere = clinical.create_session(db, nurse, course_id=other, now=at(t0, 2))
    one, two, three = (queries.get_record(db, nurse, sid) for sid in (first, second, elsewhere))
    assert [r.number for r in (one, two, three)] == [1, 2, 1]  # the series counts per course
    assert one.checklist == {item: item == items[0] for item in items}  # the clinic's items, nothing else
    assert (one.thresholds.name, one.schedule.name) == (KETAMINE_DEFAULT.name, "IV ketamine (clinic default)")
    assert (two.thresholds.to_dict()["limits"], two.schedule.name, two.schedule.infusion_interval_min) == (
        NEWS2.to_dict()["limits"], "Every 5", 5)
    assert (two.arrival_at, one.dose_mg_total) == (at(t0, 1), 35.0)  # arrival defaults to now; 0.5 mg/kg x 70 kg
    with db.reader() as s:  # the row names the clinic's profile and schedule its frozen copies came from
        row = s.get(InfusionSession, second)
        assert (row.threshold_profile_id, row.schedule_id) == (guarded, fast)


def test_a_reading_saved_from_the_screen_reads_back_as_its_record_shows_it(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    shown, version = clinical.record_reading_shown(db, nurse, sid, v("190/82", "72", "98", comment="seated"),
                                                   measured_at=at(t0, 4), now=at(t0, 5))
    rec = queries.get_record(db, nurse, sid)
    assert (shown, version) == (rec.readings[0], rec.version)
    assert (shown.measured_at, shown.recorded_at, shown.current.systolic, shown.current.comment) == (
        at(t0, 4), at(t0, 5), 190, "seated")
    assert [(f.parameter, f.level.value) for f in shown.flags] == [("systolic", "critical")]


def test_entered_in_error_clears_the_flags_of_that_reading_only(db, actors, t0):
    """SPEC 3 rule 3: a reading marked entered in error stays, struck through, with the reason, who and when; its
    flags no longer count (they block nothing), and nothing else is touched: not an event that happens to carry
    the same number, not a reading that was only amended."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    wrong = clinical.record_reading(db, nurse, sid, v("190/115", "72", "98"), measured_at=at(t0, 3), now=at(t0, 3))
    same_number = clinical.record_event(db, nurse, sid, "oxygen_applied", at=at(t0, 3), now=at(t0, 3))
    assert same_number == wrong  # events and readings are numbered apart
    clinical.mark_entered_in_error(db, nurse, "event", same_number, "Not given", now=at(t0, 4))
    reading = lambda rid: queries.get_reading(db, nurse, rid)[0]
    assert [f.cleared for f in reading(wrong).flags] == [False, False]  # the event's mark is not the reading's
    clinical.amend_reading(db, nurse, wrong, {"heart_rate": 84}, "recounted", now=at(t0, 4))  # only an event marked
    other = clinical.record_reading(db, nurse, sid, v("128/82", "60", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    clinical.amend_reading(db, nurse, other, {"heart_rate": 84}, "recounted", now=at(t0, 5))  # not the first's 84
    seen = reading(wrong).version
    clinical.amend_reading(db, nurse, wrong, {"heart_rate": 85}, "recounted", now=at(t0, 6))
    with pytest.raises(ConcurrentEdit) as stale:
        clinical.mark_entered_in_error(db, nurse, "reading", wrong, "wrong chair", expected_version=seen,
                                       now=at(t0, 7))
    assert str(stale.value) == ("This reading was changed at another workstation; it has been reloaded. "
                                "Check it and try again.")
    end = trail_end(db)
    clinical.mark_entered_in_error(db, nurse, "reading", wrong, "Wrong chair", expected_version=seen + 1,
                                   now=at(t0, 8))
    marked = reading(wrong)
    assert (marked.error.reason, marked.error.by, marked.error.at) == ("Wrong chair", "Nurse Tester, RN", at(t0, 8))
    assert [f.cleared for f in marked.flags] == [True, True]
    assert [(r.action, r.entity, r.session_id, r.reason, r.before is not None) for r in trail_after(db, end)] == [
        ("entered_in_error", "amendment", sid, "Wrong chair", False),
        ("clear", "flag", sid, "reading entered in error", True),
        ("clear", "flag", sid, "reading entered in error", True)]
    with pytest.raises(RuleViolation) as twice:
        clinical.mark_entered_in_error(db, nurse, "event", same_number, "again", now=at(t0, 9))
    assert str(twice.value) == "This event is already marked entered in error."
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)
    discharge(db, nurse, sid, t0, 90)  # the critical flags of the erroneous reading block nothing
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    assert queries.get_record(db, nurse, sid).status == Status.SIGNED


def test_events_keep_what_was_given_and_happen_now_unless_told_otherwise(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    c = clinical
    c.record_event(db, nurse, sid, "clinician_notified", details={"clinician": "  Dr Ruiz "}, now=at(t0, 3))
    c.record_event(db, nurse, sid, "other_side_effect", severity="severe", note="Jaw clenching", at=at(t0, 2),
                   now=at(t0, 4))
    c.record_event(db, nurse, sid, "other_intervention", note="Blanket", now=at(t0, 5))
    c.record_event(db, nurse, sid, "medication_given", now=at(t0, 6),
                   details={"medication": " Ondansetron", "dose": "4 mg ", "route": "IV", "batch": "B7"})
    with pytest.raises(FieldError) as long_name:
        c.record_event(db, nurse, sid, "clinician_notified", details={"clinician": "d" * 201}, now=at(t0, 7))
    assert (long_name.value.field, str(long_name.value)) == ("clinician",
                                                             "Clinician's name must be at most 200 characters.")
    assert [(e.kind, e.severity, e.note, e.details, e.at, e.recorded_at)
            for e in queries.get_record(db, nurse, sid).events] == [
        ("other_side_effect", "severe", "Jaw clenching", {}, at(t0, 2), at(t0, 4)),
        ("clinician_notified", "", "", {"clinician": "Dr Ruiz"}, at(t0, 3), at(t0, 3)),
        ("other_intervention", "", "Blanket", {}, at(t0, 5), at(t0, 5)),
        ("medication_given", "", "", {"medication": "Ondansetron", "dose": "4 mg", "route": "IV", "batch": "B7"},
         at(t0, 6), at(t0, 6))]


def test_signing_steps_out_of_turn_are_refused_in_words(db, actors, t0):
    """SPEC 3 rule 4 in the messages the nurse reads."""
    nurse, charge = actors["nurse"], actors["charge"]
    sid = complete_session(db, charge, t0)
    steps = [
        (lambda: clinical.cosign(db, charge, sid, PASSWORDS["charge"], now=at(t0, 94)), RuleViolation,
         "Only a record signed by its author and not yet reviewed can be co-signed."),
        (lambda: clinical.add_addendum(db, charge, sid, "Note", PASSWORDS["charge"], now=at(t0, 94)), RuleViolation,
         "Addenda are for signed records; this one can still be edited directly."),
        (lambda: clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 94)), PermissionDenied,
         "Only the primary nurse of the session signs it as author."),
    ]
    for step, error, message in steps:
        with pytest.raises(error) as refused:
            step()
        assert str(refused.value) == message
    clinical.sign(db, charge, sid, PASSWORDS["charge"], now=at(t0, 95))
    with pytest.raises(PermissionDenied) as own:
        clinical.cosign(db, charge, sid, PASSWORDS["charge"], now=at(t0, 96))
    assert str(own.value) == "The author of a record cannot co-sign it as reviewer."
    reading = queries.get_record(db, charge, sid).readings[0].id
    other = open_session(db, nurse, t0)
    wrong = clinical.record_reading(db, nurse, other, v("120/80"), measured_at=at(t0, 5), now=at(t0, 5))
    clinical.mark_entered_in_error(db, nurse, "reading", wrong, "wrong chair", now=at(t0, 6))
    with pytest.raises(RuleViolation) as struck:
        clinical.amend_reading(db, nurse, wrong, {"systolic": 121}, "typo", now=at(t0, 7))
    assert str(struck.value) == "This reading was marked entered in error; it cannot be amended."
    with pytest.raises(RuleViolation) as locked:
        clinical.amend_reading(db, nurse, reading, {"systolic": 121}, "typo", now=at(t0, 97))
    assert str(locked.value) == "This record is signed and locked; add a signed addendum instead."


def _refused(db, error, call) -> tuple[str | None, str]:
    """(field, message) of a refused call, after checking that nothing was written."""
    end = trail_end(db)
    with pytest.raises(error) as info:
        call()
    assert trail_end(db) == end
    return getattr(info.value, "field", None), str(info.value)


def test_a_pause_or_resume_without_a_note_is_recorded_with_no_note(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    clinical.pause_infusion(db, nurse, sid, at=at(t0, 15), now=at(t0, 15))
    clinical.resume_infusion(db, nurse, sid, at=at(t0, 17), now=at(t0, 17))
    assert [(e.kind, e.note) for e in queries.get_record(db, nurse, sid).events] == [
        ("infusion_paused", ""), ("infusion_resumed", "")]


def test_an_order_is_refused_after_the_discharge_and_recorded_with_its_clinician_and_reason(db, actors, t0):
    """A clinician's order of limits or of a schedule is an event of the session: timed between arrival and
    discharge, carrying who ordered it and why."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    clinical.order_schedule(db, nurse, sid, Schedule("Every 5", infusion_interval_min=5), clinician="Dr Okafor",
                            reason="BP rising", at=at(t0, 21), now=at(t0, 21))
    clinical.order_limits(db, nurse, sid, NEWS2, clinician="Dr Ruiz", reason="Known hypertension",
                          at=at(t0, 22), now=at(t0, 22))
    to_recovery(db, nurse, sid, t0)
    discharge(db, nurse, sid, t0, 90)
    after = at(t0, 91)
    for order in (lambda: clinical.order_limits(db, nurse, sid, NEWS2, clinician="Dr R", reason="late", at=after,
                                                now=after),
                  lambda: clinical.order_schedule(db, nurse, sid, Schedule("Every 5"), clinician="Dr R",
                                                  reason="late", at=after, now=after)):
        assert _refused(db, FieldError, order) == ("time", "Time is after the patient was discharged.")
    events = [(e.kind, e.note, e.details.get("clinician")) for e in queries.get_record(db, nurse, sid).events]
    assert events == [("schedule_changed", "BP rising", "Dr Okafor"), ("limits_changed", "Known hypertension",
                                                                       "Dr Ruiz")]


def test_an_acknowledgement_keeps_the_words_of_the_action_up_to_2000_characters(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    rid = clinical.record_reading(db, nurse, sid, v("190/115", "135", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    high_sys, high_dia, fast = (f.id for f in queries.get_reading(db, nurse, rid)[0].flags)
    assert _refused(db, FieldError, lambda: clinical.acknowledge_flags(db, nurse, [high_sys], "other", None,
                                                                      now=at(t0, 6))) == (
        "action_text", "Describe the action taken when it is 'Other'.")
    assert _refused(db, FieldError, lambda: clinical.acknowledge_flags(db, nurse, [high_sys], "other", "w" * 2001,
                                                                      now=at(t0, 6))) == (
        "action_text", "Action must be at most 2000 characters.")
    assert _refused(db, FieldError, lambda: clinical.acknowledge_flags(db, nurse, [high_sys], "rechecked", "a\x00b",
                                                                      now=at(t0, 6)))[0] == "action_text"
    clinical.acknowledge_flags(db, nurse, [high_sys], "other", "w" * 2000, now=at(t0, 6))
    clinical.acknowledge_flags(db, nurse, [high_dia], "rechecked", now=at(t0, 7))  # no words: none recorded
    clinical.acknowledge_flag(db, nurse, fast, "paused", now=at(t0, 8))
    shown = [(f.ack.action, f.ack.action_text) for f in queries.get_reading(db, nurse, rid)[0].flags]
    assert shown == [("other", "w" * 2000), ("rechecked", ""), ("paused", "")]


def test_a_co_signature_is_in_the_trail_as_the_review_of_the_record(db, actors, t0):
    nurse, charge = actors["nurse"], actors["charge"]
    sid = complete_session(db, nurse, t0)
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    end = trail_end(db)
    sig = clinical.cosign(db, charge, sid, PASSWORDS["charge"], now=at(t0, 96))
    assert [(r.username, r.action, r.entity, r.entity_id, r.session_id) for r in trail_after(db, end)] == [
        ("charge", "sign", "signature", str(sig), sid), ("charge", "review", "session", str(sid), sid)]
    assert queries.get_record(db, nurse, sid).status == Status.REVIEWED


def test_a_reading_entered_in_error_clears_its_own_open_flags_and_leaves_every_other_flag_as_it_was(db, actors, t0):
    """SPEC 3 rule 3: marking a reading entered in error clears the flags still open on that reading only: a flag
    an amendment already cleared keeps that amendment, and another reading's critical flag still blocks the
    discharge."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    wrong = clinical.record_reading(db, nurse, sid, v("190/115", "72", "98"), measured_at=at(t0, 3), now=at(t0, 3))
    fast = clinical.record_reading(db, nurse, sid, v("128/82", "135", "98"), measured_at=at(t0, 4), now=at(t0, 4))
    clinical.amend_reading(db, nurse, wrong, {"systolic": 130}, "cuff misread", now=at(t0, 5))
    end = trail_end(db)
    clinical.mark_entered_in_error(db, nurse, "reading", wrong, "Wrong patient", now=at(t0, 6))
    flag_of = {f.parameter: f for f in queries.get_reading(db, nurse, wrong)[0].flags}
    rows = [(r.action, r.entity, r.entity_id) for r in trail_after(db, end)]
    assert rows == [("entered_in_error", "amendment", rows[0][2]),
                    ("clear", "flag", str(flag_of["diastolic"].id))]  # the systolic flag was cleared by the amendment
    assert [(f.parameter, f.cleared) for f in queries.get_reading(db, nurse, fast)[0].flags] == [
        ("heart_rate", False)]
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)
    with pytest.raises(RuleViolation) as blocked:
        discharge(db, nurse, sid, t0, 90)
    assert str(blocked.value) == "1 critical flag is not acknowledged: acknowledge them before the discharge."


def test_an_amended_value_clears_the_flags_of_that_reading_only(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    misread = clinical.record_reading(db, nurse, sid, v("190/82", "72", "98"), measured_at=at(t0, 3), now=at(t0, 3))
    high = clinical.record_reading(db, nurse, sid, v("185/82", "72", "98"), measured_at=at(t0, 4), now=at(t0, 4))
    clinical.amend_reading(db, nurse, misread, {"systolic": 130}, "cuff misread", now=at(t0, 5))
    cleared = lambda rid: [(f.parameter, f.cleared) for f in queries.get_reading(db, nurse, rid)[0].flags]
    assert (cleared(misread), cleared(high)) == ([("systolic", True)], [("systolic", False)])


def test_corrections_apply_in_the_order_of_their_times_whatever_order_they_were_saved_in(db, actors, t0):
    """A workstation whose clock runs behind saves a correction timed before one saved earlier elsewhere: the
    reading's current value follows the times, in the record and for the next correction alike."""
    nurse, other = actors["nurse"], actors["nurse2"]
    sid = open_session(db, nurse, t0)
    rid = clinical.record_reading(db, nurse, sid, v("120/80", "72", "98"), measured_at=at(t0, 3), now=at(t0, 3))
    clinical.amend_reading(db, nurse, rid, {"systolic": 130}, "recounted", now=at(t0, 10))
    clinical.amend_reading(db, other, rid, {"systolic": 125}, "cuff misread", now=at(t0, 8))  # a clock 2 min behind
    assert queries.get_reading(db, nurse, rid)[0].current.systolic == 130
    with pytest.raises(FieldError) as same:
        clinical.amend_reading(db, nurse, rid, {"systolic": 130}, "again", now=at(t0, 12))
    assert str(same.value) == "The amendment changes nothing."
    clinical.amend_reading(db, nurse, rid, {"systolic": 140}, "repeated", now=at(t0, 13))
    assert [(a.changes, a.at) for a in queries.get_reading(db, nurse, rid)[0].amendments][-1] == (
        {"systolic": [130, 140]}, at(t0, 13))


def test_a_signature_given_on_a_workstation_whose_clock_runs_behind_still_verifies(db, actors, t0):
    """Signing and verify cut the record at the same moment, the signature's own: a reading saved by a workstation
    whose clock is ahead, timed after the signature, is no reason to call the record altered."""
    nurse = actors["nurse"]
    sid = complete_session(db, nurse, t0)  # discharged at +90
    clinical.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 88), now=at(t0, 97))
    clinical.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    report = integrity.verify_archive(db, actors["auditor"])
    assert (report.intact, report.problems) == (True, [])


def test_discharge_is_refused_in_words_until_its_turn_and_without_escort_or_instructions(db, actors, t0):
    """SPEC 2 and 3: discharge follows the end of the infusion, once; it needs a named escort and the discharge
    instructions confirmed (never assumed), and it is timed when the nurse says, not when it was typed."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    assert _refused(db, RuleViolation, lambda: discharge(db, nurse, sid, t0, 40)) == (
        None, "Stop the infusion before the discharge assessment.")
    to_recovery(db, nurse, sid, t0)  # stopped at +50
    base = dict(scale="aldrete", items=ALDRETE_OK, escort_present=True, at=at(t0, 90), now=at(t0, 92))
    assert _refused(db, FieldError, lambda: clinical.discharge(db, nurse, sid, **{
        **base, "items": {**ALDRETE_OK, "oxygen": 0}, "escort_name": "Sam Partner", "instructions_given": True})) == (
        "score", "Modified Aldrete total is 8; discharge needs 9 or more. Reassess later.")
    assert _refused(db, FieldError, lambda: clinical.discharge(db, nurse, sid, instructions_given=True, **base)) == (
        "escort_name", "Discharge needs a responsible adult escort: enter the escort's name.")
    assert _refused(db, FieldError, lambda: clinical.discharge(db, nurse, sid, escort_name="Sam Partner", **base)) == (
        "instructions_given", "Confirm the discharge instructions (no driving until the next day) were given.")
    clinical.discharge(db, nurse, sid, escort_name="Sam Partner", instructions_given=True, **base)
    assert queries.get_record(db, nurse, sid).discharged_at == at(t0, 90)
    assert _refused(db, RuleViolation, lambda: discharge(db, nurse, sid, t0, 95)) == (
        None, "The patient is already discharged.")


def test_only_the_sessions_own_open_critical_flags_hold_its_discharge(db, actors, t0):
    """SPEC 3 rule 4: the critical flags that hold a discharge are this session's, still open: another chair's
    open critical flag holds nothing here."""
    nurse = actors["nurse"]
    elsewhere = open_session(db, nurse, t0, family="Other", given="Chair")
    clinical.record_reading(db, nurse, elsewhere, v("190/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)
    discharge(db, nurse, sid, t0, 90)
    assert queries.get_record(db, nurse, sid).status == Status.AWAITING_SIGNATURE


def test_discharge_waits_for_the_minimum_observation_of_the_schedule_ordered_for_the_patient(db, actors, t0):
    """SPEC 4: a clinician's schedule order applies from its time on, the minimum observation included."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)  # stopped at +50
    clinical.order_schedule(db, nurse, sid, Schedule("Longer watch", min_observation_min=60), clinician="Dr Okafor",
                            reason="Dizzy at the end of the infusion", at=at(t0, 55), now=at(t0, 55))
    assert _refused(db, FieldError, lambda: discharge(db, nurse, sid, t0, 100.5)) == (
        "early_reason", "Minimum observation of 60 minutes is not over (10 min left): document the reason to "
                        "discharge early.")
    discharge(db, nurse, sid, t0, 110)
    assert queries.get_record(db, nurse, sid).discharge.observation_met is True
    rems = open_session(db, nurse, t0)  # an esketamine schedule counts from the first dose (+10)
    start(db, nurse, rems, t0)
    to_recovery(db, nurse, rems, t0)
    clinical.order_schedule(db, nurse, rems, ESKETAMINE, clinician="Dr Okafor", reason="Esketamine protocol",
                            at=at(t0, 55), now=at(t0, 55))
    assert _refused(db, FieldError, lambda: discharge(db, nurse, rems, t0, 90.5)) == (
        "early_reason", "Minimum observation of 120 minutes is not over (40 min left): document the reason to "
                        "discharge early.")


def test_an_early_discharge_says_how_many_minutes_of_observation_are_left(db, actors, t0):
    """Ten whole minutes before the observation ends is "10 min left" (it said 11); half a minute is one."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)  # the observation ends at +80
    for minute, left in ((70, 10), (79.5, 1), (79, 1)):
        assert _refused(db, FieldError, lambda m=minute: discharge(db, nurse, sid, t0, m)) == (
            "early_reason", f"Minimum observation of 30 minutes is not over ({left} min left): document the reason "
                            "to discharge early.")


def test_a_discharge_after_the_observation_keeps_no_early_reason_and_a_score_as_suggested_gives_none(db, actors, t0):
    """The record says 'discharged early' only when it was; the trail names items scored otherwise than the record
    suggested only when there are some."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)  # the observation ends at +80
    end = trail_end(db)
    discharge(db, nurse, sid, t0, 85, early_reason="Escort had to leave", prefilled=dict(ALDRETE_OK))
    d = queries.get_record(db, nurse, sid).discharge
    assert (d.observation_met, d.early_reason, d.escort_name) == (True, "", "Sam Partner")
    assert [(r.action, r.entity, r.reason) for r in trail_after(db, end)] == [
        ("create", "discharge_assessment", ""), ("discharge", "session", "")]


def test_the_reason_for_an_early_stop_is_kept_up_to_2000_characters(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    stop = lambda reason: clinical.stop_infusion(db, nurse, sid, at=at(t0, 30), now=at(t0, 30), early_reason=reason)
    assert _refused(db, FieldError, lambda: stop("r" * 2001)) == ("early_reason",
                                                                  "Reason must be at most 2000 characters.")
    stop("r" * 2000)
    assert [(e.kind, e.note) for e in queries.get_record(db, nurse, sid).events] == [("stopped_early", "r" * 2000)]


def test_the_baseline_is_compared_as_its_corrections_stand_in_the_order_of_their_times(db, actors, t0):
    """SPEC 4: a reading is judged against the baseline as the record shows it: its own corrections applied in
    time order, even when a workstation whose clock runs behind saved one of them last, and no other reading's."""
    nurse, other = actors["nurse"], actors["nurse2"]
    sid = open_session(db, nurse, t0)
    base = clinical.record_reading(db, nurse, sid, v("120/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    clinical.amend_reading(db, nurse, base, {"systolic": 100}, "cuff misread", now=at(t0, 8))
    clinical.amend_reading(db, other, base, {"systolic": 140}, "first reading", now=at(t0, 7))  # saved last
    assert queries.get_reading(db, nurse, base)[0].current.systolic == 100
    clinical.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10))
    rid = clinical.record_reading(db, nurse, sid, v("125/82", "72", "98"), measured_at=at(t0, 20), now=at(t0, 20))
    assert findings(db, nurse, rid) == [("systolic", "warning", "baseline")]  # 25 % above 100
    clinical.amend_reading(db, nurse, rid, {"systolic": 115}, "recounted", now=at(t0, 21))  # not the baseline's
    later = clinical.record_reading(db, nurse, sid, v("125/82", "72", "98"), measured_at=at(t0, 25), now=at(t0, 25))
    assert [(f.parameter, f.kind) for f in queries.get_reading(db, nurse, later)[0].flags] == [
        ("systolic", "baseline")]


def test_the_limits_in_force_are_those_of_the_latest_order_by_its_time_not_by_when_it_was_typed(db, actors, t0):
    """SPEC 4: an order is for its own session, and one documented late, with the time it was given, does not
    override a later order."""
    nurse = actors["nurse"]
    elsewhere = open_session(db, nurse, t0, family="Other", given="Chair")
    clinical.order_limits(db, nurse, elsewhere, NEWS2, clinician="Dr Ruiz", reason="Ward limits", at=at(t0, 20),
                          now=at(t0, 20))
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    rid = clinical.record_reading(db, nurse, sid, v("105/70", "72", "98"), measured_at=at(t0, 22), now=at(t0, 22))
    assert queries.get_reading(db, nurse, rid)[0].flags == []  # the clinic default: 90-160
    clinical.order_limits(db, nurse, sid, NEWS2, clinician="Dr Ruiz", reason="Ward limits", at=at(t0, 30),
                          now=at(t0, 30))
    clinical.order_limits(db, nurse, sid, KETAMINE_DEFAULT, clinician="Dr Okafor", reason="Given by phone",
                          at=at(t0, 25), now=at(t0, 31))
    rid = clinical.record_reading(db, nurse, sid, v("105/70", "72", "98"), measured_at=at(t0, 35), now=at(t0, 35))
    assert findings(db, nurse, rid) == [("systolic", "warning", "low")]  # NEWS2: systolic below 111


def test_an_order_stands_when_a_reading_of_the_same_number_is_entered_in_error(db, actors, t0):
    """Readings and events are numbered apart: striking out a reading never voids an order of limits."""
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    wrong = clinical.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 3), now=at(t0, 3))
    clinical.mark_entered_in_error(db, nurse, "reading", wrong, "Wrong patient", now=at(t0, 4))
    start(db, nurse, sid, t0)
    order = clinical.order_limits(db, nurse, sid, NEWS2, clinician="Dr Ruiz", reason="Ward limits", at=at(t0, 15),
                                  now=at(t0, 15))
    assert order == wrong
    rid = clinical.record_reading(db, nurse, sid, v("105/70", "72", "98"), measured_at=at(t0, 20), now=at(t0, 20))
    assert findings(db, nurse, rid) == [("systolic", "warning", "low")]  # NEWS2: systolic below 111


def test_with_its_baseline_entered_in_error_a_session_still_flags_readings_against_its_limits(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    base = clinical.record_reading(db, nurse, sid, v("100/70", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    clinical.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10))
    clinical.mark_entered_in_error(db, nurse, "reading", base, "Wrong patient", now=at(t0, 12))
    rid = clinical.record_reading(db, nurse, sid, v("170/82", "72", "98"), measured_at=at(t0, 20), now=at(t0, 20))
    # No baseline left to compare with: 70 % above 100 is not flagged, only the limit.
    assert findings(db, nurse, rid) == [("systolic", "warning", "high")]


def test_a_start_out_of_the_ordinary_needs_the_reason_and_the_authorising_clinician_typed(db, actors, t0):
    """SPEC 3: a start with checklist items not done needs the reason (up to 2000 characters); a baseline above the
    pre-infusion limit in force, the clinic's or a clinician's order's, needs the authorising clinician and a note;
    none of them is ever assumed. A start documented late keeps the time it happened."""
    nurse = actors["nurse"]
    pid = clinical.create_patient(db, nurse, mrn="START-1", family_name="Ngata", given_name="Aroha")
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="ptsd")
    sid = clinical.create_session(db, nurse, course_id=cid, arrival_at=t0, now=t0)  # nothing ticked
    clinical.record_reading(db, nurse, sid, v("190/100", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    items = settings.read_settings(db).checklist_items
    go = lambda m=10, **kw: lambda: clinical.start_infusion(db, nurse, sid, at=at(t0, m), now=at(t0, m + 2), **kw)
    assert _refused(db, FieldError, go()) == (
        "checklist_reason", "Checklist items not done: " + ", ".join(items) + ". Give the reason to start anyway.")
    assert _refused(db, FieldError, go(checklist_reason="r" * 2001)) == (
        "checklist_reason", "Reason must be at most 2000 characters.")
    why = "r" * 2000
    assert _refused(db, RuleViolation, go(40, checklist_reason=why)) == (
        None, "The baseline must be taken within 30 minutes before the start; record a new baseline reading.")
    guarded = replace(KETAMINE_DEFAULT, name="Guarded", preinfusion_systolic_max=180, preinfusion_diastolic_max=110)
    clinical.order_limits(db, nurse, sid, guarded, clinician="Dr Ruiz", reason="Hypertensive", at=at(t0, 7),
                          now=at(t0, 7))
    for named in ({}, dict(authorising_clinician="Dr Okafor"), dict(note="Reviewed, proceed")):
        assert _refused(db, FieldError, go(checklist_reason=why, **named)) == (
            "authorising_clinician", "The baseline is above the pre-infusion limit: name the authorising clinician "
                                     "and add a note to start.")
    assert _refused(db, FieldError, go(checklist_reason=why, authorising_clinician="d" * 201, note="Proceed")) == (
        "authorising_clinician", "Authorising clinician must be at most 200 characters.")
    assert _refused(db, FieldError, go(checklist_reason=why, authorising_clinician="Dr Okafor", note="n" * 2001)) == (
        "note", "Note must be at most 2000 characters.")
    end = trail_end(db)
    go(checklist_reason=why, authorising_clinician="Dr Okafor", note="n" * 2000)()
    rec = queries.get_record(db, nurse, sid)
    assert rec.infusion_start_at == at(t0, 10)
    assert [(e.kind, e.note, e.details, e.at, e.recorded_at) for e in rec.events[1:]] == [
        ("start_authorised", "n" * 2000, {"clinician": "Dr Okafor"}, at(t0, 10), at(t0, 12)),
        ("start_checklist_incomplete", why, {"not_done": list(items)}, at(t0, 10), at(t0, 12))]
    assert [(r.action, r.entity, r.session_id, r.reason) for r in trail_after(db, end)] == [
        ("create", "event", sid, ""), ("create", "event", sid, ""), ("start_infusion", "session", sid, "")]


def test_a_patient_a_course_and_a_session_given_only_what_is_required_read_back_with_the_defaults(db, actors, t0):
    """SPEC 2: a course plans six infusions; a session gives ketamine HCl at 0.5 mg/kg IV over 40 minutes; nothing
    else is filled in for the nurse. Each is a created row of the trail."""
    nurse = actors["nurse"]
    end = trail_end(db)
    pid = clinical.create_patient(db, nurse, mrn="BARE-1", family_name="Ngata", given_name="Aroha")
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="ptsd")
    sid = clinical.create_session(db, nurse, course_id=cid, now=t0)
    rec = queries.get_record(db, nurse, sid)
    assert rec.patient == PatientView(pid, "BARE-1", "Ngata", "Aroha", None, "", None, "", "", None)
    assert rec.course == CourseView(cid, "ptsd", "", 6, "", "none")
    assert (rec.chair, rec.supervising_clinician, rec.medication, rec.dose_mg_per_kg, rec.dose_mg_total, rec.route,
            rec.planned_minutes, rec.lot_number, rec.concomitant_medicines, rec.outcome_score_before,
            rec.arrival_at) == ("", "", "Ketamine HCl", 0.5, None, "IV", 40, "", [], None, t0)
    assert set(rec.checklist.values()) == {False}
    assert [(r.action, r.entity, r.entity_id, r.session_id) for r in trail_after(db, end)] == [
        ("create", "patient", str(pid), None), ("create", "course", str(cid), None),
        ("create", "session", str(sid), sid)]
    # "Other" needs its words, also when none are passed at all
    assert _refused(db, FieldError, lambda: clinical.create_course(db, nurse, patient_id=pid, indication="other",
                                                                   indication_other=None)) == (
        "indication_other", "Describe the indication when it is 'Other'.")
    # text no database stores faithfully is refused in the form's words for the field
    assert _refused(db, FieldError, lambda: clinical.create_patient(db, nurse, mrn="BARE\x002", family_name="Ngata",
                                                                    given_name="Aroha")) == (
        "mrn", "MRN contains a NUL character (an invisible control character): remove it and try again.")
