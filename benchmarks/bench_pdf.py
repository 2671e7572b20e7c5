"""PDF budgets of SPEC 10: one session record under 250 ms; 1,000 records using both cores under 3 minutes.

    python benchmarks/bench_pdf.py [--runs 30] [--count 1000] [--jobs 2] [--sessions 10]

The archive is made through the services (real sessions of 40 readings and a few events). The batch exports
`--count` records with worker processes exactly as `monitor-app export-pdf --all` does (load, build, write,
audit), cycling over the sessions made; with --count below 1,000 the time for 1,000 is extrapolated.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor_app.domain.vitals import Vitals  # noqa: E402
from monitor_app.reports.pdf import session_pdf  # noqa: E402
from monitor_app.reports.pdf_export import export_many  # noqa: E402
from monitor_app.services import clinical as c, settings, users  # noqa: E402
from monitor_app.services.access import SYSTEM  # noqa: E402
from monitor_app.storage.db import open_database  # noqa: E402
from monitor_app.domain.session import DEFAULT_CHECKLIST

ONE_BUDGET_S = 0.250
BATCH_BUDGET_S = 180.0
BATCH_SIZE = 1000


def make_session(db, nurse, password, n: int, arrival: datetime) -> int:
    at = lambda m: arrival + timedelta(minutes=m)
    pid = c.create_patient(db, nurse, mrn=f"B{n:05d}", family_name=f"Nguyễn-{n}", given_name="Zoë",
                           date_of_birth=date(1980, 1, 1) + timedelta(days=n), weight_kg=70)
    cid = c.create_course(db, nurse, patient_id=pid, indication="depression", outcome_measure="phq9")
    sid = c.create_session(db, nurse, course_id=cid, chair=str(n % 6 + 1), lot_number="KX1",
                           outcome_score_before=14, arrival_at=arrival, now=arrival,
                           checklist=dict.fromkeys(DEFAULT_CHECKLIST, True))
    c.record_reading(db, nurse, sid, Vitals(128, 82, 74, 98, 14, 5), measured_at=at(3), now=at(3))
    c.start_infusion(db, nurse, sid, at=at(5), now=at(5))
    for i in range(1, 40):  # 40 readings in all, every 3 minutes
        m = 5 + i * 3
        if i == 14:
            c.stop_infusion(db, nurse, sid, at=at(m - 1), now=at(m - 1))
        c.record_reading(db, nurse, sid, Vitals(128 + (i * 5) % 60, 80 + i % 25, 70 + i % 30, 94 + i % 6, 14, 5),
                         measured_at=at(m), now=at(m))
        if i in (8, 16, 24):
            c.record_event(db, nurse, sid, "nausea", severity="mild", note="settled", at=at(m), now=at(m))
    record_end = at(5 + 40 * 3)
    from monitor_app.services.queries import get_record
    for f in get_record(db, nurse, sid, with_hash=False).open_flags:
        c.acknowledge_flag(db, nurse, f.id, "rechecked", now=record_end)
    c.discharge(db, nurse, sid, scale="aldrete", items=dict(activity=2, respiration=2, circulation=2,
                consciousness=2, oxygen=2), escort_present=True, escort_name="Sam", instructions_given=True,
                at=record_end, now=record_end)
    c.sign(db, nurse, sid, password, now=record_end + timedelta(minutes=2))
    return sid


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=30, help="timed builds of one record (median reported)")
    ap.add_argument("--count", type=int, default=BATCH_SIZE, help="records in the batch (default 1000)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for the batch")
    ap.add_argument("--sessions", type=int, default=10, help="distinct sessions to make for the batch")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chairside-bench-pdf-"))
    db = open_database(None, work / "data")
    settings.bootstrap(db)
    users.add_user(db, SYSTEM, "nina", "Nina Okafor", "nurse", "bench-pass-1", "RN")
    nurse = users.sign_in(db, "nina", "bench-pass-1")
    t = time.perf_counter()
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=30)
    ids = [make_session(db, nurse, "bench-pass-1", n, base + timedelta(hours=n)) for n in range(args.sessions)]
    print(f"archive: {len(ids)} sessions of 40 readings made in {time.perf_counter() - t:.1f} s ({work})")

    session_pdf(db, SYSTEM, ids[0])  # first build registers the fonts (once per process)
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        data = session_pdf(db, SYSTEM, ids[0])
        times.append(time.perf_counter() - t)
    median = statistics.median(times)
    print(f"one PDF (40 readings, load + build, {len(data) // 1024} KB): median {median * 1000:.0f} ms over "
          f"{args.runs} runs (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); budget 250 ms; "
          f"ratio {median / ONE_BUDGET_S:.2f}")

    batch = [ids[i % len(ids)] for i in range(args.count)]
    t = time.perf_counter()
    written, failures = export_many(db, SYSTEM, batch, work / "out", jobs=args.jobs)
    elapsed = time.perf_counter() - t
    if failures:
        print("failures:", failures[:3])
        return 1
    per_1000 = elapsed / args.count * BATCH_SIZE
    label = "" if args.count == BATCH_SIZE else f" (extrapolated from {args.count})"
    print(f"batch: {args.count} PDFs written and audited with {args.jobs} worker processes in {elapsed:.1f} s; "
          f"1,000 PDFs: {per_1000:.1f} s{label}; budget 180 s; ratio {per_1000 / BATCH_BUDGET_S:.2f}")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
