"""The append-only, hash-chained audit trail (SPEC 3 rule 5): the one function that writes a row, and verify.

Each row's hash covers its content and the previous row's hash. Each row's `after` is the full snapshot of the
entity, so verify can also replay the trail and find any table row changed outside the application.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import func, inspect as sa_inspect, select, text
from sqlalchemy.orm import Session

from monitor_app.services import access
from monitor_app.services.access import Actor
from monitor_app.storage.db import DB_KEY
from monitor_app.storage.models import AUDITED, ENTITY_OF, AuditEvent, Base

GENESIS = "0" * 64
_TAIL_KEY = "chairside.audit_tail"
_CHECKED_KEY = "chairside.actors_checked"


_AS_IS = (str, int, bool, type(None))


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:  # most values: checked first, as verify calls this for every column of every row
        return value
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 70.0 and 70 are the same weight on every backend
    return value


def canonical(data: Any) -> str:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8 text."""
    return _CANONICAL.encode(data)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def sha256(data: Any) -> str:
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


# Columns left out of snapshots: bookkeeping that changes without a clinical meaning, and a patient's search keys,
# derived from the names (domain.names), so that recomputing them (a schema upgrade) changes no record.
_DERIVED = {"family_key", "given_key", "full_key", "full_key_reversed"}
_SKIP = {"version"} | _DERIVED
# Columns added to audited tables after rows were written, and what an older snapshot means by their absence.
_ADDED = {"patient": {"family_first": None}}


def _as_now(entity: str, after: str) -> bytes:
    """An older snapshot of a patient in today's form: without the search keys, with the added columns."""
    data = json.loads(after)
    for key in _DERIVED:
        data.pop(key, None)
    for key, absent in _ADDED[entity].items():
        data.setdefault(key, absent)
    return canonical(data).encode()


def snapshot(obj: Base) -> dict[str, Any]:
    """Every column of a row as plain JSON values (password hashes only as their digest)."""
    return _snapshot_of((key, getattr(obj, key)) for key in _snapshot_keys(type(obj)))


@lru_cache(maxsize=None)
def _snapshot_keys(model: type[Base]) -> tuple[str, ...]:
    return tuple(col.key for col in sa_inspect(model).columns if col.key not in _SKIP)


