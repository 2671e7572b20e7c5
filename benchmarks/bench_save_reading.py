"""Saving a reading through the services in a session that already has 300 readings (SPEC 10: median < 30 ms).

A bare SQLAlchemy insert of one row into the same SQLite file (WAL, synchronous=FULL) is measured in the same run
as the reference: the ratio shows what the services add to the cost of a durable commit.
Run: python benchmarks/bench_save_reading.py [--saves 100] [--dir DIR]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from datetime import datetime, timedelta, timezone

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import report, sample

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from monitor_app.domain.vitals import Vitals
from monitor_app.services import clinical, queries, settings, users
from monitor_app.services.access import SYSTEM
from monitor_app.storage.db import open_database
from monitor_app.domain.session import DEFAULT_CHECKLIST

BUDGET_MS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=100)
    parser.add_argument("--dir", help="data directory (default: a new temporary one)")
    args = parser.parse_args()
    folder = args.dir or tempfile.mkdtemp(prefix="chairside-bench-save-")
    db = open_database(None, folder, create=True)
    settings.bootstrap(db)
    users.add_user(db, SYSTEM, "bench", "Bench Nurse", "nurse", "bench-password", "RN")
    nurse = users.sign_in(db, "bench", "bench-password")
    now = datetime.now(timezone.utc)
    arrival = now - timedelta(hours=10)
    pid = clinical.create_patient(db, nurse, mrn="B-1", family_name="Nguyễn", given_name="Zoë", weight_kg=64)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="depression")
    sid = clinical.create_session(db, nurse, course_id=cid, arrival_at=arrival, now=arrival,
                                  checklist=dict.fromkeys(DEFAULT_CHECKLIST, True))

    def save(i: int, base: datetime) -> int:
        t = base + timedelta(seconds=20 * i)
        v = Vitals(systolic=120 + i % 30, diastolic=78 + i % 10, heart_rate=70 + i % 15, spo2=97 + i % 3)
        return clinical.record_reading(db, nurse, sid, v, measured_at=t, now=t)

    for i in range(300):
        save(i, arrival + timedelta(minutes=1))
    print(f"SQLite archive in {folder}: session {sid} has "
          f"{len(queries.get_record(db, nurse, sid, with_hash=False).readings)} readings")

    later = arrival + timedelta(hours=3)
    saves = sample(lambda i: save(i + 10, later), args.saves)
    # what the screen's Enter does: the save returning the reading with its flags and the session version
    def shown(i: int) -> None:
        t = later + timedelta(seconds=20 * (i + 500))
        v = Vitals(systolic=120 + i % 30, diastolic=78 + i % 10, heart_rate=70 + i % 15, spo2=97 + i % 3)
        clinical.record_reading_shown(db, nurse, sid, v, measured_at=t, now=t)
    read_back = sample(shown, args.saves)

    ref_table = Table("bench_reference", MetaData(), Column("id", Integer, primary_key=True),
                      Column("session_id", Integer), Column("systolic", Integer), Column("diastolic", Integer),
                      Column("heart_rate", Integer), Column("spo2", Integer), Column("comment", String))
    ref_table.create(db.engine)

    def bare(i: int) -> None:
        with db.engine.begin() as conn:  # the same engine: WAL, synchronous=FULL, BEGIN IMMEDIATE
            conn.execute(insert(ref_table).values(session_id=sid, systolic=120, diastolic=80, heart_rate=72, spo2=98,
                                                  comment=""))
    reference = sample(bare, args.saves)

    print()
    r_save = report("record_reading (300 readings in the session)", saves, BUDGET_MS)
    r_read = report("record_reading_shown, as the screen saves", read_back, BUDGET_MS)
    r_ref = report("reference: bare SQLAlchemy insert + commit", reference)
    ref_med = statistics.median(reference)
    print(f"\nratio save / bare insert (medians): {r_save['median_ms'] / r_ref['median_ms']:.2f}; "
          f"as the screen saves: {r_read['median_ms'] / r_ref['median_ms']:.2f}; "
          f"save median / budget: {r_save['ratio']:.2f}  (bare insert {ref_med * 1000:.2f} ms)")
    db.dispose()


if __name__ == "__main__":
    main()
