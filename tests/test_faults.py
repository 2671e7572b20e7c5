"""Real faults, each one clear message and nothing lost (SPEC 8): a full disk (a tiny tmpfs), a read-only mount,
the archive deleted or replaced while open, an empty and a damaged archive, hostile numbers; and no patient data,
SQL or parameters in the log or the error dialog.

The mount-based tests need root (they mount a tmpfs and a read-only bind mount under the test's own folder and
unmount them afterwards); without root they are skipped with that reason.
"""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import PASSWORDS, make_users
from monitor_app.domain.errors import ChairsideError
from monitor_app.services import clinical as c, integrity, settings
from monitor_app.services.access import SYSTEM
from monitor_app.storage.db import ArchiveFault, ArchiveMissing, NotSaved, archive_state, backup_sqlite, open_database
from monitor_app.storage.models import Patient, Reading
from session_flow import at, open_session, start, v

ROOT = Path(__file__).resolve().parents[1]
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs or a read-only bind mount needs root")


DEMO_ADMIN = {"CHAIRSIDE_USER": "admin", "CHAIRSIDE_PASSWORD": "admin-demo-pass"}  # `demo` prints these
CLINIC_ADMIN = {"CHAIRSIDE_USER": "admin", "CHAIRSIDE_PASSWORD": PASSWORDS["admin"]}  # new_clinic's administrator


def cli(*args, env_extra=None, as_user: dict | None = None) -> subprocess.CompletedProcess:
    """The command line in a real process, signed in (SPEC 7) as `as_user` (the demo's administrator by default)."""
    env = {k: val for k, val in os.environ.items() if k != "MONITOR_APP_DATABASE_URL"}
    env.update(DEMO_ADMIN if as_user is None else as_user)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "monitor_app", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def one_line_refusal(done: subprocess.CompletedProcess, *words: str) -> str:
    err = done.stderr.strip()
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert len(err.splitlines()) == 1, err
    for word in words:
        assert word in err, err
    return err


@contextmanager
def mounted(target: Path, *options: str, source: str = "tmpfs", kind: tuple[str, ...] = ("-t", "tmpfs")):
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", *kind, *options, source, str(target)], check=True)
    try:
        yield target
    finally:
        if subprocess.run(["umount", str(target)]).returncode != 0:
            subprocess.run(["umount", "-l", str(target)])


def fill(filler: Path) -> Path:
    """The rest of the disk taken by something else."""
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def readings_in(db, sid) -> set[int]:
    with db.reader() as s:
        return set(s.scalars(select(Reading.id).where(Reading.session_id == sid)))


def new_clinic(data_dir: Path):
    db = open_database(None, data_dir, create=True)
    settings.bootstrap(db)
    return db, make_users(db)


# ------------------------------------------------------------------------------------------------- disk full

@needs_root
def test_a_full_disk_refuses_the_save_in_one_sentence_and_loses_no_confirmed_reading(tmp_path, t0):
    with mounted(tmp_path / "disk", "-o", "size=4m") as disk:
        db, actors = new_clinic(disk / "data")
        nurse = actors["nurse"]
        sid = open_session(db, nurse, t0)
        start(db, nurse, sid, t0)
        filler = fill(disk / "filler")
        confirmed, refusal = set(), None
        for n in range(400):
            try:
                confirmed.add(c.record_reading(db, nurse, sid, v("128/82", "72", "98", comment="x" * 200),
                                               measured_at=at(t0, 11 + n * 0.1), now=at(t0, 60)))
            except ChairsideError as exc:
                refusal = exc
                break
        assert isinstance(refusal, ArchiveFault) and refusal.kind == "disk_full", refusal
        message = str(refusal)
        assert "full" in message and "NOT saved" in message and "INSERT" not in message
        # The command line on the full disk: one line, no traceback (not even the log's).
        done = cli("--data-dir", disk / "data", "users", "add", "newnurse", "--name", "New Nurse", "--role", "nurse",
                   env_extra={"CHAIRSIDE_NEW_PASSWORD": "new-nurse-pass"}, as_user=CLINIC_ADMIN)
        one_line_refusal(done, "full")
        db.dispose()
        filler.unlink()
        again = open_database(None, disk / "data")
        try:
            assert confirmed <= readings_in(again, sid)  # every reading called saved is there
            assert integrity.verify_archive(again, SYSTEM, parallel=False).intact
        finally:
            again.dispose()


