"""The hash-chained audit trail: every write links into the chain, and verify names exactly what was tampered with."""
from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from conftest import PASSWORDS, new_demo_archive
from monitor_app.domain.errors import FieldError, PermissionDenied
from monitor_app.domain.session import Status
from monitor_app.reports.interchange import encode_audit_row
from monitor_app.services import audit, clinical as c, integrity, queries, records
from monitor_app.services.access import SYSTEM
from monitor_app.services.users import sign_in
from monitor_app.storage.db import open_database
from monitor_app.storage.models import (AuditEvent, FlagAcknowledgement, InfusionSession, Reading, Signature)
from session_flow import at, complete_session, open_session, v


def chain(db) -> list[AuditEvent]:
    with db.reader() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_every_write_adds_rows_that_link_to_the_one_before(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    n0 = len(chain(db))
    c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    c.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10))
    rid = c.record_reading(db, nurse, sid, v("190/112", "72", "98"), measured_at=at(t0, 20), now=at(t0, 20))
    c.amend_reading(db, nurse, rid, {"systolic": 150}, "misread", now=at(t0, 21))
    rows = chain(db)
    new = rows[n0:]
    # reading; start; reading + 2 critical flags + session has_critical; amendment + cleared systolic flag
    # (150 is within 20 % of the 128 baseline, so the amended value raises no new flag)
    assert [(r.action, r.entity) for r in new] == [
        ("create", "reading"), ("start_infusion", "session"),
        ("create", "reading"), ("create", "flag"), ("create", "flag"), ("flag_critical", "session"),
        ("amend", "amendment"), ("clear", "flag")]
    assert all(r.username == "nurse" and r.user_id == nurse.user_id for r in new)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == audit.GENESIS
    for before, row in zip(rows, rows[1:]):
        assert row.prev_hash == before.row_hash
    for row in rows:
        # and as an archive file carries it, where an import checks the file's chain
        assert audit.row_hash(row) == audit.row_hash(encode_audit_row(row)) == row.row_hash
    amend = new[6]
    assert amend.reason == "misread" and amend.session_id == sid
    changed = new[1]
    assert changed.before is not None and '"infusion_start_at":null' in changed.before
    assert '"infusion_start_at":"' in changed.after


def test_a_refused_change_writes_no_audit_row(db, actors, t0):
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    n0 = len(chain(db))
    with pytest.raises(FieldError) as refused:
        c.record_reading(db, nurse, sid, v("128/82"), measured_at=t0 - timedelta(minutes=1), now=t0)
    assert refused.value.field == "time" and "before the patient arrived" in refused.value.message
    assert len(chain(db)) == n0


def test_a_signature_covers_the_record_in_the_one_form_every_release_hashes(db, actors, t0):
    """SPEC 3 rule 5 and SPEC 8: a signature stores the SHA-256 of the record's content at signing, and an
    archive signed by an earlier release must still verify in the next. So the content keeps one form: format 1,
    the patient's identity, the course, the session without its bookkeeping (status, critical marker, pause),
    and every part of the record; the record as read for an export carries the hash of that content."""
    nurse = actors["nurse"]
    sid = complete_session(db, nurse, t0)
    sig_id = c.sign(db, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    other = complete_session(db, nurse, t0, family="Okafor", given="Ada")
    c.sign(db, nurse, other, PASSWORDS["nurse"], now=at(t0, 96))
    shown = queries.get_record(db, nurse, sid)
    with db.reader() as s:
        sig = s.get(Signature, sig_id)
        signed = records.content(s, s.get(InfusionSession, sid), sig.signed_at)
        stored = sig.content_hash
        exported = records.load_record(s, sid)  # as the FHIR export reads a record
    assert signed["format"] == 1
    assert signed["patient"] == {"mrn": shown.patient.mrn, "family_name": "Nguyễn", "given_name": "Zoë",
                                 "date_of_birth": None}
    assert signed["course"] == {"indication": "depression", "indication_other": "", "planned_infusions": 6,
                                "prescriber": "", "outcome_measure": "phq9"}
    assert set(signed) == {"format", "patient", "course", "session", "readings", "amendments", "events", "flags",
                           "acknowledgements", "discharge_assessments", "addenda", "signatures"}
    assert {"status", "has_critical", "paused"}.isdisjoint(signed["session"])
    assert (signed["session"]["record_uid"], signed["session"]["infusion_start_at"]) == (
        shown.record_uid, at(t0, 10).isoformat())
    assert [r["id"] for r in signed["readings"]] == [r.id for r in shown.readings]
    assert audit.sha256(signed) == stored
    assert exported.content_hash == shown.content_hash and len(shown.content_hash) == 64
    report = integrity.verify_archive(db, actors["auditor"])
    assert report.intact, report.problems
    assert report.records_checked == 2  # each signed record once


def test_verify_names_broken_signatures_record_by_record_in_session_order(db, actors, t0):
    """An auditor reads verify's findings record by record, whichever record was signed first."""
    nurse = actors["nurse"]
    first = complete_session(db, nurse, t0)
    second = complete_session(db, nurse, t0, family="Okafor", given="Ada")
    c.sign(db, nurse, second, PASSWORDS["nurse"], now=at(t0, 95))
    c.sign(db, nurse, first, PASSWORDS["nurse"], now=at(t0, 96))
    uids = {sid: queries.get_record(db, nurse, sid).record_uid for sid in (first, second)}
    for sid in (first, second):
        tamper(db, "UPDATE infusion_sessions SET lot_number = 'LOT-OTHER' WHERE id = ?", sid)
    found = integrity.verify_archive(db, actors["auditor"]).problems
    assert [line for line in found if " signature of " in line] == [
        f"record {uids[sid]} (session {sid}): content no longer matches the authored signature of Nurse Tester "
        f"({at(t0, minute):%Y-%m-%d %H:%M} UTC)" for sid, minute in ((first, 96), (second, 95))]


# ------------------------------------------------------------------------------------------ tampering

@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory):
    """One demo clinic, built through the services; each test tampers with its own copy."""
    db = new_demo_archive(tmp_path_factory.mktemp("demo"))
    path = db.sqlite_path
    db.dispose()
    return path


