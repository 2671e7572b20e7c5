"""Engine set-up for SQLite (default, in the user data directory) and PostgreSQL, migrations and backups."""
from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from monitor_app.domain.errors import ChairsideError
from monitor_app.logs import safe_error_text
from monitor_app.storage.location import DB_FILENAME, resolve_url  # noqa: F401  (the file name, for callers)

log = logging.getLogger(__name__)

BACKUPS_KEPT_DAYS = 14
MIGRATIONS = Path(__file__).with_name("migrations")
PG_WRITE_LOCK = 4242001  # PostgreSQL advisory lock serialising writes (services.audit takes it too)
_READ_ONLY = "chairside_read_only"  # execution option of Database.reader's connections
DB_KEY = "chairside.database"  # Session.info key: the Database a transaction belongs to
_writing = threading.local()  # how many write transactions this thread has open


class DatabaseError(ChairsideError):
    """The database cannot be opened or used as it is (unreadable, not Chairside's, or from a newer version)."""


class ArchiveMissing(DatabaseError):
    """The archive this data directory held is gone, empty or replaced: never silently started afresh."""


class NotSaved(DatabaseError):
    """A change did not reach the archive file the next start opens (deleted or replaced while open)."""


class ArchiveFault(DatabaseError):
    """The archive could not be read or written (disk full, read-only, damaged, server gone): nothing was saved.

    `kind` says which ("disk_full", "read_only", "damaged", "busy", "server_gone", "unavailable", "refused").
    """

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def fault_of(exc: DBAPIError, db: "Database", writing: bool) -> ArchiveFault:
    """One clear sentence for a database error; the statement and its values never reach the user."""
    import errno
    orig = exc.orig
    text_ = str(orig).lower() if orig is not None else ""
    where = db.sqlite_path or db.url_for_messages
    outcome = "This change was NOT saved; what you typed is kept. " if writing else ""
    if "disk is full" in text_ or getattr(orig, "sqlite_errorcode", None) == 13 or \
            getattr(orig, "errno", None) == errno.ENOSPC or "no space left" in text_:
        return ArchiveFault(f"The disk holding the archive ({where}) is full. {outcome}Free some space, or ask "
                            "your administrator, then try again.", "disk_full")
    if "readonly" in text_ or "read-only" in text_ or "read only" in text_:
        return ArchiveFault(f"The archive ({where}) cannot be written: the file or its folder is read-only. "
                            f"{outcome}Ask your administrator.", "read_only")
    if "malformed" in text_ or "not a database" in text_:
        return ArchiveFault(f"The archive file {where} is damaged. {outcome}Run 'monitor-app verify' and restore "
                            f"the newest backup ({newest_backup_hint(db.data_dir)}).", "damaged")
    if "locked" in text_ or "busy" in text_:
        return ArchiveFault(f"The archive is busy at another workstation. {outcome}Try again in a moment.", "busy")
    if db.engine.dialect.name != "sqlite" and (exc.connection_invalidated or
                                              type(orig).__name__ in ("OperationalError", "InterfaceError")):
        return ArchiveFault(f"The database server ({where}) cannot be reached. {outcome}Check the clinic network "
                            "or ask your administrator, then try again.", "server_gone")
    if "unable to open" in text_ or "i/o error" in text_:
        return ArchiveFault(f"The archive file {where} cannot be read or written (it may have been moved or "
                            f"deleted). {outcome}Ask your administrator.", "unavailable")
    return ArchiveFault(f"The archive refused this {'change' if writing else 'request'} "
                        f"({type(orig).__name__ if orig is not None else type(exc).__name__}). {outcome}"
                        "The details are in the log.", "refused")


TOO_LARGE = "A number given is out of range: the largest the archive holds is 9223372036854775807."

# The data directory remembers the id of each archive it has opened, by where the archive lives.
IDENTITY_FILE = "archive-identity.json"


def _check_text_columns(session: Session, _context, _instances) -> None:
    """Every text column of every record written, on both databases, under the one rule of domain.text (and its
    column's length, which PostgreSQL enforces and SQLite does not): refused with the field named, never a
    database error, and nothing stored."""
    from sqlalchemy import JSON, String, inspect as sa_inspect
    from monitor_app.domain.text import check_nested, check_text
    for obj in list(session.new) + list(session.dirty):
        if type(obj).__name__ == "AuditEvent":  # made only of values checked here first
            continue
        for column in sa_inspect(type(obj)).columns:
            value = getattr(obj, column.key, None)
            if value is None:
                continue
            if isinstance(column.type, String) and isinstance(value, str):
                check_text(column.key, value, max_len=column.type.length)
            elif isinstance(column.type, JSON):
                check_nested(column.key, value)


