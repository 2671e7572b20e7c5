"""An insider's forgeries of an archive, made with Chairside's own functions: what verify alone cannot see."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select

from monitor_app.services import audit
from monitor_app.services.records import content_hash
from monitor_app.storage.db import open_database
from monitor_app.storage.models import AuditEvent, InfusionSession, Reading, Signature


def change_a_cosigned_systolic(data_dir: Path, new_systolic: int) -> int:
    """Change a systolic value in a co-signed record, then recompute its audit snapshot, both signature hashes and
    the whole hash chain from the first changed row on, exactly as Chairside computes them. Returns the session id."""
    db = open_database(None, data_dir, migrate=False)
    try:
        with db.transaction() as s:
            session = s.scalar(select(InfusionSession).where(InfusionSession.status == "reviewed")
                               .order_by(InfusionSession.id))
            reading = s.scalar(select(Reading).where(Reading.session_id == session.id, Reading.systolic.is_not(None))
                               .order_by(Reading.measured_at))
            reading.systolic = new_systolic
            s.flush()
            changed = {("reading", str(reading.id)): audit.snapshot(reading)}
            for sig in s.scalars(select(Signature).where(Signature.session_id == session.id).order_by(Signature.id)):
                sig.content_hash = content_hash(s, session, sig.signed_at)
                s.flush()
                changed[("signature", str(sig.id))] = audit.snapshot(sig)
            rows = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
            first = None
            for row in rows:
                key = (row.entity, row.entity_id)
                if key in changed and row.after is not None:
                    row.after = audit.canonical(changed[key])
                    first = row.seq if first is None else first
            prev = audit.GENESIS
            for row in rows:
                if row.seq >= first:
                    row.prev_hash = prev
                    row.row_hash = audit.row_hash(row)
                prev = row.row_hash
            return session.id
    finally:
        db.dispose()


def drop_audit_rows_from(data_dir: Path, seq: int) -> None:
    """Delete the newest audit rows, from `seq` on (rows that change no table: sign-ins and exports)."""
    db = open_database(None, data_dir, migrate=False)
    try:
        with db.transaction() as s:
            s.execute(delete(AuditEvent).where(AuditEvent.seq >= seq))
    finally:
        db.dispose()
