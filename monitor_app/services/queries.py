"""Read-side queries for the screens: floor cards, archive search, patients, course overview."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, func, or_, select

from monitor_app.domain.record import PatientView, ReadingView, SessionRecord
from monitor_app.domain.session import Status
from monitor_app.services.access import Actor
from monitor_app.services.records import load_reading, load_record
from monitor_app.storage.db import Database
from monitor_app.storage.models import AuditEvent, Course, InfusionSession, Patient, User
from monitor_app.services.clinical import name_key


def change_marker(db: Database) -> int:
    """The newest audit sequence: it moves whenever anything is written, at any workstation."""
    with db.reader() as s:
        return s.scalar(select(func.max(AuditEvent.seq))) or 0


def active_records(db: Database, actor: Actor) -> list[SessionRecord]:
    """Every session not yet discharged and signed: the floor view's cards."""
    actor.require("read")
    with db.reader() as s:
        ids = s.scalars(select(InfusionSession.id).where(InfusionSession.status == Status.IN_PROGRESS.value)
                        .order_by(InfusionSession.chair, InfusionSession.id)).all()
        return [load_record(s, i, with_hash=False) for i in ids]


def awaiting_signature(db: Database, actor: Actor) -> list[SessionRecord]:
    actor.require("read")
    with db.reader() as s:
        ids = s.scalars(select(InfusionSession.id).where(InfusionSession.status.in_(
            [Status.AWAITING_SIGNATURE.value, Status.SIGNED.value])).order_by(InfusionSession.arrival_at)).all()
        return [load_record(s, i, with_hash=False) for i in ids]


def get_record(db: Database, actor: Actor, session_id: int, with_hash: bool = True) -> SessionRecord:
    actor.require("read")
    with db.reader() as s:
        return load_record(s, session_id, with_hash=with_hash)


def get_reading(db: Database, actor: Actor, reading_id: int) -> tuple[ReadingView, int]:
    """One reading with its flags, and the session's version: a screen's update after saving, without a reload."""
    actor.require("read")
    with db.reader() as s:
        return load_reading(s, reading_id)


def _patient_view(p: Patient) -> PatientView:
    return PatientView(p.id, p.mrn, p.family_name, p.given_name, p.date_of_birth, p.sex, p.weight_kg, p.allergies,
                       p.notes)


def _starts(column, prefix: str, sqlite: bool):
    """`column` starts with `prefix`, as a LIKE, and on SQLite also as an index range.

    SQLite's LIKE ignores ASCII case, so it cannot use the (binary) index; the range can, and where the prefix has
    no upper and lower case (digits, case-folded keys) it selects the same rows. (On PostgreSQL a range would
    follow the database's collation, so LIKE alone is used there.)
    """
    cond = column.startswith(prefix, autoescape=True)
    if sqlite and prefix.lower() == prefix:
        cond = and_(cond, column >= prefix, column < prefix + "\U0010ffff")
    return cond


def search_patients(db: Database, actor: Actor, text: str, limit: int = 50) -> list[PatientView]:
    """Patients whose MRN, family or given name starts with the text (parameters, never SQL text)."""
    actor.require("read")
    key = name_key(text)
    with db.reader() as s:
        q = select(Patient)
        if key:
            words = key.split()
            lite = db.is_sqlite
            conds = [or_(_starts(Patient.mrn, text.strip(), lite), _starts(Patient.family_key, words[0], lite),
                         _starts(Patient.given_key, words[0], lite))]
            for w in words[1:]:
                conds.append(or_(_starts(Patient.family_key, w, lite), _starts(Patient.given_key, w, lite)))
            q = q.where(and_(*conds))
        return [_patient_view(p) for p in s.scalars(q.order_by(Patient.family_key, Patient.given_key)
                                                    .limit(limit))]


@dataclass(frozen=True)
class CourseSummary:
    id: int
    indication: str
    indication_other: str
    planned_infusions: int
    sessions_done: int
    outcome_measure: str
    prescriber: str


def courses_of(db: Database, actor: Actor, patient_id: int) -> list[CourseSummary]:
    actor.require("read")
    with db.reader() as s:
        rows = s.execute(select(Course, func.count(InfusionSession.id))
                         .outerjoin(InfusionSession, InfusionSession.course_id == Course.id)
                         .where(Course.patient_id == patient_id).group_by(Course.id).order_by(Course.id)).all()
        return [CourseSummary(c.id, c.indication, c.indication_other, c.planned_infusions, n, c.outcome_measure,
                              c.prescriber) for c, n in rows]


@dataclass(frozen=True)
class ArchiveRow:
    session_id: int
    record_uid: str
    arrival_at: datetime
    mrn: str
    patient_name: str
    number: int
    planned: int
    indication: str
    nurse: str
    status: str
    has_critical: bool


@dataclass
class ArchiveQuery:
    text: str = ""
    date_from: date | None = None
    date_to: date | None = None
    nurse_id: int | None = None
    indication: str | None = None
    status: str | None = None
    critical_only: bool = False
    limit: int = 100
    offset: int = 0