event.listen(Session, "before_flush", _check_text_columns)


@dataclass
class Database:
    url: str
    data_dir: Path
    engine: Engine
    sessionmaker: sessionmaker
    archive_id: str | None = None
    read_only: bool = False
    # (device, inode) of the SQLite file opened: a commit must land in the file at the archive's path.
    file_identity: tuple[int, int] | None = None
    file_path: Path | None = None
    made_new: bool = False  # the file was created by this open (a new archive, or one being restored)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if self.file_path is not None:
            return self.file_path
        return Path(self.engine.url.database) if self.is_sqlite and self.engine.url.database else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls everything back on any error.

        An error may carry `after_rollback` (a list of callables): what must be written even though this unit
        was rolled back (the audit row of a refused attempt). They run once the lock of this unit is released.
        """
        _writing.depth = getattr(_writing, "depth", 0) + 1
        try:
            with self._transaction() as session:
                yield session
        except DBAPIError as exc:
            _writing.depth -= 1
            log.warning("write refused by the database: %s", safe_error_text(exc))  # never the SQL or values
            raise fault_of(exc, self, writing=True) from None
        except OverflowError:
            _writing.depth -= 1
            raise ArchiveFault(TOO_LARGE, "refused") from None
        except Exception as exc:
            _writing.depth -= 1
            if not _writing.depth:
                for later in exc.__dict__.pop("after_rollback", ()):
                    later()
            raise
        else:
            _writing.depth -= 1

    @property
    def writing(self) -> bool:
        """Is a write transaction open in this thread (so another one would wait for its lock)?"""
        return getattr(_writing, "depth", 0) > 0

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self.sessionmaker() as session:
            session.info[DB_KEY] = self
            with session.begin():
                if self.engine.dialect.name == "postgresql":
                    # One writer at a time, like SQLite's BEGIN IMMEDIATE: a row read here cannot be changed by
                    # another workstation before this commits (no stale version, no lock-order deadlock).
                    # The same key as the audit chain's lock, which is then already held.
                    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_WRITE_LOCK})
                yield session
                session.flush()
                self.check_still_the_archive(session)
        # After the commit too: a file swapped in between would have taken this change with it.
        self.check_still_the_archive(None, committed=True)

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """Reading only: on SQLite a deferred transaction, so readers never wait for (or block) a writer."""
        try:
            with self.sessionmaker(bind=self.engine.execution_options(**{_READ_ONLY: True})) as session:
                yield session
        except DBAPIError as exc:
            log.warning("read refused by the database: %s", safe_error_text(exc))
            raise fault_of(exc, self, writing=False) from None
        except OverflowError:  # an id or number beyond what the database holds: nothing there by that number
            raise ArchiveFault(TOO_LARGE, "refused") from None

    def dispose(self) -> None:
        self.engine.dispose()

    def check_still_the_archive(self, session: Session | None, committed: bool = False) -> None:
        """Refuse to call a change saved when the file written is no longer the archive at its path.

        SQLite keeps writing to a deleted or replaced file through its open descriptor, so a save there would
        "succeed" and be lost at the next start. One stat() of the path per write transaction tells.
        """
        path = self.sqlite_path
        if path is None or self.file_identity is None:
            if session is not None and self.archive_id is not None:
                self._check_archive_id(session)
            return
        try:
            st = os.stat(path)
            same = (st.st_dev, st.st_ino) == self.file_identity and st.st_size > 0
        except OSError:
            same = False
        if same and session is not None and self.archive_id is not None:
            self._check_archive_id(session)  # the file rewritten in place holds another archive
            return
        if not same:
            what = ("may not be in the archive" if committed else "was NOT saved")
            set_aside_log(path)
            raise NotSaved(f"The archive file {path} was deleted or replaced while Chairside had it open: this "
                           f"change {what}. Close Chairside and restore the archive "
                           f"({newest_backup_hint(self.data_dir)}).")

    def _check_archive_id(self, session: Session) -> None:
        found = session.execute(text("SELECT archive_id FROM archive_identity WHERE id = 1")).scalar()
        if found != self.archive_id:
            raise NotSaved(f"The archive at {self.sqlite_path or self.url_for_messages} was replaced by another "
                           "archive while Chairside had it open: this change was NOT saved. Close Chairside and "
                           f"check which archive this is ({newest_backup_hint(self.data_dir)}).")

    @property
    def url_for_messages(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)


def open_database(database_url: str | None = None, data_dir: str | os.PathLike | None = None, *,
                  migrate: bool = True, create: bool = False, read_only: bool = False,
                  restoring: bool = False) -> Database:
    """Open (and migrate) the Chairside archive; only `create=True` makes a new one, and only where none was.

    `read_only` opens without writing anything (verify on a read-only copy); `restoring` lets `restore` open a
    missing, empty or replaced archive in order to put a backup in its place.
    """
    url, directory = resolve_url(database_url, data_dir)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"Database URL is not valid: {url.split('@')[-1]}") from None
    remembered = remembered_archive_id(directory, url)
    file_identity = path = None
    made_new = False
    opened: dict = {}  # the Database, for the SQLite connection guard
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            _check_sqlite_file(path, directory, remembered, create, restoring)
            made_new = not path.exists() or path.stat().st_size == 0
        engine = _sqlite_engine(parsed, directory, create or restoring, read_only, opened)
        if path is not None and path.exists():
            st = os.stat(path)
            file_identity = (st.st_dev, st.st_ino)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # unknown driver, bad options
            log.info("database URL refused: %s: %s", type(exc).__name__, exc)
            raise DatabaseError(f"Database URL cannot be used: no driver for {parsed.drivername!r} (use "
                                "sqlite:///FILE or postgresql+psycopg://HOST/DATABASE).") from None
    db = Database(url=url, data_dir=directory, engine=engine,
                  sessionmaker=sessionmaker(engine, expire_on_commit=False), read_only=read_only,
                  file_identity=file_identity, file_path=path, made_new=made_new)
    opened["db"] = db
    try:
        if not create and not restoring:
            _require_schema(db)
        if migrate and not read_only:
            from monitor_app.storage.migrate import upgrade
            upgrade(db)
        _establish_identity(db, remembered, restoring)
    except BaseException:
        db.dispose()
        raise
    return db


def _sqlite_file(parsed) -> Path | None:
    return Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None


def set_aside_log(path: Path) -> list[Path]:
    """The write-ahead log of an archive file that was deleted or replaced belongs to that file, not to whatever
    is at its name now: SQLite would replay it into the next file opened there. Kept aside (it may hold the last
    saves, for a technician), never replayed and never deleted."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept = []
    for side in ("-wal", "-shm"):
        log_file = Path(f"{path}{side}")
        if log_file.exists():
            target = log_file.with_name(f"{log_file.name}.orphaned-{stamp}")
            try:
                os.replace(log_file, target)
                kept.append(target)
            except OSError as exc:
                log.warning("could not set aside %s (%s)", log_file.name, exc.strerror)
    return kept


