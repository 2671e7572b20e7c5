"""Finding a patient by name (SPEC 3 rule 8) in New session and the archive, on SQLite and PostgreSQL alike:
whole names in either order, any prefix of either name, case, accents and Unicode normalisation ignored."""
from __future__ import annotations

import sqlite3
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest

from conftest import make_users, postgres_database
from monitor_app.services import clinical as c, settings
from monitor_app.services.integrity import verify_archive
from monitor_app.services.queries import ArchiveQuery, search_archive, search_patients
from monitor_app.storage.db import open_database

PATIENTS = [  # mrn, family, given
    ("S-1", "Nguyễn", "Zoë"),
    ("S-2", "Żółć", "Łukasz"),
    ("S-3", "O'Brien-Smith", "Aoife"),
    ("S-4", "الحسن", "مريم"),
    ("S-5", "李", "小龙"),
    ("S-6", "Nguyen", "Thanh"),
    ("S-7", "Zola", "Émile"),
]
NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731  (what some keyboards send)

CASES = [
    # typed, the MRNs found
    ("Zoë Nguyễn", {"S-1"}),
    ("Nguyễn Zoë", {"S-1"}),
    ("zoe nguyen", {"S-1"}),
    ("ZOENGUYEN", {"S-1"}),
    (NFD("Nguyễn"), {"S-1", "S-6"}),
    (NFD("Zoë Ngu"), {"S-1"}),
    ("nguy", {"S-1", "S-6"}),
    ("Zo", {"S-1", "S-2", "S-7"}),  # Żółć too: accents ignored
    ("emile", {"S-7"}),
    (NFD("Émile Zola"), {"S-7"}),
    ("Łukasz Żółć", {"S-2"}),
    ("lukasz zolc", {"S-2"}),
    ("Zolc Luk", {"S-2"}),
    ("Nguyễn, Zo", {"S-1"}),
    ("o'brien", {"S-3"}),
    ("O\u2019Brien-Sm", {"S-3"}),
    ("Aoife O'Brien-Smith", {"S-3"}),
    ("مريم الحسن", {"S-4"}),
    ("الحسن", {"S-4"}),
    ("مري", {"S-4"}),
    ("李小龙", {"S-5"}),
    ("李", {"S-5"}),
    ("小龙", {"S-5"}),
    ("小龙李", {"S-5"}),
    ("S-5", {"S-5"}),
    ("Zoë Smith", set()),
    ("%", set()),
    ("_", set()),
]


def fill(db):
    actors = make_users(db)
    nurse = actors["nurse"]
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=6)
    for i, (mrn, family, given) in enumerate(PATIENTS):
        pid = c.create_patient(db, nurse, mrn=mrn, family_name=family, given_name=given)
        cid = c.create_course(db, nurse, patient_id=pid, indication="depression")
        c.create_session(db, nurse, course_id=cid, chair=str(i + 1), arrival_at=t0 + timedelta(minutes=i),
                         now=t0 + timedelta(minutes=i))
    return nurse


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def archive(request, tmp_path_factory):
    if request.param == "sqlite":
        db = open_database(None, tmp_path_factory.mktemp("search") / "data", create=True)
        settings.bootstrap(db)
        yield db, fill(db)
        db.dispose()
        return
    with postgres_database() as url:
        db = open_database(url, tmp_path_factory.mktemp("pg-data"), create=True)
        try:
            settings.bootstrap(db)
            yield db, fill(db)
        finally:
            db.dispose()


@pytest.mark.parametrize("typed,found", CASES)
def test_new_session_search_finds_names_as_people_type_them(archive, typed, found):
    db, nurse = archive
    assert {p.mrn for p in search_patients(db, nurse, typed)} == found


@pytest.mark.parametrize("typed,found", CASES)
def test_archive_search_finds_the_same_patients(archive, typed, found):
    db, nurse = archive
    rows = search_archive(db, nurse, ArchiveQuery(text=typed))
    assert {r.mrn for r in rows} == found


def test_archive_rows_show_the_name_as_the_patient_writes_it(archive):
    db, nurse = archive
    names = {r.mrn: r.patient_name for r in search_archive(db, nurse, ArchiveQuery())}
    assert names["S-5"] == "李小龙" and names["S-4"] == "مريم الحسن" and names["S-1"] == "Zoë Nguyễn"


def make_users_again(db):
    from conftest import PASSWORDS
    from monitor_app.services import users
    return users.sign_in(db, "auditor", PASSWORDS["auditor"])


def test_the_migration_gives_existing_patients_the_new_keys(tmp_path):
    """An archive of the previous schema with a patient in it: after the upgrade an NFD, accent-free and
    whole-name search finds the patient."""
    from alembic import command
    from monitor_app.storage.migrate import alembic_config
    db = open_database(None, tmp_path / "data", create=True)
    settings.bootstrap(db)
    nurse = make_users(db)["nurse"]
    c.create_patient(db, nurse, mrn="OLD-1", family_name="Nguyễn", given_name="Zoë")
    command.downgrade(alembic_config(db), "0003")  # the schema before the names keys
    path = db.sqlite_path
    db.dispose()
    con = sqlite3.connect(path)  # the keys as the previous version wrote them: case-folded only
    con.execute("UPDATE patients SET family_key = 'nguyễn', given_key = 'zoë'")
    con.commit()
    con.close()
    again = open_database(None, path.parent)
    try:
        for typed in ("Zoë Nguyễn", "nguyen zoe", NFD("Nguyễn")):
            assert [p.mrn for p in search_patients(again, nurse, typed)] == ["OLD-1"], typed
        # Recomputed search keys are not a change to the record: the archive still verifies.
        report = verify_archive(again, make_users_again(again), parallel=False)
        assert report.intact, report.problems
    finally:
        again.dispose()
