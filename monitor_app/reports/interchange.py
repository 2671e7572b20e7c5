"""The versioned JSON interchange of a whole archive (SPEC 7): every row with its ids and the audit trail verbatim.

The format is documented in docs/interchange.md. Export streams the archive table by table; import checks the
file completely (structure, every value, the hash chain, and that every row matches its audit trail) inside one
transaction, so a damaged or altered file leaves the target archive exactly as it was.
"""
from __future__ import annotations

import base64
import json
import logging
import math
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator, TextIO

from sqlalchemy import JSON, Boolean, Date, Float, Integer, LargeBinary, String, Text, delete, func, insert, or_, \
    select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitor_app import __version__
from monitor_app.domain.errors import ChairsideError
from monitor_app.domain.names import name_keys
from monitor_app.domain.text import text_problem
from monitor_app.services import audit
from monitor_app.services.access import Actor
from monitor_app.services.exports import ExportError, check_target, export_file  # noqa: F401 (ExportError: its home)
from monitor_app.storage.db import Database
from monitor_app.storage.models import AUDITED, AuditEvent, Base, ClinicSettings, InfusionSession, UTCDateTime

log = logging.getLogger(__name__)

FORMAT = "chairside-archive"
VERSION = 1
# The audit trail's columns, in the order they are written.
AUDIT_FIELDS = ("seq", "at", "user_id", "username", "action", "entity", "entity_id", "session_id", "before",
                "after", "reason", "prev_hash", "row_hash")
# What a new archive holds before anyone uses it (services.settings.bootstrap); an import may replace it.
BOOTSTRAP_ENTITIES = ("clinic_settings", "threshold_profile", "monitoring_schedule")


class InterchangeError(ChairsideError):
    """An interchange file cannot be written or imported as it is; nothing was changed."""


@contextmanager
def private_output(path: Path, newline: str | None = "\n") -> Iterator[TextIO]:
    """A text file of patient data, whole or not at all (services.exports.export_file); audit after the block."""
    with export_file(path, newline=newline) as out:
        yield out


def _models() -> list[type[Base]]:
    """The audited models in an order that satisfies their foreign keys (parents first)."""
    order = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}
    return sorted(AUDITED.values(), key=lambda m: order[m.__tablename__])


# ------------------------------------------------------------------------------------------------------ export

def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def encode_row(obj: Base) -> dict[str, Any]:
    """A row as the audit trail sees it (services.audit.snapshot), plus what the snapshot leaves out on purpose:
    the real password hash, binary columns (base64) and the optimistic-locking version."""
    row = audit.snapshot(obj)
    for col in sa_inspect(type(obj)).columns:
        if col.key not in row or col.key == "password_hash" or isinstance(col.type, LargeBinary):
            row[col.key] = _plain(getattr(obj, col.key))
    return row


def encode_audit_row(row) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in AUDIT_FIELDS}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _write_archive(s: Session, out, exported_at: datetime) -> int:
    header = {"format": FORMAT, "version": VERSION, "exported_at": exported_at.isoformat(),
              "generator": f"Chairside {__version__}"}
    out.write("{\n")
    for key, value in header.items():
        out.write(f" {_dumps(key)}: {_dumps(value)},\n")
    out.write(' "tables": {')
    models = _models()
    for i, model in enumerate(models):
        out.write(f"\n  {_dumps(model.__tablename__)}: [")
        pk = sa_inspect(model).primary_key
        for j, obj in enumerate(s.scalars(select(model).order_by(*pk).execution_options(yield_per=2000))):
            out.write(("," if j else "") + "\n   " + _dumps(encode_row(obj)))
            s.expunge(obj)  # keeps memory flat on a large archive
        out.write("\n  ]" + ("," if i < len(models) - 1 else ""))
    out.write("\n },\n \"audit_trail\": [")
    rows = s.execute(select(*[getattr(AuditEvent, f) for f in AUDIT_FIELDS]).order_by(AuditEvent.seq)
                     .execution_options(yield_per=5000))
    for j, row in enumerate(rows):
        out.write(("," if j else "") + "\n  " + _dumps(encode_audit_row(row)))
    out.write("\n ]\n}\n")
    return s.scalar(select(func.count()).select_from(InfusionSession)) or 0


