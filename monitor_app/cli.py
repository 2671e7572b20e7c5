"""Command line (SPEC 7): every command works without a display; errors are one line on stderr, never a traceback."""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import shutil
import sys
from datetime import date
from pathlib import Path

from monitor_app import __version__
from monitor_app.domain.errors import ChairsideError

log = logging.getLogger("monitor_app.cli")


class UsageError(ChairsideError):
    """The command line was used wrongly (a missing file, a bad date...)."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _record_id(text: str) -> int:
    """An id as the archive numbers records: 1 up to the largest integer it stores."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a record id (a whole number): {text!r}") from None
    if not 1 <= value <= 2**63 - 1:
        raise argparse.ArgumentTypeError(f"no record has the id {text} (ids run from 1 to {2**63 - 1})")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """A mistyped command line is one line too, with where to find the right form."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="monitor-app", description="Chairside: infusion session documentation "
                "(documentation only, not a medical device). Without a command, opens the application.")
    p.add_argument("--version", action="version", version=f"Chairside {__version__}")
    where = p.add_argument_group("archive")
    where.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://host/db "
                                              "(default: $MONITOR_APP_DATABASE_URL or SQLite in the data directory)")
    where.add_argument("--data-dir", help="folder for the SQLite archive, backups and logs")
    who = p.add_argument_group("who", "Commands that read patient data or change anything act as a signed-in "
                               "user: CHAIRSIDE_USER and CHAIRSIDE_PASSWORD, or --user NAME (asks the password).")
    who.add_argument("--user", help="sign in as this user (the password is asked on the terminal)")
    # The same options after the command (monitor-app verify --data-dir D); SUPPRESS keeps one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--user", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, **kw) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kw)

    command("demo", help="create a demo clinic (users with passwords, patients, sessions)")

    v = command("verify", help="check the audit chain, every table and every signature")
    v.add_argument("--record", help="record id (from a printed record or its QR code)")
    v.add_argument("--hash", help="content hash printed on the record")
    v.add_argument("--anchor", help="the text of a printed QR code (a record, a course summary or a daily log): "
                                    "the chain must still pass through the printed head and the record or course "
                                    "still match")

    u = command("users", help="user accounts")
    us = u.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    a = us.add_parser("add", help="add a user (asks for the password, or reads it from $CHAIRSIDE_NEW_PASSWORD)")
    a.add_argument("username")
    a.add_argument("--name", required=True, help="full name as printed on signatures")
    a.add_argument("--role", required=True, choices=["nurse", "charge_nurse", "auditor", "administrator"])
    a.add_argument("--credentials", default="", help="e.g. RN, BSN")
    us.add_parser("list", help="list users")
    d = us.add_parser("disable", help="disable a user")
    d.add_argument("username")
    r = us.add_parser("reset-password", help="set a new password (asks, or reads $CHAIRSIDE_NEW_PASSWORD)")
    r.add_argument("username")
    un = us.add_parser("unlock", help="end a lock-out after wrong passwords")
    un.add_argument("username")

    ej = command("export-json", help="export whole records in the versioned JSON interchange format")
    ej.add_argument("-o", "--output", required=True)
    ij = command("import-json", help="import records exported with export-json")
    ij.add_argument("file")
    ij.add_argument("--anchor", help="the text of a printed QR code: refuse a file whose chain does not pass "
                                     "through it")

    b = command("backup", help="write a consistent copy of the archive")
    b.add_argument("-o", "--output", required=True)
    rs = command("restore", help="replace the archive with a backup (the current one is kept aside)")
    rs.add_argument("file")

    ep = command("export-pdf", help="PDF session records")
    ep.add_argument("session_id", nargs="?", type=_record_id)
    ep.add_argument("-o", "--output", help="PDF file for one session")
    ep.add_argument("--all", action="store_true", help="every session (optionally --from/--to)")
    ep.add_argument("--from", dest="date_from", type=_date)
    ep.add_argument("--to", dest="date_to", type=_date)
    ep.add_argument("--out-dir", help="folder for --all")
    ep.add_argument("--audit-appendix", action="store_true", help="append the record's audit trail")
    ep.add_argument("--jobs", type=int, default=0, help="worker processes for --all (default: all cores)")

    ecp = command("export-course-pdf", help="the course summary PDF of one course")
    ecp.add_argument("course_id", type=int)
    ecp.add_argument("-o", "--output", required=True, help="PDF file")

    ef = command("export-fhir", help="a FHIR R4 Bundle of one session")
    ef.add_argument("session_id", type=_record_id)
    ef.add_argument("-o", "--output", required=True)

    ec = command("export-csv", help="readings as CSV for analysis")
    ec.add_argument("-o", "--output", required=True)
    ec.add_argument("--from", dest="date_from", type=_date)
    ec.add_argument("--to", dest="date_to", type=_date)

    dl = command("daily-log", help="the daily clinic log of one day (PDF), closing with the day's chain head")
    dl.add_argument("day", type=_date, metavar="DATE")
    dl.add_argument("-o", "--output", required=True)
    return p


def _open(args, *, create: bool = False, restoring: bool = False):
    from monitor_app.logs import setup_logging
    from monitor_app.services.settings import bootstrap
    from monitor_app.storage.db import open_database, resolve_url
    _url, data_dir = resolve_url(args.database_url, args.data_dir)
    db = open_database(args.database_url, args.data_dir, create=create, restoring=restoring)
    setup_logging(data_dir)  # only once the archive opened: a refused command leaves nothing behind
    bootstrap(db)
    return db


def _password(prompt: str) -> str:
    """A new user's password: $CHAIRSIDE_NEW_PASSWORD, a line on stdin, or typed twice on the terminal."""
    env = os.environ.get("CHAIRSIDE_NEW_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise UsageError("No password given (type it, pipe it, or set CHAIRSIDE_NEW_PASSWORD).")
        return line.rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise UsageError("The two passwords differ.")
    return first


class SignInRequired(ChairsideError):
    """A command that reads patient data or changes anything was given no user."""


VIA = "the command line"


def _credentials(args) -> tuple[str, str]:
    """Who signs in: --user with the password asked on the terminal, or CHAIRSIDE_USER and CHAIRSIDE_PASSWORD."""
    username = (getattr(args, "user", None) or os.environ.get("CHAIRSIDE_USER") or "").strip()
    if not username:
        raise SignInRequired(f"{args.command} needs a signed-in user: set CHAIRSIDE_USER and CHAIRSIDE_PASSWORD, "
                             "or give --user NAME. Nothing was done.")
    password = os.environ.get("CHAIRSIDE_PASSWORD")
    if getattr(args, "user", None) and sys.stdin.isatty():
        password = getpass.getpass(f"Password for {username}: ")
    if not password:
        raise SignInRequired(f"{args.command}: no password for {username} (set CHAIRSIDE_PASSWORD, or run on a "
                             "terminal with --user to be asked). Nothing was done.")
    return username, password


def _sign_in(args, db, need: str | None = None):
    """The person a command acts as, signed in against the archive (failures audited there), or a refusal."""
    from dataclasses import replace
    from monitor_app.services import users
    from monitor_app.services.access import Actor, record_refusal
    from monitor_app.domain.session import Role
    try:
        username, password = _credentials(args)
    except SignInRequired:
        claimed = (getattr(args, "user", None) or os.environ.get("CHAIRSIDE_USER") or "")[:64]
        record_refusal(db, Actor(None, claimed, "", "", Role.NURSE), "login_failed",
                       f"{args.command} via {VIA}: {'no password' if claimed else 'no user given'}")
        raise
    actor = replace(users.sign_in(db, username, password), via=VIA)
    if need:
        actor.require(need, f"{' '.join(_command_words(args))} via {VIA}")
    return actor


def _command_words(args) -> list[str]:
    return [args.command] + ([args.users_command] if args.command == "users" else [])


def _sign_in_elsewhere(args, user_rows: list[dict], where: str):
    """Sign in against the users of the backup or file itself, when the archive here has none to ask."""
    from dataclasses import replace
    from monitor_app.services import users
    from monitor_app.domain.errors import AuthenticationFailed
    username, password = _credentials(args)
    row = next((r for r in user_rows if r.get("username") == username), None)
    if row is None:
        raise AuthenticationFailed("Wrong user name or password.")
    actor = replace(users.authenticate_elsewhere(row, password), via=VIA)
    actor.require("manage_users", f"{args.command} via {VIA}")
    log.info("signed in against the users of %s", where)
    return actor


def _cmd_demo(args) -> int:
    from monitor_app.services.demo import create_demo
    db = _open(args, create=True)
    accounts = create_demo(db)
    print("Demo clinic created. Sign in with:")
    for username, password, role in accounts:
        print(f"  {username:<10} {password:<16} {role}")
    return 0


def _cmd_verify(args) -> int:
    from monitor_app.services.integrity import check_paper_copy, verify_archive
    from monitor_app.services.access import SYSTEM
    from monitor_app.storage.db import open_database
    # Read-only: nothing is written (an auditor's read-only copy verifies), nothing is created or migrated.
    db = open_database(args.database_url, args.data_dir, create=False, read_only=True, migrate=False)
    try:
        from monitor_app.logs import setup_logging
        setup_logging(db.data_dir)
    except OSError:
        pass  # a read-only copy: verify still works, without a log
    if args.anchor:
        return _verify_anchor(db, args.anchor)
    if args.record or args.hash:
        if not (args.record and args.hash):
            raise UsageError("Give both --record and --hash to check a paper copy.")
        ok, message = check_paper_copy(db, SYSTEM, args.record, args.hash)
        print(message)
        return 0 if ok else 1
    report = verify_archive(db, SYSTEM)
    if report.intact:
        print(f"Intact: {report.rows_checked} audit rows and {report.records_checked} signed records match.")
        return 0
    print(f"NOT INTACT: {len(report.problems)} problem(s) found:")
    for line in report.problems:
        print(f"  - {line}")
    return 1


def _verify_anchor(db, text: str) -> int:
    """The whole archive checked, and then what the printed page says: the chain's head then, the record."""
    from monitor_app.domain.anchor import parse_anchor
    from monitor_app.services.access import SYSTEM
    from monitor_app.services.integrity import check_anchor, verify_archive
    anchor = parse_anchor(text)
    report = verify_archive(db, SYSTEM)
    problems = check_anchor(db, SYSTEM, anchor) + report.problems
    what = (f"record {anchor.record_uid}" if anchor.record_uid else
            f"the summary of course {anchor.course_id}" if anchor.course_id is not None else
            f"the daily log of {anchor.day}")
    if not problems:
        where = f"row {anchor.chain.seq} with the printed hash" if anchor.chain else "(no chain head printed)"
        print(f"Matches: the audit chain still passes through {where}, {what} is as printed, and "
              f"{report.rows_checked} audit rows and {report.records_checked} signed records are intact.")
        return 0
    print(f"DOES NOT MATCH the printed anchor of {what}: {len(problems)} problem(s):")
    for line in problems:
        print(f"  - {line}")
    return 1


def _cmd_users(args) -> int:
    from monitor_app.services import users
    db = _open(args, create=False)
    actor = _sign_in(args, db, "manage_users")
    cmd = args.users_command
    if cmd == "add":
        users.add_user(db, actor, args.username, args.name, args.role, _password("Password: "), args.credentials)
        print(f"User {args.username} added.")
    elif cmd == "list":
        for u in users.list_users(db, actor):
            state = "active" if u.active else "disabled"
            print(f"{u.username:<16} {u.role:<14} {state:<9} {u.full_name}"
                  f"{', ' + u.credentials if u.credentials else ''}")
    elif cmd == "disable":
        users.disable_user(db, actor, args.username)
        print(f"User {args.username} disabled.")
    elif cmd == "reset-password":
        users.reset_password(db, actor, args.username, _password("New password: "))
        print(f"Password of {args.username} reset.")
    elif cmd == "unlock":
        users.unlock_user(db, actor, args.username)
        print(f"User {args.username} unlocked.")
    return 0


def _existing_file(path: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"No such file: {path}")
    return p


def _cmd_export_json(args) -> int:
    from monitor_app.reports.interchange import export_archive
    db = _open(args, create=False)
    n = export_archive(db, _sign_in(args, db), Path(args.output))
    print(f"Exported {n} session record(s) to {args.output}.")
    return 0


def _cmd_import_json(args) -> int:
    from monitor_app.reports.interchange import check_file, import_archive
    from monitor_app.storage.db import resolve_url
    from monitor_app.storage.models import User
    checked = check_file(_existing_file(args.file))  # a bad file is refused before any archive is created
    head = _file_head(checked)
    if args.anchor:
        _refuse_off_anchor(checked, args.anchor)
    url, data_dir = resolve_url(args.database_url, args.data_dir)
    created_here = url.startswith("sqlite") and not data_dir.exists()
    if created_here:  # an empty archive has no one to ask: the file's own administrator signs in
        actor = _sign_in_elsewhere(args, checked.rows[User], args.file)
    db = _open(args, create=True)
    try:
        if not created_here:
            actor = _sign_in(args, db, "manage_users")
        n = import_archive(db, actor, checked)
        _audit_archive_action(db, actor, "import", f"interchange file {Path(args.file).name}; imported chain "
                                                   f"head row {head.seq} {head.row_hash}")
    except BaseException:
        db.dispose()
        if created_here:  # a refused import leaves no empty archive behind in a folder it made
            shutil.rmtree(data_dir, ignore_errors=True)
        raise
    print(f"Imported {n} session record(s) from {args.file}; its audit chain ends at row {head.seq} with hash "
          f"{head.row_hash}.")
    return 0


def _file_head(checked):
    from monitor_app.domain.anchor import ChainHead
    from monitor_app.services.audit import GENESIS
    last = checked.trail[-1] if checked.trail else None
    return ChainHead(last["seq"], last["row_hash"]) if last else ChainHead(0, GENESIS)


def _refuse_off_anchor(checked, text: str) -> None:
    """An interchange file whose chain does not pass through a printed head is refused before anything is done."""
    from monitor_app.domain.anchor import parse_anchor
    from monitor_app.services.integrity import chain_problem
    anchor = parse_anchor(text)
    if anchor.chain is None:
        raise UsageError("That QR text carries no chain head (printed before anchors); verify it with "
                         "--record/--hash once imported.")
    problem = chain_problem({r["seq"]: r["row_hash"] for r in checked.trail}, anchor.chain)
    if problem:
        raise UsageError(f"{checked.path.name} does not pass through the printed anchor: {problem}. "
                         "Nothing was imported.")


def _audit_archive_action(db, actor, action: str, reason: str) -> None:
    from monitor_app.services import audit
    with db.transaction() as s:
        audit.write(s, actor, action, "archive", "", reason=reason)


def _cmd_backup(args) -> int:
    from monitor_app.services.backup import backup
    db = _open(args, create=False)
    out = backup(db, _sign_in(args, db), Path(args.output))
    print(f"Backup written to {out}.")
    return 0


def _cmd_restore(args) -> int:
    from monitor_app.services.backup import restore
    path = _existing_file(args.file)
    try:
        db = _open(args, create=False)
    except ChairsideError:  # the archive is gone: an administrator of the backup itself restores it
        actor = _sign_in_elsewhere(args, _backup_users(path), args.file)
        db = _open(args, restoring=True)
    else:
        actor = _sign_in(args, db, "manage_users")
    kept = restore(db, actor, path)
    print(f"Archive restored from {args.file}" + (f"; the previous archive is kept at {kept}." if kept else "."))
    return 0


def _backup_users(path: Path) -> list[dict]:
    """The user rows of a backup (an SQLite copy or an interchange file), read without changing it."""
    import sqlite3
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("SELECT * FROM users")]
        finally:
            con.close()
    except sqlite3.DatabaseError:
        from monitor_app.reports.interchange import check_file
        from monitor_app.storage.models import User
        return check_file(path).rows[User]


