"""Integrity checks for auditors: the whole archive, and a paper copy against the archive."""
from __future__ import annotations

from sqlalchemy import select

from monitor_app.services import audit
from monitor_app.services.access import Actor
from monitor_app.services.records import content_hash, _children
from monitor_app.storage.db import Database
from monitor_app.storage.models import InfusionSession, Signature


def verify_archive(db: Database, actor: Actor) -> audit.VerifyReport:
    actor.require("verify")
    with db.reader() as s:
        return audit.verify(s)


def check_paper_copy(db: Database, actor: Actor, record_uid: str, printed_hash: str) -> tuple[bool, str]:
    """Does a printed record (its id and short or full content hash) match the archive?"""
    actor.require("verify")
    printed_hash = printed_hash.strip().lower()
    if len(printed_hash) < 12:
        raise ValueError("hash too short")
    with db.reader() as s:
        row = s.scalar(select(InfusionSession).where(InfusionSession.record_uid == record_uid.strip()))
        if row is None:
            return False, f"No record {record_uid} in this archive."
        children = _children(s, row)
        current = content_hash(s, row, None, children)
        if current.startswith(printed_hash):
            return True, f"Matches: the paper copy of record {record_uid} is the record as it stands in the archive."
        for sig in s.scalars(select(Signature).where(Signature.session_id == row.id).order_by(Signature.id)):
            if sig.content_hash.startswith(printed_hash):
                return True, (f"Matches the record as {sig.printed_name} signed it ({sig.meaning}, "
                              f"{sig.signed_at:%Y-%m-%d %H:%M} UTC); the record has had additions since.")
        return False, f"Does NOT match: the content of record {record_uid} in the archive differs from the paper copy."


def record_export(db: Database, actor: Actor, session_id: int, action: str, detail: str) -> None:
    """Write an export or a print of a record to the audit trail (SPEC 3 rule 5)."""
    actor.require("export")
    with db.transaction() as s:
        audit.write(s, actor, action, "session", session_id, session_id=session_id, reason=detail)