@pytest.fixture
def archive(demo_archive, tmp_path):
    target = tmp_path / "copy" / demo_archive.name
    target.parent.mkdir()
    shutil.copy2(demo_archive, target)
    db = open_database(None, target.parent)
    yield db
    db.dispose()


@pytest.fixture
def auditor(archive):
    return sign_in(archive, "audrey", "audrey-demo-pass")


def problems(db, auditor) -> list[str]:
    return integrity.verify_archive(db, auditor).problems


def tamper(db, sql: str, *params) -> None:
    """Change the file directly, as someone with a SQLite browser would."""
    con = sqlite3.connect(db.sqlite_path)
    try:
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def test_the_demo_archive_verifies_intact(archive, auditor):
    report = integrity.verify_archive(archive, auditor)
    assert report.intact, report.problems
    assert report.rows_checked > 100 and report.records_checked >= 4


def test_two_processes_find_what_one_finds(archive, auditor):
    """Large archives are verified in two processes (chain, tables); the findings must be the same."""
    one = integrity.verify_archive(archive, auditor, parallel=False)
    two = integrity.verify_archive(archive, auditor, parallel=True)
    assert two.intact and (two.rows_checked, two.records_checked) == (one.rows_checked, one.records_checked)
    r = _one(archive, select(Reading.id).order_by(Reading.id.desc()))
    tamper(archive, "UPDATE readings SET heart_rate = 41 WHERE id = ?", r.id)
    tamper(archive, "UPDATE audit_events SET reason = 'edited' WHERE seq = 3")
    with archive.reader() as s:
        expected = audit.verify(s).problems
    assert integrity.verify_archive(archive, auditor, parallel=True).problems == expected
    assert f"reading {r.id}: differs from the audit trail (changed outside Chairside)" in expected


def _one(db, query):
    with db.reader() as s:
        return s.execute(query).first()


def test_a_reading_changed_outside_chairside_is_named(archive, auditor):
    r = _one(archive, select(Reading.id, Reading.systolic).join(InfusionSession)
             .where(InfusionSession.status == Status.IN_PROGRESS.value).order_by(Reading.id))
    tamper(archive, "UPDATE readings SET systolic = ? WHERE id = ?", r.systolic - 20, r.id)
    assert problems(archive, auditor) == [f"reading {r.id}: differs from the audit trail (changed outside Chairside)"]


def test_a_reading_of_a_signed_record_changed_breaks_its_signatures(archive, auditor):
    r = _one(archive, select(Reading.id, InfusionSession.id.label("sid"), InfusionSession.record_uid)
             .join(InfusionSession).where(InfusionSession.status == Status.REVIEWED.value).order_by(Reading.id))
    with archive.reader() as s:
        signers = s.execute(select(Signature.meaning, Signature.printed_name).where(Signature.session_id == r.sid)
                            .order_by(Signature.id)).all()
    assert [m for m, _ in signers] == ["Authored", "Reviewed"]
    tamper(archive, "UPDATE readings SET heart_rate = heart_rate + 1 WHERE id = ?", r.id)
    found = problems(archive, auditor)
    assert found[0] == f"reading {r.id}: differs from the audit trail (changed outside Chairside)"
    assert len(found) == 3
    for (meaning, name), line in zip(signers, found[1:]):
        assert line.startswith(f"record {r.record_uid} (session {r.sid}): content no longer matches the "
                               f"{meaning.lower()} signature of {name}")


