"""The session record as screens, PDF and exports read it: plain dataclasses, built by services.records."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from monitor_app.domain.discharge import DISCHARGE_AT, scale_name
from monitor_app.domain.names import full_name, initials
from monitor_app.domain.schedule import Due, Schedule, next_due, observation_ends_at
from monitor_app.domain.session import (EVENT_KINDS, INDICATIONS, OUTCOME_MEASURES, Phase, SessionTimes, Status,
                                        derive_phase, event_category, infusion_label)
from monitor_app.domain.thresholds import LEVEL_SYMBOL, PARAMETER_LABELS, Level, Thresholds
from monitor_app.domain.vitals import VITAL_FIELDS, Vitals, is_late_entry


@dataclass
class PatientView:
    id: int
    mrn: str
    family_name: str
    given_name: str
    date_of_birth: date | None
    sex: str
    weight_kg: float | None
    allergies: str
    notes: str = ""
    family_first: bool | None = None  # the patient's name order; None: as the name's script writes it

    @property
    def name(self) -> str:
        return full_name(self.family_name, self.given_name, self.family_first)

    @property
    def initials(self) -> str:
        return initials(self.family_name, self.given_name, self.family_first)


@dataclass
class CourseView:
    id: int
    indication: str
    indication_other: str
    planned_infusions: int
    prescriber: str
    outcome_measure: str

    @property
    def indication_label(self) -> str:
        if self.indication == "other" and self.indication_other:
            return f"Other: {self.indication_other}"
        return INDICATIONS.get(self.indication, self.indication)

    @property
    def outcome_label(self) -> str:
        return OUTCOME_MEASURES.get(self.outcome_measure, (self.outcome_measure, None))[0]


@dataclass
class AmendmentView:
    id: int
    target: str
    target_id: int
    kind: str  # "amendment" or "entered_in_error"
    changes: dict[str, list]
    reason: str
    by: str
    at: datetime
    addendum_id: int | None = None


@dataclass
class AckView:
    action: str
    action_text: str
    by: str
    at: datetime


@dataclass
class FlagView:
    id: int
    reading_id: int
    parameter: str
    level: Level
    kind: str
    value: float
    limit: float
    created_at: datetime
    cleared: bool = False
    ack: AckView | None = None
    version: int = 1  # what a change of it (acknowledgement) passes back as the version its author saw

    @property
    def symbol(self) -> str:
        return LEVEL_SYMBOL[self.level]

    @property
    def description(self) -> str:
        from monitor_app.domain.thresholds import Finding
        return Finding(self.parameter, self.level, self.value, self.limit, self.kind).description

    @property
    def is_open(self) -> bool:
        return self.ack is None and not self.cleared


@dataclass
class ReadingView:
    id: int
    measured_at: datetime
    recorded_at: datetime
    recorded_by: str
    original: Vitals
    current: Vitals
    phase: Phase
    minutes: float | None
    amendments: list[AmendmentView] = field(default_factory=list)
    error: AmendmentView | None = None
    flags: list[FlagView] = field(default_factory=list)
    version: int = 1  # what a correction of it passes back as the version its author saw

    @property
    def late(self) -> bool:
        return is_late_entry(self.measured_at, self.recorded_at)

    @property
    def entered_in_error(self) -> bool:
        return self.error is not None

    @property
    def amended(self) -> bool:
        return bool(self.amendments)

    def amended_fields(self) -> set[str]:
        return {f for a in self.amendments for f in a.changes}

    def flag_for(self, parameter: str) -> FlagView | None:
        """The flag shown on a value: the worst one still in force for that parameter."""
        live = [f for f in self.flags if f.parameter == parameter and not f.cleared]
        if not live:
            return None
        return max(live, key=lambda f: f.level == Level.CRITICAL)


@dataclass
class EventView:
    id: int
    number: int
    at: datetime
    recorded_at: datetime
    kind: str
    severity: str
    note: str
    details: dict
    recorded_by: str
    error: AmendmentView | None = None
    version: int = 1  # what marking it entered in error passes back as the version its author saw

    @property
    def label(self) -> str:
        return EVENT_KINDS.get(self.kind, self.kind)

    @property
    def category(self) -> str:
        return event_category(self.kind)

    @property
    def summary(self) -> str:
        parts = [self.label]
        d = self.details or {}
        if self.kind == "medication_given":
            parts.append(" ".join(str(d.get(k, "")) for k in ("medication", "dose", "route")).strip())
        if d.get("clinician"):
            parts.append(f"by {d['clinician']}" if self.category == "order" else str(d["clinician"]))
        if self.severity:
            parts.append(self.severity)
        if self.note:
            parts.append(self.note)
        return " \u2014 ".join(p for p in parts if p)


@dataclass
class DischargeView:
    id: int
    scale: str
    items: dict[str, int]
    total: int
    escort_present: bool
    escort_name: str
    instructions_given: bool
    observation_met: bool
    early_reason: str
    at: datetime
    by: str

    @property
    def scale_label(self) -> str:
        return scale_name(self.scale)

    @property
    def meets_threshold(self) -> bool:
        return self.total >= DISCHARGE_AT


@dataclass
class SignatureView:
    id: int
    meaning: str
    printed_name: str
    credentials: str
    signed_at: datetime
    content_hash: str
    addendum_id: int | None = None


@dataclass
class AddendumView:
    id: int
    text: str
    by: str
    at: datetime
    corrections: list[AmendmentView] = field(default_factory=list)


@dataclass
class SessionRecord:
    id: int
    record_uid: str
    version: int
    patient: PatientView
    course: CourseView
    number: int
    chair: str
    primary_nurse_id: int
    primary_nurse: str
    supervising_clinician: str
    medication: str
    dose_mg_per_kg: float | None
    dose_mg_total: float | None
    route: str
    planned_minutes: int
    lot_number: str
    concomitant_medicines: list[str]
    checklist: dict[str, bool]
    outcome_score_before: int | None
    arrival_at: datetime
    infusion_start_at: datetime | None
    infusion_end_at: datetime | None
    discharged_at: datetime | None
    paused: bool
    status: Status
    thresholds: Thresholds
    threshold_orders: list[tuple[datetime, Thresholds]]
    schedule: Schedule
    schedule_orders: list[tuple[datetime, Schedule]]
    readings: list[ReadingView]
    events: list[EventView]
    discharge: DischargeView | None
    signatures: list[SignatureView]
    addenda: list[AddendumView]
    content_hash: str = ""

    # -- derived
    @property
    def times(self) -> SessionTimes:
        return SessionTimes(self.arrival_at, self.infusion_start_at, self.infusion_end_at, self.discharged_at,
                            self.paused)

    @property
    def phase(self) -> Phase:
        return derive_phase(self.times)

    @property
    def infusion_label(self) -> str:
        return infusion_label(self.number, self.course.planned_infusions)

    @property
    def locked(self) -> bool:
        return self.status.locked

    @property
    def flags(self) -> list[FlagView]:
        return [f for r in self.readings for f in r.flags]

    @property
    def open_flags(self) -> list[FlagView]:
        return [f for f in self.flags if f.is_open]

    @property
    def open_critical_flags(self) -> list[FlagView]:
        return [f for f in self.open_flags if f.level == Level.CRITICAL]

    @property
    def valid_readings(self) -> list[ReadingView]:
        return [r for r in self.readings if not r.entered_in_error]

    @property
    def latest_reading(self) -> ReadingView | None:
        valid = self.valid_readings
        return valid[-1] if valid else None

    @property
    def baseline(self) -> ReadingView | None:
        return baseline_of(self.valid_readings, self.infusion_start_at)

    def thresholds_at(self, moment: datetime) -> Thresholds:
        return in_force(self.thresholds, self.threshold_orders, moment)

    def schedule_at(self, moment: datetime) -> Schedule:
        return in_force(self.schedule, self.schedule_orders, moment)

    def next_due(self, now: datetime) -> Due:
        phase = self.phase
        started = {Phase.INFUSION: self.infusion_start_at, Phase.PAUSED: self.infusion_start_at,
                   Phase.RECOVERY: self.infusion_end_at}.get(phase)
        latest = self.latest_reading
        baseline = self.baseline
        return next_due(self.schedule_at(now), phase, now, latest.measured_at if latest else None, started,
                        baseline.measured_at if baseline else None)

    @property
    def observation_ends_at(self) -> datetime | None:
        moment = self.infusion_end_at or self.infusion_start_at
        sched = self.schedule_at(moment) if moment else self.schedule
        return observation_ends_at(sched, self.infusion_start_at, self.infusion_end_at)

    def missing_for_signature(self) -> list[str]:
        """What stops the primary nurse signing, in words (SPEC 3 rule 4)."""
        missing = []
        if self.discharge is None or self.discharged_at is None:
            missing.append("the discharge assessment")
        n = len(self.open_critical_flags)
        if n:
            missing.append(f"acknowledgement of {n} critical flag{'s' if n > 1 else ''}")
        return missing

    def author_signature(self) -> SignatureView | None:
        return next((s for s in self.signatures if s.meaning == "Authored"), None)

    def review_signature(self) -> SignatureView | None:
        return next((s for s in self.signatures if s.meaning == "Reviewed"), None)


def in_force(frozen, orders, moment: datetime):
    """The frozen copy, overridden by the latest order made at or before `moment`."""
    current = frozen
    for at, value in orders:
        if at <= moment:
            current = value
    return current


def baseline_of(readings: list[ReadingView], infusion_start: datetime | None) -> ReadingView | None:
    """The last valid reading before the infusion started (or so far, if it has not started)."""
    pre = [r for r in readings if infusion_start is None or r.measured_at < infusion_start]
    return pre[-1] if pre else None


def values_of(v: Vitals) -> dict[str, int | None]:
    return {f: getattr(v, f) for f in VITAL_FIELDS}


def parameter_label(parameter: str) -> str:
    return PARAMETER_LABELS.get(parameter, parameter)
