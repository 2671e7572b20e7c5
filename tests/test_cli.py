"""The command line as an administrator or an auditor uses it: real processes, exit codes, one-line errors.

Every refusal must be one line on stderr, a non-zero exit, no traceback, and leave the archive as it was.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from monitor_app import __version__

ROOT = Path(__file__).resolve().parents[1]


# The demo's people (printed by `demo`): user name -> printed name and credentials.
DEMO = {"nina": "Nina Okafor, RN", "carla": "Carla Jensen, RN, BSN", "audrey": None, "admin": None, "tomas": None}


def monitor_app(*args: str, data_dir: Path | None = None, stdin: str | None = None, env: dict | None = None,
                as_user: str | None = None):
    """Run the command line in a real process, signed in as a demo user (CHAIRSIDE_USER/PASSWORD) or as nobody."""
    argv = [sys.executable, "-m", "monitor_app"]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("MONITOR_APP_DATABASE_URL", "CHAIRSIDE_PASSWORD", "CHAIRSIDE_USER",
                                "CHAIRSIDE_NEW_PASSWORD")}
    if as_user:
        environment.update(CHAIRSIDE_USER=as_user, CHAIRSIDE_PASSWORD=f"{as_user}-demo-pass")
    environment.update(env or {})
    return subprocess.run(argv + list(args), cwd=ROOT, capture_output=True, text=True, input=stdin, timeout=300,
                          env=environment)


def refused(done, *words: str) -> str:
    """A refusal as the specification wants it; returns the line."""
    err = done.stderr.strip()
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert len(err.splitlines()) == 1, err
    for word in words:
        assert word in err, err
    return err


def fingerprint(data_dir: Path, with_audit: bool = True) -> str:
    """The archive's content, row by row (a file hash would change with SQLite's own bookkeeping); without the
    audit trail and the sign-in counters, what a refused command must leave as it was."""
    con = sqlite3.connect(f"file:{data_dir / 'chairside.sqlite'}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for t in tables:
            if t == "audit_events" and not with_audit:
                continue
            columns = "*"
            if t == "users" and not with_audit:  # the count of wrong passwords is the sign-in's own bookkeeping
                columns = "id, username, full_name, credentials, role, password_hash, active, created_at"
            for row in con.execute(f'SELECT {columns} FROM "{t}" ORDER BY 1'):
                digest.update(repr(row).encode())
        return digest.hexdigest()
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "demo"
    done = monitor_app("demo", data_dir=folder)
    assert done.returncode == 0, done.stderr
    assert "nina" in done.stdout and "audrey" in done.stdout and "auditor" in done.stdout
    return folder


@pytest.fixture
def archive(demo_dir, tmp_path) -> Path:
    """A private copy of the demo archive, to change as a test likes."""
    copy = tmp_path / "archive"
    shutil.copytree(demo_dir, copy)
    return copy


def sql(data_dir: Path, statement: str, *params) -> list:
    con = sqlite3.connect(data_dir / "chairside.sqlite")
    try:
        rows = con.execute(statement, params).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def test_the_window_without_a_display_is_one_line(tmp_path):
    done = monitor_app(data_dir=tmp_path / "d", env={"DISPLAY": "", "WAYLAND_DISPLAY": "", "QT_QPA_PLATFORM": ""})
    refused(done, "no display")
    assert not (tmp_path / "d").exists()


def test_version():
    done = monitor_app("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"Chairside {__version__}"


def test_demo_then_verify_is_intact(demo_dir):
    done = monitor_app("verify", data_dir=demo_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Intact:")


def test_a_second_demo_into_the_same_archive_is_refused(archive):
    before = fingerprint(archive)
    refused(monitor_app("demo", data_dir=archive), "already holds patients")
    assert fingerprint(archive) == before


def test_a_reading_changed_in_the_file_is_named(archive):
    (reading_id,) = sql(archive, "SELECT id FROM readings ORDER BY id LIMIT 1")[0]
    sql(archive, "UPDATE readings SET systolic = systolic + 10 WHERE id = ?", reading_id)
    done = monitor_app("verify", data_dir=archive)
    assert done.returncode == 1
    assert done.stdout.startswith("NOT INTACT")
    assert f"reading {reading_id}: differs from the audit trail" in done.stdout


def test_an_audit_row_changed_in_the_file_is_named(archive):
    sql(archive, "UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 7")
    done = monitor_app("verify", data_dir=archive)
    assert done.returncode == 1 and "audit row 7: content does not match its hash" in done.stdout


def test_a_signed_record_changed_consistently_in_the_file_is_named(archive):
    """Even with the table and its audit snapshot both rewritten, the author's signature no longer matches."""
    (sid, uid) = sql(archive, "SELECT s.id, s.record_uid FROM infusion_sessions s WHERE s.status = 'reviewed' "
                              "ORDER BY s.id LIMIT 1")[0]
    sql(archive, "UPDATE infusion_sessions SET lot_number = 'FORGED' WHERE id = ?", sid)
    done = monitor_app("verify", data_dir=archive)
    assert done.returncode == 1
    assert f"session {sid}: differs from the audit trail" in done.stdout
    assert f"record {uid} (session {sid}): content no longer matches the authored signature" in done.stdout