def _snapshot_of(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    out = {}
    for key, value in items:
        kind = type(value)
        if kind in _AS_IS and key != "password_hash":  # most columns: verify snapshots every row of every table
            out[key] = value
        elif key == "password_hash" and value:
            out[key] = "sha256:" + hashlib.sha256(value.encode()).hexdigest()
        elif kind in (dict, list):
            out[key] = json.loads(canonical(value))
        else:
            out[key] = _plain(value)
    return out


_HASHED = ("seq", "at", "user_id", "username", "action", "entity", "entity_id", "session_id", "before", "after",
           "reason", "prev_hash")


def row_hash(row: AuditEvent | dict) -> str:
    get = row.get if isinstance(row, dict) else (lambda k: getattr(row, k))
    return _hash_of(*(get(k) for k in _HASHED))


def _hash_of(seq, at, user_id, username, action, entity, entity_id, session_id, before, after, reason,
             prev_hash) -> str:
    return sha256([seq, _plain(at), user_id, username, action, entity, entity_id, session_id, before, after, reason,
                   prev_hash])


def _tail(session: Session) -> tuple[int, str]:
    tail = session.info.get(_TAIL_KEY)
    if tail is None:
        if session.get_bind().dialect.name == "postgresql":
            # One writer of the chain at a time across workstations; released at commit or rollback.
            session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
        last = session.execute(select(AuditEvent.seq, AuditEvent.row_hash)
                               .order_by(AuditEvent.seq.desc()).limit(1)).first()
        tail = (last.seq, last.row_hash) if last else (0, GENESIS)
    return tail


def write(session: Session, actor: Actor, action: str, entity: str, entity_id: Any, *,
          before: dict | None = None, after: dict | None = None, reason: str = "",
          session_id: int | None = None, now: datetime | None = None) -> AuditEvent:
    """Append one audit row in the caller's transaction, once the archive says the actor may do this now."""
    after_text = None if after is None else canonical(after)
    _check_actor(session, actor, action, entity, after_text)
    if actor.via:  # "by Carla Jensen, RN, BSN via the command line": the person and the way in, in the row
        reason = f"{reason}; by {actor.display}" if reason else f"by {actor.display}"
    seq, prev = _tail(session)
    row = AuditEvent(seq=seq + 1, at=now or datetime.now(timezone.utc), user_id=actor.user_id,
                     username=actor.username, action=action, entity=entity, entity_id=str(entity_id),
                     session_id=session_id,
                     before=None if before is None else canonical(before),
                     after=after_text, reason=reason, prev_hash=prev)
    row.row_hash = row_hash(row)
    session.add(row)
    # Cached for the next row of this transaction; every transaction uses a fresh Session (Database.transaction).
    session.info[_TAIL_KEY] = (row.seq, row.row_hash)
    return row


def _check_actor(session: Session, actor: Actor, action: str, entity: str, after: str | None) -> None:
    """The role and active state of the acting user, read in this transaction: a claimed role counts for nothing.

    Sign-in rows and refusals are written for anyone; a restore or an import names a person authenticated
    against the archive it replaced or the file it came from.
    """
    if actor.user_id is None or action in access.SIGN_IN_ACTIONS or action in access.ARCHIVE_ACTIONS:
        return
    permission = access.permission_for(entity, action, after)
    checked = session.info.setdefault(_CHECKED_KEY, set())
    if (actor, permission) in checked:
        return
    problem = access.user_problem(access.user_row(session, actor.user_id), actor, permission)
    if problem:
        raise access.refusal(actor, problem, f"{action} {entity}", session.info.get(DB_KEY))
    checked.add((actor, permission))


def created(session: Session, actor: Actor, obj: Base, *, reason: str = "", session_id: int | None = None,
            action: str = "create") -> AuditEvent:
    session.flush()
    if session_id is None and ENTITY_OF[type(obj)] == "session":
        session_id = obj.id
    return write(session, actor, action, ENTITY_OF[type(obj)], obj_id(obj), after=snapshot(obj), reason=reason,
                 session_id=session_id)


def changed(session: Session, actor: Actor, obj: Base, before: dict, *, action: str = "update",
            reason: str = "", session_id: int | None = None) -> AuditEvent:
    session.flush()
    return write(session, actor, action, ENTITY_OF[type(obj)], obj_id(obj), before=before, after=snapshot(obj),
                 reason=reason, session_id=session_id)


def obj_id(obj: Base) -> Any:
    return getattr(obj, "id")


# ---------------------------------------------------------------------------------------------------- verify

@dataclass
class VerifyReport:
    rows_checked: int = 0
    records_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(session: Session, report: VerifyReport, batch: int = 20000) -> dict[str, dict[str, bytes]]:
    """Recompute every row hash and link; returns, per entity, the digest of each entity's last snapshot."""
    last_after: dict[str, dict[str, bytes]] = {name: {} for name in AUDITED}
    prev, expected_seq = GENESIS, 1
    cols = [getattr(AuditEvent, k) for k in _HASHED] + [AuditEvent.row_hash]
    last_seq = 0
    roles = RoleReplay(report)
    while True:
        rows = session.execute(select(*cols).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq)
                               .limit(batch)).all()
        if not rows:
            break
        for r in rows:
            if r.user_id is not None or r.entity == "user":
                roles.check(r)
            if r.seq != expected_seq:
                report.problems.append(f"audit row {expected_seq}: missing (next row is {r.seq})")
            if r.prev_hash != prev:
                report.problems.append(f"audit row {r.seq}: does not link to the row before it")
            if _hash_of(*r[:-1]) != r.row_hash:
                report.problems.append(f"audit row {r.seq}: content does not match its hash "
                                       f"({r.action} {r.entity} {r.entity_id})")
            if r.entity in last_after and r.after is not None:
                after = _as_now(r.entity, r.after) if r.entity in _ADDED else r.after.encode()
                last_after[r.entity][r.entity_id] = hashlib.blake2b(after, digest_size=16).digest()
            prev, expected_seq = r.row_hash, r.seq + 1
            report.rows_checked += 1
        last_seq = rows[-1].seq
    return last_after