# ------------------------------------------------------------------------------------------------ read-only

@needs_root
def test_a_read_only_archive_folder_is_refused_in_one_line_and_verify_still_works(tmp_path, t0):
    """A read-only bind mount of the data folder (root ignores file modes, so permissions would prove nothing)."""
    source = tmp_path / "source"
    db, actors = new_clinic(source)
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    db.dispose()
    target = tmp_path / "readonly"
    with mounted(target, "--bind", source=str(source), kind=()):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
        assert not os.access(target, os.W_OK)
        with pytest.raises(ChairsideError, match="cannot be read and written"):
            open_database(None, target)
        one_line_refusal(cli("--data-dir", target, "users", "list"), "cannot be read and written")
        done = cli("verify", "--data-dir", target)
        assert done.returncode == 0 and done.stdout.startswith("Intact"), done.stdout + done.stderr


# --------------------------------------------------------------------------------- deleted, replaced, empty

def test_an_archive_deleted_while_open_never_calls_a_save_saved_nor_starts_afresh(tmp_path, t0):
    data = tmp_path / "data"
    db, actors = new_clinic(data)
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    before = c.record_reading(db, nurse, sid, v("128/82"), measured_at=at(t0, 12), now=at(t0, 12))
    copy = backup_sqlite(db, data / "backups" / "daily-2026-12-01.sqlite")
    path = db.sqlite_path
    path.unlink()
    for minute in (13, 14, 15):
        with pytest.raises(NotSaved) as info:
            c.record_reading(db, nurse, sid, v("130/84"), measured_at=at(t0, minute), now=at(t0, minute))
        assert "NOT saved" in str(info.value) and str(path) in str(info.value)
    db.dispose()
    assert archive_state(None, data) == "missing"
    with pytest.raises(ArchiveMissing) as info:
        open_database(None, data)
    assert str(path) in str(info.value) and str(copy) in str(info.value) and "restore" in str(info.value)
    assert not path.exists()  # never a new, empty archive in its place
    done = cli("--data-dir", data, "users", "list", as_user=CLINIC_ADMIN)
    one_line_refusal(done, str(path), "missing")
    assert not path.exists()
    done = cli("--data-dir", data, "restore", copy, as_user=CLINIC_ADMIN)
    assert done.returncode == 0, done.stderr
    again = open_database(None, data)
    try:
        assert before in readings_in(again, sid)  # the confirmed save, back from the backup
        assert integrity.verify_archive(again, SYSTEM, parallel=False).intact
    finally:
        again.dispose()


def test_an_archive_replaced_while_open_refuses_the_save_and_the_next_start(tmp_path, t0):
    data, other = tmp_path / "data", tmp_path / "other"
    db, actors = new_clinic(data)
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    stranger, _ = new_clinic(other)
    stranger.dispose()
    path = db.sqlite_path
    shutil.copy2(other / "chairside.sqlite", tmp_path / "swap.sqlite")
    os.replace(tmp_path / "swap.sqlite", path)  # another archive put in its place
    with pytest.raises(NotSaved, match="deleted or replaced"):
        c.record_reading(db, nurse, sid, v("128/82"), measured_at=at(t0, 5), now=at(t0, 5))
    db.dispose()
    with pytest.raises(ArchiveMissing, match="replaced"):
        open_database(None, data)
    one_line_refusal(cli("verify", "--data-dir", data), "replaced")


