"""Integrity checks for auditors: the whole archive, and a paper copy against the archive."""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from monitor_app.domain.anchor import Anchor, ChainHead
from monitor_app.services import audit
from monitor_app.services.access import Actor
from monitor_app.services.records import _children, content_hash, get_session_row, verify_signatures
from monitor_app.domain.errors import FieldError
from monitor_app.storage.db import ArchiveFault, Database, DatabaseError
from monitor_app.storage.models import ENTITY_OF, AuditEvent, InfusionSession, Signature


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


def check_course_copy(db: Database, actor: Actor, course_id: int, printed_digest: str) -> tuple[bool, str]:
    """Does a printed course summary (its course id and digest) match the course's records in the archive?"""
    from monitor_app.domain.anchor import course_digest
    from monitor_app.domain.errors import NotFound
    from monitor_app.services.queries import course_record_hashes
    actor.require("verify")
    try:
        hashes = course_record_hashes(db, actor, course_id)
    except NotFound:
        return False, f"No course {course_id} in this archive."
    if course_digest(hashes) == printed_digest:
        return True, (f"Matches: the course summary of course {course_id} is the course as it stands in the "
                      f"archive ({len(hashes)} infusion records).")
    done = next((k for k in range(len(hashes) - 1, -1, -1) if course_digest(hashes[:k]) == printed_digest), None)
    if done is not None:
        return True, (f"Matches the course as it stood with its first {done} infusion records; "
                      f"{len(hashes) - done} more recorded since the summary was printed.")
    return False, (f"Does NOT match: the records of course {course_id} in the archive differ from the printed "
                   "summary.")


def record_export(db: Database, actor: Actor, session_id: int, action: str, detail: str) -> None:
    """Write an export or a print of a record to the audit trail (SPEC 3 rule 5)."""
    actor.require("export")
    with db.transaction() as s:
        audit.write(s, actor, action, "session", session_id, session_id=session_id, reason=detail)


# ------------------------------------------------------------------------------------------- one record

@dataclass(frozen=True)
class RecordCheck:
    """The verdict on one record: intact or not, and what was checked, each in a sentence."""

    intact: bool
    content_hash: str
    findings: list[str]
    problems: list[str]


def check_record(db: Database, actor: Actor, session_id: int) -> RecordCheck:
    """One record against the audit trail: its audit rows and their links, every row of the record against the
    trail's last snapshot of it, and every signature against the content it signed (SPEC 3 rule 5)."""
    actor.require("verify")
    findings, problems = [], []
    with db.reader() as s:
        row = get_session_row(s, session_id)
        children = _children(s, row)
        trail = s.scalars(select(AuditEvent).where(AuditEvent.session_id == row.id).order_by(AuditEvent.seq)).all()
        broken = 0
        for a in trail:
            if audit.row_hash(a) != a.row_hash:
                broken += 1
                problems.append(f"Audit row {a.seq} ({a.action} {a.entity} {a.entity_id}) does not match its hash: "
                                "it was changed outside Chairside.")
            before = s.scalar(select(AuditEvent.row_hash).where(AuditEvent.seq == a.seq - 1)) if a.seq > 1 \
                else audit.GENESIS
            if before != a.prev_hash:
                broken += 1
                problems.append(f"Audit row {a.seq} does not link to the row before it in the chain.")
        if not broken:
            findings.append(f"All {len(trail)} audit rows of this record match their hashes and link into the "
                            f"audit chain.")
        last = {}
        for a in trail:
            if a.after is not None:
                last[(a.entity, a.entity_id)] = a.after
        parts = [row] + [x for rows in children.values() for x in rows]
        differ = 0
        for obj in parts:
            entity = ENTITY_OF[type(obj)]
            key = (entity, str(obj.id))
            if key not in last:
                differ += 1
                problems.append(f"{entity.replace('_', ' ').capitalize()} {obj.id} is not in the audit trail: it "
                                f"was written outside Chairside.")
            elif last[key] != audit.canonical(audit.snapshot(obj)):
                differ += 1
                problems.append(f"{entity.replace('_', ' ').capitalize()} {obj.id} differs from the audit trail: it "
                                f"was changed outside Chairside.")
        if not differ:
            findings.append(f"Every part of the record ({len(parts)} rows: readings, flags, events, signatures "
                            f"and the rest) is exactly as the audit trail last wrote it.")
        sigs = children["signatures"]
        for sig in sigs:
            when = f"{sig.signed_at:%Y-%m-%d %H:%M} UTC"
            if content_hash(s, row, sig.signed_at, children) == sig.content_hash:
                findings.append(f"The {sig.meaning.lower()} signature of {sig.printed_name} ({when}) matches the "
                                f"content it signed.")
            else:
                problems.append(f"The {sig.meaning.lower()} signature of {sig.printed_name} ({when}) no longer "
                                f"matches the content it signed.")
        if not sigs:
            findings.append("The record has no signature yet.")
        current = content_hash(s, row, None, children)
    return RecordCheck(not problems, current, findings, problems)


