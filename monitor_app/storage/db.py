"""Engine set-up for SQLite (default, in the user data directory) and PostgreSQL, migrations and backups."""
from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from monitor_app.domain.errors import ChairsideError

log = logging.getLogger(__name__)

APP_NAME = "Chairside"
DB_FILENAME = "chairside.sqlite"
BACKUPS_KEPT_DAYS = 14
MIGRATIONS = Path(__file__).with_name("migrations")
PG_WRITE_LOCK = 4242001  # PostgreSQL advisory lock serialising writes (services.audit takes it too)
_READ_ONLY = "chairside_read_only"  # execution option of Database.reader's connections


class DatabaseError(ChairsideError):
    """The database cannot be opened or used as it is (unreadable, not Chairside's, or from a newer version)."""


def default_data_dir() -> Path:
    import platformdirs
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_url(database_url: str | None, data_dir: str | os.PathLike | None) -> tuple[str, Path]:
    """The URL to open, and the data directory (logs, backups) that goes with it."""
    directory = Path(data_dir) if data_dir else default_data_dir()
    url = database_url or os.environ.get("MONITOR_APP_DATABASE_URL") or ""
    if not url:
        url = f"sqlite:///{directory / DB_FILENAME}"
    return url, directory


@dataclass
class Database:
    url: str
    data_dir: Path
    engine: Engine
    sessionmaker: sessionmaker

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        return Path(self.engine.url.database) if self.is_sqlite and self.engine.url.database else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls everything back on any error."""
        with self.sessionmaker() as session:
            with session.begin():
                if self.engine.dialect.name == "postgresql":
                    # One writer at a time, like SQLite's BEGIN IMMEDIATE: a row read here cannot be changed by
                    # another workstation before this commits (no stale version, no lock-order deadlock).
                    # The same key as the audit chain's lock, which is then already held.
                    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_WRITE_LOCK})
                yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """Reading only: on SQLite a deferred transaction, so readers never wait for (or block) a writer."""
        with self.sessionmaker(bind=self.engine.execution_options(**{_READ_ONLY: True})) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(database_url: str | None = None, data_dir: str | os.PathLike | None = None, *,
                  migrate: bool = True, create: bool = True) -> Database:
    """Open (and by default create and migrate) the Chairside database."""
    url, directory = resolve_url(database_url, data_dir)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"Database URL is not valid: {url.split('@')[-1]}") from None
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, directory, create)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # unknown driver, bad options
            log.info("database URL refused: %s: %s", type(exc).__name__, exc)
            raise DatabaseError(f"Database URL cannot be used: no driver for {parsed.drivername!r} (use "
                                "sqlite:///FILE or postgresql+psycopg://HOST/DATABASE).") from None
    db = Database(url=url, data_dir=directory, engine=engine,
                  sessionmaker=sessionmaker(engine, expire_on_commit=False))
    if migrate:
        from monitor_app.storage.migrate import upgrade
        upgrade(db)
    return db


def _sqlite_engine(parsed, directory: Path, create: bool) -> Engine:
    path = Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None
    if path is not None:
        if not path.exists():
            if not create:
                raise DatabaseError(f"No Chairside database at {path}")
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Created readable and writable by its owner only (SPEC 9); SQLite's -wal and -shm inherit this.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        elif not os.access(path, os.R_OK | os.W_OK):
            raise DatabaseError(f"Database file {path} cannot be read and written by this user.")
        else:
            _refuse_foreign(path)
    engine = create_engine(parsed, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # transactions are begun below, as IMMEDIATE
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # a reading called saved survives a power cut
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{path} is not a readable Chairside database ({exc}).") from None
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A writer takes the write lock at the start so two writers never deadlock on a lock upgrade; a reader
        # begins deferred and, with WAL, reads its snapshot while a writer works.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def _refuse_foreign(path: Path) -> None:
    """Refuse another application's file before the connection settings (WAL) would rewrite its header."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a readable Chairside database ({exc}).") from None
    if tables and "alembic_version" not in tables:
        raise DatabaseError("This database is not a Chairside archive (it has tables but no Chairside schema).")


def backup_sqlite(db: Database, destination: Path) -> Path:
    """A consistent copy of the SQLite database through SQLite's online backup API."""
    source = db.sqlite_path
    if source is None:
        raise DatabaseError("This copy is only for SQLite; use 'backup' for PostgreSQL.")
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = destination.with_suffix(destination.suffix + ".part")
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, destination)
    return destination


def backups_dir(db: Database) -> Path:
    return db.data_dir / "backups"


def daily_backup(db: Database, now: datetime | None = None) -> Path | None:
    """Once a day, copy the SQLite archive to backups/; copies older than 14 days are removed."""
    if db.sqlite_path is None:
        return None
    now = now or datetime.now(timezone.utc)
    folder = backups_dir(db)
    target = folder / f"daily-{now:%Y-%m-%d}.sqlite"
    made = None
    if not target.exists():
        made = backup_sqlite(db, target)
    cutoff = (now - timedelta(days=BACKUPS_KEPT_DAYS)).strftime("%Y-%m-%d")
    for old in folder.glob("daily-*.sqlite"):
        if old.stem.removeprefix("daily-") < cutoff:
            old.unlink(missing_ok=True)
    return made


def copy_file(src: Path, dst: Path) -> None:
    shutil.copy2(src, dst)


def ping(db: Database) -> None:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def is_fresh_install(database_url: str | None, data_dir: str | os.PathLike | None) -> bool:
    """True on a workstation where no Chairside archive ever was: the first-run wizard may make one.

    SQLite: the archive file does not exist and the data directory holds no archive (no database file, no
    backup), so an archive that went missing is never taken for a first run. PostgreSQL: the server database
    has no Chairside tables (it is reached; an unreachable server raises DatabaseError).
    """
    url, directory = resolve_url(database_url, data_dir)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"Database URL is not valid: {url.split('@')[-1]}") from None
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return True
        path = Path(parsed.database)
        leftovers = [path, path.with_name(path.name + "-wal"), directory / DB_FILENAME]
        if any(p.exists() for p in leftovers):
            return False
        backups = directory / "backups"
        return not (backups.is_dir() and any(backups.glob("*.sqlite")))
    from sqlalchemy import inspect
    from monitor_app.storage.models import Base
    engine = None
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 10}
                               if parsed.get_backend_name() == "postgresql" else {})
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
    except Exception as exc:
        log.info("database not reachable: %s: %s", type(exc).__name__, exc)
        raise DatabaseError(f"The database server cannot be reached ({type(exc).__name__}); check the "
                            f"database URL and that the server is running.") from None
    finally:
        if engine is not None:
            engine.dispose()
    return not (tables & (set(Base.metadata.tables) | {"alembic_version"}))