def test_an_archive_overwritten_in_place_refuses_the_save(tmp_path, t0):
    data, other = tmp_path / "data", tmp_path / "other"
    db, actors = new_clinic(data)
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    stranger, _ = new_clinic(other)
    stranger.dispose()
    db.dispose()  # the connections closed (an idle workstation), the file then copied over, same inode
    shutil.copyfile(other / "chairside.sqlite", data / "chairside.sqlite")
    for side in ("-wal", "-shm"):
        Path(str(data / "chairside.sqlite") + side).unlink(missing_ok=True)
    with pytest.raises(ChairsideError) as info:
        c.record_reading(db, nurse, sid, v("128/82"), measured_at=at(t0, 5), now=at(t0, 5))
    assert "NOT saved" in str(info.value) or "no session" in str(info.value).lower()


def test_an_empty_archive_file_is_an_error_never_rebuilt(tmp_path):
    data = tmp_path / "data"
    db, _ = new_clinic(data)
    path = db.sqlite_path
    db.dispose()
    path.write_bytes(b"")
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    with pytest.raises(ArchiveMissing, match="empty"):
        open_database(None, data)
    with pytest.raises(ArchiveMissing, match="empty"):
        open_database(None, data, create=True)  # not even the set-up makes one where an archive was
    one_line_refusal(cli("verify", "--data-dir", data), "empty", str(path))
    assert path.stat().st_size == 0


def test_a_damaged_archive_is_not_intact_naming_what_cannot_be_read(tmp_path, t0):
    data = tmp_path / "data"
    db, actors = new_clinic(data)
    nurse = actors["nurse"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    for minute in range(12, 40):
        c.record_reading(db, nurse, sid, v("128/82", "72", "98", comment="a" * 300), measured_at=at(t0, minute),
                         now=at(t0, minute))
    path = db.sqlite_path
    db.dispose()
    con = sqlite3.connect(path)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'readings'").fetchone()[0]
    size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * size + 8)
        f.write(b"\xff" * 64)
    done = cli("verify", "--data-dir", data)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NOT INTACT" in done.stdout and "readings" in done.stdout, done.stdout
    assert "SELECT" not in done.stdout + done.stderr and "Traceback" not in done.stdout + done.stderr


def test_verify_reads_a_read_only_copy_without_writing(tmp_path, t0):
    data = tmp_path / "data"
    db, actors = new_clinic(data)
    open_session(db, actors["nurse"], t0)
    db.dispose()
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy2(data / "chairside.sqlite", copy / "chairside.sqlite")
    before = (copy / "chairside.sqlite").read_bytes()
    done = cli("verify", "--data-dir", copy)
    assert done.returncode == 0 and done.stdout.startswith("Intact"), done.stdout + done.stderr
    assert (copy / "chairside.sqlite").read_bytes() == before  # not a byte written (no migration, no WAL switch)
    assert not (copy / "archive-identity.json").exists()


# ------------------------------------------------------------------------------------------ unclean endings

def test_hostile_numbers_and_hashes_end_in_one_line(tmp_path):
    data = tmp_path / "data"
    assert cli("demo", "--data-dir", data).returncode == 0
    one_line_refusal(cli("export-fhir", "99999999999999999999999", "-o", tmp_path / "x.json", "--data-dir", data),
                     "id")
    one_line_refusal(cli("verify", "--record", "x", "--hash", "abc", "--data-dir", data), "hash")
    for command in (("export-csv", "-o"), ("export-json", "-o"), ("backup", "-o"), ("export-fhir", "1", "-o")):
        one_line_refusal(cli(*command, "/dev/full", "--data-dir", data), "/dev/full", "device")
    one_line_refusal(cli("export-csv", "-o", tmp_path, "--data-dir", data), str(tmp_path), "folder")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # the device is still a device
    done = cli("verify", "--data-dir", data)
    assert done.returncode == 0
    assert "export" not in cli_audit_actions(data)


def cli_audit_actions(data: Path) -> set[str]:
    con = sqlite3.connect(f"file:{data / 'chairside.sqlite'}?mode=ro", uri=True)
    try:
        return {r[0] for r in con.execute("SELECT action FROM audit_events WHERE action IN ('export', 'backup')")}
    finally:
        con.close()


