"""The vocabulary of an infusion session: phases, statuses, indications, event kinds, medicines."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class Phase(str, Enum):
    PRE_INFUSION = "pre-infusion"
    INFUSION = "infusion"
    PAUSED = "paused"
    RECOVERY = "recovery"
    DISCHARGED = "discharged"

    @property
    def label(self) -> str:
        return self.value.capitalize().replace("Pre-infusion", "Pre-infusion")


class Status(str, Enum):
    IN_PROGRESS = "in progress"
    AWAITING_SIGNATURE = "awaiting signature"
    SIGNED = "signed"
    REVIEWED = "reviewed"

    @property
    def locked(self) -> bool:
        return self in (Status.SIGNED, Status.REVIEWED)


class Role(str, Enum):
    NURSE = "nurse"
    CHARGE_NURSE = "charge_nurse"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


INDICATIONS = {
    "depression": "Treatment-resistant depression",
    "ocd": "OCD",
    "anxiety": "Anxiety",
    "chronic_pain": "Chronic pain",
    "ptsd": "PTSD",
    "other": "Other",
}

OUTCOME_MEASURES = {
    "none": ("None", None),
    "ybocs": ("Y-BOCS", (0, 40)),
    "phq9": ("PHQ-9", (0, 27)),
    "gad7": ("GAD-7", (0, 21)),
    "nrs": ("Pain NRS", (0, 10)),
}

CONCOMITANT_MEDICINES = ("Benzodiazepines", "Other hypnotics", "Stimulants", "MAOIs", "Opioids")

DEFAULT_CHECKLIST = ("Consent current", "Fasting per protocol", "Escort confirmed", "No-driving advice given")

SIDE_EFFECTS = {
    "nausea": "Nausea", "vomiting": "Vomiting", "dizziness": "Dizziness", "headache": "Headache",
    "dissociation": "Dissociation", "confusion": "Confusion", "anxiety_agitation": "Anxiety or agitation",
    "hallucinations": "Hallucinations", "visual_disturbance": "Visual disturbance", "seizure": "Seizure",
    "other_side_effect": "Other side effect",
}
INTERVENTIONS = {
    "infusion_paused": "Infusion paused", "infusion_resumed": "Infusion resumed", "rate_changed": "Rate changed",
    "stopped_early": "Stopped early", "medication_given": "Medication given", "oxygen_applied": "Oxygen applied",
    "clinician_notified": "Clinician notified", "other_intervention": "Other intervention",
}
# Orders for this patient during a session (SPEC 4): they change what applies from their time on.
ORDERS = {"limits_changed": "Limits changed (order)", "schedule_changed": "Schedule changed (order)",
          "start_authorised": "Start authorised above pre-infusion limit",
          "start_checklist_incomplete": "Started with checklist items not done"}
EVENT_KINDS = {**SIDE_EFFECTS, **INTERVENTIONS, **ORDERS}
SEVERITIES = ("mild", "moderate", "severe")

ACK_ACTIONS = {
    "rechecked": "Rechecked", "rate_reduced": "Rate reduced", "paused": "Infusion paused",
    "clinician_notified": "Clinician notified", "other": "Other",
}


def event_category(kind: str) -> str:
    if kind in SIDE_EFFECTS:
        return "side effect"
    if kind in INTERVENTIONS:
        return "intervention"
    return "order"


@dataclass(frozen=True)
class SessionTimes:
    arrival: datetime
    infusion_start: datetime | None = None
    infusion_end: datetime | None = None
    discharged: datetime | None = None
    paused: bool = False


def derive_phase(t: SessionTimes) -> Phase:
    """Phase follows from the recorded times alone."""
    if t.discharged is not None:
        return Phase.DISCHARGED
    if t.infusion_end is not None:
        return Phase.RECOVERY
    if t.infusion_start is not None:
        return Phase.PAUSED if t.paused else Phase.INFUSION
    return Phase.PRE_INFUSION


def phase_at(moment: datetime, t: SessionTimes) -> Phase:
    """The phase a reading measured at `moment` belongs to (pauses count as infusion)."""
    if t.discharged is not None and moment >= t.discharged:
        return Phase.DISCHARGED
    if t.infusion_end is not None and moment >= t.infusion_end:
        return Phase.RECOVERY
    if t.infusion_start is not None and moment >= t.infusion_start:
        return Phase.INFUSION
    return Phase.PRE_INFUSION


def minutes_from_start(moment: datetime, infusion_start: datetime | None) -> float | None:
    if infusion_start is None:
        return None
    return (moment - infusion_start).total_seconds() / 60.0


def infusion_label(number: int, planned: int) -> str:
    return f"Infusion {number} of {planned}"
