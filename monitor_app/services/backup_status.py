"""The daily backup as users see it: where the copies go, when the last one was made, and whether it failed."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from monitor_app.domain.errors import ChairsideError
from monitor_app.services.access import Actor
from monitor_app.storage.db import Database, backups_dir, daily_backup

log = logging.getLogger(__name__)

# The last failure per data folder in this process: the floor shows it until a backup succeeds.
_failures: dict[str, str] = {}
COPY_PATTERNS = ("daily-*.sqlite", "manual-*.sqlite", "manual-*.json")


@dataclass(frozen=True)
class BackupStatus:
    folder: Path
    last_at: datetime | None  # UTC
    last_file: Path | None
    failure: str  # "" when the last attempt succeeded
    automatic: bool  # daily copies are made (SQLite); a server archive relies on the server's backups


def _key(db: Database) -> str:
    return str(Path(db.data_dir).resolve())


def _failed(db: Database, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    where = exc.filename or backups_dir(db)
    message = f"The backup could not be written to {where}: {reason}."
    _failures[_key(db)] = message
    log.warning("backup failed: %s", message)
    return message


def run_daily(db: Database, now: datetime | None = None) -> Path | None:
    """The start-up copy (once a day, kept 14 days); a failure is remembered for the floor, never raised."""
    try:
        made = daily_backup(db, now)
    except OSError as exc:
        _failed(db, exc)
        return None
    _failures.pop(_key(db), None)
    if made:
        log.info("daily backup written to %s", made)
    return made


def back_up_now(db: Database, actor: Actor, now: datetime | None = None) -> Path:
    """A copy on request, beside the daily ones (audited as a backup)."""
    from monitor_app.services.backup import backup
    now = now or datetime.now(timezone.utc)
    target = backups_dir(db) / f"manual-{now:%Y-%m-%d-%H%M%S}.{'sqlite' if db.is_sqlite else 'json'}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        made = backup(db, actor, target)
    except OSError as exc:
        raise ChairsideError(_failed(db, exc)) from None
    _failures.pop(_key(db), None)
    return made


def status(db: Database) -> BackupStatus:
    folder = backups_dir(db)
    copies: list[Path] = []
    if folder.is_dir():
        for pattern in COPY_PATTERNS:
            copies += folder.glob(pattern)
    newest = max(copies, key=lambda p: p.stat().st_mtime, default=None)
    last_at = datetime.fromtimestamp(newest.stat().st_mtime, timezone.utc) if newest else None
    return BackupStatus(folder, last_at, newest, _failures.get(_key(db), ""), db.is_sqlite)


def failure(db: Database) -> str:
    """The last backup failure of this archive in this process ("" if none): cheap enough for every poll."""
    return _failures.get(_key(db), "")
