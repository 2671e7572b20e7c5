"""The same application on the PostgreSQL server (SPEC 8): migrations, a whole session, verify, concurrency, search.

Each module run gets a fresh database (chairside_t_<random>), dropped afterwards. Without a server they fail.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text

from conftest import PASSWORDS, make_users, new_archive, postgres_database
from monitor_app.domain.errors import ConcurrentEdit
from monitor_app.domain.session import Status
from monitor_app.services import clinical as c, integrity, queries
from monitor_app.services.queries import ArchiveQuery
from monitor_app.storage.migrate import current_revision, head_revision
from monitor_app.storage.models import AuditEvent, Reading
from session_flow import at, complete_session, discharge, open_session, start, to_recovery, v

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    with postgres_database() as url:
        db = new_archive(tmp_path_factory.mktemp("pg-data"), url)
        try:
            yield db
        finally:
            db.dispose()


@pytest.fixture(scope="module")
def pg_actors(pg):
    return make_users(pg)


def test_migrations_bring_a_new_database_to_head(pg):
    assert pg.engine.dialect.name == "postgresql"
    assert current_revision(pg) == head_revision(pg)
    tables = set(inspect(pg.engine).get_table_names())
    assert {"readings", "audit_events", "infusion_sessions", "signatures", "alembic_version"} <= tables


def test_a_whole_session_signed_reviewed_and_amended(pg, pg_actors, t0):
    nurse, charge = pg_actors["nurse"], pg_actors["charge"]
    sid = open_session(pg, nurse, t0, family="Żółć", given="Łukasz")
    start(pg, nurse, sid, t0)
    high = c.record_reading(pg, nurse, sid, v("186/104", "98", "97"), measured_at=at(t0, 20), now=at(t0, 20))
    c.record_event(pg, nurse, sid, "nausea", severity="moderate", note="Settled", at=at(t0, 21), now=at(t0, 21))
    rec = queries.get_record(pg, nurse, sid)
    assert [f.parameter for f in rec.open_critical_flags] == ["systolic"]
    for f in rec.open_flags:
        c.acknowledge_flag(pg, nurse, f.id, "clinician_notified", now=at(t0, 22))
    to_recovery(pg, nurse, sid, t0)
    discharge(pg, nurse, sid, t0)
    c.sign(pg, nurse, sid, PASSWORDS["nurse"], now=at(t0, 95))
    c.cosign(pg, charge, sid, PASSWORDS["charge"], now=at(t0, 120))
    c.add_addendum(pg, nurse, sid, "Follow-up call: well.", PASSWORDS["nurse"],
                   corrections=[(high, {"heart_rate": 96}, "Monitor printout says 96")], now=at(t0, 200))
    rec = queries.get_record(pg, nurse, sid)
    assert rec.status == Status.REVIEWED
    assert rec.patient.family_name == "Żółć" and rec.patient.given_name == "Łukasz"
    assert [s.meaning for s in rec.signatures] == ["Authored", "Reviewed", "Addendum"]
    r = next(r for r in rec.readings if r.id == high)
    assert (r.original.heart_rate, r.current.heart_rate) == (98, 96)
    assert r.measured_at == at(t0, 20) and r.measured_at.utcoffset() == timedelta(0)
    assert rec.events[0].kind == "nausea" and rec.discharge.total == 9
    report = integrity.verify_archive(pg, charge)
    assert report.intact, report.problems


def test_verify_detects_a_tampered_row(pg, pg_actors, t0):
    nurse, auditor = pg_actors["nurse"], pg_actors["auditor"]
    sid = open_session(pg, nurse, t0)
    rid = c.record_reading(pg, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    assert integrity.verify_archive(pg, auditor).intact
    with pg.engine.begin() as conn:
        conn.execute(text("UPDATE readings SET systolic = 118 WHERE id = :id"), {"id": rid})
    try:
        assert integrity.verify_archive(pg, auditor).problems == [
            f"reading {rid}: differs from the audit trail (changed outside Chairside)"]
    finally:
        with pg.engine.begin() as conn:
            conn.execute(text("UPDATE readings SET systolic = 128 WHERE id = :id"), {"id": rid})
    assert integrity.verify_archive(pg, auditor).intact


def test_a_connection_the_server_dropped_costs_no_reading(pg, pg_actors, t0):
    """The server ends the workstation's connection (a restart, a network cut): the next save reconnects and
    lands, nothing saved before is lost, and the chain holds."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    nurse = pg_actors["nurse"]
    sid = open_session(pg, nurse, t0)
    before = c.record_reading(pg, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 1), now=at(t0, 1))
    url = make_url(pg.url)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            dropped = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                        "WHERE datname = :name AND pid <> pg_backend_pid()"),
                                   {"name": url.database}).scalar()
    finally:
        server.dispose()
    assert dropped >= 1  # the workstation's pooled connection was there, and is gone now
    after = c.record_reading(pg, nurse, sid, v("130/84", "74", "97"), measured_at=at(t0, 2), now=at(t0, 2))
    record = queries.get_record(pg, nurse, sid)
    assert [(r.id, r.current.heart_rate) for r in record.readings] == [(before, 72), (after, 74)]
    assert integrity.verify_archive(pg, pg_actors["charge"]).intact


