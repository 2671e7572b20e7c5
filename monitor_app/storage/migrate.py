"""Alembic migrations applied at start, after a backup copy; a database from a newer Chairside is refused.

An archive already at HEAD is recognised with one query, without importing Alembic: every start pays for that
check, and only an upgrade needs the migration machinery.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError as SADatabaseError, OperationalError

from monitor_app.storage.db import MIGRATIONS, Database, DatabaseError, backup_sqlite, backups_dir

log = logging.getLogger(__name__)

# The newest revision in migrations/versions; tests/test_migrations.py checks it against Alembic's own head.
HEAD = "0002"


def alembic_config(db: Database):
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = db.engine
    return cfg


def current_revision(db: Database) -> str | None:
    """The archive's schema revision, or None for a database without Chairside's schema (new or foreign)."""
    try:
        with db.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, SADatabaseError) as exc:
        first_line = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
        raise DatabaseError(f"Cannot read the database: {first_line}") from None


def head_revision(db: Database) -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def upgrade(db: Database) -> None:
    current = current_revision(db)
    if current == HEAD:
        return
    from alembic import command
    from alembic.script import ScriptDirectory
    cfg = alembic_config(db)
    script = ScriptDirectory.from_config(cfg)
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