def _check_sqlite_file(path: Path, directory: Path, remembered: str | None, create: bool, restoring: bool) -> None:
    """A missing or empty file where an archive was is an error naming it; a new one only where none ever was."""
    if restoring:
        if not path.exists() or path.stat().st_size == 0:
            set_aside_log(path)  # a new file is made to restore into: the old archive's log must not replay
        return
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = None
    if size is None and create and remembered is None:
        return
    if size is None or size == 0:
        if remembered is None and create:  # an empty file where no archive ever was: made into one
            return
        state = "is missing" if size is None else "is empty (0 bytes)"
        if remembered is None and size is None:
            raise ArchiveMissing(f"No Chairside database at {path}. {_restore_hint(directory)}")
        raise ArchiveMissing(f"The Chairside archive {path} {state}; Chairside will not start a new one in its "
                             f"place. {_restore_hint(directory)}")


def _require_schema(db: Database) -> None:
    """Opening without creating: a database without Chairside's schema is not an archive to work in."""
    from monitor_app.storage.migrate import current_revision
    if current_revision(db) is None:
        where = db.sqlite_path or db.url_for_messages
        raise ArchiveMissing(f"No Chairside archive in {where} (the database holds no Chairside schema). "
                             f"{_restore_hint(db.data_dir)}")