def search_archive(db: Database, actor: Actor, query: ArchiveQuery, zone=timezone.utc) -> list[ArchiveRow]:
    """Sessions matching the archive filters, newest first; dates are the clinic's local days."""
    actor.require("read")
    q = (select(InfusionSession.id, InfusionSession.record_uid, InfusionSession.arrival_at, Patient.mrn,
                Patient.given_name, Patient.family_name, InfusionSession.number, Course.planned_infusions,
                Course.indication, User.full_name, InfusionSession.status, InfusionSession.has_critical)
         .join(Course, InfusionSession.course_id == Course.id).join(Patient, Course.patient_id == Patient.id)
         .join(User, InfusionSession.primary_nurse_id == User.id))
    text = query.text.strip()
    if text:
        key = name_key(text)
        lite = db.is_sqlite
        # The few matching patients' courses first, then their sessions (not every session, newest first).
        courses = (select(Course.id).join(Patient, Course.patient_id == Patient.id)
                   .where(or_(_starts(Patient.mrn, text, lite), _starts(Patient.family_key, key, lite),
                              _starts(Patient.given_key, key, lite))))
        q = q.where(InfusionSession.course_id.in_(courses))
    if query.date_from:
        q = q.where(InfusionSession.arrival_at >= datetime.combine(query.date_from, time(0), zone))
    if query.date_to:
        q = q.where(InfusionSession.arrival_at < datetime.combine(query.date_to + timedelta(days=1), time(0), zone))
    if query.nurse_id:
        q = q.where(InfusionSession.primary_nurse_id == query.nurse_id)
    if query.indication:
        q = q.where(Course.indication == query.indication)
    if query.status:
        q = q.where(InfusionSession.status == query.status)
    if query.critical_only:
        q = q.where(InfusionSession.has_critical.is_(True))
    q = q.order_by(InfusionSession.arrival_at.desc(), InfusionSession.id.desc()).limit(query.limit) \
        .offset(query.offset)
    with db.reader() as s:
        return [ArchiveRow(r[0], r[1], r[2], r[3], f"{r[4]} {r[5]}", r[6], r[7], r[8], r[9], r[10], r[11])
                for r in s.execute(q)]


def session_ids_between(db: Database, actor: Actor, date_from: date | None, date_to: date | None,
                        zone=timezone.utc) -> list[int]:
    actor.require("export")
    q = select(InfusionSession.id)
    if date_from:
        q = q.where(InfusionSession.arrival_at >= datetime.combine(date_from, time(0), zone))
    if date_to:
        q = q.where(InfusionSession.arrival_at < datetime.combine(date_to + timedelta(days=1), time(0), zone))
    with db.reader() as s:
        return list(s.scalars(q.order_by(InfusionSession.arrival_at, InfusionSession.id)))


@dataclass(frozen=True)
class CourseRow:
    session_id: int
    number: int
    arrival_at: datetime
    status: str
    pre_bp: str
    peak_bp: str
    post_bp: str
    outcome_score: int | None


def course_overview(db: Database, actor: Actor, course_id: int) -> list[CourseRow]:
    """Pre, peak and post BP and the outcome score of each session of a course."""
    from monitor_app.domain.vitals import format_bp
    actor.require("read")
    out = []
    with db.reader() as s:
        ids = s.scalars(select(InfusionSession.id).where(InfusionSession.course_id == course_id)
                        .order_by(InfusionSession.number)).all()
        for sid in ids:
            rec = load_record(s, sid, with_hash=False)
            bp = [r for r in rec.valid_readings if r.current.systolic is not None]
            base = rec.baseline
            pre = format_bp(base.current.systolic, base.current.diastolic) if base else ""
            peak_r = max(bp, key=lambda r: r.current.systolic) if bp else None
            peak = format_bp(peak_r.current.systolic, peak_r.current.diastolic) if peak_r else ""
            post_r = bp[-1] if bp and rec.infusion_end_at and bp[-1].measured_at >= rec.infusion_end_at else None
            post = format_bp(post_r.current.systolic, post_r.current.diastolic) if post_r else ""
            out.append(CourseRow(sid, rec.number, rec.arrival_at, rec.status.value, pre, peak, post,
                                 rec.outcome_score_before))
    return out


def users(db: Database) -> list[tuple[int, str, str]]:
    with db.reader() as s:
        return [(u.id, u.full_name, u.role) for u in s.scalars(select(User).order_by(User.full_name))]


def clinic_chairs(db: Database, actor: Actor, days: int = 180, now: datetime | None = None) -> list[str]:
    """The clinic's chairs: every chair a session used in the last `days` days or uses now, in chair order
    ("2" before "10"), for the floor's grid of every chair, free ones included."""
    import re
    actor.require("read")
    since = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    with db.reader() as s:
        chairs = set(s.scalars(select(InfusionSession.chair).where(
            (InfusionSession.arrival_at >= since) | (InfusionSession.status == Status.IN_PROGRESS.value)
        ).distinct()).all())
    chairs = {c.strip() for c in chairs if c and c.strip()}
    return sorted(chairs, key=lambda c: [(0, int(p), "") if p.isdigit() else (1, 0, p.lower())
                                         for p in re.findall(r"\d+|\D+", c)])
