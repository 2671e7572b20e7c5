"""Backup and restore of the whole archive, for SQLite (file copy) and PostgreSQL (the JSON interchange)."""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from monitor_app.domain.errors import ChairsideError
from monitor_app.services import audit
from monitor_app.services.access import Actor
from monitor_app.services.exports import ExportError, audited, check_target
from monitor_app.storage.db import Database, adopt_archive, backup_sqlite, backups_dir
from monitor_app.storage.models import Patient
from monitor_app.storage.migrate import alembic_config, upgrade


class BackupError(ChairsideError):
    pass


def backup(db: Database, actor: Actor, destination: Path) -> Path:
    """A copy of the archive at `destination` (a regular file), audited once it is there."""
    actor.require("export")
    destination = Path(destination)
    try:
        check_target(destination)
    except ExportError as exc:
        raise BackupError(str(exc).replace("Cannot write", "Cannot write the backup")) from None

    def audit_it() -> None:
        with db.transaction() as s:
            audit.write(s, actor, "backup", "archive", "", reason=str(destination.name))
    if db.is_sqlite:
        try:
            backup_sqlite(db, destination, make_folder=False)
        except (sqlite3.Error, OSError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
            raise BackupError(f"Cannot write the backup {destination}: {reason}. Nothing was written.") from None
        audited(destination, audit_it)
        return destination
    from monitor_app.reports.interchange import export_archive
    export_archive(db, actor, destination)
    audited(destination, audit_it)
    return destination


def restore(db: Database, actor: Actor, source: Path) -> Path | None:
    """Replace the archive with a backup; the archive it replaces is kept in backups/."""
    actor.require("manage_users")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if not db.is_sqlite:
        from monitor_app.reports.interchange import check_file, export_archive, import_archive
        checked = check_file(source)  # a bad backup is refused before anything is touched
        kept = backups_dir(db) / f"before-restore-{stamp}.json"
        kept.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        export_archive(db, actor, kept)
        import_archive(db, actor, checked, replace=True)
        adopt_archive(db)
        _audit_restore(db, actor, source, kept)
        return kept
    try:
        con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            has_schema = con.execute("SELECT count(*) FROM sqlite_master WHERE name='audit_events'").fetchone()[0]
            revision = con.execute("SELECT version_num FROM alembic_version").fetchone() if has_schema else None
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a Chairside backup ({exc}).") from None
    if not ok or not has_schema:
        raise BackupError(f"{source} is not an intact Chairside backup.")
    if revision is None or revision[0] not in _known_revisions(db):
        raise BackupError(f"{source} was written by a newer version of Chairside (schema "
                          f"{revision[0] if revision else 'unknown'}); install that version to restore it.")
    # An archive made only to restore into (the old one was missing) is not worth keeping as a backup; one that
    # holds any patient is, even if this process made it.
    with db.reader() as s:
        holds_records = s.scalar(select(Patient.id).limit(1)) is not None
    kept = None if db.made_new and not holds_records else \
        backup_sqlite(db, backups_dir(db) / f"before-restore-{stamp}.sqlite")
    target = db.sqlite_path
    db.dispose()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    os.chmod(target, 0o600)
    upgrade(db)  # a backup made by an earlier version gets this version's schema
    adopt_archive(db)
    _audit_restore(db, actor, source, kept)
    return kept


def _known_revisions(db: Database) -> set[str]:
    from alembic.script import ScriptDirectory
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config(db)).walk_revisions()}


def _audit_restore(db: Database, actor: Actor, source: Path, kept: Path) -> None:
    """The restored archive's trail says when it was restored, from what, and where the one it replaced is."""
    replaced = f"the archive it replaced is kept as {kept.name}" if kept else "there was no archive to replace"
    with db.transaction() as s:
        audit.write(s, actor, "restore", "archive", "", reason=f"restored from {source.name}; {replaced}")
