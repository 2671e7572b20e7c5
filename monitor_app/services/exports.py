"""What exports and printouts read besides the record itself: the audit trail of one record, summarised."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from monitor_app.services.access import Actor
from monitor_app.services.records import get_session_row
from monitor_app.storage.db import Database
from monitor_app.storage.models import AuditEvent

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
