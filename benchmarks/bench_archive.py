"""The archive at scale (SPEC 10): search, a page of a date range and opening a record in 100,000 sessions with
2,000,000 readings (SQLite), and `verify` of 1,000,000 audit rows.

The archives are built once with bulk inserts (not the services) and kept in --dir for later runs.
Run: python benchmarks/bench_archive.py [--dir /tmp/chairside-bench-archive] [--small] [--skip-verify]
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
import unicodedata
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import report, sample

from sqlalchemy import select

from monitor_app.domain.schedule import IV_KETAMINE
from monitor_app.domain.session import Role
from monitor_app.domain.thresholds import KETAMINE_DEFAULT
from monitor_app.services import audit, integrity, queries
from monitor_app.services.access import SYSTEM, Actor
from monitor_app.domain.names import compact_key, search_key
from monitor_app.services.queries import ArchiveQuery
from monitor_app.storage.db import open_database
from monitor_app.storage.models import AUDITED

UTC = timezone.utc
BUDGETS = {"search": 20.0, "page": 50.0, "open": 100.0, "verify": 30_000.0}
READINGS_PER_SESSION = 20
SESSIONS_PER_PATIENT = 5

FAMILY = ["Nguyễn", "Müller", "Żółć", "Kierkegård", "García", "O'Brien", "Ngata", "Smith", "Jones", "Papadopoulos",
          "Øberg", "Şahin", "Dvořák", "Björk", "Иванова", "Петров", "김", "王", "Sánchez", "Lefèvre", "Kowalski",
          "Ahmed", "Mbeki", "Okafor", "Yılmaz", "Schäfer", "Novák", "Brown", "Williams", "Taylor", "Wilson", "Davies",
          "Evans", "Thomas", "Johnson", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes",
          "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clark", "Turner",
          "Hill", "Scott", "Cooper", "Morris", "Ward", "Moore", "King", "Watson", "Baker", "Harrison", "Morgan",
          "Patel", "Young", "Allen", "Mitchell", "James", "Anderson", "Phillips", "Lee", "Bell", "Parker", "Davis",
          "Fernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Gómez", "Díaz", "Álvarez", "Romero",
          "Ruiz", "Jiménez", "Moreno", "Muñoz", "Hernández", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi",
          "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Koch", "Richter",
          "Dubois", "Moreau", "Laurent", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
          "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos",
          "Nowak", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Szymański", "Woźniak",
          "Tanaka", "Suzuki", "Takahashi", "Watanabe", "Itō", "Yamamoto", "Nakamura", "Kobayashi", "Chen", "Zhang",
          "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Hu", "Guo", "Lin", "He", "Gao", "Kaya",
          "Demir", "Çelik", "Öztürk", "Aydın", "Arslan", "Doğan", "Kılıç", "Andersson", "Johansson", "Karlsson",
          "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson", "Pettersson", "Jónsdóttir",
          "Sigurðsson", "Hansen", "Nielsen", "Jensen", "Pedersen", "Kristiansen", "Haugen", "Johannessen", "Kuznetsov",
          "Smirnov", "Popov", "Sokolov", "Lebedev", "Kozlov", "Novikov", "Morozov", "Mwangi", "Otieno", "Kamau",
          "Adeyemi", "Okonkwo", "Eze", "Nwosu", "Mensah", "Boateng", "Haddad", "Khalil", "Nasser", "Mansour", "Cohen",
          "Levi", "Mizrahi", "Friedman", "Kaplan", "Singh", "Kumar", "Sharma", "Gupta", "Reddy", "Rao", "Iyer",
          "Nair", "Menon", "Das", "Bose", "Tran", "Le", "Pham", "Hoang", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = ["Zoë", "Łukasz", "Søren", "Aroha", "José", "María", "Chloé", "François", "Jürgen", "Ólafur", "Siobhán",
         "Björn", "Åsa", "Mikołaj", "Ilse", "Kwame", "Amara", "Chidi", "Ngozi", "Yusuf", "Aisha", "Mehmet", "Elif",
         "Hiroshi", "Yuki", "Wei", "Mei", "Jin", "Minh", "Anh", "Priya", "Arjun", "Rahul", "Ananya", "Oliver",
         "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah", "Emily", "Leo", "Sophia", "Oscar",
         "Grace", "Charlie", "Lily", "Jacob", "Freya", "Thomas", "Ella", "James", "Ivy", "William", "Florence",
         "Alexander", "Willow", "Henry", "Rosie", "Lucas", "Evie", "Ethan", "Poppy", "Daniel", "Sienna", "Mohammed",
         "Fatima", "Omar", "Layla", "Hassan", "Mariam", "David", "Sarah", "Michael", "Hannah", "Samuel", "Rachel",
         "Анна", "Дмитрий", "Ольга", "Сергей", "민준", "서연", "伟", "芳", "Emma", "Liam", "Olivia", "Lucía", "Mateo",
         "Valentina", "Santiago", "Camila", "Matías", "Isabella", "Sebastián", "Renée", "Noémie", "Zoé", "Maël",
         "Lena", "Paul", "Marie", "Felix", "Lea", "Jonas", "Anja", "Sven", "Ingrid", "Nils", "Astrid", "Erik",
         "Sigrid", "Ngaio", "Tāne", "Mere", "Wiremu", "Hemi", "Kiri"]


def stamp(moment: datetime) -> str:
    """The text SQLAlchemy stores for a UTC time in SQLite (naive, microseconds)."""
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def build_clinic(path: Path, sessions: int, readings_per_session: int, seed: int = 7) -> None:
    """A clinic's archive of `sessions` sessions over 3 years, written with executemany (no audit rows)."""
    db = open_database(None, path.parent, create=True)  # the schema through the migrations, as the application makes it
    db.dispose()
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA foreign_keys=ON")
    end = datetime(2026, 11, 1, tzinfo=UTC)
    start = end - timedelta(days=3 * 365)
    created = stamp(start)
    nurses = 24
    con.executemany("INSERT INTO users (id, username, full_name, credentials, role, password_hash, active, "
                    "failed_logins, locked_until, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [(i, f"nurse{i}", f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}", "RN", "nurse", "x", 1, 0, None,
                      created) for i in range(1, nurses + 1)])
    patients = max(1, sessions // SESSIONS_PER_PATIENT)
    mrns = rng.sample(range(10_000_000, 99_999_999), patients)
    rows = []
    for pid in range(1, patients + 1):
        fam, giv = rng.choice(FAMILY), rng.choice(GIVEN)
        dob = date(1940, 1, 1) + timedelta(days=rng.randrange(60 * 365))
        rows.append((pid, str(mrns[pid - 1]), fam, giv, search_key(fam), search_key(giv), compact_key(fam + giv),
                     compact_key(giv + fam), dob.isoformat(), rng.choice(["female", "male", ""]),
                     round(rng.uniform(45, 130), 1), "", "", created, 1))
    con.executemany("INSERT INTO patients (id, mrn, family_name, given_name, family_key, given_key, full_key, "
                    "full_key_reversed, date_of_birth, sex, weight_kg, allergies, notes, created_at, version) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.executemany("INSERT INTO courses (id, patient_id, indication, indication_other, planned_infusions, "
                    "prescriber, outcome_measure, created_at) VALUES (?,?,?,?,?,?,?,?)",
                    [(pid, pid, rng.choice(["depression", "ocd", "anxiety", "chronic_pain", "ptsd"]), "", 6,
                      "Dr. Imani Reyes", "phq9", created) for pid in range(1, patients + 1)])
    thresholds, schedule = json.dumps(KETAMINE_DEFAULT.to_dict()), json.dumps(IV_KETAMINE.to_dict())
    checklist = json.dumps({"Consent current": True, "Escort confirmed": True})
    span = int((end - start).total_seconds() // 60)
    next_reading = 1
    batch_s, batch_r = [], []
    for sid in range(1, sessions + 1):
        course = (sid - 1) % patients + 1
        number = (sid - 1) // patients + 1
        arrival = (start + timedelta(minutes=rng.randrange(span))).replace(second=0, microsecond=0)
        arrival = arrival.replace(hour=rng.randrange(7, 17))
        begin, finish = arrival + timedelta(minutes=15), arrival + timedelta(minutes=55)
        batch_s.append((sid, str(uuid.UUID(int=rng.getrandbits(128))), course, number, str(rng.randrange(1, 7)),
                        rng.randrange(1, nurses + 1), "Dr. Imani Reyes", "Ketamine HCl", 0.5, 35.0, "IV", 40,
                        "KX2291", "[]", checklist, None, stamp(arrival), stamp(begin), stamp(finish),
                        stamp(arrival + timedelta(minutes=100)), 0, "reviewed", thresholds, None, schedule, None,
                        int(rng.random() < 0.05), stamp(arrival), 1))
        for k in range(readings_per_session):
            systolic = rng.randint(105, 175)
            batch_r.append((next_reading, sid, stamp(arrival + timedelta(minutes=5 * k + 3)),
                            stamp(arrival + timedelta(minutes=5 * k + 3, seconds=40)), batch_s[-1][5], systolic,
                            systolic - rng.randint(30, 55), rng.randint(55, 110), rng.randint(93, 100),
                            rng.randint(10, 20), rng.choice([4, 5]), None, ""))
            next_reading += 1
        if len(batch_s) >= 5000 or sid == sessions:
            con.executemany(f"INSERT INTO infusion_sessions VALUES ({','.join('?' * 29)})", batch_s)
            con.executemany("INSERT INTO readings (id, session_id, measured_at, recorded_at, recorded_by_id, systolic, "
                            "diastolic, heart_rate, spo2, resp_rate, moaas, pain_nrs, comment) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch_r)
            batch_s, batch_r = [], []
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def build_audit_chain(folder: Path, rows: int) -> None:
    """A valid chain of `rows` audit rows: a create row for every patient, course, session and reading (their
    snapshots, as the services write them) and logins and exports between, hashed with services.audit.row_hash."""
    per_session = 1 + READINGS_PER_SESSION + 4  # session, its readings, and a few rows without a snapshot
    sessions = max(1, (rows * SESSIONS_PER_PATIENT) // (per_session * SESSIONS_PER_PATIENT + 2))
    build_clinic(folder / "chairside.sqlite", sessions, READINGS_PER_SESSION, seed=11)
    db = open_database(None, folder, create=True)
    actor = Actor(1, "nurse1", "Bench Nurse", "RN", Role.NURSE)
    seq, prev = 0, audit.GENESIS
    at = datetime(2026, 11, 1, tzinfo=UTC)
    buffer = []
    sql = "INSERT INTO audit_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"

    def add(action, entity, entity_id, after, session_id=None):
        nonlocal seq, prev
        seq += 1
        row = {"seq": seq, "at": at, "user_id": actor.user_id, "username": actor.username, "action": action,
               "entity": entity, "entity_id": str(entity_id), "session_id": session_id, "before": None,
               "after": after, "reason": "", "prev_hash": prev}
        row["row_hash"] = audit.row_hash(row)
        prev = row["row_hash"]
        buffer.append((seq, stamp(at), actor.user_id, actor.username, action, entity, str(entity_id), session_id,
                       None, after, "", row["prev_hash"], row["row_hash"]))
        if len(buffer) >= 20000:
            flush()

    def flush():
        s.connection().exec_driver_sql(sql, list(buffer))  # the reading transaction holds the write lock
        buffer.clear()

    with db.transaction() as s:
        for entity in ("user", "patient", "course", "session", "reading"):
            model = AUDITED[entity]
            for obj in s.execute(select(model).order_by(model.id).execution_options(yield_per=5000)).scalars():
                sid = obj.id if entity == "session" else getattr(obj, "session_id", None)
                add("create", entity, obj.id, audit.canonical(audit.snapshot(obj)), sid)
                if entity == "session":
                    for action in ("login", "export_pdf", "print", "login"):
                        add(action, "session", obj.id, None, obj.id)
                s.expunge(obj)
        while seq < rows:
            add("login", "user", 1, None)
        flush()
    db.dispose()


def ensure(folder: Path, label: str, make) -> Path:
    done = folder / "complete"
    if done.exists():
        print(f"{label}: using {folder}")
        return folder
    if folder.exists():
        for p in folder.glob("chairside.sqlite*"):
            p.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    make(folder)
    done.write_text(datetime.now(UTC).isoformat())
    print(f"{label}: built in {folder} in {time.perf_counter() - t:.0f} s")
    return folder


def bench_queries(folder: Path, runs: int) -> list[dict]:
    db = open_database(None, folder, create=True)
    actor = Actor(1, "nurse1", "Bench Nurse", "RN", Role.NURSE)
    rng = random.Random(3)
    con = sqlite3.connect(folder / "chairside.sqlite")
    mrns = [r[0] for r in con.execute("SELECT mrn FROM patients ORDER BY random() LIMIT 200")]
    names = [r[0] for r in con.execute("SELECT family_key FROM patients ORDER BY random() LIMIT 200")]
    # Whole names as written, to be typed given-first, family-first, and decomposed (NFD) as some keyboards send.
    people = con.execute("SELECT given_name, family_name FROM patients ORDER BY random() LIMIT 200").fetchall()
    n_sessions, = con.execute("SELECT max(id) FROM infusion_sessions").fetchone()
    first, last = (datetime.fromisoformat(x).date() for x in
                   con.execute("SELECT min(arrival_at), max(arrival_at) FROM infusion_sessions").fetchone())
    con.close()

    def prefix(text: str, n: int) -> str:
        return text[:n] if len(text) > n else text

    def some_day() -> date:
        return first + timedelta(days=rng.randrange(max(1, (last - first).days - 31)))

    results = [
        report("search_patients by MRN prefix (4 digits)",
               sample(lambda i: queries.search_patients(db, actor, prefix(rng.choice(mrns), 4)), runs),
               BUDGETS["search"]),
        report("search_patients by name prefix (3 letters)",
               sample(lambda i: queries.search_patients(db, actor, prefix(rng.choice(names), 3)), runs),
               BUDGETS["search"]),
        report("archive search by MRN prefix (5 digits)",
               sample(lambda i: queries.search_archive(db, actor, ArchiveQuery(text=prefix(rng.choice(mrns), 5))),
                      runs), BUDGETS["search"]),
        report("archive search by name prefix (4 letters)",
               sample(lambda i: queries.search_archive(db, actor, ArchiveQuery(text=prefix(rng.choice(names), 4))),
                      runs), BUDGETS["search"]),
        report("search_patients by whole name (given family)",
               sample(lambda i: queries.search_patients(db, actor, " ".join(rng.choice(people))), runs),
               BUDGETS["search"]),
        report("search_patients by whole name reversed (family given)",
               sample(lambda i: queries.search_patients(db, actor, " ".join(reversed(rng.choice(people)))), runs),
               BUDGETS["search"]),
        report("archive search by whole name in NFD (given family)",
               sample(lambda i: queries.search_archive(db, actor, ArchiveQuery(
                   text=unicodedata.normalize("NFD", " ".join(rng.choice(people))))), runs), BUDGETS["search"]),
        report("archive search by family name, given name's prefix (2 letters)",
               sample(lambda i: queries.search_archive(db, actor, ArchiveQuery(
                   text="{1}, {0:.2}".format(*rng.choice(people)))), runs), BUDGETS["search"]),
    ]

    def page(offset: int):
        def run(i):
            d = some_day()
            return queries.search_archive(db, actor, ArchiveQuery(date_from=d, date_to=d + timedelta(days=30),
                                                                  limit=100, offset=offset))
        return run
    results.append(report("date range (30 days), first page of 100", sample(page(0), runs), BUDGETS["page"]))
    results.append(report("date range (30 days), page 5 of 100", sample(page(400), runs), BUDGETS["page"]))
    results.append(report("open a record (get_record, with hash)",
                          sample(lambda i: queries.get_record(db, actor, rng.randrange(1, n_sessions + 1),
                                                              with_hash=True), runs), BUDGETS["open"]))
    db.dispose()
    return results


def bench_verify(folder: Path, runs: int) -> dict:
    db = open_database(None, folder, create=True)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        rep = integrity.verify_archive(db, SYSTEM)  # as `monitor-app verify` does (two processes when large)
        samples.append(time.perf_counter() - t)
        assert rep.intact, rep.problems[:5]
    with db.reader() as s:
        n = audit.count_rows(s)
    db.dispose()
    print(f"verify checked {rep.rows_checked:,} audit rows ({n:,} in the archive)")
    return report(f"verify of {n:,} audit rows", samples, BUDGETS["verify"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="/tmp/chairside-bench-archive")
    parser.add_argument("--small", action="store_true", help="10,000 sessions and 100,000 audit rows: a quick run")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    base = Path(args.dir) / ("small" if args.small else "full")
    sessions, audit_rows = (10_000, 100_000) if args.small else (100_000, 1_000_000)
    clinic = ensure(base / "clinic", f"archive of {sessions:,} sessions, {sessions * READINGS_PER_SESSION:,} readings",
                    lambda f: build_clinic(f / "chairside.sqlite", sessions, READINGS_PER_SESSION))
    open_database(None, clinic, create=True).dispose()  # migrations (a new index) apply to a cached archive too
    print()
    bench_queries(clinic, args.runs)
    if not args.skip_verify:
        chain = ensure(base / "audit", f"audit chain of {audit_rows:,} rows",
                       lambda f: build_audit_chain(f, audit_rows))
        open_database(None, chain, create=True).dispose()
        print()
        bench_verify(chain, 1 if not args.small else 3)


if __name__ == "__main__":
    main()
