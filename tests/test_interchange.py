"""The JSON interchange: a lossless round trip of a whole archive, and every bad file refused with nothing written."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from conftest import POSTGRES_URL, postgres_server
from monitor_app.domain.errors import PermissionDenied
from monitor_app.domain.session import Role
from monitor_app.domain.vitals import Vitals
from monitor_app.reports.interchange import FORMAT, InterchangeError, export_archive, import_archive
from monitor_app.services import audit, clinical as c, settings, users
from monitor_app.services.access import SYSTEM, Actor
from monitor_app.services.demo import create_demo
from monitor_app.storage.db import open_database
from monitor_app.storage.models import AuditEvent, ClinicSettings, Patient, Reading, User
from tests.session_flow import TICKED

LOGO = bytes(range(256)) * 3  # every byte value, as a PNG's would be


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A demo clinic (every kind of row) with a logo and a clinic time zone, built once for this module."""
    db = open_database(None, tmp_path_factory.mktemp("source"), create=True)
    settings.bootstrap(db)
    create_demo(db)
    settings.update_clinic(db, SYSTEM, settings.ClinicDetails(
        "Clinique Zoë", "1 Rue d'Été\nLyon", "Letter", "Europe/Paris", 12, "padss", ("Consent", "Escort"),
        logo_png=LOGO))
    yield db
    db.dispose()


def fresh(tmp_path, name="target"):
    db = open_database(None, tmp_path / name, create=True)
    settings.bootstrap(db)
    return db


def without_stamp(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("exported_at")
    return doc


def audit_rows(db) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


def test_round_trip_is_lossless_and_verifies(source, tmp_path):
    first = tmp_path / "first.json"
    sessions = export_archive(source, SYSTEM, first)
    assert sessions == 7
    doc = json.loads(first.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"]) == (FORMAT, 1)
    assert len(doc["tables"]["infusion_sessions"]) == 7

    target = fresh(tmp_path)
    assert import_archive(target, SYSTEM, first) == 7
    with target.reader() as s:
        assert audit.verify(s).intact
    second = tmp_path / "second.json"
    export_archive(target, SYSTEM, second)
    assert without_stamp(first) == without_stamp(second)

    # Every table, row by row, as the source database holds it now (values the snapshot leaves out included).
    with source.reader() as a, target.reader() as b:
        for model in (User, Patient, Reading, ClinicSettings):
            ours = a.scalars(select(model).order_by(model.id)).all()
            theirs = b.scalars(select(model).order_by(model.id)).all()
            assert len(ours) == len(theirs) > 0
            for x, y in zip(ours, theirs):
                for col in model.__table__.columns:
                    assert getattr(x, col.key) == getattr(y, col.key), (model.__name__, x.id, col.key)
        assert b.get(ClinicSettings, 1).logo_png == LOGO
        # Microseconds and the zone survive (the audit chain would not verify otherwise, but say it plainly).
        t = a.scalars(select(AuditEvent.at).order_by(AuditEvent.seq)).first()
        assert t.microsecond and t.tzinfo is not None
        assert t == b.scalars(select(AuditEvent.at).order_by(AuditEvent.seq)).first()
        rows_a = a.execute(select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq)).all()
        rows_b = b.execute(select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq)).all()
        # The trails are the same, each followed by its own archive's export row.
        assert rows_b[:-1] == rows_a[:-1] and len(rows_a) == len(rows_b)


def test_imported_archive_is_usable(source, tmp_path):
    """Passwords still work, and new rows get ids after the imported ones."""
    path = tmp_path / "a.json"
    export_archive(source, SYSTEM, path)
    target = fresh(tmp_path)
    import_archive(target, SYSTEM, path)
    before = audit_rows(target)
    nina = users.sign_in(target, "nina", "nina-demo-pass")
    pid = c.create_patient(target, nina, mrn="NEW-1", family_name="Ørsted", given_name="Åse")
    with target.reader() as s:
        assert pid == s.scalar(select(func.max(Patient.id)))
        assert pid > len(json.loads(path.read_text())["tables"]["patients"])
        assert audit.verify(s).intact
    assert audit_rows(target) == before + 2  # the sign-in and the new patient, chained on the imported trail


