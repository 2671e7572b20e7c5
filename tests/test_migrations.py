"""Opening the archive: Alembic head, refusal of foreign or newer databases, file mode, pragmas, daily backups."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from monitor_app.services import settings
from monitor_app.storage.db import DB_FILENAME, ArchiveFault, DatabaseError, backups_dir, daily_backup, open_database
from monitor_app.storage.migrate import HEAD, current_revision, head_revision


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_archive_is_at_the_alembic_head(db):
    assert current_revision(db) == head_revision(db) == HEAD  # the start-up check's constant is Alembic's head
    with db.engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    assert {"alembic_version", "audit_events", "readings", "infusion_sessions", "users"} <= tables


def test_reopening_an_archive_at_head_changes_nothing(db):
    path = db.sqlite_path
    db.dispose()
    before = digest(path)
    again = open_database(None, path.parent)
    again.dispose()
    assert digest(path) == before
    assert not backups_dir(again).exists()  # no migration, so no backup before one


def test_an_archive_from_a_newer_chairside_is_refused_and_left_unchanged(db):
    path = db.sqlite_path
    db.dispose()
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = 'f9e8d7c6b5a4'")
    con.commit()
    con.close()
    before = digest(path)
    with pytest.raises(DatabaseError) as info:
        open_database(None, path.parent)
    message = str(info.value)
    assert "newer version of Chairside" in message and "f9e8d7c6b5a4" in message
    assert digest(path) == before
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [("f9e8d7c6b5a4",)]
    con.close()


def test_a_sqlite_file_of_another_application_is_refused(tmp_path):
    path = tmp_path / DB_FILENAME
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO notes (body) VALUES ('shopping list')")
    con.commit()
    con.close()
    before = digest(path)
    with pytest.raises(DatabaseError, match="not a Chairside archive"):
        open_database(None, tmp_path)
    assert digest(path) == before
    con = sqlite3.connect(path)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["notes"]
    con.close()


def test_a_file_that_is_not_a_database_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / DB_FILENAME
    path.write_bytes(b"This is a letter, not a database.\n" * 200)
    with pytest.raises(DatabaseError) as info:
        open_database(None, tmp_path)
    assert "not a readable Chairside database" in str(info.value) or "Cannot read the database" in str(info.value)


def test_the_archive_file_is_readable_by_its_owner_only(tmp_path):
    old = os.umask(0o022)  # a permissive umask must not matter, at creation or at any later write
    db = None
    try:
        db = open_database(None, tmp_path / "fresh", create=True)
        settings.bootstrap(db)  # a write: the WAL and its index exist while a connection is open
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_events").scalar() > 0
            for path in (db.sqlite_path, db.sqlite_path.with_name(DB_FILENAME + "-wal"),
                         db.sqlite_path.with_name(DB_FILENAME + "-shm")):
                assert path.exists(), path
                assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        folder_mode = stat.S_IMODE(os.stat(db.sqlite_path.parent).st_mode)
        assert folder_mode & 0o077 == 0, oct(folder_mode)
    finally:
        os.umask(old)
        if db is not None:
            db.dispose()


def test_wal_full_sync_and_foreign_keys_are_on(db):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with db.transaction() as s:  # and in the connections the services use
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2


def test_foreign_keys_are_enforced(db, caplog):
    with pytest.raises(ArchiveFault, match="refused this change"):
        with db.transaction() as s:
            s.execute(text("INSERT INTO courses (patient_id, indication, indication_other, planned_infusions, "
                           "prescriber, outcome_measure, created_at) VALUES (9999, 'ocd', '', 6, '', 'none', "
                           "'2026-01-01 00:00:00')"))
    assert "FOREIGN KEY constraint failed" in caplog.text  # the reason, in the log only
    with db.reader() as s:
        assert s.execute(text("SELECT count(*) FROM courses")).scalar() == 0


def test_daily_backup_once_a_day_kept_fourteen_days(db):
    day = datetime(2026, 5, 20, 8, 0, tzinfo=timezone.utc)
    first = daily_backup(db, day)
    assert first is not None and first.name == "daily-2026-05-20.sqlite"
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    assert daily_backup(db, day + timedelta(hours=9)) is None  # once a day
    con = sqlite3.connect(first)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM audit_events").fetchone()[0] > 0
    con.close()
    folder = backups_dir(db)
    for back in (13, 14, 15, 40):
        stamp = (day - timedelta(days=back)).strftime("%Y-%m-%d")
        (folder / f"daily-{stamp}.sqlite").write_bytes(b"old copy")
    keep_other = folder / "pre-migration-0001-20260101T000000Z.sqlite"
    keep_other.write_bytes(b"not a daily copy")
    made = daily_backup(db, day + timedelta(days=1))
    assert made is not None and made.name == "daily-2026-05-21.sqlite"
    names = sorted(p.name for p in folder.iterdir())
    # cut-off is 14 days before 2026-05-21, i.e. 2026-05-07: copies from before it are removed
    assert names == ["daily-2026-05-07.sqlite", "daily-2026-05-20.sqlite", "daily-2026-05-21.sqlite",
                     "pre-migration-0001-20260101T000000Z.sqlite"]