class RoleReplay:
    """Each user's role and active state as the trail set them, row by row: every audited action must be one the
    acting user's role allowed at that moment (a row written around the services' checks is named)."""

    _ALLOWED = {name: frozenset(role.value for role in roles) for name, roles in access.PERMISSIONS.items()}
    _UNCHECKED = access.SIGN_IN_ACTIONS | access.ARCHIVE_ACTIONS

    def __init__(self, report: VerifyReport):
        self.report = report
        self.users: dict[int, tuple[str, bool]] = {}
        self._permission: dict[tuple[str, str], str | None] = {}  # verify meets few kinds of row, a million times

    def check(self, r) -> None:
        if r.user_id is not None and r.action not in self._UNCHECKED:
            key = (r.entity, r.action)
            if r.entity == "signature":  # a review or an authorship: the snapshot says which
                permission = access.permission_for(r.entity, r.action, r.after)
            elif key in self._permission:
                permission = self._permission[key]
            else:
                permission = self._permission[key] = access.permission_for(r.entity, r.action, None)
            if permission is not None:
                known = self.users.get(r.user_id)
                if known is None or not known[1] or known[0] not in self._ALLOWED[permission]:
                    self._problem(r, known, permission)
        if r.entity == "user" and r.after is not None:
            try:
                snap = json.loads(r.after)
                self.users[int(snap["id"])] = (snap["role"], bool(snap["active"]))
            except (ValueError, KeyError, TypeError):
                pass  # a row that does not parse is named by the hash check or the table comparison

    def _problem(self, r, known: tuple[str, bool] | None, permission: str) -> None:
        what = f"{r.action} {r.entity} {r.entity_id}".strip()
        if known is None:
            why = "before the trail knows the account"
        elif not known[1]:
            why = "while the account was disabled"
        else:
            why = (f"as a {known[0].replace('_', ' ')}, a role that may not "
                   f"{access.ACTION_TEXT[permission]}")
        self.report.problems.append(f"audit row {r.seq}: {r.username} acted ({what}) {why}")


def table_digests(session: Session) -> dict[str, dict[str, bytes]]:
    """Per entity, the digest of every audited row's snapshot as the database holds it now."""
    out: dict[str, dict[str, bytes]] = {}
    for entity, model in AUDITED.items():
        keys = _snapshot_keys(model)
        columns = sa_inspect(model).columns
        digests = out[entity] = {}
        # Plain rows through the same column types as the ORM: the same snapshot, without an object per row.
        rows = session.execute(select(*(columns[k] for k in keys)).execution_options(yield_per=5000))
        for values in rows:
            snap = _snapshot_of(zip(keys, values))
            digests[str(snap["id"])] = hashlib.blake2b(canonical(snap).encode(), digest_size=16).digest()
    return out


def compare_tables(last_after: dict[str, dict[str, bytes]], tables: dict[str, dict[str, bytes]],
                   report: VerifyReport) -> None:
    """Every audited row must equal the last snapshot the trail holds for it, and nothing may be missing."""
    for entity in AUDITED:
        expected, found = last_after[entity], tables[entity]
        for key, digest in found.items():
            if key not in expected:
                report.problems.append(f"{entity} {key}: not in the audit trail (written outside Chairside)")
            elif expected[key] != digest:
                report.problems.append(f"{entity} {key}: differs from the audit trail (changed outside Chairside)")
        for key in expected.keys() - found.keys():
            report.problems.append(f"{entity} {key}: in the audit trail but missing from the database")


def verify(session: Session) -> VerifyReport:
    from monitor_app.services.records import verify_signatures
    report = VerifyReport()
    last_after = verify_chain(session, report)
    compare_tables(last_after, table_digests(session), report)
    verify_signatures(session, report)
    return report


def count_rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0