def test_export_is_audited_and_import_needs_an_administrator(source, tmp_path):
    export_archive(source, SYSTEM, tmp_path / "a.json")
    with source.reader() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (last.action, last.entity, last.username) == ("export", "archive", "system")
    assert "a.json" in last.reason
    nurse = Actor(99, "n", "N", "", Role.NURSE)
    with pytest.raises(PermissionDenied):
        import_archive(fresh(tmp_path), nurse, tmp_path / "a.json")


def test_refuses_a_non_empty_archive(source, tmp_path):
    path = tmp_path / "a.json"
    export_archive(source, SYSTEM, path)
    target = fresh(tmp_path)
    users.add_user(target, SYSTEM, "someone", "Some One", "nurse", "long-enough-1")
    before = audit_rows(target)
    with pytest.raises(InterchangeError, match="already holds 1 row\\(s\\) in users.*empty archive"):
        import_archive(target, SYSTEM, path)
    assert audit_rows(target) == before


def _edit(doc, how):
    how(doc)
    return json.dumps(doc)


BAD_FILES = {
    "missing": (None, "No such file"),
    "not JSON": (lambda raw: "this is not json", "not valid JSON at line 1"),
    "truncated": (lambda raw: raw[: len(raw) // 2], "not valid JSON"),
    "not UTF-8": (lambda raw: "\udcff", "not UTF-8"),
    "other format": (lambda raw: json.dumps({"format": "something-else", "version": 1}), "not a Chairside archive"),
    "newer version": (lambda raw: _edit(json.loads(raw), lambda d: d.update(version=2)), "newer Chairside"),
    "table missing": (lambda raw: _edit(json.loads(raw), lambda d: d["tables"].pop("readings")), "missing readings"),
    "column missing": (lambda raw: _edit(json.loads(raw), lambda d: d["tables"]["patients"][0].pop("mrn")),
                       "patients row 1 has missing column"),
    "wrong type": (lambda raw: _edit(json.loads(raw), lambda d: d["tables"]["readings"][0].update(systolic="high")),
                   "readings row 1, column systolic: expected a whole number"),
    "naive time": (lambda raw: _edit(json.loads(raw), lambda d: d["audit_trail"][0].update(at="2024-01-01T10:00:00")),
                   "audit_trail row 1, column at: expected a time with its UTC offset"),
    "audit row edited": (lambda raw: _edit(json.loads(raw), lambda d: d["audit_trail"][3].update(reason="x")),
                         "audit row 4 does not match its hash"),
    "audit row removed": (lambda raw: _edit(json.loads(raw), lambda d: d["audit_trail"].pop(5)),
                          "audit row 6 is missing"),
    "reading edited": (lambda raw: _edit(json.loads(raw), lambda d: d["tables"]["readings"][0].update(
        systolic=d["tables"]["readings"][0]["systolic"] + 1)), "reading 1: differs from the audit trail"),
    "no clinic settings": (lambda raw: _edit(json.loads(raw), lambda d: d["tables"].update(clinic_settings=[])),
                           "clinic_settings holds 0 rows instead of one"),
    "password replaced": (lambda raw: _edit(json.loads(raw), lambda d: d["tables"]["users"][0].update(
        password_hash="$argon2id$forged")), "user 1: differs from the audit trail"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_and_nothing_is_written(source, tmp_path, case):
    damage, message = BAD_FILES[case]
    good = tmp_path / "good.json"
    export_archive(source, SYSTEM, good)
    bad = tmp_path / "bad.json"
    if damage is not None:
        text_ = damage(good.read_text(encoding="utf-8"))
        bad.write_bytes(text_.encode("utf-8", "surrogateescape"))
    target = fresh(tmp_path)
    before = audit_rows(target)
    with pytest.raises(InterchangeError, match=message) as info:
        import_archive(target, SYSTEM, bad)
    assert "\n" not in str(info.value)
    assert audit_rows(target) == before
    with target.reader() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0
        assert audit.verify(s).intact  # the bootstrap rows are still there, untouched


@pytest.mark.postgres
def test_round_trip_through_postgresql(source, tmp_path):
    """Import into PostgreSQL: the sequences are moved past the imported ids, and the archive verifies."""
    server = postgres_server()
    name = f"chairside_ix_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        first = tmp_path / "first.json"
        export_archive(source, SYSTEM, first)
        pg = open_database(POSTGRES_URL.rsplit("/", 1)[0] + "/" + name, tmp_path / "pg", create=True)
        try:
            settings.bootstrap(pg)
            import_archive(pg, SYSTEM, first)
            nina = users.sign_in(pg, "nina", "nina-demo-pass")
            pid = c.create_patient(pg, nina, mrn="PG-1", family_name="Żółć", given_name="Łucja")
            cid = c.create_course(pg, nina, patient_id=pid, indication="ocd")
            assert pid and cid
            with pg.reader() as s:
                assert audit.verify(s).intact
            # A fresh export of the PostgreSQL copy holds the same rows as the SQLite source had.
            second = tmp_path / "second.json"
            export_archive(pg, SYSTEM, second)
            a, b = without_stamp(first), without_stamp(second)
            for table, rows in a["tables"].items():
                assert b["tables"][table][:len(rows)] == rows, table
            assert b["audit_trail"][:len(a["audit_trail"])] == a["audit_trail"]
        finally:
            pg.dispose()
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.mark.postgres
def test_restore_on_postgresql_keeps_the_replaced_archive(source, tmp_path):
    """backup/restore on PostgreSQL goes through the interchange: the replaced archive is kept as a file."""
    server = postgres_server()
    from monitor_app.services.backup import backup, restore
    name = f"chairside_rs_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        pg = open_database(POSTGRES_URL.rsplit("/", 1)[0] + "/" + name, tmp_path / "pg", create=True)
        try:
            settings.bootstrap(pg)
            users.add_user(pg, SYSTEM, "first", "First User", "nurse", "long-enough-1")
            saved = backup(pg, SYSTEM, tmp_path / "backup.json")
            users.add_user(pg, SYSTEM, "second", "Second User", "nurse", "long-enough-2")
            kept = restore(pg, SYSTEM, saved)
            assert kept is not None and kept.is_file()
            assert {u.username for u in users.list_users(pg, SYSTEM)} == {"first"}
            assert "second" in kept.read_text(encoding="utf-8")
            with pg.reader() as s:
                assert audit.verify(s).intact
                last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
                assert last.action == "restore"
            users.add_user(pg, SYSTEM, "third", "Third User", "nurse", "long-enough-3")  # ids still free
        finally:
            pg.dispose()
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_times_keep_their_microseconds(source, tmp_path, t0):
    """A reading measured at an odd microsecond comes back at exactly that instant."""
    target = fresh(tmp_path, "with-reading")
    users.add_user(target, SYSTEM, "nurse", "Nurse One", "nurse", "long-enough-1")
    n = users.sign_in(target, "nurse", "long-enough-1")
    pid = c.create_patient(target, n, mrn="T1", family_name="Time", given_name="Keeper", weight_kg=70.25)
    cid = c.create_course(target, n, patient_id=pid, indication="depression")
    sid = c.create_session(target, n, course_id=cid, arrival_at=t0, now=t0, checklist=TICKED)
    at = t0 + timedelta(minutes=3, microseconds=123457)
    rid = c.record_reading(target, n, sid, Vitals(128, 82, 71, 98), measured_at=at, now=at)
    path = tmp_path / "t.json"
    export_archive(target, SYSTEM, path)
    copy = fresh(tmp_path, "copy")
    import_archive(copy, SYSTEM, path)
    with copy.reader() as s:
        assert s.get(Reading, rid).measured_at == at
        assert s.get(Patient, pid).weight_kg == 70.25
