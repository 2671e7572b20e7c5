"""Writing PDF session records to files: one record, or a whole period with worker processes; every export audited."""
from __future__ import annotations

import multiprocessing
import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from monitor_app.domain.clock import clinic_zone
from monitor_app.domain.errors import ChairsideError
from monitor_app.services.access import Actor
from monitor_app.storage.db import Database

# Below this many records, starting worker processes costs more than it saves.
PARALLEL_FROM = 8


class ExportFailed(ChairsideError):
    """Some records of a batch could not be exported (each is named)."""


class ExportUsageError(ChairsideError):
    """export-pdf was asked for something it cannot do (a missing -o, --all without --out-dir...)."""


def _usage(message: str) -> ChairsideError:
    # Not cli.UsageError: reports may not import the command line, which imports the GUI.
    return ExportUsageError(message)


def write_atomically(path: Path, data: bytes) -> Path:
    """Write to a temporary file beside `path`, flush it to disk, then rename: never a half-written record."""
    from monitor_app.services.exports import export_file
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with export_file(path, binary=True) as fh:
        fh.write(data)
    return path


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "unknown"


def file_name(record, zone) -> str:
    """`<date>_<MRN>_infusion-<n>_<session id>.pdf`, the date being the local day of arrival."""
    day = record.arrival_at.astimezone(zone).date().isoformat()
    return f"{day}_{_safe(record.patient.mrn)}_infusion-{record.number}_{record.id}.pdf"


def _build(db: Database, actor: Actor, session_id: int, appendix: bool):
    from monitor_app.reports.pdf import Letterhead, build_pdf
    from monitor_app.services.exports import audit_trail_of
    from monitor_app.services.queries import full_names, get_record
    from monitor_app.services.settings import read_settings

    from monitor_app.services.integrity import chain_head
    chain = chain_head(db)
    record = get_record(db, actor, session_id, with_hash=True)
    head = Letterhead.from_settings(read_settings(db), actor.display, datetime.now(timezone.utc), chain)
    trail = audit_trail_of(db, actor, session_id) if appendix else None
    names = full_names(db, actor) if appendix else None
    return record, head, build_pdf(record, head, trail, names)


def _audit(db: Database, actor: Actor, session_id: int, path: Path, appendix: bool) -> None:
    from monitor_app.services.integrity import record_export
    detail = f"pdf {path.name}" + (" with audit trail appendix" if appendix else "")
    record_export(db, actor, session_id, "export", detail)


def export_one(db: Database, actor: Actor, session_id: int, path, appendix: bool = False) -> Path:
    """Write the PDF of one record to `path` and audit the export."""
    actor.require("export")
    _record, _head, data = _build(db, actor, session_id, appendix)
    from monitor_app.services.exports import audited
    path = write_atomically(Path(path), data)
    audited(path, lambda: _audit(db, actor, session_id, path, appendix))
    return path


def export_into(db: Database, actor: Actor, session_id: int, out_dir, appendix: bool = False) -> Path:
    """Write the PDF of one record into a folder under its standard file name, and audit the export."""
    actor.require("export")
    record, head, data = _build(db, actor, session_id, appendix)
    from monitor_app.services.exports import audited
    path = write_atomically(Path(out_dir) / file_name(record, head.zone), data)
    audited(path, lambda: _audit(db, actor, session_id, path, appendix))
    return path


# ------------------------------------------------------------------------------------ worker processes

_worker_db: Database | None = None


def _worker_start(url: str, data_dir: str) -> None:
    """Each worker opens the archive itself: connections must never cross a process boundary."""
    global _worker_db
    from monitor_app.storage.db import open_database
    _worker_db = open_database(url, data_dir, migrate=False, create=False)


def _worker_export(job: tuple[Actor, int, str, bool]) -> tuple[int, str | None, str | None]:
    actor, session_id, out_dir, appendix = job
    try:
        return session_id, str(export_into(_worker_db, actor, session_id, out_dir, appendix)), None
    except ChairsideError as exc:
        return session_id, None, str(exc)


