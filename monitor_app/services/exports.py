"""Exports: files of patient data written whole or not at all and audited only once in place; and what exports
and printouts read besides the record itself (the audit trail of one record, summarised)."""
from __future__ import annotations

import json
import os
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Callable, Iterator, TypeVar

from sqlalchemy import select

from monitor_app.domain.errors import ChairsideError
from monitor_app.services.access import Actor
from monitor_app.services.records import get_session_row
from monitor_app.storage.db import Database, sync_folder
from monitor_app.storage.models import AuditEvent

T = TypeVar("T")


class ExportError(ChairsideError):
    """An export file cannot be written where it was asked for; nothing was written and nothing audited."""


def check_target(path: Path) -> Path:
    """An export goes to a regular file (new or replaced) in an existing folder, never onto a device or a folder."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a device or special file"
        raise ExportError(f"Cannot write {path}: it is {what}, not a file. Name a file to write.")
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"Cannot write {path}: the folder {folder} does not exist.")
    return path


@contextmanager
def export_file(path: Path, *, binary: bool = False, newline: str | None = "\n") -> Iterator[IO]:
    """A file readable by its owner only, written under a temporary name beside `path`, synced to disk and renamed
    into place when the with-block succeeds; on any error nothing is left. Audit the export after this block."""
    path = check_target(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    try:
        with (os.fdopen(fd, "wb") if binary else open(fd, "w", encoding="utf-8", newline=newline)) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}. Nothing was exported.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)  # the rename itself reaches the disk


def audited(path: Path, audit_export: Callable[[], T]) -> T:
    """Audit an export just put in place; if the audit row cannot be written, the file is taken away again."""
    try:
        return audit_export()
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise


# Keys that say nothing to a reader of the trail (links and bookkeeping already shown elsewhere).
_QUIET = {"id", "session_id", "version", "record_uid", "content_hash", "password_hash"}
SUMMARY_MAX = 220


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: str
    reason: str
    before: dict | None
    after: dict | None

    @property
    def change_summary(self) -> str:
        """Before and after in one line: the changed fields for a change, the values for a creation."""
        return summarise_change(self.before, self.after)


def _short(value) -> str:
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = "\u2014" if value is None or value == "" else str(value)
    return text if len(text) <= 40 else text[:39] + "\u2026"


def summarise_change(before: dict | None, after: dict | None) -> str:
    before, after = before or {}, after or {}
    if before and after:
        parts = [f"{k}: {_short(before.get(k))} \u2192 {_short(after.get(k))}"
                 for k in sorted(set(before) | set(after)) if k not in _QUIET and before.get(k) != after.get(k)]
    else:
        shown = after or before
        parts = [f"{k}={_short(v)}" for k, v in shown.items() if k not in _QUIET and v not in (None, "", [], {})]
    text = "; ".join(parts)
    return text if len(text) <= SUMMARY_MAX else text[:SUMMARY_MAX - 1] + "\u2026"


def _parse(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"value": text}
    return value if isinstance(value, dict) else {"value": value}


def audit_trail_of(db: Database, actor: Actor, session_id: int) -> list[AuditLine]:
    """Every audit row that belongs to one session record, in sequence (raises NotFound for no such session)."""
    actor.require("export")
    with db.reader() as s:
        get_session_row(s, session_id)
        rows = s.scalars(select(AuditEvent).where(AuditEvent.session_id == session_id)
                         .order_by(AuditEvent.seq)).all()
        return [AuditLine(r.seq, r.at, r.username, r.action, r.entity, r.entity_id, r.reason or "",
                          _parse(r.before), _parse(r.after)) for r in rows]
