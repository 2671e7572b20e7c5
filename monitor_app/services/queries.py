"""Read-side queries for the screens: floor cards, archive search, patients, course overview."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, func, or_, select

from monitor_app.domain.names import compact_key, full_name, search_key
from monitor_app.domain.record import PatientView, ReadingView, SessionRecord
from monitor_app.domain.session import INDICATIONS, Status
from monitor_app.domain.text import check_text
from monitor_app.services.access import Actor
from monitor_app.services.records import load_reading, load_record, load_records
from monitor_app.storage.db import Database
from monitor_app.storage.models import AuditEvent, Course, InfusionSession, Patient, User


def change_marker(db: Database) -> int:
    """The newest audit sequence: it moves whenever anything is written, at any workstation."""
    with db.reader() as s:
        return s.scalar(select(func.max(AuditEvent.seq))) or 0


@dataclass(frozen=True)
class FloorData:
    """What the floor view shows, read in one transaction (so the marker dates exactly these records)."""

    marker: int  # the change marker as of this read (see change_marker)
    active: list[SessionRecord]  # every session not yet discharged and signed: the cards
    chairs: list[str]  # the clinic's chairs, free ones included (see _chairs)
    awaiting: list[SessionRecord]  # records awaiting a signature or a co-signature


def floor_data(db: Database, actor: Actor, *, with_awaiting: bool, now: datetime | None = None,
               chair_days: int = 180) -> FloorData:
    actor.require("read")
    with db.reader() as s:
        marker = s.scalar(select(func.max(AuditEvent.seq))) or 0
        active = s.scalars(select(InfusionSession.id).where(InfusionSession.status == Status.IN_PROGRESS.value)
                           .order_by(InfusionSession.chair, InfusionSession.id)).all()
        awaiting = s.scalars(select(InfusionSession.id).where(InfusionSession.status.in_(
            [Status.AWAITING_SIGNATURE.value, Status.SIGNED.value])).order_by(InfusionSession.arrival_at)).all() \
            if with_awaiting else []
        records = load_records(s, list(active) + list(awaiting))
        chairs = _chairs(s, (now or datetime.now(timezone.utc)) - timedelta(days=chair_days))
    return FloorData(marker, records[:len(active)], chairs, records[len(active):])


def get_record(db: Database, actor: Actor, session_id: int, with_hash: bool = True) -> SessionRecord:
    actor.require("read")
    with db.reader() as s:
        return load_record(s, session_id, with_hash=with_hash)


def get_reading(db: Database, actor: Actor, reading_id: int) -> tuple[ReadingView, int]:
    """One reading with its flags, and the session's version: a screen's update after saving, without a reload."""
    actor.require("read")
    with db.reader() as s:
        return load_reading(s, reading_id)


def version_of(db: Database, actor: Actor, target: str, target_id: int) -> int:
    """The current version of a reading, event or flag: what a refused change retries with."""
    from monitor_app.domain.errors import NotFound
    from monitor_app.storage.models import Event, Flag, Reading
    actor.require("read")
    model = {"reading": Reading, "event": Event, "flag": Flag}[target]
    with db.reader() as s:
        version = s.scalar(select(model.version).where(model.id == target_id))
    if version is None:
        raise NotFound(f"There is no {target} with id {target_id}.")
    return version


def _patient_view(p: Patient) -> PatientView:
    return PatientView(p.id, p.mrn, p.family_name, p.given_name, p.date_of_birth, p.sex, p.weight_kg, p.allergies,
                       p.notes, p.family_first)


def _starts(column, prefix: str, sqlite: bool):
    """`column` starts with `prefix`, as a LIKE, and on SQLite also as an index range.

    SQLite's LIKE ignores ASCII case, so it cannot use the (binary) index; the range can, and where the prefix has
    no upper and lower case (digits, case-folded keys) it selects the same rows. (On PostgreSQL a range would
    follow the database's collation, so LIKE alone is used there.)
    """
    cond = column.startswith(prefix, autoescape=True)
    if sqlite and prefix.lower() == prefix:
        cond = and_(cond, column >= prefix, column < prefix + "\U0010ffff")
    elif sqlite:
        # A prefix with upper and lower case (an MRN typed "ab12" or "AB12", or a name beside it): the ranges of
        # its forms as typed, upper and lower. A LIKE alone would turn the whole search into a table scan.
        cond = or_(*(and_(column >= v, column < v + "\U0010ffff")
                     for v in sorted({prefix, prefix.upper(), prefix.lower()})))
    return cond


def _name_matches(text: str, lite: bool):
    """Patients whose MRN starts with the text or whose name matches it (SPEC 3 rule 8), as one condition.

    Any prefix of the family or given name, or of the whole name in either order, with or without its spaces
    (the compact keys: "Zoë Nguyễn", "nguyen zoe", "Nguyen, Zo", "李小龙"). Keys ignore case, accents and Unicode
    normalisation (domain.names). Every branch is one indexed prefix range on SQLite, so the planner unites
    index searches instead of scanning (a branch that combines two prefixes would make it scan).
    """
    key, compact = search_key(text), compact_key(text)
    conds = [_starts(Patient.mrn, text.strip(), lite)]
    if compact:
        conds += [_starts(Patient.family_key, key, lite), _starts(Patient.given_key, key, lite),
                  _starts(Patient.full_key, compact, lite), _starts(Patient.full_key_reversed, compact, lite)]
    return or_(*conds)


def search_patients(db: Database, actor: Actor, text: str, limit: int = 50) -> list[PatientView]:
    """Patients whose MRN or name matches the text (parameters, never SQL text)."""
    actor.require("read")
    check_text("search", text, "Search text", max_len=200)
    with db.reader() as s:
        q = select(Patient)
        if text.strip():
            q = q.where(_name_matches(text, db.is_sqlite))
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
                Patient.family_first, Patient.given_name, Patient.family_name, InfusionSession.number, Course.planned_infusions,
                Course.indication, User.full_name, InfusionSession.status, InfusionSession.has_critical)
         .join(Course, InfusionSession.course_id == Course.id).join(Patient, Course.patient_id == Patient.id)
         .join(User, InfusionSession.primary_nurse_id == User.id))
    text = check_text("search", query.text, "Search text", max_len=200).strip()
    if text:
        # The few matching patients' courses first, then their sessions (not every session, newest first).
        courses = (select(Course.id).join(Patient, Course.patient_id == Patient.id)
                   .where(_name_matches(text, db.is_sqlite)))
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
        return [ArchiveRow(r[0], r[1], r[2], r[3], full_name(r[6], r[5], r[4]), r[7], r[8], r[9], r[10], r[11],
                           r[12]) for r in s.execute(q)]


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


def users(db: Database) -> list[tuple[int, str, str]]:
    with db.reader() as s:
        return [(u.id, u.full_name, u.role) for u in s.scalars(select(User).order_by(User.full_name))]


def full_names(db: Database, actor: Actor) -> dict[str, str]:
    """User name -> full name, for the audit history, which stores the user name of each row."""
    actor.require("read")
    with db.reader() as s:
        return {u: n for u, n in s.execute(select(User.username, User.full_name))}


@dataclass(frozen=True)
class Vital:
    """One BP (and the heart rate with it) of an infusion: baseline, peak or last, with its worst flag level."""

    systolic: int | None
    diastolic: int | None
    heart_rate: int | None
    critical: bool = False

    @property
    def bp(self) -> str:
        from monitor_app.domain.vitals import format_bp
        return format_bp(self.systolic, self.diastolic)


@dataclass(frozen=True)
class CourseInfusion:
    """One planned infusion of a course: done (with its session) or still planned (session_id None)."""

    number: int
    session_id: int | None
    arrival_at: datetime | None
    nurse: str
    status: str  # in words: Planned, In progress, Awaiting signature, Signed, Reviewed
    baseline: Vital | None
    peak: Vital | None
    last: Vital | None
    warnings: int
    criticals: int
    discharge: str
    outcome_score: int | None
    missing: tuple[str, ...]  # readings the record lacks, in words

    @property
    def planned(self) -> bool:
        return self.session_id is None


@dataclass(frozen=True)
class CourseReport:
    course_id: int
    patient: PatientView
    indication: str
    planned_infusions: int
    prescriber: str
    outcome_measure: str  # key: phq9, ybocs, gad7, nrs, none
    outcome_label: str
    infusions: list[CourseInfusion]


STATUS_WORDS = {Status.IN_PROGRESS: "In progress", Status.AWAITING_SIGNATURE: "Awaiting signature",
                Status.SIGNED: "Signed", Status.REVIEWED: "Reviewed"}


def _vital(reading) -> Vital | None:
    if reading is None:
        return None
    v = reading.current
    crit = any(f.level.value == "critical" and not f.cleared for f in reading.flags)
    return Vital(v.systolic, v.diastolic, v.heart_rate, crit)


def course_record_hashes(db: Database, actor: Actor, course_id: int) -> list[str]:
    """The content hashes of a course's records (the infusions done), in series order: what the digest of its
    summary is made of (domain.anchor.course_digest)."""
    report = course_report(db, actor, course_id)
    return [get_record(db, actor, i.session_id, with_hash=True).content_hash for i in report.infusions
            if not i.planned]


def course_report(db: Database, actor: Actor, course_id: int) -> CourseReport:
    """Every planned infusion of a course, done or not, with baseline, peak and last BP and HR, flags,
    discharge, status and the outcome score before it: the course view and the course summary PDF."""
    from monitor_app.domain.errors import NotFound
    actor.require("read")
    with db.reader() as s:
        course = s.get(Course, course_id)
        if course is None:
            raise NotFound(f"There is no course with id {course_id}.")
        patient = _patient_view(course.patient)
        ids = s.scalars(select(InfusionSession.id).where(InfusionSession.course_id == course_id)
                        .order_by(InfusionSession.number, InfusionSession.id)).all()
        records = load_records(s, ids)
    done = []
    for rec in records:
        valid = rec.valid_readings
        bp = [r for r in valid if r.current.systolic is not None]
        base = rec.baseline
        peak = max(bp, key=lambda r: r.current.systolic) if bp else None
        after = [r for r in valid if rec.infusion_end_at and r.measured_at >= rec.infusion_end_at]
        last = after[-1] if after else None
        missing = []
        if base is None:
            missing.append("no baseline reading")
        if rec.infusion_end_at is not None and not any(r.current.systolic is not None for r in after):
            missing.append("no BP after the infusion")
        live = [f for f in rec.flags if not f.cleared]
        crit = sum(1 for f in live if f.level.value == "critical")
        d = rec.discharge
        discharge = "" if d is None else (f"{d.scale_label} {d.total}/{2 * len(d.items)}"
                                          + ("" if d.observation_met else ", early"))
        done.append(CourseInfusion(rec.number, rec.id, rec.arrival_at, rec.primary_nurse.split(",")[0],
                                   STATUS_WORDS[rec.status], _vital(base), _vital(peak),
                                   _vital(last), len(live) - crit, crit, discharge,
                                   rec.outcome_score_before, tuple(missing)))
    numbers = {i.number for i in done}
    planned = [CourseInfusion(n, None, None, "", "Planned", None, None, None, 0, 0, "", None, ())
               for n in range(1, course.planned_infusions + 1) if n not in numbers]
    from monitor_app.domain.session import OUTCOME_MEASURES
    return CourseReport(course.id, patient, INDICATIONS.get(course.indication, course.indication)
                        if course.indication != "other" else f"Other: {course.indication_other}",
                        course.planned_infusions, course.prescriber, course.outcome_measure,
                        OUTCOME_MEASURES.get(course.outcome_measure, (course.outcome_measure, None))[0],
                        sorted(done + planned, key=lambda i: (i.number, i.session_id or 0)))


def _chairs(s, since: datetime) -> list[str]:
    """The clinic's chairs: every chair a session used since `since` or uses now, in chair order ("2" before
    "10"), for the floor's grid of every chair, free ones included."""
    import re
    chairs = set(s.scalars(select(InfusionSession.chair).where(
        (InfusionSession.arrival_at >= since) | (InfusionSession.status == Status.IN_PROGRESS.value)
    ).distinct()).all())
    chairs = {c.strip() for c in chairs if c and c.strip()}
    return sorted(chairs, key=lambda c: [(0, int(p), "") if p.isdigit() else (1, 0, p.lower())
                                         for p in re.findall(r"\d+|\D+", c)])
