"""Two workstations, two real processes, changing the same record within the same moment (SPEC 3 rule 7), on
SQLite and on the PostgreSQL server: one change is saved, the other is refused as changed at another
workstation, nothing is overwritten, and the archive verifies intact."""
from __future__ import annotations

import json
from dataclasses import replace
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import make_users, postgres_database
from monitor_app.domain.errors import ConcurrentEdit
from monitor_app.services import clinical as c, integrity, queries, settings, users
from monitor_app.services.access import SYSTEM
from monitor_app.storage.db import open_database
from monitor_app.storage.models import Amendment, DischargeAssessment, FlagAcknowledgement
from session_flow import at, open_session, start, to_recovery, v

WORKSTATION = Path(__file__).with_name("workstation.py")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic(request, tmp_path):
    """(db, url, data_dir, actors) of a new archive on each backend."""
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        db = open_database(None, data_dir, create=True)
        url = f"sqlite:///{data_dir / 'chairside.sqlite'}"
        try:
            settings.bootstrap(db)
            yield db, url, data_dir, make_users(db)
        finally:
            db.dispose()
        return
    with postgres_database() as url:
        db = open_database(url, data_dir, create=True)
        try:
            settings.bootstrap(db)
            yield db, url, data_dir, make_users(db)
        finally:
            db.dispose()


def at_once(url, data_dir, changes) -> list[dict]:
    """Start one process per change, wait until each is connected and ready, then let them all go at once."""
    procs = [subprocess.Popen([sys.executable, str(WORKSTATION), url, str(data_dir), *map(str, change)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT) for change in changes]
    try:
        for p in procs:
            line = p.stdout.readline()
            assert line.strip() == "ready", (line, p.stderr.read() if p.poll() is not None else "")
        for p in procs:  # both released within a millisecond or so
            p.stdin.write("go\n")
            p.stdin.flush()
        out = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=120)
            assert p.returncode == 0, stderr
            assert "Traceback" not in stderr, stderr
            out.append(json.loads(stdout.strip().splitlines()[-1]))
        return out
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def one_saved_one_refused(results: list[dict]) -> tuple[int, int]:
    saved = [i for i, r in enumerate(results) if "saved" in r]
    refused = [i for i, r in enumerate(results) if "refused" in r]
    assert len(saved) == 1 and len(refused) == 1, results
    loser = results[refused[0]]
    assert loser["refused"] == "ConcurrentEdit", loser
    assert "changed at another workstation" in loser["message"]
    return saved[0], refused[0]


def intact(db) -> None:
    report = integrity.verify_archive(db, SYSTEM, parallel=False)
    assert report.intact, report.problems


def session_in_infusion(db, nurse, t0):
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    return sid


def test_two_amendments_of_one_reading_at_once(clinic, t0):
    db, url, data_dir, actors = clinic
    nurse = actors["nurse"]
    sid = session_in_infusion(db, nurse, t0)
    rid = c.record_reading(db, nurse, sid, v("128/82", "98", "97"), measured_at=at(t0, 20), now=at(t0, 20))
    seen = next(r for r in queries.get_record(db, nurse, sid).readings if r.id == rid)
    assert seen.current.heart_rate == 98
    now = at(t0, 25).isoformat()
    results = at_once(url, data_dir, [("nurse", "amend", rid, seen.version, 96, now),
                                      ("nurse2", "amend", rid, seen.version, 97, now)])
    winner, _loser = one_saved_one_refused(results)
    with db.reader() as s:
        amendments = s.scalars(select(Amendment).where(Amendment.target_id == rid)).all()
    # One amendment, from what both authors saw (98) to the winner's value: the loser's never overwrote it.
    assert [a.changes for a in amendments] == [{"heart_rate": [98, (96, 97)[winner]]}]
    after = next(r for r in queries.get_record(db, nurse, sid).readings if r.id == rid)
    assert after.current.heart_rate == (96, 97)[winner] and after.version == seen.version + 1
    # The loser's retry, with the version it is shown now, is checked against the reading as it now stands.
    c.amend_reading(db, nurse, rid, {"heart_rate": 95}, "rechecked", expected_version=after.version,
                    now=at(t0, 26))
    with pytest.raises(ConcurrentEdit, match="changed at another workstation"):
        c.amend_reading(db, nurse, rid, {"heart_rate": 94}, "stale", expected_version=after.version,
                        now=at(t0, 27))
    intact(db)