def test_export_import_export_gives_equal_records(archive, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert monitor_app("export-json", "-o", str(first), data_dir=archive, as_user="audrey").returncode == 0
    target = tmp_path / "empty"
    done = monitor_app("import-json", str(first), data_dir=target, as_user="admin")
    assert done.returncode == 0, done.stderr
    assert monitor_app("verify", data_dir=target).returncode == 0
    assert monitor_app("export-json", "-o", str(second), data_dir=target, as_user="audrey").returncode == 0
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (first, second))
    a.pop("exported_at"), b.pop("exported_at")
    # The second file holds what the import and its sign-ins added to the trail, after the first file's rows.
    assert a["tables"] == {k: v for k, v in b["tables"].items()}
    assert b["audit_trail"][:len(a["audit_trail"])] == a["audit_trail"]
    assert [r["action"] for r in b["audit_trail"][len(a["audit_trail"]):]] == ["import", "login"]


# ----------------------------------------------------------------------------------------------- refusals

def test_import_of_a_missing_file(tmp_path):
    refused(monitor_app("import-json", str(tmp_path / "nope.json"), data_dir=tmp_path / "d", as_user="admin"),
            "No such file")
    assert not (tmp_path / "d").exists()  # no archive is created for a refused import


def test_import_of_a_malformed_file(archive, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "chairside-archive", "version": 1, "tables": {', encoding="utf-8")
    refused(monitor_app("import-json", str(bad), data_dir=tmp_path / "d", as_user="admin"), "not valid JSON",
            "nothing was imported")
    assert not (tmp_path / "d").exists()


def test_import_refused_at_the_database_leaves_no_new_archive(archive, tmp_path):
    """A file whose rows disagree with its own audit trail is refused once loaded: nothing stays behind."""
    export = tmp_path / "x.json"
    assert monitor_app("export-json", "-o", str(export), data_dir=archive, as_user="audrey").returncode == 0
    doc = json.loads(export.read_text(encoding="utf-8"))
    doc["tables"]["readings"][0]["heart_rate"] = 39
    export.write_text(json.dumps(doc), encoding="utf-8")
    refused(monitor_app("import-json", str(export), data_dir=tmp_path / "new", as_user="admin"),
            "differs from the audit trail")
    assert not (tmp_path / "new").exists()


def test_import_into_an_archive_that_is_not_empty(archive, tmp_path):
    export = tmp_path / "x.json"
    assert monitor_app("export-json", "-o", str(export), data_dir=archive, as_user="audrey").returncode == 0
    before = fingerprint(archive, with_audit=False)
    refused(monitor_app("import-json", str(export), data_dir=archive, as_user="admin"),
            "import-json needs an empty archive")
    assert fingerprint(archive, with_audit=False) == before


def test_unknown_session_id(archive, tmp_path):
    before = fingerprint(archive, with_audit=False)
    refused(monitor_app("export-fhir", "424242", "-o", str(tmp_path / "b.json"), data_dir=archive, as_user="audrey"),
            "There is no session with id 424242")
    refused(monitor_app("export-pdf", "424242", "-o", str(tmp_path / "r.pdf"), data_dir=archive, as_user="audrey"),
            "There is no session with id 424242")
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.pdf"))
    assert fingerprint(archive, with_audit=False) == before


def test_no_archive_at_the_data_dir(tmp_path):
    refused(monitor_app("verify", data_dir=tmp_path / "none"), "No Chairside database")
    assert not (tmp_path / "none").exists()


def test_unreadable_database(tmp_path):
    folder = tmp_path / "garbage"
    folder.mkdir()
    (folder / "chairside.sqlite").write_bytes(b"this is not a database" * 100)
    before = (folder / "chairside.sqlite").read_bytes()
    refused(monitor_app("verify", data_dir=folder), "not a readable Chairside database")
    assert (folder / "chairside.sqlite").read_bytes() == before


def test_database_of_a_newer_chairside(archive):
    sql(archive, "UPDATE alembic_version SET version_num = 'ffffffffffff'")
    before = fingerprint(archive)
    refused(monitor_app("verify", data_dir=archive), "newer version of Chairside")
    refused(monitor_app("users", "list", data_dir=archive, as_user="admin"), "newer version of Chairside")
    assert fingerprint(archive) == before
    assert not (archive / "backups").exists() or not list((archive / "backups").glob("pre-migration-*"))


def test_bad_database_url():
    refused(monitor_app("verify", "--database-url", "nonsense://"), "Database URL cannot be used", "nonsense")
    refused(monitor_app("verify", "--database-url", "postgresql+psycopg://chairside@127.0.0.1:1/none"),
            "Cannot read the database", "127.0.0.1")


def test_a_mistyped_command_line_is_one_line_too(archive):
    refused(monitor_app("users", "frob", data_dir=archive), "invalid choice", "--help")
    refused(monitor_app("export-pdf", "--from", "yesterday", data_dir=archive), "not a date")


@pytest.mark.parametrize("password, words", [
    ("short\n", ("at least 8 characters",)),
    ("", ("No password given",)),
])
def test_users_add_with_a_refused_password(archive, password, words):
    before = fingerprint(archive, with_audit=False)
    refused(monitor_app("users", "add", "pat", "--name", "Pat Reyes", "--role", "nurse", data_dir=archive,
                        stdin=password, as_user="admin"), *words)
    assert fingerprint(archive, with_audit=False) == before


def test_users_add_list_disable_reset_and_unlock(archive):
    done = monitor_app("users", "add", "pat", "--name", "Pat Reyes", "--role", "charge_nurse",
                       "--credentials", "RN", data_dir=archive, stdin="pat-password-1\n", as_user="admin")
    assert done.returncode == 0, done.stderr
    listing = monitor_app("users", "list", data_dir=archive, as_user="admin").stdout
    assert any(line.split()[:3] == ["pat", "charge_nurse", "active"] for line in listing.splitlines())
    refused(monitor_app("users", "add", "pat", "--name", "Pat Again", "--role", "nurse", data_dir=archive,
                        stdin="another-pass-1\n", as_user="admin"), "pat")
    assert monitor_app("users", "reset-password", "pat", data_dir=archive, as_user="admin",
                       env={"CHAIRSIDE_NEW_PASSWORD": "pat-password-2"}).returncode == 0
    for _ in range(5):  # five wrong passwords lock pat out ...
        refused(monitor_app("users", "list", data_dir=archive, env={"CHAIRSIDE_USER": "pat",
                                                                    "CHAIRSIDE_PASSWORD": "pat-password-1"}))
    pat = {"CHAIRSIDE_USER": "pat", "CHAIRSIDE_PASSWORD": "pat-password-2"}
    refused(monitor_app("export-csv", "-o", str(archive / "x.csv"), data_dir=archive, env=pat), "locked")
    assert monitor_app("users", "unlock", "pat", data_dir=archive, as_user="admin").returncode == 0
    assert monitor_app("export-csv", "-o", str(archive / "x.csv"), data_dir=archive, env=pat).returncode == 0
    assert monitor_app("users", "disable", "pat", data_dir=archive, as_user="admin").returncode == 0
    listing = monitor_app("users", "list", data_dir=archive, as_user="admin").stdout
    assert any(line.split()[:3] == ["pat", "charge_nurse", "disabled"] for line in listing.splitlines())
    refused(monitor_app("export-csv", "-o", str(archive / "y.csv"), data_dir=archive, env=pat), "disabled")
    refused(monitor_app("users", "disable", "nobody", data_dir=archive, as_user="admin"), "nobody")
    assert monitor_app("verify", data_dir=archive).returncode == 0  # every change went through the audit trail
    actions = [a for (a,) in sql(archive, "SELECT action FROM audit_events WHERE entity = 'user' AND "
                                          "entity_id = (SELECT id FROM users WHERE username = 'pat') ORDER BY seq")]
    assert actions == ["create", "reset_password", "login_failed", "login_failed", "login_failed", "login_failed",
                       "locked_out", "login_refused", "unlock", "login", "disable", "login_refused"]


def test_paper_copy_check(archive):
    (uid,) = sql(archive, "SELECT record_uid FROM infusion_sessions WHERE status = 'reviewed' LIMIT 1")[0]
    refused(monitor_app("verify", "--record", uid, data_dir=archive), "Give both --record and --hash")
    done = monitor_app("verify", "--record", uid, "--hash", "0123456789abcdef", data_dir=archive)
    assert done.returncode == 1 and "Does NOT match" in done.stdout


# ------------------------------------------------------------------------------------- who did it, provably

def audit_rows(data_dir: Path, after_seq: int = 0) -> list[tuple]:
    return sql(data_dir, "SELECT seq, username, action, entity, reason FROM audit_events WHERE seq > ? ORDER BY seq",
               after_seq)


def last_seq(data_dir: Path) -> int:
    return sql(data_dir, "SELECT max(seq) FROM audit_events")[0][0]


@pytest.fixture(scope="module")
def exported(demo_dir, tmp_path_factory) -> dict[str, Path]:
    """An interchange file and a backup of the demo archive, for the import and restore commands."""
    folder = tmp_path_factory.mktemp("files")
    copy = folder / "archive"
    shutil.copytree(demo_dir, copy)
    files = {"json": folder / "archive.json", "backup": folder / "backup.sqlite"}
    assert monitor_app("export-json", "-o", str(files["json"]), data_dir=copy, as_user="audrey").returncode == 0
    assert monitor_app("backup", "-o", str(files["backup"]), data_dir=copy, as_user="admin").returncode == 0
    return files


# Every command that reads patient data or changes anything; OUT is where it would write.
COMMANDS = {
    "users list": ["users", "list"],
    "users add": ["users", "add", "eve", "--name", "Eve Mallory", "--role", "administrator"],
    "users disable": ["users", "disable", "carla"],
    "users reset-password": ["users", "reset-password", "nina"],
    "users unlock": ["users", "unlock", "nina"],
    "export-json": ["export-json", "-o", "OUT"],
    "import-json": ["import-json", "JSON"],
    "backup": ["backup", "-o", "OUT"],
    "restore": ["restore", "BACKUP"],
    "export-pdf": ["export-pdf", "1", "-o", "OUT"],
    "export-fhir": ["export-fhir", "1", "-o", "OUT"],
    "export-csv": ["export-csv", "-o", "OUT"],
    "daily-log": ["daily-log", "2026-01-05", "-o", "OUT"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_needs_a_person_and_audits_the_refusal(name, archive, exported, tmp_path):
    out = tmp_path / "out.file"
    argv = [{"OUT": str(out), "JSON": str(exported["json"]), "BACKUP": str(exported["backup"])}.get(a, a)
            for a in COMMANDS[name]]
    new_password = {"CHAIRSIDE_NEW_PASSWORD": "eve-password-1"}
    before, seq = fingerprint(archive, with_audit=False), last_seq(archive)
    refused(monitor_app(*argv, data_dir=archive, env=new_password), "needs a signed-in user", "CHAIRSIDE_USER")
    refused(monitor_app(*argv, data_dir=archive, env={**new_password, "CHAIRSIDE_USER": "admin",
                                                      "CHAIRSIDE_PASSWORD": "admin-wrong-pass"}),
            "Wrong user name or password")
    assert fingerprint(archive, with_audit=False) == before  # nothing done ...
    assert not out.exists()
    rows = audit_rows(archive, seq)  # ... and both attempts in the trail
    assert [(r[1], r[2]) for r in rows] == [("", "login_failed"), ("admin", "login_failed")]
    assert name.split()[0] in rows[0][4] and "no user given" in rows[0][4]
    assert monitor_app("verify", data_dir=archive).returncode == 0


def test_a_nurse_cannot_add_an_administrator(archive):
    before, seq = fingerprint(archive, with_audit=False), last_seq(archive)
    refused(monitor_app("users", "add", "eve", "--name", "Eve Mallory", "--role", "administrator", data_dir=archive,
                        as_user="nina", env={"CHAIRSIDE_NEW_PASSWORD": "eve-password-1"}),
            "A nurse may not manage user accounts")
    assert fingerprint(archive, with_audit=False) == before
    rows = audit_rows(archive, seq)
    assert [(r[1], r[2]) for r in rows] == [("nina", "login"), ("nina", "permission_denied")]
    assert "users add via the command line" in rows[1][4]
    refused(monitor_app("restore", str(archive / "chairside.sqlite"), data_dir=archive, as_user="carla"),
            "may not manage user accounts")


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def qr_text(pdf: Path, tmp_path: Path) -> str:
    """The QR code of page 1 as a scanner reads it (rendered, then decoded by zbarimg)."""
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "scan")],
                   check=True)
    page = sorted(tmp_path.glob("scan*.png"))[0]
    done = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_an_export_names_the_person_in_the_trail_and_on_the_page(archive, tmp_path):
    out = tmp_path / "record.pdf"
    done = monitor_app("export-pdf", "1", "-o", str(out), data_dir=archive, as_user="carla")
    assert done.returncode == 0, done.stderr
    by = "by Carla Jensen, RN, BSN via the command line"
    assert by in " ".join(pdf_text(out).split())
    (export,) = [r for r in audit_rows(archive) if r[2] == "export"]
    assert export[1] == "carla" and export[3] == "session" and by in export[4]


def print_record(archive: Path, tmp_path: Path) -> tuple[str, int]:
    """A co-signed record printed by the charge nurse: the text of its QR code and the chain row it anchors."""
    (sid,) = sql(archive, "SELECT id FROM infusion_sessions WHERE status = 'reviewed' ORDER BY id LIMIT 1")[0]
    out = tmp_path / "printed.pdf"
    assert monitor_app("export-pdf", str(sid), "-o", str(out), data_dir=archive, as_user="carla").returncode == 0
    text = qr_text(out, tmp_path)
    _prefix, uid, digest, seq, head = text.split(":")
    assert f"audit chain row {seq} at {head[:12]}" in pdf_text(out)  # the footer says the same in words
    # an earlier print's two parts still check with --record/--hash
    assert monitor_app("verify", "--record", uid, "--hash", digest, data_dir=archive).returncode == 0
    assert monitor_app("verify", "--anchor", text, data_dir=archive).returncode == 0
    return text, int(seq)


def test_a_recomputed_forgery_passes_verify_but_not_the_printed_anchor(archive, tmp_path):
    from forgery import change_a_cosigned_systolic
    text, seq = print_record(archive, tmp_path)
    change_a_cosigned_systolic(archive, 199)
    assert monitor_app("verify", data_dir=archive).returncode == 0  # consistent throughout: verify alone is fooled
    done = monitor_app("verify", "--anchor", text, data_dir=archive)
    assert done.returncode == 1, done.stdout
    assert done.stdout.startswith("DOES NOT MATCH")
    assert f"audit row {seq} no longer has the printed hash" in done.stdout
    assert "Does NOT match" in done.stdout  # and the record differs from the paper copy


def test_rows_removed_after_a_print_break_its_anchor_and_import_refuses_them(archive, tmp_path):
    from forgery import drop_audit_rows_from
    text, seq = print_record(archive, tmp_path)
    drop_audit_rows_from(archive, seq)  # the sign-in and the export of the print, and everything after
    assert monitor_app("verify", data_dir=archive).returncode == 0
    done = monitor_app("verify", "--anchor", text, data_dir=archive)
    assert done.returncode == 1 and f"audit row {seq}, printed as the chain head, is missing" in done.stdout
    # exported as it now is, and offered to a new archive with the printed anchor: refused, nothing created
    moved = tmp_path / "moved.json"
    assert monitor_app("export-json", "-o", str(moved), data_dir=archive, as_user="audrey").returncode == 0
    refused(monitor_app("import-json", str(moved), "--anchor", text, data_dir=tmp_path / "new", as_user="admin"),
            "does not pass through the printed anchor", f"audit row {seq}")
    assert not (tmp_path / "new").exists()


def test_import_json_prints_its_chain_head_and_accepts_a_matching_anchor(archive, tmp_path):
    text, seq = print_record(archive, tmp_path)
    moved = tmp_path / "moved.json"
    assert monitor_app("export-json", "-o", str(moved), data_dir=archive, as_user="audrey").returncode == 0
    head = json.loads(moved.read_text(encoding="utf-8"))["audit_trail"][-1]
    done = monitor_app("import-json", str(moved), "--anchor", text, data_dir=tmp_path / "new", as_user="admin")
    assert done.returncode == 0, done.stderr
    assert f"ends at row {head['seq']} with hash {head['row_hash']}" in done.stdout
    assert monitor_app("verify", "--anchor", text, data_dir=tmp_path / "new").returncode == 0
    # the import is in the new archive's trail, under the file's administrator
    assert [(r[1], r[2]) for r in audit_rows(tmp_path / "new", head["seq"])][:1] == [("admin", "import")]
    # a forged file is refused against the same anchor
    from forgery import change_a_cosigned_systolic
    change_a_cosigned_systolic(archive, 205)
    forged = tmp_path / "forged.json"
    assert monitor_app("export-json", "-o", str(forged), data_dir=archive, as_user="audrey").returncode == 0
    refused(monitor_app("import-json", str(forged), "--anchor", text, data_dir=tmp_path / "other", as_user="admin"),
            "does not pass through the printed anchor", f"audit row {seq} no longer has the printed hash")
    assert not (tmp_path / "other").exists()


def test_the_daily_log_of_a_demo_day(archive, tmp_path):
    """Printed as the charge nurse: a clean PDF, fonts embedded, its QR code checks the archive with verify."""
    (day,) = sql(archive, "SELECT date(min(arrival_at)) FROM infusion_sessions")[0]
    out = tmp_path / "daily.pdf"
    done = monitor_app("daily-log", day, "-o", str(out), data_dir=archive, as_user="carla")
    assert done.returncode == 0, done.stderr
    check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded
    text = qr_text(out, tmp_path)
    assert text.startswith(f"chairside-day:{day}:") and text in done.stdout
    words = " ".join(pdf_text(out).split())
    assert "Daily clinic log" in words and "MRN 100231" in words and "Nina Okafor, RN" in words
    for shown in ("critical Systolic BP 186", "rechecked", "Modified Aldrete 9", "co-signed", "Awaiting signature: 0"):
        assert shown in words, shown
    assert text.split(":")[-1] in words.replace(" ", "")  # the chain head in words
    assert "by Carla Jensen, RN, BSN via the command line" in words
    assert [(r[1], r[2], r[3]) for r in audit_rows(archive) if r[3] == "daily_log"] == [("carla", "export",
                                                                                         "daily_log")]
    assert monitor_app("verify", "--anchor", text, data_dir=archive).returncode == 0
    from forgery import change_a_cosigned_systolic
    change_a_cosigned_systolic(archive, 201)
    done = monitor_app("verify", "--anchor", text, data_dir=archive)
    assert done.returncode == 1 and "no longer has the printed hash" in done.stdout