def check_printed_code(db: Database, actor: Actor, text: str) -> tuple[bool, str]:
    """A paper copy, by the text of its QR code (a record's, a course summary's or a daily log's), against the
    archive; the verdict in words. The code is read by the one parser of printed anchors (domain.anchor),
    earlier prints included."""
    from monitor_app.domain.anchor import AnchorError, parse_anchor
    actor.require("verify")
    try:
        anchor = parse_anchor(text)
    except AnchorError as exc:
        return False, f"This is {exc}."
    if anchor.record_uid is not None:
        ok, message = check_paper_copy(db, actor, anchor.record_uid, anchor.content_hash)
    elif anchor.course_id is not None:
        ok, message = check_course_copy(db, actor, anchor.course_id, anchor.content_hash)
    else:
        ok, message = True, f"Daily log of {anchor.day.isoformat()}."
    if anchor.chain is not None:
        broken = check_anchor(db, actor, Anchor(anchor.chain))
        if broken:
            ok, message = False, message + " But the audit chain does NOT pass through the printed head: " + \
                "; ".join(broken) + "."
        else:
            message += f" The audit chain still passes through row {anchor.chain.seq} as printed."
    return ok, message


def record_course_export(db: Database, actor: Actor, course_id: int, detail: str) -> None:
    """Write an export of a course summary to the audit trail (SPEC 3 rule 5)."""
    actor.require("export")
    with db.transaction() as s:
        audit.write(s, actor, "export", "course", course_id, reason=detail)


# ---------------------------------------------------------------------------------------------------- anchors

def chain_head(db: Database) -> ChainHead:
    """Where the audit chain ends now: what a printed page anchors."""
    with db.reader() as s:
        return head_in(s)


def head_in(s) -> ChainHead:
    last = s.execute(select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return ChainHead(last.seq, last.row_hash) if last else ChainHead(0, audit.GENESIS)


def chain_problem(rows: dict[int, str], chain: ChainHead) -> str | None:
    """Does a chain (row position -> row hash) still pass through a printed head?"""
    if chain.seq == 0:
        return None
    found = rows.get(chain.seq)
    if found is None:
        return (f"audit row {chain.seq}, printed as the chain head, is missing: rows were removed "
                f"(the chain now ends at row {max(rows, default=0)})")
    if found != chain.row_hash:
        return (f"audit row {chain.seq} no longer has the printed hash {chain.row_hash[:12]} (it has {found[:12]}): "
                "the chain up to that row was changed or recomputed")
    return None


def check_anchor(db: Database, actor: Actor, anchor: Anchor) -> list[str]:
    """What no longer matches a printed anchor (empty: the archive still holds what was printed)."""
    actor.require("verify")
    problems = []
    if anchor.chain is not None:
        with db.reader() as s:
            row = s.execute(select(AuditEvent.row_hash).where(AuditEvent.seq == anchor.chain.seq)).first()
            last = head_in(s).seq
        problem = chain_problem({anchor.chain.seq: row.row_hash} if row else {last: ""} if last else {},
                                anchor.chain)
        if problem:
            problems.append(problem)
    if anchor.record_uid is not None:
        ok, message = check_paper_copy(db, actor, anchor.record_uid, anchor.content_hash)
        if not ok:
            problems.append(message)
    if anchor.course_id is not None:
        ok, message = check_course_copy(db, actor, anchor.course_id, anchor.content_hash)
        if not ok:
            problems.append(message)
    return problems