@needs_root
def test_an_export_that_fails_on_a_full_disk_leaves_no_file_and_no_exported_row(tmp_path):
    data = tmp_path / "data"
    assert cli("demo", "--data-dir", data).returncode == 0
    with mounted(tmp_path / "disk", "-o", "size=64k") as disk:
        fill(disk / "filler")
        for name, command in (("r.csv", "export-csv"), ("a.json", "export-json"), ("b.sqlite", "backup")):
            one_line_refusal(cli(command, "-o", disk / name, "--data-dir", data), str(disk / name))
            assert [p.name for p in disk.iterdir()] == ["filler"]  # no file, no temporary file
    assert cli_audit_actions(data) == set()


# ------------------------------------------------------------------------------------- no patient data in logs

def test_a_forced_database_error_leaves_no_mrn_or_name_in_the_message_or_the_log(tmp_path):
    from monitor_app.logs import setup_logging
    import logging
    import logging.handlers
    data = tmp_path / "data"
    db, actors = new_clinic(data)
    setup_logging(data)
    log_file = next(Path(h.baseFilename) for h in logging.getLogger().handlers
                    if isinstance(h, logging.handlers.RotatingFileHandler))
    with db.transaction() as s:  # a fault the application does not expect: a trigger refusing every patient
        s.connection().exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON patients "
                                       "BEGIN SELECT RAISE(ABORT, 'refused by the archive'); END")
    secret = dict(mrn="MRN-7731-SECRET", family_name="Quixotewell", given_name="Ysolde")
    with pytest.raises(ArchiveFault) as info:
        c.create_patient(db, actors["nurse"], **secret)
    for value in secret.values():
        assert value not in str(info.value)
    assert "INSERT" not in str(info.value)
    for handler in logging.getLogger().handlers:
        handler.flush()
    logged = log_file.read_text(encoding="utf-8")
    assert "refused by the database" in logged
    for value in secret.values():
        assert value not in logged
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    with db.reader() as s:
        assert s.scalar(select(Patient.id).where(Patient.mrn == secret["mrn"])) is None
    db.dispose()


def test_the_error_dialog_and_log_of_an_unexpected_error_hold_no_mrn_or_name(qtbot, tmp_path):
    import logging
    import logging.handlers
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialogButtonBox
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError
    from monitor_app.logs import setup_logging
    from monitor_app.ui import errors
    data = tmp_path / "data"
    db, _ = new_clinic(data)
    setup_logging(data)
    log_file = next(Path(h.baseFilename) for h in logging.getLogger().handlers
                    if isinstance(h, logging.handlers.RotatingFileHandler))
    errors.install()
    row = dict(mrn="MRN-5512-SECRET", family_name="Ozymandine", given_name="Perpetua", family_key="o",
               given_key="p", sex="", allergies="", notes="", created_at=None, version=1)
    try:  # a raw database error carrying the statement and its parameters, as an unforeseen bug would raise
        with db.engine.begin() as conn:
            conn.execute(insert(Patient.__table__), [row])
    except IntegrityError:
        exc_info = sys.exc_info()
    shown: list[str] = []

    def answer():
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, errors.ErrorDialog) and w.isVisible())
        shown.append("\n".join(label.text() for label in dialog.findChildren(type(dialog.children()[1]))
                               if hasattr(label, "text")) + dialog.details.toPlainText())
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close).click()

    errors.set_error_dialog_enabled(True)
    try:
        QTimer.singleShot(200, answer)
        errors.report(*exc_info)
        qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    finally:
        errors.set_error_dialog_enabled(False)
    for handler in logging.getLogger().handlers:
        handler.flush()
    logged = log_file.read_text(encoding="utf-8")
    assert "IntegrityError" in shown[0] and "IntegrityError" in logged
    for value in ("MRN-5512-SECRET", "Ozymandine", "Perpetua", "INSERT INTO"):
        assert value not in shown[0], shown[0]
        assert value not in logged
    db.dispose()