def _context():
    # "spawn": a fresh interpreter (the entry points are guarded, and the packaged program calls
    # freeze_support), never a copy of a process whose other threads may hold locks.
    return multiprocessing.get_context("spawn")


class _Progress:
    """A one-line progress bar on stderr (redrawn in place on a terminal, every 10 % otherwise)."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.stream = total, 0, stream or sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.started = time.monotonic()
        self._last_decile = -1

    def step(self) -> None:
        self.done += 1
        decile = self.done * 10 // max(self.total, 1)
        if not self.tty and decile == self._last_decile and self.done != self.total:
            return
        self._last_decile = decile
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.monotonic() - self.started
        line = f"Exporting PDFs [{bar}] {self.done}/{self.total} ({elapsed:.0f} s)"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def export_many(db: Database, actor: Actor, session_ids: list[int], out_dir, appendix: bool = False,
                jobs: int = 0, progress: _Progress | None = None) -> tuple[list[Path], list[str]]:
    """Export each record into `out_dir`; returns (written files, one line per failure)."""
    actor.require("export")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    parallel_from = 2 if jobs else PARALLEL_FROM  # workers asked for by --jobs are used for any batch
    jobs = jobs or os.cpu_count() or 1
    written, failures = [], []
    if jobs > 1 and len(session_ids) >= parallel_from:
        work = [(actor, sid, str(out_dir), appendix) for sid in session_ids]
        with _context().Pool(min(jobs, len(session_ids)), _worker_start, (db.url, str(db.data_dir))) as pool:
            for sid, path, error in pool.imap_unordered(_worker_export, work, chunksize=4):
                if error is None:
                    written.append(Path(path))
                else:
                    failures.append(f"session {sid}: {error}")
                if progress:
                    progress.step()
    else:
        for sid in session_ids:
            try:
                written.append(export_into(db, actor, sid, out_dir, appendix))
            except ChairsideError as exc:
                failures.append(f"session {sid}: {exc}")
            if progress:
                progress.step()
    return written, failures


def export_command(db: Database, args, actor: Actor) -> int:
    """`monitor-app export-pdf SESSION_ID -o FILE` or `export-pdf --all [--from D] [--to D] --out-dir DIR`, as the
    signed-in `actor`."""
    appendix = bool(getattr(args, "audit_appendix", False))
    if args.all:
        if args.session_id is not None:
            raise _usage("Give either a session id or --all, not both.")
        if not args.out_dir:
            raise _usage("--all needs --out-dir DIR (the folder for the PDF files).")
        if args.output:
            raise _usage("With --all, name a folder with --out-dir, not a file with -o.")
        if args.date_from and args.date_to and args.date_from > args.date_to:
            raise _usage(f"--from {args.date_from} is after --to {args.date_to}.")
        if args.jobs < 0:
            raise _usage("--jobs must be 0 (all cores) or more.")
        from monitor_app.services.queries import session_ids_between
        from monitor_app.services.settings import read_settings
        zone = clinic_zone(read_settings(db).timezone)
        ids = session_ids_between(db, actor, args.date_from, args.date_to, zone)
        if not ids:
            print("No sessions in that period; nothing exported.")
            return 0
        written, failures = export_many(db, actor, ids, args.out_dir, appendix, args.jobs, _Progress(len(ids)))
        print(f"Exported {len(written)} PDF session record(s) to {args.out_dir}.")
        if failures:
            raise ExportFailed(f"{len(failures)} of {len(ids)} record(s) could not be exported: "
                               + "; ".join(failures[:5]) + (" ..." if len(failures) > 5 else ""))
        return 0
    if args.session_id is None:
        raise _usage("Give a session id (export-pdf SESSION_ID -o FILE) or --all --out-dir DIR.")
    if not args.output:
        raise _usage("Name the PDF file with -o FILE.")
    if args.out_dir or args.date_from or args.date_to:
        raise _usage("--out-dir, --from and --to go with --all.")
    out = Path(args.output)
    if out.is_dir():
        raise _usage(f"{out} is a folder; name a file with -o FILE.pdf (or use --all --out-dir).")
    path = export_one(db, actor, args.session_id, out, appendix)
    print(f"PDF session record written to {path}.")
    return 0