def _establish_identity(db: Database, remembered: str | None, restoring: bool) -> None:
    """Read the archive's id; a data directory that knew another archive here refuses this one."""
    from sqlalchemy import inspect as sa_inspect
    with db.engine.connect() as conn:
        if not sa_inspect(conn).has_table("archive_identity"):
            return  # an archive of an earlier schema opened without migrating (verify): nothing to compare
        found = conn.execute(text("SELECT archive_id FROM archive_identity WHERE id = 1")).scalar()
    if found is None:
        if db.read_only:
            return
        found = str(uuid.uuid4())
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO archive_identity (id, archive_id, created_at) VALUES (1, :a, :t)"),
                         {"a": found, "t": datetime.now(timezone.utc).replace(tzinfo=None)
                          if db.is_sqlite else datetime.now(timezone.utc)})
    if remembered is not None and found != remembered and not restoring:
        where = db.sqlite_path or db.url_for_messages
        raise ArchiveMissing(f"The archive at {where} is not the one this data directory ({db.data_dir}) held: it "
                             f"was replaced. Chairside will not work in it. {_restore_hint(db.data_dir)}")
    db.archive_id = found
    if found != remembered and not db.read_only and not restoring:
        remember_archive(db)


def adopt_archive(db: Database) -> None:
    """After a restore: the archive now at the path is the one this data directory holds."""
    if db.sqlite_path is not None:
        st = os.stat(db.sqlite_path)
        db.file_identity = (st.st_dev, st.st_ino)
    db.archive_id = None
    _establish_identity(db, None, restoring=False)


def archive_key(url: str) -> str:
    """Where an archive lives, as the data directory records it (never with a password)."""
    parsed = make_url(url)
    path = _sqlite_file(parsed) if parsed.get_backend_name() == "sqlite" else None
    if path is not None:
        return "sqlite:" + str(path.resolve())
    return parsed.render_as_string(hide_password=True).replace("***", "")


