"""Alembic migrations applied at start, after a backup copy; a database from a newer Chairside is refused."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.exc import DatabaseError as SADatabaseError, OperationalError

from monitor_app.storage.db import MIGRATIONS, Database, DatabaseError, backup_sqlite, backups_dir

log = logging.getLogger(__name__)


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = db.engine
    return cfg


def current_revision(db: Database) -> str | None:
    try:
        with db.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except (OperationalError, SADatabaseError) as exc:
        first_line = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
        raise DatabaseError(f"Cannot read the database: {first_line}") from None


def head_revision(db: Database) -> str:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def upgrade(db: Database) -> None:
    cfg = alembic_config(db)
    script = ScriptDirectory.from_config(cfg)
    current = current_revision(db)
    head = script.get_current_head()
    if current == head:
        return
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise DatabaseError("This database was written by a newer version of Chairside "
                            f"(schema {current}); install that version to open it.")
    if current is None:
        with db.engine.connect() as conn:
            tables = inspect(conn).get_table_names()
        if tables:
            raise DatabaseError("This database is not a Chairside archive (it has tables but no Chairside schema).")
    elif db.sqlite_path is not None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        copy = backup_sqlite(db, backups_dir(db) / f"pre-migration-{current}-{stamp}.sqlite")
        log.info("backup before migration written to %s", copy)
    command.upgrade(cfg, "head")