def test_an_audit_row_changed_is_named_by_its_sequence(archive, auditor):
    seq = _one(archive, select(AuditEvent.seq, AuditEvent.action, AuditEvent.entity, AuditEvent.entity_id)
               .where(AuditEvent.action == "amend"))
    tamper(archive, "UPDATE audit_events SET reason = 'nothing happened' WHERE seq = ?", seq.seq)
    assert problems(archive, auditor) == [
        f"audit row {seq.seq}: content does not match its hash ({seq.action} {seq.entity} {seq.entity_id})"]


def test_a_deleted_audit_row_is_named(archive, auditor):
    seq = _one(archive, select(func.min(AuditEvent.seq)).where(AuditEvent.action == "login",
                                                               AuditEvent.after.is_(None)))[0]
    tamper(archive, "DELETE FROM audit_events WHERE seq = ?", seq)
    assert problems(archive, auditor) == [f"audit row {seq}: missing (next row is {seq + 1})",
                                          f"audit row {seq + 1}: does not link to the row before it"]


def test_the_audit_row_of_a_reading_deleted_leaves_the_reading_unaccounted_for(archive, auditor):
    last = _one(archive, select(AuditEvent.seq, AuditEvent.entity_id)
                .where(AuditEvent.action == "create", AuditEvent.entity == "reading").order_by(AuditEvent.seq.desc()))
    tamper(archive, "DELETE FROM audit_events WHERE seq = ?", last.seq)
    assert problems(archive, auditor) == [
        f"audit row {last.seq}: missing (next row is {last.seq + 1})",
        f"audit row {last.seq + 1}: does not link to the row before it",
        f"reading {last.entity_id}: not in the audit trail (written outside Chairside)"]


def test_a_reading_inserted_without_audit_is_named(archive, auditor):
    r = _one(archive, select(Reading).join(InfusionSession)
             .where(InfusionSession.status == Status.IN_PROGRESS.value).order_by(Reading.id.desc()))[0]
    con = sqlite3.connect(archive.sqlite_path)
    try:
        cur = con.execute("INSERT INTO readings (session_id, measured_at, recorded_at, recorded_by_id, systolic, "
                          "diastolic, heart_rate, spo2, comment) SELECT session_id, measured_at, recorded_at, "
                          "recorded_by_id, 118, 76, 70, 99, '' FROM readings WHERE id = ?", (r.id,))
        new_id = cur.lastrowid
        con.commit()
    finally:
        con.close()
    assert problems(archive, auditor) == [f"reading {new_id}: not in the audit trail (written outside Chairside)"]


def test_an_acknowledgement_changed_in_a_signed_record_is_named(archive, auditor):
    ack = _one(archive, select(FlagAcknowledgement.id, InfusionSession.id.label("sid"), InfusionSession.record_uid)
               .join(InfusionSession, FlagAcknowledgement.session_id == InfusionSession.id)
               .where(InfusionSession.status == Status.REVIEWED.value))
    tamper(archive, "UPDATE flag_acknowledgements SET action = 'other', action_text = 'Nothing needed' "
                    "WHERE id = ?", ack.id)
    found = problems(archive, auditor)
    assert found[0] == f"flag_acknowledgement {ack.id}: differs from the audit trail (changed outside Chairside)"
    assert found[1:] and all(line.startswith(f"record {ack.record_uid} (session {ack.sid}): content no longer "
                                             "matches the") for line in found[1:])
    assert {line.split(" signature")[0].rsplit(" ", 1)[1] for line in found[1:]} == {"authored", "reviewed"}


def test_a_signature_hash_replaced_is_named(archive, auditor):
    sig = _one(archive, select(Signature.id, Signature.session_id).where(Signature.meaning == "Authored"))
    tamper(archive, "UPDATE signatures SET content_hash = ? WHERE id = ?", "0" * 64, sig.id)
    found = problems(archive, auditor)
    assert found[0] == f"signature {sig.id}: differs from the audit trail (changed outside Chairside)"
    # the review signature covered the author's signature too, so both no longer match
    assert len(found) == 3
    assert [line.split(" signature")[0].rsplit(" ", 1)[1] for line in found[1:]] == ["authored", "reviewed"]
    assert all(f"(session {sig.session_id}): content no longer matches" in line for line in found[1:])


def test_verify_is_for_auditors_charge_nurses_and_administrators(archive):
    nurse = sign_in(archive, "nina", "nina-demo-pass")
    with pytest.raises(PermissionDenied, match="A nurse may not verify the archive"):
        integrity.verify_archive(archive, nurse)
    assert integrity.verify_archive(archive, SYSTEM).intact