def _identities(directory: Path) -> dict:
    try:
        return json.loads((directory / IDENTITY_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise DatabaseError(f"The archive identity file {directory / IDENTITY_FILE} cannot be read "
                            f"({getattr(exc, 'strerror', None) or type(exc).__name__}).") from None


def remembered_archive_id(directory: Path, url: str) -> str | None:
    entry = _identities(directory).get(archive_key(url))
    return entry.get("archive_id") if isinstance(entry, dict) else None


def discard_new_archive(db: Database) -> None:
    """Take away an archive made moments ago that never became a clinic's (a first-run set-up that failed half-way):
    its file or its tables, and the data directory's memory of it, so that the next start offers the set-up again.
    Never for an archive that was in use: that is what archive identity protects."""
    path = db.sqlite_path
    if path is None:  # the server database had no Chairside tables before: the ones made here go again
        from monitor_app.storage.models import Base
        try:
            Base.metadata.drop_all(db.engine)
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        except Exception as exc:
            log.warning("the tables of an unfinished set-up could not be removed: %s", type(exc).__name__)
    db.dispose()
    if path is not None:
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            leftover.unlink(missing_ok=True)
    known = _identities(db.data_dir)
    if known.pop(archive_key(db.url), None) is not None:
        write_file_atomically(db.data_dir / IDENTITY_FILE, json.dumps(known, indent=1).encode("utf-8"))


def remember_archive(db: Database) -> None:
    """Write down the archive's id beside the database (synced: it is what tells a replaced archive)."""
    known = _identities(db.data_dir)
    known[archive_key(db.url)] = {"archive_id": db.archive_id,
                                  "remembered_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        db.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_file_atomically(db.data_dir / IDENTITY_FILE, json.dumps(known, indent=1).encode("utf-8"))
    except OSError as exc:  # a read-only data directory: the archive works, it is just not remembered
        log.warning("archive identity not written (%s)", exc.strerror or type(exc).__name__)


def archive_state(database_url: str | None, data_dir: str | os.PathLike | None) -> str:
    """For the first-run set-up: "fresh" (no archive was ever here: set one up), "present" (open it), or
    "missing" (an archive was here and is gone or empty: offer the backups, never a new one).

    SQLite: an archive was here when the data directory remembers one, or still holds its write-ahead log or a
    backup. PostgreSQL: the server database has Chairside's tables; an unreachable server is an error, never a
    first run.
    """
    url, directory = resolve_url(database_url, data_dir)
    remembered = remembered_archive_id(directory, url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"Database URL is not valid: {url.split('@')[-1]}") from None
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is None or (path.exists() and path.stat().st_size > 0):
            return "present"
        backups = directory / "backups"
        traces = (path.exists() or path.with_name(path.name + "-wal").exists()
                  or (backups.is_dir() and any(backups.glob("*.sqlite"))))
        return "missing" if remembered or traces else "fresh"
    probe = None
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 10})
        with probe.connect() as conn:
            from sqlalchemy import inspect as sa_inspect
            exists = sa_inspect(conn).has_table("alembic_version")
    except Exception as exc:
        log.info("database not reachable: %s", type(exc).__name__)
        raise DatabaseError("The database server cannot be reached; check the database URL and that the server "
                            "is running.") from None
    finally:
        if probe is not None:
            probe.dispose()
    if exists:
        return "present"
    return "missing" if remembered else "fresh"


def newest_backup(directory: Path) -> Path | None:
    folder = directory / "backups"
    try:
        copies = [p for p in folder.iterdir() if p.suffix in (".sqlite", ".json") and p.is_file()]
    except OSError:
        return None
    return max(copies, key=lambda p: p.stat().st_mtime) if copies else None


def newest_backup_hint(directory: Path) -> str:
    newest = newest_backup(directory)
    return f"newest backup: {newest}" if newest else f"no backup found in {directory / 'backups'}"


def _restore_hint(directory: Path) -> str:
    newest = newest_backup(directory)
    if newest is None:
        return f"No backup was found in {directory / 'backups'}; restore one with: monitor-app restore FILE."
    return f"The newest backup is {newest}; restore it with: monitor-app restore {newest}"


def write_file_atomically(target: Path, data: bytes) -> None:
    """Temporary file beside the target, synced, renamed, the folder synced: whole or not at all."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sync_folder(target.parent)


def sync_folder(folder: Path) -> None:
    """A rename or a new file in `folder` reaches the disk (best effort: not every file system can sync one)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sqlite_engine(parsed, directory: Path, create: bool, read_only: bool = False,
                   opened: dict | None = None) -> Engine:
    path = _sqlite_file(parsed)
    if path is not None:
        if read_only:
            return _read_only_engine(path)
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
        db = (opened or {}).get("db")
        if db is not None and db.file_identity is not None:
            # A new connection to a file swapped in under the archive's name would read the old archive's
            # write-ahead log into it: refused before it reads anything.
            try:
                st = os.stat(path)
                same = (st.st_dev, st.st_ino) == db.file_identity
            except OSError:
                same = False
            if not same:
                dbapi_conn.close()
                raise NotSaved(f"The archive file {path} was deleted or replaced while Chairside had it open: "
                               f"nothing more is read or saved. Close Chairside and restore the archive "
                               f"({newest_backup_hint(db.data_dir)}).")
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


def _read_only_engine(path: Path) -> Engine:
    """The archive opened for reading only: nothing written, not even the WAL switch (a read-only copy works)."""
    if not path.exists():
        raise DatabaseError(f"No Chairside database at {path}")
    _refuse_foreign(path)
    uri = read_only_uri(path)

    def connect():
        return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)

    engine = create_engine("sqlite://", creator=connect)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN")

    return engine


def read_only_uri(path: Path) -> str:
    """SQLite's URI to read a file without writing: in a read-only folder, where SQLite cannot make the WAL's
    -shm file, the copy is read as immutable (nothing can be writing to it there)."""
    writable_folder = os.access(path.parent, os.W_OK)
    return f"file:{path}?mode=ro" + ("" if writable_folder else "&immutable=1")


def _refuse_foreign(path: Path) -> None:
    """Refuse another application's file before the connection settings (WAL) would rewrite its header."""
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a readable Chairside database ({exc}).") from None
    if tables and "alembic_version" not in tables:
        raise DatabaseError("This database is not a Chairside archive (it has tables but no Chairside schema).")


def backup_sqlite(db: Database, destination: Path, make_folder: bool = True) -> Path:
    """A consistent copy of the SQLite database through SQLite's online backup API, renamed into place whole."""
    source = db.sqlite_path
    if source is None:
        raise DatabaseError("This copy is only for SQLite; use 'backup' for PostgreSQL.")
    if make_folder:
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = destination.with_name(f".{destination.name}.{os.getpid()}.part")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True) if db.read_only else sqlite3.connect(source)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, destination)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sync_folder(destination.parent)
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

