"""Operations around the records: readings as CSV, SQLite backup and restore, disabled and locked accounts, and
what a nurse may document in another nurse's session (SPEC 7, 8 and 9)."""
from __future__ import annotations

import csv
import os
import sqlite3
import stat
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from conftest import PASSWORDS
from monitor_app.domain.errors import AuthenticationFailed, PermissionDenied
from monitor_app.reports.csv_export import export_readings
from monitor_app.services import backup as backups, clinical as c, integrity, queries, users
from monitor_app.services.backup import BackupError
from monitor_app.storage.models import AuditEvent, Reading
from session_flow import at, complete_session, open_session, start, v


def read_csv(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def audit_rows(db, action: str) -> list[AuditEvent]:
    with db.reader() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


# ------------------------------------------------------------------------------------------ export-csv (SPEC 7)

def test_readings_as_csv_in_utc_and_in_the_clinic_zone_across_the_change_of_the_clocks(db, actors, t0, tmp_path):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)  # arrival 23:30 EST on 7 March 2026
    start(db, nurse, sid, t0)  # baseline 23:35 EST, infusion from 23:40 EST
    late = c.record_reading(db, nurse, sid, v("192/100", "88", "97", comment="=HYPERLINK(\"x\")"),
                            measured_at=at(t0, 160), now=at(t0, 175))  # 03:10 EDT, typed at 03:25 EDT
    c.amend_reading(db, nurse, late, {"heart_rate": 86}, "monitor printout", now=at(t0, 176))
    wrong = c.record_reading(db, nurse, sid, v("120/80", "70", "99"), measured_at=at(t0, 170), now=at(t0, 170))
    c.mark_entered_in_error(db, nurse, "reading", wrong, "wrong patient", now=at(t0, 171))
    out = tmp_path / "readings.csv"
    assert export_readings(db, actors["auditor"], out) == 3
    rows = read_csv(out)
    mrn = queries.get_record(db, nurse, sid).patient.mrn
    assert [(r["mrn"], r["session_id"]) for r in rows] == [(mrn, str(sid))] * 3
    base, high, error = rows
    assert (base["measured_at_utc"], base["measured_at_local"]) == ("2026-03-08T04:35:00+00:00",
                                                                    "2026-03-07T23:35:00-05:00")
    assert (base["systolic"], base["diastolic"], base["heart_rate"], base["spo2"], base["map"]) == (
        "128", "82", "72", "98", "97")
    assert (base["phase"], base["late_entry"], base["minutes_from_start"]) == ("pre-infusion", "no", "-5.0")
    assert (high["measured_at_utc"], high["measured_at_local"]) == ("2026-03-08T07:10:00+00:00",
                                                                    "2026-03-08T03:10:00-04:00")
    assert high["recorded_at_utc"] == "2026-03-08T07:25:00+00:00" and high["late_entry"] == "yes"
    assert (high["heart_rate"], high["original_heart_rate"], high["amended"]) == ("86", "88", "yes")
    assert high["amendment_reasons"] == "monitor printout"
    assert high["comment"] == "'=HYPERLINK(\"x\")"  # a spreadsheet must not run it as a formula
    assert "\u25c6" in high["flags"] and "Systolic BP 192 above critical limit 180" in high["flags"]
    assert (error["entered_in_error"], error["error_reason"]) == ("yes", "wrong patient")
    assert stat.S_IMODE(os.stat(out).st_mode) & 0o077 == 0
    exported = audit_rows(db, "export")[-1]
    assert exported.username == "auditor" and "3 reading(s) of 1 session(s) to readings.csv" in exported.reason


def test_csv_date_range_is_in_clinic_local_days(db, actors, t0, tmp_path):
    """The session arrived at 23:30 on 7 March in New York, which is 8 March in UTC: it belongs to the 7th."""
    nurse = actors["nurse"]
    sid = complete_session(db, nurse, t0)
    n = len(queries.get_record(db, nurse, sid).readings)
    assert export_readings(db, nurse, tmp_path / "a.csv", date(2026, 3, 7), date(2026, 3, 7)) == n
    assert export_readings(db, nurse, tmp_path / "b.csv", date(2026, 3, 8), None) == 0
    assert export_readings(db, nurse, tmp_path / "c.csv", None, date(2026, 3, 6)) == 0
    assert read_csv(tmp_path / "b.csv") == [] and (tmp_path / "b.csv").read_text().startswith("record_id,")


# ------------------------------------------------------------------------------------------ backup and restore

