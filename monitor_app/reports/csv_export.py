"""Readings as CSV for analysis (SPEC 7): one row per reading, with its corrections and flags; audited as an export.

Patients appear by MRN only. Free text that a spreadsheet would run as a formula (starting with = + - @) is
prefixed with an apostrophe.
"""
from __future__ import annotations

import csv
from datetime import date, datetime, timezone
from pathlib import Path

from monitor_app.domain.clock import clinic_zone
from monitor_app.domain.record import ReadingView, SessionRecord
from monitor_app.domain.vitals import VITAL_FIELDS
from monitor_app.reports.interchange import private_output
from monitor_app.services.exports import audited
from monitor_app.services import audit
from monitor_app.services.access import Actor
from monitor_app.services.queries import session_ids_between
from monitor_app.services.records import load_record
from monitor_app.services.settings import read_settings
from monitor_app.storage.db import Database

COLUMNS = (
    "record_id", "session_id", "mrn", "infusion_number", "planned_infusions", "reading_id",
    "measured_at_utc", "measured_at_local", "recorded_at_utc", "recorded_by", "late_entry", "phase",
    "minutes_from_start",
    *VITAL_FIELDS, "map", "comment",
    "amended", *(f"original_{f}" for f in VITAL_FIELDS), "original_comment", "amendment_reasons",
    "entered_in_error", "error_reason", "flags",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value and value.startswith(_FORMULA_START) else value


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def reading_row(rec: SessionRecord, r: ReadingView, zone) -> dict[str, object]:
    amended = r.amended_fields()
    row: dict[str, object] = {
        "record_id": rec.record_uid, "session_id": rec.id, "mrn": _text(rec.patient.mrn),
        "infusion_number": rec.number, "planned_infusions": rec.course.planned_infusions, "reading_id": r.id,
        "measured_at_utc": _utc(r.measured_at), "measured_at_local": r.measured_at.astimezone(zone).isoformat(),
        "recorded_at_utc": _utc(r.recorded_at), "recorded_by": _text(r.recorded_by), "late_entry": _yes(r.late),
        "phase": r.phase.value,
        "minutes_from_start": "" if r.minutes is None else f"{r.minutes:.1f}",
        "map": "" if r.current.map is None else r.current.map,
        "comment": _text(r.current.comment),
        "amended": _yes(r.amended),
        "original_comment": _text(r.original.comment) if "comment" in amended else "",
        "amendment_reasons": _text("; ".join(a.reason for a in r.amendments)),
        "entered_in_error": _yes(r.entered_in_error),
        "error_reason": _text(r.error.reason) if r.error else "",
        "flags": "; ".join(f"{f.symbol} {f.description}" + (" (cleared by a correction)" if f.cleared else "")
                           + (f" (acknowledged: {f.ack.action})" if f.ack else "") for f in r.flags),
    }
    for field in VITAL_FIELDS:
        value = getattr(r.current, field)
        row[field] = "" if value is None else value
        original = getattr(r.original, field)
        row[f"original_{field}"] = "" if field not in amended or original is None else original
    return row


def export_readings(db: Database, actor: Actor, path: Path, date_from: date | None = None,
                    date_to: date | None = None) -> int:
    """Write the readings of the sessions that arrived between the two clinic-local dates (inclusive; open ends
    when None) to `path`; returns the number of readings."""
    actor.require("export")
    path = Path(path)
    zone = clinic_zone(read_settings(db).timezone)
    ids = session_ids_between(db, actor, date_from, date_to, zone)
    count = 0
    with private_output(path, newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        with db.reader() as s:
            for sid in ids:
                rec = load_record(s, sid, with_hash=False)
                for r in rec.readings:
                    writer.writerow(reading_row(rec, r, zone))
                    count += 1
                s.expunge_all()
    span = f"{date_from or 'start'} to {date_to or 'end'}"

    def audit_it() -> None:
        with db.transaction() as s:
            audit.write(s, actor, "export", "archive", "",
                        reason=f"CSV readings {span}: {count} reading(s) of {len(ids)} session(s) to {path.name}")
    audited(path, audit_it)
    return count