def export_archive(db: Database, actor: Actor, path: Path, *, now: datetime | None = None) -> int:
    """Write every record and the whole audit trail to `path`; returns the number of session records.

    The file is the archive as it stood before this export: the export's own audit row is added after the
    snapshot is taken, so exporting an imported copy gives the same file again (apart from exported_at).
    """
    actor.require("export")
    path = Path(path)
    now = now or datetime.now(timezone.utc)
    check_target(path)
    try:
        # One transaction: the file is the archive as it stood under the write lock, renamed into place before
        # its audit row commits; a commit that fails takes the file away again.
        with db.transaction() as s:
            with private_output(path) as out:
                count = _write_archive(s, out, now)
            audit.write(s, actor, "export", "archive", "", reason=f"interchange {FORMAT} v{VERSION}: {path.name}",
                        now=now)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return count


# ------------------------------------------------------------------------------------------------------ import

def _fail(path: Path, message: str) -> InterchangeError:
    return InterchangeError(f"{path.name}: {message}; nothing was imported.")


def read_archive(path: Path) -> dict[str, Any]:
    """The parsed file, with its header checked."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InterchangeError(f"No such file: {path}") from None
    except IsADirectoryError:
        raise InterchangeError(f"{path} is a folder, not an interchange file.") from None
    except OSError as exc:
        raise InterchangeError(f"Cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise _fail(path, "its JSON is nested too deeply to be a Chairside archive export") from None
    except UnicodeDecodeError:
        raise _fail(path, "not a Chairside archive export (not UTF-8 JSON text)") from None
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not valid JSON at line {exc.lineno}, column {exc.colno} (damaged or cut short)") \
            from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _fail(path, f"not a Chairside archive export (format is not {FORMAT!r})")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _fail(path, "the interchange version is missing")
    if version > VERSION:
        raise _fail(path, f"written in interchange version {version} by a newer Chairside; this version reads "
                          f"version {VERSION}")
    if version != VERSION:
        raise _fail(path, f"interchange version {version} is not supported (this version reads {VERSION})")
    if not isinstance(doc.get("tables"), dict) or not isinstance(doc.get("audit_trail"), list):
        raise _fail(path, "the tables or the audit trail are missing")
    return doc


def _decode_value(col, value: Any) -> Any:
    """One column value from its JSON form; raises ValueError with what was expected."""
    t = col.type
    if value is None:
        if not col.nullable:
            raise ValueError("a value is required")
        return None
    if isinstance(t, UTCDateTime):
        if not isinstance(value, str):
            raise ValueError("expected an ISO 8601 time")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("expected a time with its UTC offset")
        return moment.astimezone(timezone.utc)
    if isinstance(t, Date):
        if not isinstance(value, str):
            raise ValueError("expected an ISO 8601 date")
        return date.fromisoformat(value)
    if isinstance(t, LargeBinary):
        if not isinstance(value, str):
            raise ValueError("expected base64 text")
        return base64.b64decode(value, validate=True)
    if isinstance(t, JSON):
        if not isinstance(value, (dict, list)):
            raise ValueError("expected a JSON object or list")
        _check_structure(value)
        return value
    if isinstance(t, Boolean):
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if isinstance(t, Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number")
        if not INT_MIN <= value <= INT_MAX:
            raise ValueError(f"the number is out of range ({INT_MIN} to {INT_MAX})")
        return value
    if isinstance(t, Float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("expected a number")
        try:
            number = float(value)
        except OverflowError:
            raise ValueError("the number is out of range") from None
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        return number
    if isinstance(t, (String, Text)):
        if not isinstance(value, str):
            raise ValueError("expected text")
        problem = text_problem(value)
        if problem:
            raise ValueError(f"the text {problem}")
        if isinstance(t, String) and t.length is not None and len(value) > t.length:
            raise ValueError(f"the text is longer than {t.length} characters")
        return value
    raise ValueError(f"no interchange form for {t!r}")  # a column type added without updating this module


# Integer columns are 32-bit on PostgreSQL: one range for both databases.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_MAX_DEPTH = 20  # details, checklists and limits are a few levels deep
# Columns added after version 1 files were first written, with the value an archive upgraded to them holds
# (the migration that added them says the same in the audit trail; so does an import of an older file).
ADDED_LATER = {"clinic_settings": {"lockout_failures": 5, "lockout_minutes": 15}}


def _check_structure(value: Any, depth: int = 0) -> None:
    """A structured column value (details, limits): plain JSON of storable text and numbers, not deeply nested."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise ValueError(f"a text inside {problem}")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise ValueError("a number inside is out of range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a number inside is not finite")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_structure(k, depth + 1)
            _check_structure(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_structure(v, depth + 1)


def _decode_rows(path: Path, table: str, columns, rows: Any, filled: dict | None = None) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        raise _fail(path, f"table {table} is not a list of rows")
    keys = {c.key for c in columns}
    out = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise _fail(path, f"{table} row {n} is not an object")
        later = {k: v for k, v in ADDED_LATER.get(table, {}).items() if k not in row}
        if later and filled is not None:  # a file from before these columns: they get their upgrade values
            row = dict(row, **later)
            filled.update(later)
        if "version" in keys and "version" not in row:  # the optimistic-locking version, not in older files
            row = dict(row, version=1)
        if table == "patients" and "full_key" not in row:  # search keys and name order, derived, not in older files
            row = dict(row, family_first=None, **name_keys(row.get("family_name") or "", row.get("given_name") or ""))
        if set(row) != keys:
            missing, unknown = sorted(keys - set(row)), sorted(set(row) - keys)
            raise _fail(path, f"{table} row {n} has " + "; ".join(
                part for part in (f"missing column(s) {', '.join(missing)}" if missing else "",
                                  f"unknown column(s) {', '.join(unknown)}" if unknown else "") if part))
        decoded = {}
        for col in columns:
            try:
                decoded[col.name] = _decode_value(col, row[col.key])
            except (ValueError, TypeError) as exc:
                raise _fail(path, f"{table} row {n}, column {col.key}: {exc}") from None
        out.append(decoded)
    return out


def _audit_filled_settings(s: Session, checked: CheckedArchive) -> None:
    """The trail says that the clinic settings gained the columns the file predates, as an upgrade's would."""
    from monitor_app.services.access import SYSTEM
    last = next(r for r in reversed(checked.trail) if r["entity"] == "clinic_settings" and r["after"])
    before = json.loads(last["after"])
    audit.write(s, SYSTEM, "update", "clinic_settings", last["entity_id"], before=before,
                after=dict(before, **checked.filled), reason="imported from a file written before these clinic "
                                                             "settings: " + ", ".join(sorted(checked.filled)))
    s.flush()


def _check_chain(path: Path, trail: list[dict[str, Any]]) -> None:
    """The file's audit trail must be the unbroken hash chain the archive wrote."""
    prev, expected = audit.GENESIS, 1
    for row in trail:
        if row["seq"] != expected:
            raise _fail(path, f"audit row {expected} is missing (the next row is {row['seq']})")
        if row["prev_hash"] != prev:
            raise _fail(path, f"audit row {row['seq']} does not link to the row before it")
        if audit.row_hash(row) != row["row_hash"]:
            raise _fail(path, f"audit row {row['seq']} does not match its hash "
                              f"({row['action']} {row['entity']} {row['entity_id']})")
        prev, expected = row["row_hash"], expected + 1


def _occupant(s: Session) -> str | None:
    """What makes the target archive non-empty, in words (None when only the bootstrap's settings exist)."""
    for entity, model in AUDITED.items():
        if entity in BOOTSTRAP_ENTITIES:
            continue
        n = s.scalar(select(func.count()).select_from(model)) or 0
        if n:
            return f"{n} row(s) in {model.__tablename__}"
    others = s.scalar(select(func.count()).select_from(AuditEvent).where(or_(
        AuditEvent.action != "create", AuditEvent.entity.not_in(BOOTSTRAP_ENTITIES),
        AuditEvent.user_id.is_not(None)))) or 0
    if others:
        return f"{others} audit row(s) beyond its initial settings"
    return None


def _clear(s: Session) -> None:
    for model in reversed(_models()):
        s.execute(delete(model))
    s.execute(delete(AuditEvent))


def _advance_sequences(s: Session) -> None:
    """PostgreSQL hands out ids from sequences, which explicit ids do not move: set them past the imported ids."""
    if s.get_bind().dialect.name != "postgresql":
        return  # SQLite takes max(id) + 1
    for model in _models():
        table = model.__tablename__  # from the models, never from the file
        s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"COALESCE(MAX(id), 0) + 1, false) FROM {table}"))