def test_sqlite_backup_and_restore_bring_back_the_archive_as_it_was(db, actors, t0, tmp_path):
    nurse, admin, auditor = actors["nurse"], actors["admin"], actors["auditor"]
    sid = open_session(db, nurse, t0)
    kept_reading = c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    (tmp_path / "out").mkdir()
    copy = backups.backup(db, auditor, tmp_path / "out" / "copy.sqlite")
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
    con = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM readings").fetchone()[0] == 1
    finally:
        con.close()
    # The backup is audited once the copy is whole, so its row is in the archive, not in the copy itself.
    assert [r.username for r in audit_rows(db, "backup")] == ["auditor"]
    later = c.record_reading(db, nurse, sid, v("130/84", "74", "97"), measured_at=at(t0, 8), now=at(t0, 8))
    kept = backups.restore(db, admin, copy)
    with db.reader() as s:
        assert s.scalars(select(Reading.id)).all() == [kept_reading]  # the archive as it was backed up
    assert kept.exists() and kept.parent == db.data_dir / "backups"
    con = sqlite3.connect(f"file:{kept}?mode=ro", uri=True)  # the archive it replaced is kept, whole
    try:
        assert sorted(r[0] for r in con.execute("SELECT id FROM readings")) == [kept_reading, later]
    finally:
        con.close()
    restored = audit_rows(db, "restore")
    assert len(restored) == 1 and restored[0].username == "admin"
    assert restored[0].reason == f"restored from copy.sqlite; the archive it replaced is kept as {kept.name}"
    assert integrity.verify_archive(db, auditor).intact
    # and documenting goes on in the restored archive
    c.record_reading(db, nurse, sid, v("126/80", "70", "98"), measured_at=at(t0, 9), now=at(t0, 9))
    assert len(queries.get_record(db, nurse, sid).readings) == 2


def test_a_file_that_is_no_backup_is_refused_and_the_archive_left_alone(db, actors, t0, tmp_path):
    nurse, admin = actors["nurse"], actors["admin"]
    sid = open_session(db, nurse, t0)
    c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    before = db.sqlite_path.read_bytes()
    letter = tmp_path / "letter.sqlite"
    letter.write_bytes(b"This is a letter, not a database.\n" * 100)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.commit()
    con.close()
    for bad, words in ((letter, "is not a Chairside backup"), (other, "is not an intact Chairside backup")):
        with pytest.raises(BackupError) as err:
            backups.restore(db, admin, bad)
        assert str(err.value).startswith(str(bad)) and words in str(err.value)
    assert db.sqlite_path.read_bytes() == before
    assert len(queries.get_record(db, nurse, sid).readings) == 1
    assert audit_rows(db, "restore") == []


def test_only_an_administrator_restores(db, actors, tmp_path):
    copy = backups.backup(db, actors["admin"], tmp_path / "copy.sqlite")
    for who in ("nurse", "charge", "auditor"):
        with pytest.raises(PermissionDenied):
            backups.restore(db, actors[who], copy)
    assert audit_rows(db, "restore") == []


# ------------------------------------------------------------------------------------------ accounts (SPEC 9)

def test_a_disabled_user_can_no_longer_write_with_a_session_opened_before(db, actors, t0):
    """The role is read from the archive in each transaction, never taken from the caller: a nurse disabled while
    signed in is refused at her next save, and nothing is written."""
    nurse, admin = actors["nurse"], actors["admin"]
    sid = open_session(db, nurse, t0)
    c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    users.disable_user(db, admin, "nurse", reason="left the clinic")
    with pytest.raises(PermissionDenied, match="disabled"):
        c.record_reading(db, nurse, sid, v("130/84", "74", "97"), measured_at=at(t0, 8), now=at(t0, 8))
    with pytest.raises(PermissionDenied, match="disabled"):
        c.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10))
    assert len(queries.get_record(db, admin, sid).readings) == 1
    assert queries.get_record(db, admin, sid).infusion_start_at is None
    with pytest.raises(AuthenticationFailed, match="disabled"):
        users.sign_in(db, "nurse", PASSWORDS["nurse"], now=at(t0, 9))


def test_an_administrator_ends_a_lock_early(db, actors, t0):
    now = at(t0, 120)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            users.sign_in(db, "nurse", "wrong-password", now=now)
    with pytest.raises(AuthenticationFailed, match="locked"):
        users.sign_in(db, "nurse", PASSWORDS["nurse"], now=now + timedelta(minutes=1))
    for who in ("nurse2", "charge", "auditor"):
        with pytest.raises(PermissionDenied):
            users.unlock_user(db, actors[who], "nurse")
    users.unlock_user(db, actors["admin"], "nurse")
    assert users.sign_in(db, "nurse", PASSWORDS["nurse"], now=now + timedelta(minutes=2)).username == "nurse"
    unlocked = audit_rows(db, "unlock")
    assert len(unlocked) == 1 and unlocked[0].username == "admin"


