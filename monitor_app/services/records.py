"""Reading a session record: the SessionRecord read model, its content hash, and signature verification."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from monitor_app.domain.errors import NotFound
from monitor_app.domain.record import (AckView, AddendumView, AmendmentView, CourseView, DischargeView, EventView,
                                       FlagView, PatientView, ReadingView, SessionRecord, SignatureView)
from monitor_app.domain.schedule import Schedule
from monitor_app.domain.session import SessionTimes, Status, minutes_from_start, phase_at
from monitor_app.domain.thresholds import Level, Thresholds
from monitor_app.domain.vitals import VITAL_FIELDS, Vitals
from monitor_app.services import audit
from monitor_app.storage.models import (Addendum, Amendment, Course, DischargeAssessment, Event, Flag,
                                        FlagAcknowledgement, InfusionSession, Reading, Signature, User)

# Session columns that change after signing without changing what was signed.
_SESSION_BOOKKEEPING = {"status", "has_critical", "paused"}


def get_session_row(db: Session, session_id: int) -> InfusionSession:
    row = db.get(InfusionSession, session_id)
    if row is None:
        raise NotFound(f"There is no session with id {session_id}.")
    return row


# Each part of a record, in the order a record lists it.
_PARTS = {
    "readings": (Reading, (Reading.measured_at, Reading.id)),
    "amendments": (Amendment, (Amendment.at, Amendment.id)),
    "events": (Event, (Event.at, Event.id)),
    "flags": (Flag, (Flag.id,)),
    "acknowledgements": (FlagAcknowledgement, (FlagAcknowledgement.id,)),
    "discharge_assessments": (DischargeAssessment, (DischargeAssessment.id,)),
    "addenda": (Addendum, (Addendum.id,)),
    "signatures": (Signature, (Signature.id,)),
}
_BATCH = 500  # session ids per query: far below any database's limit on bound parameters


def _children_of(db: Session, session_ids: list[int]) -> dict[int, dict[str, list]]:
    """The parts of several records, one query per part (not per record): a floor of twelve chairs reads as
    fast as one."""
    out = {sid: {name: [] for name in _PARTS} for sid in session_ids}
    for start in range(0, len(session_ids), _BATCH):
        batch = session_ids[start:start + _BATCH]
        for name, (model, order) in _PARTS.items():
            rows = db.scalars(select(model).where(model.session_id.in_(batch)).order_by(*order))
            for row in rows:
                out[row.session_id][name].append(row)
    return out


def _children(db: Session, s: InfusionSession):
    return _children_of(db, [s.id])[s.id]


_TIME_OF = {"readings": "recorded_at", "amendments": "at", "events": "recorded_at", "flags": "created_at",
            "acknowledgements": "at", "discharge_assessments": "assessed_at", "addenda": "created_at",
            "signatures": "signed_at"}


def content(db: Session, s: InfusionSession, upto: datetime | None = None, children=None) -> dict:
    """What a signature covers: the record as it stood at `upto` (everything when None)."""
    children = children or _children(db, s)
    p = s.course.patient
    c = s.course
    session = {k: v for k, v in audit.snapshot(s).items() if k not in _SESSION_BOOKKEEPING}
    out = {
        "format": 1,
        "patient": {"mrn": p.mrn, "family_name": p.family_name, "given_name": p.given_name,
                    "date_of_birth": p.date_of_birth},
        "course": {"indication": c.indication, "indication_other": c.indication_other,
                   "planned_infusions": c.planned_infusions, "prescriber": c.prescriber,
                   "outcome_measure": c.outcome_measure},
        "session": session,
    }
    for name, rows in children.items():
        stamp = _TIME_OF[name]
        keep = []
        for row in rows:
            t = getattr(row, stamp)
            if upto is not None and (t > upto or (name == "signatures" and t >= upto)):
                continue
            snap = audit.snapshot(row)
            snap.pop("cleared_by_amendment_id", None)  # set later by corrections, which are themselves content
            keep.append(snap)
        out[name] = keep
    return out


def content_hash(db: Session, s: InfusionSession, upto: datetime | None = None, children=None) -> str:
    return audit.sha256(content(db, s, upto, children))


def verify_signatures(db: Session, report) -> None:
    """Each signature must still match the content it signed."""
    sigs = db.scalars(select(Signature).order_by(Signature.session_id, Signature.id)).all()
    by_session = defaultdict(list)
    for sig in sigs:
        by_session[sig.session_id].append(sig)
    for sid, group in by_session.items():
        s = db.get(InfusionSession, sid)
        children = _children(db, s)
        report.records_checked += 1
        for sig in group:
            if content_hash(db, s, sig.signed_at, children) != sig.content_hash:
                report.problems.append(f"record {s.record_uid} (session {sid}): content no longer matches the "
                                       f"{sig.meaning.lower()} signature of {sig.printed_name} "
                                       f"({sig.signed_at:%Y-%m-%d %H:%M} UTC)")


def load_record(db: Session, session_id: int, with_hash: bool = True) -> SessionRecord:
    """Everything about one session, as shown on screen and printed."""
    return load_records(db, [session_id], with_hash)[0]


def load_records(db: Session, session_ids: list[int], with_hash: bool = False) -> list[SessionRecord]:
    """Several records at once, in the order of `session_ids` (the floor's cards, a course, a day)."""
    unique = list(dict.fromkeys(session_ids))
    found = {}
    for start in range(0, len(unique), _BATCH):
        found.update((row.id, row) for row in db.scalars(
            select(InfusionSession).where(InfusionSession.id.in_(unique[start:start + _BATCH]))
            .options(selectinload(InfusionSession.course).selectinload(Course.patient))))
    missing = next((sid for sid in session_ids if sid not in found), None)
    if missing is not None:
        raise NotFound(f"There is no session with id {missing}.")
    rows = [found[sid] for sid in session_ids]
    children = _children_of(db, unique)
    names = _user_names(db)
    return [_record(db, s, children[s.id], names, with_hash) for s in rows]


def _record(db: Session, s: InfusionSession, ch: dict[str, list], names: dict[int, str],
            with_hash: bool) -> SessionRecord:
    times = SessionTimes(s.arrival_at, s.infusion_start_at, s.infusion_end_at, s.discharged_at, s.paused)

    amendments = [AmendmentView(a.id, a.target, a.target_id, a.kind, a.changes or {}, a.reason,
                                names.get(a.user_id, "?"), a.at, a.addendum_id) for a in ch["amendments"]]
    by_target = defaultdict(list)
    for a in amendments:
        by_target[(a.target, a.target_id)].append(a)

    acks = {k.flag_id: AckView(k.action, k.action_text, names.get(k.user_id, "?"), k.at)
            for k in ch["acknowledgements"]}
    flags_by_reading = defaultdict(list)
    for f in ch["flags"]:
        flags_by_reading[f.reading_id].append(
            FlagView(f.id, f.reading_id, f.parameter, Level(f.level), f.kind, f.value, f.limit, f.created_at,
                     cleared=f.cleared_by_amendment_id is not None, ack=acks.get(f.id), version=f.version))

    readings = [_reading_view(r, times, names, by_target[("reading", r.id)], flags_by_reading[r.id])
                for r in ch["readings"]]

    events, t_orders, s_orders = [], [], []
    for n, e in enumerate(ch["events"], start=1):
        corrections = by_target[("event", e.id)]
        error = next((a for a in corrections if a.kind == "entered_in_error"), None)
        events.append(EventView(e.id, n, e.at, e.recorded_at, e.kind, e.severity, e.note, e.details or {},
                                names.get(e.recorded_by_id, "?"), error, version=e.version))
        if error is None and e.kind == "limits_changed":
            t_orders.append((e.at, Thresholds.from_dict(e.details["thresholds"])))
        if error is None and e.kind == "schedule_changed":
            s_orders.append((e.at, Schedule.from_dict(e.details["schedule"])))

    d = ch["discharge_assessments"][-1] if ch["discharge_assessments"] else None
    discharge = None if d is None else DischargeView(
        d.id, d.scale, d.items, d.total, d.escort_present, d.escort_name, d.instructions_given, d.observation_met,
        d.early_reason, d.assessed_at, names.get(d.assessed_by_id, "?"))
    p, c = s.course.patient, s.course
    return SessionRecord(
        id=s.id, record_uid=s.record_uid, version=s.version,
        patient=PatientView(p.id, p.mrn, p.family_name, p.given_name, p.date_of_birth, p.sex, p.weight_kg,
                            p.allergies, p.notes, p.family_first),
        course=CourseView(c.id, c.indication, c.indication_other, c.planned_infusions, c.prescriber,
                          c.outcome_measure),
        number=s.number, chair=s.chair, primary_nurse_id=s.primary_nurse_id,
        primary_nurse=names.get(s.primary_nurse_id, "?"), supervising_clinician=s.supervising_clinician,
        medication=s.medication, dose_mg_per_kg=s.dose_mg_per_kg, dose_mg_total=s.dose_mg_total, route=s.route,
        planned_minutes=s.planned_minutes, lot_number=s.lot_number,
        concomitant_medicines=list(s.concomitant_medicines or []), checklist=dict(s.checklist or {}),
        outcome_score_before=s.outcome_score_before, arrival_at=s.arrival_at,
        infusion_start_at=s.infusion_start_at, infusion_end_at=s.infusion_end_at, discharged_at=s.discharged_at,
        paused=s.paused, status=Status(s.status), thresholds=Thresholds.from_dict(s.thresholds),
        threshold_orders=t_orders, schedule=Schedule.from_dict(s.schedule), schedule_orders=s_orders,
        readings=readings, events=events, discharge=discharge,
        signatures=[SignatureView(g.id, g.meaning, g.printed_name, g.credentials, g.signed_at, g.content_hash,
                                  g.addendum_id) for g in ch["signatures"]],
        addenda=[AddendumView(a.id, a.text, names.get(a.user_id, "?"), a.created_at,
                              [m for m in amendments if m.addendum_id == a.id]) for a in ch["addenda"]],
        content_hash=content_hash(db, s, None, ch) if with_hash else "",
    )


def _reading_view(r: Reading, times: SessionTimes, names: dict[int, str], corrections: list[AmendmentView],
                  flags: list[FlagView]) -> ReadingView:
    original = Vitals(**{k: getattr(r, k) for k in VITAL_FIELDS}, comment=r.comment)
    current = apply_amendments(original, corrections)
    error = next((a for a in corrections if a.kind == "entered_in_error"), None)
    return ReadingView(
        r.id, r.measured_at, r.recorded_at, names.get(r.recorded_by_id, "?"), original, current,
        phase_at(r.measured_at, times), minutes_from_start(r.measured_at, times.infusion_start),
        [a for a in corrections if a.kind == "amendment"], error, flags, version=r.version)


def load_reading(db: Session, reading_id: int) -> tuple[ReadingView, int]:
    """One reading as its record shows it, with the session's version: the screen's cheap update after a save."""
    r = db.get(Reading, reading_id)
    if r is None:
        raise NotFound(f"There is no reading with id {reading_id}.")
    s = get_session_row(db, r.session_id)
    amendments = db.scalars(select(Amendment).where(Amendment.target == "reading", Amendment.target_id == r.id)
                            .order_by(Amendment.at, Amendment.id)).all()
    flags = db.scalars(select(Flag).where(Flag.reading_id == r.id).order_by(Flag.id)).all()
    acks = {k.flag_id: k for k in db.scalars(select(FlagAcknowledgement).where(
        FlagAcknowledgement.flag_id.in_([f.id for f in flags])))} if flags else {}
    user_ids = {r.recorded_by_id} | {a.user_id for a in amendments} | {k.user_id for k in acks.values()}
    names = {u.id: display_name(u) for u in db.execute(select(User.id, User.full_name, User.credentials)
                                                       .where(User.id.in_(user_ids)))}
    return reading_view(r, s, amendments, flags, acks, names), s.version


def reading_view(r: Reading, s: InfusionSession, amendments: list[Amendment], flags: list[Flag],
                 acks: dict[int, FlagAcknowledgement], names: dict[int, str]) -> ReadingView:
    """A reading as its record shows it, from its rows: its corrections, its flags and their acknowledgements."""
    times = SessionTimes(s.arrival_at, s.infusion_start_at, s.infusion_end_at, s.discharged_at, s.paused)
    corrections = [AmendmentView(a.id, a.target, a.target_id, a.kind, a.changes or {}, a.reason,
                                 names.get(a.user_id, "?"), a.at, a.addendum_id) for a in amendments]
    views = [FlagView(f.id, f.reading_id, f.parameter, Level(f.level), f.kind, f.value, f.limit, f.created_at,
                      cleared=f.cleared_by_amendment_id is not None, version=f.version,
                      ack=None if f.id not in acks else AckView(acks[f.id].action, acks[f.id].action_text,
                                                               names.get(acks[f.id].user_id, "?"), acks[f.id].at))
             for f in flags]
    return _reading_view(r, times, names, corrections, views)


def display_name(user) -> str:
    """A user as records print them: the full name, then the credentials."""
    return f"{user.full_name}, {user.credentials}" if user.credentials else user.full_name


def apply_amendments(original: Vitals, corrections: list[AmendmentView]) -> Vitals:
    values = original.as_dict()
    for a in corrections:
        if a.kind == "amendment":
            for f, (_old, new) in a.changes.items():
                values[f] = new
    return Vitals(**values)


def _user_names(db: Session) -> dict[int, str]:
    return {u.id: display_name(u) for u in db.execute(select(User.id, User.full_name, User.credentials)).all()}