def test_two_workstations_writing_at_once_keep_the_chain_intact(pg, pg_actors, t0):
    nurse, nurse2 = pg_actors["nurse"], pg_actors["nurse2"]
    sessions = [open_session(pg, nurse, t0), open_session(pg, nurse2, t0)]
    with pg.reader() as s:
        first_seq = s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    errors, saved = [], {}
    barrier = threading.Barrier(2)

    def workstation(actor, sid, shared):
        try:
            barrier.wait()
            for i in range(25):
                target = shared if i % 2 else sid  # half the readings go into the same session
                m = 1 + i * 0.1
                rid = c.record_reading(pg, actor, target, v("128/82", str(60 + i), "98"),
                                       measured_at=at(t0, m), now=at(t0, m))
                saved[rid] = (target, actor.user_id, 60 + i, at(t0, m))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=workstation, args=(a, s, sessions[0]))
               for a, s in zip((nurse, nurse2), sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(saved) == 50
    with pg.reader() as s:
        rows = s.execute(select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.row_hash)
                         .where(AuditEvent.seq > first_seq).order_by(AuditEvent.seq)).all()
        stored = {r.id: (r.session_id, r.recorded_by_id, r.heart_rate, r.measured_at)
                  for r in s.scalars(select(Reading).where(Reading.session_id.in_(sessions)))}
    # every one of the 50 readings is there, in its session, by its nurse, with its values; nothing else is
    assert stored == saved
    assert [r.seq for r in rows] == list(range(first_seq + 1, first_seq + 1 + len(rows)))
    assert len(rows) == 50
    report = integrity.verify_archive(pg, pg_actors["charge"])
    assert report.intact, report.problems


def test_two_workstations_changing_one_session_at_once(pg, pg_actors, t0):
    """Stopping the infusion while a critical reading is saved: both succeed, in either order, and nothing breaks."""
    nurse, nurse2 = pg_actors["nurse"], pg_actors["nurse2"]
    errors = []
    for round_ in range(6):
        sid = open_session(pg, nurse, t0)
        start(pg, nurse, sid, t0)
        barrier = threading.Barrier(2)

        def stop():
            try:
                barrier.wait()
                c.stop_infusion(pg, nurse, sid, at=at(t0, 30), now=at(t0, 30))
            except Exception as exc:
                errors.append(("stop", round_, exc))

        def critical():
            try:
                barrier.wait()
                c.record_reading(pg, nurse2, sid, v("195/115", "80", "97"), measured_at=at(t0, 29), now=at(t0, 30))
            except Exception as exc:
                errors.append(("reading", round_, exc))

        threads = [threading.Thread(target=stop), threading.Thread(target=critical)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        rec = queries.get_record(pg, nurse, sid)
        assert rec.infusion_end_at == at(t0, 30), round_
        critical = [r for r in rec.readings if r.measured_at == at(t0, 29)]
        assert [r.current.systolic for r in critical] == [195], round_
        assert {f.parameter for f in rec.flags if f.reading_id == critical[0].id and f.level == "critical"} \
            == {"systolic", "diastolic"}, round_
    assert integrity.verify_archive(pg, pg_actors["charge"]).intact


def test_a_stale_version_is_a_concurrent_edit(pg, pg_actors, t0):
    nurse, nurse2 = pg_actors["nurse"], pg_actors["nurse2"]
    sid = open_session(pg, nurse, t0)
    start(pg, nurse, sid, t0)
    seen = queries.get_record(pg, nurse, sid).version
    c.pause_infusion(pg, nurse2, sid, now=at(t0, 15))
    with pytest.raises(ConcurrentEdit):
        c.stop_infusion(pg, nurse, sid, at=at(t0, 16), now=at(t0, 16), expected_version=seen)
    assert queries.get_record(pg, nurse, sid).infusion_end_at is None


def test_search_by_mrn_and_unicode_name_prefix(pg, pg_actors, t0):
    nurse = pg_actors["nurse"]
    sid = complete_session(pg, nurse, t0, family="Kierkegård", given="Søren")
    mrn = queries.get_record(pg, nurse, sid).patient.mrn
    for typed in ("kierkeg", "KIERKEGÅ", "søren", "SØR", mrn[:6], "søren kierk"):
        found = queries.search_patients(pg, nurse, typed)
        assert mrn in [p.mrn for p in found], typed
    assert queries.search_patients(pg, nurse, "%") == []  # a wildcard typed is a character, not SQL
    assert queries.search_patients(pg, nurse, "' OR 1=1 --") == []
    rows = queries.search_archive(pg, nurse, ArchiveQuery(text="kierkegå", date_from=t0.date() - timedelta(days=1),
                                                          date_to=t0.date() + timedelta(days=1)))
    assert sid in [r.session_id for r in rows]
    assert all(r.patient_name == "Søren Kierkegård" for r in rows)
    assert queries.search_archive(pg, nurse, ArchiveQuery(text="kierkegå", date_to=t0.date() - timedelta(days=2))) \
        == []
