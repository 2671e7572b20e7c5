"""Integrity checks for auditors: the whole archive, and a paper copy against the archive."""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from monitor_app.services import audit
from monitor_app.services.access import Actor
from monitor_app.services.records import _children, content_hash, verify_signatures
from monitor_app.domain.errors import FieldError
from monitor_app.storage.db import ArchiveFault, Database, DatabaseError
from monitor_app.storage.models import InfusionSession, Signature


log = logging.getLogger(__name__)

# Audit rows from which two processes (the chain in one, the tables in the other) beat one: each starts cold.
PARALLEL_FROM = 100_000


def verify_archive(db: Database, actor: Actor, parallel: bool | None = None) -> audit.VerifyReport:
    """Recompute the audit chain, every audited row and every signature (SPEC 3 rule 5)."""
    actor.require("verify")
    if db.read_only:
        from monitor_app.storage.migrate import HEAD, current_revision
        found = current_revision(db)
        if found != HEAD:
            if found and found.isdigit() and HEAD.isdigit() and int(found) < int(HEAD):
                raise DatabaseError(f"This archive has the schema of an earlier Chairside ({found}); open it with "
                                    "this version once (it is upgraded after a backup), then verify it.")
            raise DatabaseError(f"This database was written by a newer version of Chairside (schema {found}); "
                                "install that version to verify it.")
    try:
        return _verify(db, parallel)
    except ArchiveFault as exc:
        if exc.kind not in ("damaged", "refused"):
            raise
        # A damaged file: what could not be read is the finding, not a crash of the check.
        report = audit.VerifyReport()
        report.problems.extend(damage_of(db, exc.kind))
        return report
    except DBAPIError:  # read outside Database.reader (the two-process check)
        report = audit.VerifyReport()
        report.problems.extend(damage_of(db, "damaged"))
        return report


def damage_of(db: Database, reason: str) -> list[str]:
    """Name the pages and tables that cannot be read (SQLite's own integrity check), never the SQL."""
    path = db.sqlite_path
    if path is None:
        return [f"the archive could not be read ({reason})"]
    import sqlite3
    found: list[str] = []
    try:
        from monitor_app.storage.db import read_only_uri
        con = sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error:
        return [f"the archive file {path} could not be read ({reason})"]
    try:
        try:
            lines = [r[0] for r in con.execute("PRAGMA integrity_check(20)")]
            found += [f"damaged: {line}" for line in lines if line != "ok" and not line.startswith("***")]
        except sqlite3.Error as err:
            found.append(f"the integrity check could not run ({err})")
        try:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        except sqlite3.Error as err:
            tables = []
            found.append(f"the list of tables cannot be read ({err})")
        for table in tables:
            try:
                for _row in con.execute(f'SELECT * FROM "{table}"'):
                    pass
            except sqlite3.Error as err:
                found.append(f"table {table}: cannot be read ({err})")
    finally:
        con.close()
    return found or [f"the archive could not be read ({reason})"]


def _verify(db: Database, parallel: bool | None) -> audit.VerifyReport:
    if parallel is None:
        with db.reader() as s:
            parallel = (os.cpu_count() or 1) > 1 and audit.count_rows(s) >= PARALLEL_FROM
    if parallel:
        try:
            report = _verify_in_two_processes(db)
        except (OSError, BrokenProcessPool) as exc:  # no worker processes here: one process does it all
            log.warning("verify in two processes unavailable (%s); verifying in one", type(exc).__name__)
        else:
            if report.intact:
                return report
            # The two processes read at two moments, and a workstation may have written in between: whatever
            # looked wrong is checked again, in one consistent read, before it is reported.
    with db.reader() as s:
        return audit.verify(s)


def _verify_in_two_processes(db: Database) -> audit.VerifyReport:
    # "spawn": a fresh interpreter, never a copy of a process whose other threads may hold locks (the GUI's).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        chain = pool.submit(_chain_job, db.url, str(db.data_dir), db.read_only)
        tables = pool.submit(_tables_job, db.url, str(db.data_dir), db.read_only)
        report, last_after = chain.result()
        digests = tables.result()
    audit.compare_tables(last_after, digests, report)
    with db.reader() as s:
        verify_signatures(s, report)
    return report


def _open_in_worker(url: str, data_dir: str, read_only: bool = False) -> Database:
    """Each worker opens the archive itself: connections never cross a process boundary."""
    from monitor_app.storage.db import open_database
    return open_database(url, data_dir, migrate=False, create=False, read_only=read_only)


def _chain_job(url: str, data_dir: str, read_only: bool = False) -> tuple[audit.VerifyReport,
                                                                         dict[str, dict[str, bytes]]]:
    db = _open_in_worker(url, data_dir, read_only)
    try:
        report = audit.VerifyReport()
        with db.reader() as s:
            return report, audit.verify_chain(s, report)
    finally:
        db.dispose()


def _tables_job(url: str, data_dir: str, read_only: bool = False) -> dict[str, dict[str, bytes]]:
    db = _open_in_worker(url, data_dir, read_only)
    try:
        with db.reader() as s:
            return audit.table_digests(s)
    finally:
        db.dispose()


def check_paper_copy(db: Database, actor: Actor, record_uid: str, printed_hash: str) -> tuple[bool, str]:
    """Does a printed record (its id and short or full content hash) match the archive?"""
    actor.require("verify")
    printed_hash = printed_hash.strip().lower()
    if len(printed_hash) < 12 or len(printed_hash) > 64 or any(c not in "0123456789abcdef" for c in printed_hash):
        raise FieldError("hash", "The printed hash must be 12 to 64 hexadecimal characters, as printed on the "
                                 "record's footer or in its QR code.")
    with db.reader() as s:
        row = s.scalar(select(InfusionSession).where(InfusionSession.record_uid == record_uid.strip()))
        if row is None:
            return False, f"No record {record_uid} in this archive."
        children = _children(s, row)
        current = content_hash(s, row, None, children)
        if current.startswith(printed_hash):
            return True, f"Matches: the paper copy of record {record_uid} is the record as it stands in the archive."
        for sig in s.scalars(select(Signature).where(Signature.session_id == row.id).order_by(Signature.id)):
            if sig.content_hash.startswith(printed_hash):
                return True, (f"Matches the record as {sig.printed_name} signed it ({sig.meaning}, "
                              f"{sig.signed_at:%Y-%m-%d %H:%M} UTC); the record has had additions since.")
        return False, f"Does NOT match: the content of record {record_uid} in the archive differs from the paper copy."


def record_export(db: Database, actor: Actor, session_id: int, action: str, detail: str) -> None:
    """Write an export or a print of a record to the audit trail (SPEC 3 rule 5)."""
    actor.require("export")
    with db.transaction() as s:
        audit.write(s, actor, action, "session", session_id, session_id=session_id, reason=detail)
