"""Documenting a session: patients, courses, sessions, readings, corrections, events, flags, discharge, signing.

Every function is one transaction: it checks the caller's role, enforces the record rules of SPEC 3 and 4, and
writes its audit rows. Screens and the command line call these and nothing below them.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor_app.domain.clock import clinic_zone
from monitor_app.domain.discharge import DischargeScore, changed_items, scale_name
from monitor_app.domain.errors import (AuthenticationFailed, FieldError, NotFound,
                                       PermissionDenied, RuleViolation)
from monitor_app.domain.names import name_keys
from monitor_app.domain.record import ReadingView, in_force
from monitor_app.domain.schedule import Schedule, baseline_in_window, observation_ends_at, observation_minutes_left
from monitor_app.domain.session import (ACK_ACTIONS, CONCOMITANT_MEDICINES, INDICATIONS, INTERVENTIONS,
                                        OUTCOME_MEASURES, SEVERITIES, SIDE_EFFECTS, Status)
from monitor_app.domain.text import check_text
from monitor_app.domain.thresholds import Level, Thresholds, evaluate
from monitor_app.domain.vitals import VITAL_FIELDS, Vitals, check_measured_at
from monitor_app.services import audit, settings as clinic, versions
from monitor_app.services.access import Actor, user_row
from monitor_app.services.records import content_hash, display_name, get_session_row, reading_view
from monitor_app.services.users import check_ahead, reauthenticate, record_failure
from monitor_app.storage.db import Database
from monitor_app.storage.models import (Addendum, Amendment, Course, DischargeAssessment, Event, Flag,
                                        FlagAcknowledgement, InfusionSession, Patient, Reading, Signature)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def _text(field: str, value: str, label: str, max_len: int = 200, required: bool = False) -> str:
    value = check_text(field, (value or ""), label).strip()
    if required and not value:
        raise FieldError(field, f"{label} is required.")
    if len(value) > max_len:
        raise FieldError(field, f"{label} must be at most {max_len} characters.")
    return value


# ------------------------------------------------------------------------------------------ patients, courses

def create_patient(db: Database, actor: Actor, *, mrn: str, family_name: str, given_name: str,
                   date_of_birth: date | None = None, sex: str = "", weight_kg: float | None = None,
                   allergies: str = "", notes: str = "", family_first: bool | None = None,
                   now: datetime | None = None) -> int:
    """A new patient; `family_first` is the name order the patient writes (None: as the name's script does)."""
    actor.require("document")
    now = _now(now)
    mrn = _text("mrn", mrn, "MRN", 64, required=True)
    family = _text("family_name", family_name, "Family name", 120, required=True)
    given = _text("given_name", given_name, "Given name", 120, required=True)
    if weight_kg is not None and not 20 <= weight_kg <= 300:
        raise FieldError("weight_kg", "Weight must be between 20 and 300 kg.")
    with db.transaction() as s:
        today = now.astimezone(clinic_zone(clinic.get_settings(s).timezone)).date()  # the clinic's, not UTC's
        if date_of_birth is not None and not date(1900, 1, 1) <= date_of_birth <= today:
            raise FieldError("date_of_birth", "Date of birth must be between 1900-01-01 and today.")
        if s.scalar(select(Patient.id).where(Patient.mrn == mrn)) is not None:
            raise FieldError("mrn", f"MRN {mrn} already belongs to another patient.")
        p = Patient(mrn=mrn, family_name=family, given_name=given, **name_keys(family, given),
                    family_first=None if family_first is None else bool(family_first), date_of_birth=date_of_birth,
                    sex=_text("sex", sex, "Sex", 16),
                    weight_kg=weight_kg, allergies=_text("allergies", allergies, "Allergies", 2000),
                    notes=_text("notes", notes, "Notes", 4000), created_at=now)
        s.add(p)
        audit.created(s, actor, p)
        return p.id


def create_course(db: Database, actor: Actor, *, patient_id: int, indication: str, indication_other: str = "",
                  planned_infusions: int = 6, prescriber: str = "", outcome_measure: str = "none") -> int:
    actor.require("document")
    if indication not in INDICATIONS:
        raise FieldError("indication", "Indication must be one of: " + ", ".join(INDICATIONS.values()) + ".")
    if indication == "other" and not (indication_other or "").strip():
        raise FieldError("indication_other", "Describe the indication when it is 'Other'.")
    if not 1 <= int(planned_infusions) <= 100:
        raise FieldError("planned_infusions", "Planned infusions must be between 1 and 100.")
    if outcome_measure not in OUTCOME_MEASURES:
        raise FieldError("outcome_measure", "Unknown outcome measure.")
    with db.transaction() as s:
        if s.get(Patient, patient_id) is None:
            raise NotFound(f"There is no patient with id {patient_id}.")
        c = Course(patient_id=patient_id, indication=indication,
                   indication_other=_text("indication_other", indication_other, "Indication", 200),
                   planned_infusions=int(planned_infusions), prescriber=_text("prescriber", prescriber, "Prescriber"),
                   outcome_measure=outcome_measure, created_at=datetime.now(timezone.utc))
        s.add(c)
        audit.created(s, actor, c)
        return c.id


# ------------------------------------------------------------------------------------------------ sessions

def create_session(db: Database, actor: Actor, *, course_id: int, chair: str = "", supervising_clinician: str = "",
                   medication: str = "Ketamine HCl", dose_mg_per_kg: float | None = 0.5,
                   dose_mg_total: float | None = None, route: str = "IV", planned_minutes: int = 40,
                   lot_number: str = "", concomitant_medicines: list[str] | None = None,
                   checklist: dict[str, bool] | None = None, outcome_score_before: int | None = None,
                   profile_id: int | None = None, schedule_id: int | None = None,
                   arrival_at: datetime | None = None, now: datetime | None = None) -> int:
    """Open a session (the patient has arrived): number in the series, dose, checklist, frozen limits."""
    actor.require("document")
    now = _now(now)
    arrival_at = arrival_at or now
    if arrival_at - now > timedelta(minutes=2):
        raise FieldError("arrival_at", "Arrival time must not be in the future.")
    if dose_mg_per_kg is not None and not 0 < dose_mg_per_kg <= 5:
        raise FieldError("dose_mg_per_kg", "Dose must be between 0.01 and 5 mg/kg.")
    if dose_mg_total is not None and not 0 < dose_mg_total <= 1000:
        raise FieldError("dose_mg_total", "Total dose must be between 0.1 and 1000 mg.")
    if not 1 <= int(planned_minutes) <= 600:
        raise FieldError("planned_minutes", "Planned minutes must be between 1 and 600.")
    meds = list(concomitant_medicines or [])
    for m in meds:
        if m not in CONCOMITANT_MEDICINES and not str(m).strip():
            raise FieldError("concomitant_medicines", "Concomitant medicines must be named.")
    with db.transaction() as s:
        course = s.get(Course, course_id)
        if course is None:
            raise NotFound(f"There is no course with id {course_id}.")
        measure = OUTCOME_MEASURES[course.outcome_measure]
        if outcome_score_before is not None:
            if measure[1] is None:
                raise FieldError("outcome_score_before", "This course records no outcome measure.")
            lo, hi = measure[1]
            if not lo <= outcome_score_before <= hi:
                raise FieldError("outcome_score_before", f"{measure[0]} score must be between {lo} and {hi}.")
        weight = course.patient.weight_kg
        if dose_mg_total is None and dose_mg_per_kg is not None and weight:
            dose_mg_total = round(dose_mg_per_kg * weight, 1)
        settings = clinic.get_settings(s)
        profile = clinic.profile_for(s, profile_id or settings.default_profile_id)
        schedule = clinic.schedule_for(s, schedule_id or settings.default_schedule_id)
        items = settings.checklist_items or []
        checklist = {item: bool((checklist or {}).get(item, False)) for item in items}
        number = (s.scalar(select(func.max(InfusionSession.number)).where(InfusionSession.course_id == course_id))
                  or 0) + 1
        row = InfusionSession(
            course_id=course_id, number=number, chair=_text("chair", chair, "Chair", 32),
            primary_nurse_id=actor.user_id,
            supervising_clinician=_text("supervising_clinician", supervising_clinician, "Supervising clinician"),
            medication=_text("medication", medication, "Medication", 120, required=True),
            dose_mg_per_kg=dose_mg_per_kg, dose_mg_total=dose_mg_total, route=_text("route", route, "Route", 16),
            planned_minutes=int(planned_minutes), lot_number=_text("lot_number", lot_number, "Lot number", 64),
            concomitant_medicines=meds, checklist=checklist, outcome_score_before=outcome_score_before,
            arrival_at=arrival_at, status=Status.IN_PROGRESS.value,
            thresholds=profile.limits, threshold_profile_id=profile.id,
            schedule=schedule.settings, schedule_id=schedule.id, created_at=now)
        s.add(row)
        audit.created(s, actor, row, session_id=row.id)
        return row.id


def _open_session(s: Session, actor: Actor, session_id: int, expected_version: int | None = None,
                  allow_locked: bool = False) -> InfusionSession:
    actor.require("document", session=s)
    row = get_session_row(s, session_id)
    versions.check(row, expected_version, "session")
    if row.status in (Status.SIGNED.value, Status.REVIEWED.value) and not allow_locked:
        raise RuleViolation("This record is signed and locked; add a signed addendum instead.")
    return row


def _update_session(s: Session, actor: Actor, row: InfusionSession, action: str, reason: str = "", **changes):
    before = audit.snapshot(row)
    for k, v in changes.items():
        setattr(row, k, v)
    audit.changed(s, actor, row, before, action=action, reason=reason, session_id=row.id)


def _add_event(s: Session, actor: Actor, row: InfusionSession, kind: str, at: datetime, now: datetime,
               severity: str = "", note: str = "", details: dict | None = None) -> Event:
    e = Event(session_id=row.id, at=at, recorded_at=now, recorded_by_id=actor.user_id, kind=kind,
              severity=severity, note=note, details=details or {})
    s.add(e)
    audit.created(s, actor, e, session_id=row.id)
    return e


def _valid_readings_before(s: Session, row: InfusionSession, moment: datetime | None) -> list[tuple[Reading, dict]]:
    """Readings not entered in error, measured before `moment`, with their current (amended) values."""
    q = select(Reading).where(Reading.session_id == row.id)
    if moment is not None:
        q = q.where(Reading.measured_at < moment)
    readings = s.scalars(q.order_by(Reading.measured_at, Reading.id)).all()
    if not readings:
        return []
    corrections = s.scalars(select(Amendment).where(Amendment.session_id == row.id,
                                                    Amendment.target == "reading")
                            .order_by(Amendment.at, Amendment.id)).all()
    errors = {a.target_id for a in corrections if a.kind == "entered_in_error"}
    out = []
    for r in readings:
        if r.id in errors:
            continue
        values = {f: getattr(r, f) for f in VITAL_FIELDS}
        for a in corrections:
            if a.target_id == r.id and a.kind == "amendment":
                values.update({f: new for f, (_old, new) in a.changes.items() if f in values})
        out.append((r, values))
    return out


def _baseline(s: Session, row: InfusionSession) -> tuple[Reading, dict] | None:
    valid = _valid_readings_before(s, row, row.infusion_start_at)
    return valid[-1] if valid else None


def start_infusion(db: Database, actor: Actor, session_id: int, *, at: datetime | None = None,
                   authorising_clinician: str = "", note: str = "", checklist_reason: str = "",
                   expected_version: int | None = None, now: datetime | None = None) -> None:
    """Start the infusion; unticked checklist items need a reason (recorded as an event, naming them)."""
    now = _now(now)
    at = at or now
    with db.transaction() as s:
        row = _open_session(s, actor, session_id, expected_version)
        if row.infusion_start_at is not None:
            raise RuleViolation("The infusion has already started.")
        unticked = [item for item, done in (row.checklist or {}).items() if not done]
        if unticked:
            why = _text("checklist_reason", checklist_reason, "Reason", 2000)
            if not why:
                raise FieldError("checklist_reason", "Checklist items not done: " + ", ".join(unticked)
                                 + ". Give the reason to start anyway.")
        check_measured_at(at, now, row.arrival_at)
        base = _baseline(s, row)
        schedule = Schedule.from_dict(row.schedule)
        if base is None:
            raise RuleViolation("Record a baseline reading before starting the infusion.")
        if not baseline_in_window(schedule, base[0].measured_at, at):
            raise RuleViolation(f"The baseline must be taken within {schedule.baseline_window_min} minutes "
                                "before the start; record a new baseline reading.")
        limits = in_force(Thresholds.from_dict(row.thresholds), _orders(s, row, "limits_changed"), at)
        if limits.baseline_blocks_start(base[1].get("systolic"), base[1].get("diastolic")):
            clinician = _text("authorising_clinician", authorising_clinician, "Authorising clinician")
            reason = _text("note", note, "Note", 2000)
            if not clinician or not reason:
                raise FieldError("authorising_clinician",
                                 "The baseline is above the pre-infusion limit: name the authorising clinician "
                                 "and add a note to start.")
            _add_event(s, actor, row, "start_authorised", at, now, note=reason, details={"clinician": clinician})
        if unticked:
            _add_event(s, actor, row, "start_checklist_incomplete", at, now, note=why,
                       details={"not_done": unticked})
        _update_session(s, actor, row, "start_infusion", infusion_start_at=at)


def pause_infusion(db: Database, actor: Actor, session_id: int, *, note: str = "", at: datetime | None = None,
                   expected_version: int | None = None, now: datetime | None = None) -> None:
    now = _now(now)
    with db.transaction() as s:
        row = _open_session(s, actor, session_id, expected_version)
        if row.infusion_start_at is None or row.infusion_end_at is not None or row.paused:
            raise RuleViolation("Only a running infusion can be paused.")
        _add_event(s, actor, row, "infusion_paused", at or now, now, note=note)
        _update_session(s, actor, row, "pause_infusion", paused=True)


def resume_infusion(db: Database, actor: Actor, session_id: int, *, note: str = "", at: datetime | None = None,
                    expected_version: int | None = None, now: datetime | None = None) -> None:
    now = _now(now)
    with db.transaction() as s:
        row = _open_session(s, actor, session_id, expected_version)
        if not row.paused:
            raise RuleViolation("The infusion is not paused.")
        _add_event(s, actor, row, "infusion_resumed", at or now, now, note=note)
        _update_session(s, actor, row, "resume_infusion", paused=False)


def stop_infusion(db: Database, actor: Actor, session_id: int, *, at: datetime | None = None,
                  early_reason: str = "", expected_version: int | None = None, now: datetime | None = None) -> None:
    now = _now(now)
    at = at or now
    with db.transaction() as s:
        row = _open_session(s, actor, session_id, expected_version)
        if row.infusion_start_at is None or row.infusion_end_at is not None:
            raise RuleViolation("Only a started infusion can be stopped.")
        check_measured_at(at, now, row.infusion_start_at)
        if early_reason.strip():
            _add_event(s, actor, row, "stopped_early", at, now, note=_text("early_reason", early_reason,
                                                                            "Reason", 2000))
        _update_session(s, actor, row, "stop_infusion", infusion_end_at=at, paused=False)


def _orders(s: Session, row: InfusionSession, kind: str) -> list[tuple[datetime, Any]]:
    events = s.scalars(select(Event).where(Event.session_id == row.id, Event.kind == kind)
                       .order_by(Event.at, Event.id)).all()
    if not events:
        return []
    errors = set(s.scalars(select(Amendment.target_id).where(Amendment.session_id == row.id,
                                                             Amendment.target == "event",
                                                             Amendment.kind == "entered_in_error")))
    build = Thresholds.from_dict if kind == "limits_changed" else Schedule.from_dict
    key = "thresholds" if kind == "limits_changed" else "schedule"
    return [(e.at, build(e.details[key])) for e in events if e.id not in errors]


# ------------------------------------------------------------------------------------------------ readings

def _flag(s: Session, actor: Actor, row: InfusionSession, reading: Reading, values: dict, now: datetime) -> list[Flag]:
    """Evaluate a reading against the limits in force at its time and store a flag per finding."""
    limits = in_force(Thresholds.from_dict(row.thresholds), _orders(s, row, "limits_changed"), reading.measured_at)
    baseline = None
    if row.infusion_start_at is not None and reading.measured_at >= row.infusion_start_at:
        base = _baseline(s, row)
        baseline = base[1] if base else None
    flags = []
    for finding in evaluate(values, limits, baseline):
        f = Flag(session_id=row.id, reading_id=reading.id, parameter=finding.parameter, level=finding.level.value,
                 kind=finding.kind, value=finding.value, limit=finding.limit, created_at=now)
        s.add(f)
        audit.created(s, actor, f, session_id=row.id)
        flags.append(f)
    if any(f.level == Level.CRITICAL.value for f in flags) and not row.has_critical:
        # An archive search aid ("with critical flags"), audited like any other change of the session row.
        _update_session(s, actor, row, "flag_critical", has_critical=True)
    return flags


def record_reading(db: Database, actor: Actor, session_id: int, vitals: Vitals, *,
                   measured_at: datetime | None = None, now: datetime | None = None) -> int:
    """Save one reading (validated), flag it against the limits in force, and audit it; returns its id."""
    with db.transaction() as s:
        return _record_reading(s, actor, session_id, vitals, measured_at, now)[0].id


def record_reading_shown(db: Database, actor: Actor, session_id: int, vitals: Vitals, *,
                         measured_at: datetime | None = None,
                         now: datetime | None = None) -> tuple[ReadingView, int]:
    """The same save, returning the reading as its record shows it (with its flags) and the session's version:
    what the screen adds after Enter, read in the saving transaction rather than in a second one."""
    with db.transaction() as s:
        r, row, flags = _record_reading(s, actor, session_id, vitals, measured_at, now)
        s.flush()
        # A reading saved just now has no corrections and no acknowledged flags yet: its rows are all here.
        names = {r.recorded_by_id: display_name(user_row(s, r.recorded_by_id))}
        return reading_view(r, row, [], flags, {}, names), row.version


def _record_reading(s: Session, actor: Actor, session_id: int, vitals: Vitals, measured_at: datetime | None,
                    now: datetime | None) -> tuple[Reading, InfusionSession, list[Flag]]:
    now = _now(now)
    measured_at = measured_at or now
    vitals.validate()
    row = _open_session(s, actor, session_id)
    check_measured_at(measured_at, now, row.arrival_at, row.discharged_at)
    r = Reading(session_id=row.id, measured_at=measured_at, recorded_at=now, recorded_by_id=actor.user_id,
                comment=vitals.comment, **{f: getattr(vitals, f) for f in VITAL_FIELDS})
    s.add(r)
    audit.created(s, actor, r, session_id=row.id)
    return r, row, _flag(s, actor, row, r, {f: getattr(vitals, f) for f in VITAL_FIELDS}, now)


def _amend(s: Session, actor: Actor, row: InfusionSession, reading: Reading, changes: dict[str, Any], reason: str,
           now: datetime, addendum_id: int | None = None) -> Amendment:
    reason = _text("reason", reason, "Reason", 2000, required=True)
    current = dict(_current_values(s, row, reading))
    unknown = set(changes) - set(VITAL_FIELDS) - {"comment"}
    if unknown:
        raise FieldError(sorted(unknown)[0], "Only the measured values and the comment can be amended.")
    diff = {f: [current.get(f), v] for f, v in changes.items() if current.get(f) != v}
    if not diff:
        raise FieldError("reason", "The amendment changes nothing.")
    Vitals(**{**current, **{f: new for f, (_o, new) in diff.items()}}).validate()
    a = Amendment(session_id=row.id, target="reading", target_id=reading.id, kind="amendment", changes=diff,
                  reason=reason, user_id=actor.user_id, at=now, addendum_id=addendum_id)
    s.add(a)
    versions.bump(reading)
    audit.created(s, actor, a, session_id=row.id, action="amend", reason=reason)
    # Flags of the changed values no longer apply; the new values are evaluated afresh.
    changed_params = set(diff)
    if changed_params & {"systolic", "diastolic", "heart_rate", "spo2", "resp_rate"}:
        for f in s.scalars(select(Flag).where(Flag.reading_id == reading.id,
                                              Flag.cleared_by_amendment_id.is_(None))):
            if f.parameter in changed_params:
                before = audit.snapshot(f)
                f.cleared_by_amendment_id = a.id
                versions.bump(f)
                audit.changed(s, actor, f, before, action="clear", reason="value amended", session_id=row.id)
        new_values = {**current, **{f: new for f, (_o, new) in diff.items()}}
        _flag(s, actor, row, reading, {k: (new_values[k] if k in changed_params else None) for k in VITAL_FIELDS},
              now)
    return a


def _current_values(s: Session, row: InfusionSession, reading: Reading) -> dict:
    values = {f: getattr(reading, f) for f in VITAL_FIELDS}
    values["comment"] = reading.comment
    corrections = s.scalars(select(Amendment).where(Amendment.target == "reading", Amendment.target_id == reading.id)
                            .order_by(Amendment.at, Amendment.id)).all()
    for a in corrections:
        if a.kind == "entered_in_error":
            raise RuleViolation("This reading was marked entered in error; it cannot be amended.")
        values.update({f: new for f, (_o, new) in a.changes.items()})
    return values


def _reading(s: Session, reading_id: int) -> Reading:
    r = s.get(Reading, reading_id)
    if r is None:
        raise NotFound(f"There is no reading with id {reading_id}.")
    return r


def amend_reading(db: Database, actor: Actor, reading_id: int, changes: dict[str, Any], reason: str, *,
                  expected_version: int | None = None, now: datetime | None = None) -> int:
    """Correct a reading: the original stays, the amendment holds old value, new value, reason, who and when.

    `expected_version` is the version of the reading as the author loaded it (ReadingView.version).
    """
    now = _now(now)
    with db.transaction() as s:
        r = _reading(s, reading_id)
        row = _open_session(s, actor, r.session_id)
        versions.check(r, expected_version, "reading")
        return _amend(s, actor, row, r, changes, reason, now).id


def mark_entered_in_error(db: Database, actor: Actor, target: str, target_id: int, reason: str, *,
                          expected_version: int | None = None, now: datetime | None = None) -> int:
    """Mark a reading or an event entered in error: it stays visible, struck through, with the reason.

    `expected_version` is the version of the reading or event as the author loaded it.
    """
    now = _now(now)
    reason = _text("reason", reason, "Reason", 2000, required=True)
    model = {"reading": Reading, "event": Event}.get(target)
    if model is None:
        raise FieldError("target", "Only readings and events can be marked entered in error.")
    with db.transaction() as s:
        obj = s.get(model, target_id)
        if obj is None:
            raise NotFound(f"There is no {target} with id {target_id}.")
        row = _open_session(s, actor, obj.session_id)
        versions.check(obj, expected_version, target)
        done = s.scalar(select(Amendment.id).where(Amendment.target == target, Amendment.target_id == target_id,
                                                   Amendment.kind == "entered_in_error"))
        if done is not None:
            raise RuleViolation(f"This {target} is already marked entered in error.")
        a = Amendment(session_id=row.id, target=target, target_id=target_id, kind="entered_in_error", changes={},
                      reason=reason, user_id=actor.user_id, at=now)
        s.add(a)
        versions.bump(obj)
        audit.created(s, actor, a, session_id=row.id, action="entered_in_error", reason=reason)
        if target == "reading":
            for f in s.scalars(select(Flag).where(Flag.reading_id == target_id,
                                                  Flag.cleared_by_amendment_id.is_(None))):
                before = audit.snapshot(f)
                f.cleared_by_amendment_id = a.id
                versions.bump(f)
                audit.changed(s, actor, f, before, action="clear", reason="reading entered in error",
                              session_id=row.id)
        return a.id


# -------------------------------------------------------------------------------------------------- events

def record_event(db: Database, actor: Actor, session_id: int, kind: str, *, severity: str = "", note: str = "",
                 details: dict | None = None, at: datetime | None = None, now: datetime | None = None) -> int:
    """A side effect or an intervention. Pause/resume and orders have their own services."""
    now = _now(now)
    at = at or now
    if kind not in SIDE_EFFECTS and kind not in INTERVENTIONS:
        raise FieldError("kind", f"Unknown event kind {kind!r}.")
    if kind in ("infusion_paused", "infusion_resumed"):
        raise FieldError("kind", "Use Pause and Resume for the infusion.")
    if severity and severity not in SEVERITIES:
        raise FieldError("severity", "Severity must be mild, moderate or severe.")
    if kind in SIDE_EFFECTS and not severity:
        raise FieldError("severity", "Choose the severity of the side effect: mild, moderate or severe.")
    details = dict(details or {})
    if kind == "medication_given":
        for key, label in (("medication", "Medication name"), ("dose", "Dose"), ("route", "Route")):
            details[key] = _text(key, str(details.get(key, "")), label, 120, required=True)
    if kind == "clinician_notified":
        details["clinician"] = _text("clinician", str(details.get("clinician", "")), "Clinician's name",
                                     required=True)
    if kind in ("other_side_effect", "other_intervention") and not (note or "").strip():
        raise FieldError("note", "Describe the event in the note when it is 'Other'.")
    with db.transaction() as s:
        row = _open_session(s, actor, session_id)
        check_measured_at(at, now, row.arrival_at, row.discharged_at)
        return _add_event(s, actor, row, kind, at, now, severity, _text("note", note, "Note", 2000), details).id


def order_limits(db: Database, actor: Actor, session_id: int, thresholds: Thresholds, *, clinician: str,
                 reason: str, at: datetime | None = None, now: datetime | None = None) -> int:
    """A clinician's order of other limits for this patient, from its time on (SPEC 4)."""
    now = _now(now)
    thresholds.validate()
    clinician = _text("clinician", clinician, "Authorising clinician", required=True)
    reason = _text("reason", reason, "Reason", 2000, required=True)
    with db.transaction() as s:
        row = _open_session(s, actor, session_id)
        at = at or now
        check_measured_at(at, now, row.arrival_at, row.discharged_at)
        return _add_event(s, actor, row, "limits_changed", at, now, note=reason,
                          details={"clinician": clinician, "thresholds": thresholds.to_dict()}).id


def order_schedule(db: Database, actor: Actor, session_id: int, schedule: Schedule, *, clinician: str,
                   reason: str, at: datetime | None = None, now: datetime | None = None) -> int:
    now = _now(now)
    schedule.validate()
    clinician = _text("clinician", clinician, "Authorising clinician", required=True)
    reason = _text("reason", reason, "Reason", 2000, required=True)
    with db.transaction() as s:
        row = _open_session(s, actor, session_id)
        at = at or now
        check_measured_at(at, now, row.arrival_at, row.discharged_at)
        return _add_event(s, actor, row, "schedule_changed", at, now, note=reason,
                          details={"clinician": clinician, "schedule": schedule.to_dict()}).id


def acknowledge_flag(db: Database, actor: Actor, flag_id: int, action: str, action_text: str = "", *,
                     expected_version: int | None = None, now: datetime | None = None) -> int:
    """The action taken for a flag; `expected_version` is the flag's version as the nurse saw it."""
    versions_seen = None if expected_version is None else {flag_id: expected_version}
    return acknowledge_flags(db, actor, [flag_id], action, action_text, versions_seen=versions_seen, now=now)[0]


def acknowledge_flags(db: Database, actor: Actor, flag_ids: list[int], action: str, action_text: str = "", *,
                      versions_seen: dict[int, int] | None = None, now: datetime | None = None) -> list[int]:
    """One acknowledgement (one action) for several open flags of one reading: one audit row per flag.
    `versions_seen` holds each flag's version as the nurse saw it."""
    now = _now(now)
    if action not in ACK_ACTIONS:
        raise FieldError("action", "Choose the action taken: " + ", ".join(ACK_ACTIONS.values()) + ".")
    if action == "other" and not (action_text or "").strip():
        raise FieldError("action_text", "Describe the action taken when it is 'Other'.")
    if not flag_ids:
        raise RuleViolation("Choose the flags to acknowledge.")
    with db.transaction() as s:
        flags = []
        for flag_id in flag_ids:
            flag = s.get(Flag, flag_id)
            if flag is None:
                raise NotFound(f"There is no flag with id {flag_id}.")
            flags.append(flag)
        if len({(f.session_id, f.reading_id) for f in flags}) > 1:
            raise RuleViolation("One acknowledgement covers the flags of one reading only.")
        row = _open_session(s, actor, flags[0].session_id)
        ids = []
        for flag in flags:
            versions.check(flag, (versions_seen or {}).get(flag.id), "flag")
            if s.scalar(select(FlagAcknowledgement.id).where(FlagAcknowledgement.flag_id == flag.id)) is not None:
                raise RuleViolation("This flag is already acknowledged.")
            ack = FlagAcknowledgement(flag_id=flag.id, session_id=row.id, action=action,
                                      action_text=_text("action_text", action_text, "Action", 2000),
                                      user_id=actor.user_id, at=now)
            s.add(ack)
            versions.bump(flag)
            audit.created(s, actor, ack, session_id=row.id, action="acknowledge")
            ids.append(ack.id)
        return ids


# ----------------------------------------------------------------------------------------------- discharge

def discharge(db: Database, actor: Actor, session_id: int, *, scale: str, items: dict[str, int],
              escort_present: bool, escort_name: str = "", instructions_given: bool = False,
              early_reason: str = "", at: datetime | None = None, expected_version: int | None = None,
              now: datetime | None = None, prefilled: dict[str, int] | None = None) -> int:
    """Assess and discharge: no open critical flag, score at or above 9, an escort, instructions, and the minimum
    observation. `prefilled` are the scores the record suggested; items scored otherwise are recorded."""
    now = _now(now)
    at = at or now
    score = DischargeScore(scale, {k: v for k, v in items.items()}).validate()
    with db.transaction() as s:
        row = _open_session(s, actor, session_id, expected_version)
        if row.infusion_end_at is None:
            raise RuleViolation("Stop the infusion before the discharge assessment.")
        if row.discharged_at is not None:
            raise RuleViolation("The patient is already discharged.")
        check_measured_at(at, now, row.infusion_end_at)
        acked = select(FlagAcknowledgement.flag_id).where(FlagAcknowledgement.session_id == row.id)
        open_critical = s.scalar(select(func.count()).select_from(Flag).where(
            Flag.session_id == row.id, Flag.level == Level.CRITICAL.value, Flag.cleared_by_amendment_id.is_(None),
            Flag.id.not_in(acked)))
        if open_critical:
            raise RuleViolation(f"{open_critical} critical flag{'s are' if open_critical > 1 else ' is'} not "
                                "acknowledged: acknowledge them before the discharge.")
        if not score.meets_threshold:
            raise FieldError("score", f"{scale_name(scale)} total is {score.total}; discharge needs 9 or more. "
                                      "Reassess later.")
        if not escort_present or not (escort_name or "").strip():
            raise FieldError("escort_name", "Discharge needs a responsible adult escort: enter the escort's name.")
        if not instructions_given:
            raise FieldError("instructions_given", "Confirm the discharge instructions (no driving until the next "
                                                   "day) were given.")
        sched = in_force(Schedule.from_dict(row.schedule), _orders(s, row, "schedule_changed"), at)
        ends = observation_ends_at(sched, row.infusion_start_at, row.infusion_end_at)
        met = ends is None or at >= ends
        reason = (early_reason or "").strip()
        if not met and not reason:
            raise FieldError("early_reason", f"Minimum observation of {sched.min_observation_min} minutes is not "
                                             f"over ({observation_minutes_left(ends, at)} min left): document the "
                                             f"reason to discharge early.")
        d = DischargeAssessment(session_id=row.id, scale=scale, items=dict(score.items), total=score.total,
                                escort_present=True, escort_name=escort_name.strip(), instructions_given=True,
                                observation_met=met, early_reason="" if met else reason, assessed_at=now,
                                assessed_by_id=actor.user_id)
        s.add(d)
        changed = changed_items(scale, prefilled or {}, dict(score.items))
        audit.created(s, actor, d, session_id=row.id,
                      reason=("Scored otherwise than the record suggested: " + "; ".join(changed)) if changed else "")
        _update_session(s, actor, row, "discharge", discharged_at=at, status=Status.AWAITING_SIGNATURE.value)
        return d.id


# ----------------------------------------------------------------------------------------------- signing

def _signing(db: Database, actor: Actor, password: str, now: datetime, work):
    """Run a signing step; a wrong password rolls it back and counts towards the lock-out."""
    check_ahead(db, actor.username, password, now)  # Argon2 before the write lock, not under it
    try:
        with db.transaction() as s:
            reauthenticate(s, actor, password, now)
            return work(s)
    except AuthenticationFailed:
        record_failure(db, actor.username, now)
        raise


def _signature(s: Session, actor: Actor, row: InfusionSession, meaning: str, now: datetime,
               addendum_id: int | None = None) -> Signature:
    sig = Signature(session_id=row.id, user_id=actor.user_id, meaning=meaning, printed_name=actor.full_name,
                    credentials=actor.credentials, signed_at=now, addendum_id=addendum_id,
                    content_hash="")
    s.flush()
    sig.content_hash = content_hash(s, row, now)
    s.add(sig)
    audit.created(s, actor, sig, session_id=row.id, action="sign")
    return sig


def missing_for_signature(s: Session, row: InfusionSession) -> list[str]:
    from monitor_app.services.records import load_record
    return load_record(s, row.id).missing_for_signature()


def sign(db: Database, actor: Actor, session_id: int, password: str, *, now: datetime | None = None) -> int:
    """The primary nurse signs as author; the record locks."""
    now = _now(now)

    def work(s: Session) -> int:
        row = _open_session(s, actor, session_id)
        if row.primary_nurse_id != actor.user_id:
            raise PermissionDenied("Only the primary nurse of the session signs it as author.")
        missing = missing_for_signature(s, row)
        if missing:
            raise RuleViolation("Cannot sign yet: missing " + " and ".join(missing) + ".")
        sig = _signature(s, actor, row, "Authored", now)
        _update_session(s, actor, row, "lock", status=Status.SIGNED.value)
        return sig.id
    return _signing(db, actor, password, now, work)


def cosign(db: Database, actor: Actor, session_id: int, password: str, *, now: datetime | None = None) -> int:
    """A charge nurse co-signs a signed record as reviewer."""
    now = _now(now)
    actor.require("review")

    def work(s: Session) -> int:
        row = _open_session(s, actor, session_id, allow_locked=True)
        if row.status != Status.SIGNED.value:
            raise RuleViolation("Only a record signed by its author and not yet reviewed can be co-signed.")
        if row.primary_nurse_id == actor.user_id:
            raise PermissionDenied("The author of a record cannot co-sign it as reviewer.")
        sig = _signature(s, actor, row, "Reviewed", now)
        _update_session(s, actor, row, "review", status=Status.REVIEWED.value)
        return sig.id
    return _signing(db, actor, password, now, work)


def add_addendum(db: Database, actor: Actor, session_id: int, text: str, password: str, *,
                 corrections: list[tuple[int, dict[str, Any], str]] = (), now: datetime | None = None) -> int:
    """A signed addendum to a signed record: text, and corrections of readings as amendments."""
    now = _now(now)
    text = _text("text", text, "Addendum", 8000, required=True)

    def work(s: Session) -> int:
        row = _open_session(s, actor, session_id, allow_locked=True)
        if row.status not in (Status.SIGNED.value, Status.REVIEWED.value):
            raise RuleViolation("Addenda are for signed records; this one can still be edited directly.")
        ad = Addendum(session_id=row.id, text=text, user_id=actor.user_id, created_at=now)
        s.add(ad)
        audit.created(s, actor, ad, session_id=row.id)
        for reading_id, changes, reason in corrections:
            r = _reading(s, reading_id)
            if r.session_id != row.id:
                raise FieldError("corrections", "A correction must be of a reading of this session.")
            _amend(s, actor, row, r, changes, reason, now, addendum_id=ad.id)
        _signature(s, actor, row, "Addendum", now, addendum_id=ad.id)
        return ad.id
    return _signing(db, actor, password, now, work)