def test_amendment_and_entered_in_error_of_one_reading_at_once(clinic, t0):
    db, url, data_dir, actors = clinic
    nurse = actors["nurse"]
    sid = session_in_infusion(db, nurse, t0)
    rid = c.record_reading(db, nurse, sid, v("128/82", "98", "97"), measured_at=at(t0, 20), now=at(t0, 20))
    seen = next(r for r in queries.get_record(db, nurse, sid).readings if r.id == rid)
    now = at(t0, 25).isoformat()
    results = at_once(url, data_dir, [("nurse", "amend", rid, seen.version, 96, now),
                                      ("nurse2", "error", rid, seen.version, "wrong patient", now)])
    one_saved_one_refused(results)
    with db.reader() as s:
        kinds = [a.kind for a in s.scalars(select(Amendment).where(Amendment.target_id == rid))]
    assert len(kinds) == 1
    intact(db)


def test_two_acknowledgements_of_one_flag_at_once(clinic, t0):
    db, url, data_dir, actors = clinic
    nurse = actors["nurse"]
    sid = session_in_infusion(db, nurse, t0)
    c.record_reading(db, nurse, sid, v("188/112", "80", "97"), measured_at=at(t0, 20), now=at(t0, 20))
    flag = queries.get_record(db, nurse, sid).open_flags[0]
    now = at(t0, 22).isoformat()
    results = at_once(url, data_dir, [("nurse", "acknowledge", flag.id, flag.version, "rechecked", now),
                                      ("nurse2", "acknowledge", flag.id, flag.version, "clinician_notified", now)])
    winner, _ = one_saved_one_refused(results)
    with db.reader() as s:
        acks = s.scalars(select(FlagAcknowledgement).where(FlagAcknowledgement.flag_id == flag.id)).all()
    assert [a.action for a in acks] == [("rechecked", "clinician_notified")[winner]]
    intact(db)


def test_two_discharges_of_one_session_at_once(clinic, t0):
    db, url, data_dir, actors = clinic
    nurse = actors["nurse"]
    sid = session_in_infusion(db, nurse, t0)
    to_recovery(db, nurse, sid, t0)
    seen = queries.get_record(db, nurse, sid)
    now = at(t0, 90).isoformat()
    results = at_once(url, data_dir, [("nurse", "discharge", sid, seen.version, "Sam Partner", now),
                                      ("nurse2", "discharge", sid, seen.version, "Alex Friend", now)])
    winner, _ = one_saved_one_refused(results)
    with db.reader() as s:
        escorts = [d.escort_name for d in s.scalars(select(DischargeAssessment)
                                                    .where(DischargeAssessment.session_id == sid))]
    assert escorts == [("Sam Partner", "Alex Friend")[winner]]
    intact(db)


def test_settings_and_users_refuse_a_stale_version(clinic, t0):
    """The administrator's and charge nurse's records: clinic details, profiles, schedules, user accounts."""
    db, _url, _data_dir, actors = clinic
    admin, charge = actors["admin"], actors["charge"]
    version = settings.versions_of(db, "clinic")[settings.SETTINGS_ID]
    details = settings.ClinicDetails("North Clinic", "", "A4", "Europe/London", 10, "aldrete", ("Consent",))
    settings.update_clinic(db, admin, details, expected_version=version)
    with pytest.raises(ConcurrentEdit, match="changed at another workstation"):
        settings.update_clinic(db, admin, replace(details, name="South Clinic"), expected_version=version)
    assert settings.read_settings(db).name == "North Clinic"
    for kind, save, value_of in (("profile", settings.save_profile, settings.list_profiles),
                                 ("schedule", settings.save_schedule, settings.list_schedules)):
        entry_id, value, *_ = value_of(db)[0]
        version = settings.versions_of(db, kind)[entry_id]
        save(db, charge, replace(value, name=value.name + " (edited)"), entry_id, reason="first",
             expected_version=version)
        with pytest.raises(ConcurrentEdit, match="changed at another workstation"):
            save(db, charge, replace(value, name=value.name + " (again)"), entry_id, reason="second",
                 expected_version=version)
        assert settings.versions_of(db, kind)[entry_id] == version + 1
    seen = {u.username: u.version for u in users.list_users(db, admin)}
    users.disable_user(db, admin, "nurse2", "left", expected_version=seen["nurse2"])
    with pytest.raises(ConcurrentEdit, match="changed at another workstation"):
        users.reset_password(db, admin, "nurse2", "another-pass-1", expected_version=seen["nurse2"])
    intact(db)