def test_a_password_checked_while_the_archive_opened_counts_only_for_that_hash_and_password(db, actors, t0):
    """Enter pressed while the archive opens: the check starts against the hash in the archive's file. The
    sign-in takes that answer only for the very hash and password checked: a wrong password, another one typed
    after, or a reset in between are judged on what the archive holds when the sign-in runs."""
    from monitor_app.services import passwords
    from monitor_app.storage.location import stored_password_hash
    stored = stored_password_hash(None, db.data_dir, "nurse")
    assert stored and stored.startswith("$argon2id$")
    assert stored_password_hash(None, db.data_dir, "nobody") is None
    passwords.check_early(stored, "wrong-password")
    with pytest.raises(AuthenticationFailed):
        users.sign_in(db, "nurse", "wrong-password", now=at(t0, 1))
    assert [r.username for r in audit_rows(db, "login_failed")] == ["nurse"]  # counted as a wrong password
    passwords.check_early(stored, PASSWORDS["nurse"])
    assert users.sign_in(db, "nurse", PASSWORDS["nurse"], now=at(t0, 2)).username == "nurse"
    passwords.check_early(stored, PASSWORDS["nurse"])  # then another password is typed
    with pytest.raises(AuthenticationFailed):
        users.sign_in(db, "nurse", "another-wrong-1", now=at(t0, 3))
    passwords.check_early(stored, PASSWORDS["nurse"])
    users.reset_password(db, actors["admin"], "nurse", "a-brand-new-pass-9")  # meanwhile, at the server
    with pytest.raises(AuthenticationFailed):
        users.sign_in(db, "nurse", PASSWORDS["nurse"], now=at(t0, 4))
    assert users.sign_in(db, "nurse", "a-brand-new-pass-9", now=at(t0, 5)).username == "nurse"


@pytest.mark.parametrize("step", ["sign-in", "signature"])
def test_a_password_check_does_not_hold_the_archive(real_argon2, db, actors, t0, step):
    """Argon2 takes a tenth of a second or more: another workstation's save must not wait for it, at a sign-in
    or at the password re-entry of a signature."""
    import threading
    import time
    from monitor_app.storage.location import stored_password_hash
    # The product's cost: argon2id at RFC 9106's first recommended parameters.
    assert stored_password_hash(None, db.data_dir, "nurse").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    signed = []
    if step == "sign-in":
        act = lambda: users.sign_in(db, "nurse", PASSWORDS["nurse"], now=at(t0, 1))  # noqa: E731
    else:
        sid = complete_session(db, actors["nurse"], t0)
        act = lambda: c.sign(db, actors["nurse"], sid, PASSWORDS["nurse"], now=at(t0, 95))  # noqa: E731
    worker = threading.Thread(target=lambda: signed.append(act()))
    worker.start()
    time.sleep(0.03)  # the sign-in is checking the password now
    other = sqlite3.connect(db.sqlite_path, timeout=0.05)  # another workstation, waiting 50 ms at most
    try:
        other.execute("BEGIN IMMEDIATE")  # the write lock a save takes
        other.rollback()
    finally:
        other.close()
    worker.join()
    assert len(signed) == 1  # and it went through


# ------------------------------------------------------------------------------------------ a nurse's scope

def test_a_nurse_documents_in_any_active_session_under_her_own_name(db, actors, t0):
    """SPEC 9: a nurse documents her own sessions and any active session at the clinic (a colleague covering a
    chair); what she enters is attributed to her, and only the primary nurse signs as author."""
    nurse, nurse2 = actors["nurse"], actors["nurse2"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    rid = c.record_reading(db, nurse2, sid, v("186/98", "80", "97"), measured_at=at(t0, 20), now=at(t0, 20))
    c.record_event(db, nurse2, sid, "nausea", severity="mild", at=at(t0, 21), now=at(t0, 21))
    rec = queries.get_record(db, nurse2, sid)
    reading = next(r for r in rec.readings if r.id == rid)
    assert reading.recorded_by.startswith("Nurse2 Tester")
    assert rec.events[-1].recorded_by.startswith("Nurse2 Tester")
    assert rec.primary_nurse.startswith("Nurse Tester")  # covering a chair does not take the session over
    with db.reader() as s:
        row = s.scalar(select(AuditEvent).where(AuditEvent.entity == "reading", AuditEvent.entity_id == str(rid)))
    assert row.username == "nurse2"