def _cmd_export_pdf(args) -> int:
    from monitor_app.reports.pdf_export import export_command
    db = _open(args, create=False)
    return export_command(db, args, _sign_in(args, db))


def _cmd_export_course_pdf(args) -> int:
    from monitor_app.reports.course_pdf import export_course_pdf
    db = _open(args, create=False)
    path = export_course_pdf(db, _sign_in(args, db), args.course_id, Path(args.output))
    print(f"Course summary written to {path}.")
    return 0


def _cmd_export_fhir(args) -> int:
    from monitor_app.reports.fhir import export_bundle
    db = _open(args, create=False)
    export_bundle(db, _sign_in(args, db), args.session_id, Path(args.output))
    print(f"FHIR Bundle written to {args.output}.")
    return 0


def _cmd_export_csv(args) -> int:
    from monitor_app.reports.csv_export import export_readings
    db = _open(args, create=False)
    n = export_readings(db, _sign_in(args, db), Path(args.output), args.date_from, args.date_to)
    print(f"Exported {n} reading(s) to {args.output}.")
    return 0


def _cmd_daily_log(args) -> int:
    from monitor_app.reports.daily_log import export_daily_log
    db = _open(args, create=False)
    path, anchor = export_daily_log(db, _sign_in(args, db), args.day, Path(args.output))
    print(f"Daily log of {args.day} written to {path}; its QR code reads {anchor.text}")
    return 0