@dataclass
class CheckedArchive:
    """An interchange file read and checked without touching any database: rows decoded, hash chain intact."""

    path: Path
    rows: dict[type[Base], list[dict[str, Any]]]
    trail: list[dict[str, Any]]
    filled: dict[str, Any] | None = None  # clinic settings the file predates, given their upgrade values

    @property
    def sessions(self) -> int:
        return len(self.rows[InfusionSession])


def check_file(path: Path) -> CheckedArchive:
    """Everything about a file that can be checked before the target archive is opened."""
    path = Path(path)
    doc = read_archive(path)
    tables = doc["tables"]
    expected = {m.__tablename__ for m in _models()}
    if set(tables) != expected:
        missing, unknown = sorted(expected - set(tables)), sorted(set(tables) - expected)
        raise _fail(path, "the tables do not match this version's: " + "; ".join(
            part for part in (f"missing {', '.join(missing)}" if missing else "",
                              f"unknown {', '.join(unknown)}" if unknown else "") if part))
    filled: dict[str, Any] = {}
    rows = {m: _decode_rows(path, m.__tablename__, list(sa_inspect(m).columns), tables[m.__tablename__],
                            filled if m is ClinicSettings else None)
            for m in _models()}
    if len(rows[ClinicSettings]) != 1:
        # Every archive has its one row of clinic settings from its first start: without it, not a whole archive.
        raise _fail(path, f"clinic_settings holds {len(rows[ClinicSettings])} rows instead of one "
                          "(not the export of a whole archive)")
    trail = _decode_rows(path, "audit_trail", [AuditEvent.__table__.c[f] for f in AUDIT_FIELDS],
                         doc["audit_trail"])
    _check_chain(path, trail)
    return CheckedArchive(path, rows, trail, filled)