COMMANDS = {"demo": _cmd_demo, "verify": _cmd_verify, "users": _cmd_users, "export-json": _cmd_export_json,
            "import-json": _cmd_import_json, "backup": _cmd_backup, "restore": _cmd_restore,
            "export-pdf": _cmd_export_pdf, "export-fhir": _cmd_export_fhir, "export-csv": _cmd_export_csv,
            "daily-log": _cmd_daily_log, "export-course-pdf": _cmd_export_course_pdf}


def _log_unexpected(args) -> None:
    """The traceback goes to the log file, never to the terminal (logging's last resort would print it there)."""
    if not logging.getLogger().handlers:
        try:
            from monitor_app.logs import setup_logging
            from monitor_app.storage.db import resolve_url
            setup_logging(resolve_url(args.database_url, args.data_dir)[1])
        except Exception:
            return
    log.exception("command %s failed", args.command)  # logs.py keeps the stack and the error's type only


def _no_display() -> str | None:
    """Qt would abort with a page of plugin messages when there is no screen: say it in one line instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set); every command works "
            "without one (monitor-app --help).")


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        problem = _no_display()
        if problem:
            print(f"monitor-app: {problem}", file=sys.stderr)
            return 2
        from monitor_app.ui import quick_start
        quick_start.begin()
        from monitor_app.ui.application import run_gui
        return run_gui(args)
    from monitor_app.logs import quiet_terminal
    quiet_terminal()  # warnings go to the log file, never as a traceback on the terminal
    try:
        return COMMANDS[args.command](args)
    except ChairsideError as exc:
        print(f"monitor-app: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("monitor-app: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"monitor-app: {exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}",
              file=sys.stderr)
        return 2
    except Exception as exc:  # the last line of defence: log the details, show one line
        _log_unexpected(args)
        from monitor_app.logs import safe_error_text
        print(f"monitor-app: unexpected error ({safe_error_text(exc)}); details are in the log.", file=sys.stderr)
        return 3