def import_archive(db: Database, actor: Actor, source: Path | CheckedArchive, *, replace: bool = False) -> int:
    """Load an exported archive into an empty one; returns the number of session records.

    The target may hold only what a new archive starts with (clinic settings, preset profiles and schedules,
    and their audit rows); those are replaced by the file's. With `replace`, whatever the target holds is
    replaced (restore, after the caller has kept a copy). The import adds no audit row: the trail is the
    source's, verbatim, so the imported archive is indistinguishable from its source and verifies as it did.
    """
    actor.require("manage_users")
    checked = source if isinstance(source, CheckedArchive) else check_file(source)
    path = checked.path
    try:
        with db.transaction() as s:
            if s.get_bind().dialect.name == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(4242001)"))  # the audit chain's writer lock
            occupant = None if replace else _occupant(s)
            if occupant:
                raise InterchangeError(f"The archive already holds {occupant}; import-json needs an empty "
                                       "archive (a new --data-dir or database). Nothing was imported.")
            _clear(s)
            for model, values in checked.rows.items():
                if values:
                    s.execute(insert(model.__table__), values)
            if checked.trail:
                s.execute(insert(AuditEvent.__table__), checked.trail)
            if checked.filled:
                _audit_filled_settings(s, checked)
            _advance_sequences(s)
            s.flush()
            report = audit.verify(s)
            if not report.intact:
                more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
                raise _fail(path, f"does not match its own audit trail: {report.problems[0]}{more}")
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise _fail(path, f"the rows could not be stored ({detail})") from None
    log.info("imported %d session record(s) and %d audit row(s) from an interchange file", checked.sessions,
             len(checked.trail))
    return checked.sessions
