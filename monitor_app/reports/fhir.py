"""A session as a FHIR R4 Bundle (SPEC 7): Patient, Encounter, vital-sign Observations, MedicationAdministration.

fhir.resources 8 defaults to FHIR R5; its R4B package (FHIR 4.3) has the R4 shapes of these four resources and
is what the Bundle is validated against before anything is written. Resource ids are derived from the record id,
so exporting the same record twice gives the same ids.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from monitor_app.domain.errors import ChairsideError
from monitor_app.domain.record import ReadingView, SessionRecord
from monitor_app.domain.thresholds import Level
from monitor_app.reports.interchange import private_output
from monitor_app.services.exports import audited
from monitor_app.services.access import Actor
from monitor_app.services.integrity import record_export
from monitor_app.services.records import load_record
from monitor_app.storage.db import Database

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
# Single-value vital signs: field -> (LOINC code, display, UCUM unit, extra codings).
SINGLE = {
    "heart_rate": ("8867-4", "Heart rate", "/min", []),
    # The FHIR vital-signs profile also expects 2708-6 (oxygen saturation in arterial blood) on SpO2.
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%",
             [("2708-6", "Oxygen saturation in Arterial blood")]),
    "resp_rate": ("9279-1", "Respiratory rate", "/min", []),
    "pain_nrs": ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}", []),
}
GENDER = {"female": "female", "f": "female", "male": "male", "m": "male", "other": "other", "unknown": "unknown"}


class FhirExportError(ChairsideError):
    """The record could not be expressed as a valid FHIR Bundle; nothing was written."""


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": "mmHg" if unit == "mm[Hg]" else unit, "system": UCUM, "code": unit}


class _Ids:
    """Stable urn:uuid ids: the same record always gives the same resource ids."""

    def __init__(self, record_uid: str):
        self.namespace = uuid.UUID(record_uid) if _is_uuid(record_uid) else uuid.uuid5(uuid.NAMESPACE_URL,
                                                                                       record_uid)

    def __call__(self, key: str) -> str:
        return str(uuid.uuid5(self.namespace, key))


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


def _interpretation(reading: ReadingView, parameters: tuple[str, ...]) -> list[dict] | None:
    codes = []
    for p in parameters:
        flag = reading.flag_for(p)
        if flag is None:
            continue
        critical = flag.level == Level.CRITICAL
        code, display = {"low": ("LL", "Critical low") if critical else ("L", "Low"),
                         "high": ("HH", "Critical high") if critical else ("H", "High")}.get(
            flag.kind, ("AA", "Critical abnormal") if critical else ("A", "Abnormal"))
        codes.append({"coding": [_coding(INTERPRETATION, code, display)], "text": flag.description})
    return codes or None


def _status_and_notes(reading: ReadingView, fields: tuple[str, ...]) -> tuple[str, list[dict]]:
    notes = []
    if reading.error is not None:
        e = reading.error
        notes.append({"text": f"Entered in error: {e.reason} ({e.by}, {_time(e.at)})"})
        return "entered-in-error", notes
    amended = False
    for a in reading.amendments:
        changed = {f: v for f, v in a.changes.items() if f in fields}
        if changed:
            amended = True
            what = ", ".join(f"{f} {old} -> {new}" for f, (old, new) in changed.items())
            notes.append({"text": f"Amended: {what}; reason: {a.reason} ({a.by}, {_time(a.at)})"})
    return ("amended" if amended else "final"), notes


def _concept(*codings: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [_coding(LOINC, code, display) for code, display in codings], "text": codings[0][1]}


def _observation(reading: ReadingView, ids: _Ids, refs: dict, key: str, code: dict, fields: tuple[str, ...],
                 **value: Any) -> dict:
    status, notes = _status_and_notes(reading, fields)
    if reading.current.comment:
        notes.append({"text": reading.current.comment})
    if reading.late:
        notes.append({"text": f"Late entry: recorded at {_time(reading.recorded_at)}"})
    obs = {
        "resourceType": "Observation",
        "id": ids(f"reading-{reading.id}-{key}"),
        "status": status,
        "category": [{"coding": [_coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")]}],
        "code": code,
        "subject": {"reference": refs["patient"]},
        "encounter": {"reference": refs["encounter"]},
        "effectiveDateTime": _time(reading.measured_at),
        "issued": _time(reading.recorded_at),
        "performer": [{"display": reading.recorded_by}],
        **value,
    }
    if notes:
        obs["note"] = notes
    return obs


def _with_interpretation(element: dict, reading: ReadingView, parameter: str) -> dict:
    interpretation = _interpretation(reading, (parameter,))
    if interpretation:
        element["interpretation"] = interpretation
    return element


def _observations(rec: SessionRecord, ids: _Ids, refs: dict) -> list[dict]:
    """The current values of every reading; corrected and entered-in-error ones say so in their status."""
    out = []
    for r in rec.readings:
        v = r.current
        components = [_with_interpretation({"code": _concept(loinc), "valueQuantity": _quantity(value, "mm[Hg]")},
                                           r, parameter)
                      for parameter, loinc, value in (("systolic", SYSTOLIC, v.systolic),
                                                      ("diastolic", DIASTOLIC, v.diastolic))
                      if value is not None]
        if components:
            out.append(_observation(r, ids, refs, "bp", _concept(BP_PANEL), ("systolic", "diastolic"),
                                    component=components))
        for field, (code, display, unit, extra) in SINGLE.items():
            value = getattr(v, field)
            if value is not None:
                out.append(_with_interpretation(
                    _observation(r, ids, refs, field, _concept((code, display), *extra), (field,),
                                 valueQuantity=_quantity(value, unit)), r, field))
        if v.moaas is not None:  # MOAA/S has no LOINC code: named in text only
            out.append(_observation(r, ids, refs, "moaas", {"text": "MOAA/S sedation score (0-5)"}, ("moaas",),
                                    valueInteger=v.moaas))
    return out


def _medication(rec: SessionRecord, ids: _Ids, refs: dict) -> dict | None:
    if rec.infusion_start_at is None:
        return None  # nothing was administered
    name = rec.medication or "Ketamine HCl"
    codings = []
    if "ketamine" in name.lower() and "esketamine" not in name.lower():
        codings.append(_coding(RXNORM, "6130", "ketamine"))
    med = {"text": name, **({"coding": codings} if codings else {})}
    status = "completed" if rec.infusion_end_at else ("on-hold" if rec.paused else "in-progress")
    period = {"start": _time(rec.infusion_start_at)}
    if rec.infusion_end_at:
        period["end"] = _time(rec.infusion_end_at)
    dosage: dict[str, Any] = {"route": {"coding": [_coding(SNOMED, "47625008", "Intravenous route")],
                                        "text": rec.route or "IV"}}
    parts = []
    if rec.dose_mg_per_kg is not None:
        parts.append(f"{rec.dose_mg_per_kg:g} mg/kg")
    parts.append(f"over {rec.planned_minutes} min (planned)")
    dosage["text"] = " ".join(parts)
    if rec.dose_mg_total is not None:
        dosage["dose"] = _quantity(rec.dose_mg_total, "mg")
    ma = {
        "resourceType": "MedicationAdministration",
        "id": ids("medication-administration"),
        "status": status,
        "medicationCodeableConcept": med,
        "subject": {"reference": refs["patient"]},
        "context": {"reference": refs["encounter"]},
        "effectivePeriod": period,
        "performer": [{"actor": {"display": rec.primary_nurse}}],
        "dosage": dosage,
    }
    if rec.lot_number:
        ma["note"] = [{"text": f"Lot number {rec.lot_number}"}]
    return ma


def build_bundle(rec: SessionRecord, now: datetime | None = None) -> dict[str, Any]:
    """The Bundle as plain JSON data (validated separately by validate_bundle)."""
    ids = _Ids(rec.record_uid)
    refs = {"patient": f"urn:uuid:{ids('patient')}", "encounter": f"urn:uuid:{ids('encounter')}"}
    p = rec.patient
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": ids("patient"),
        "identifier": [{"use": "usual", "type": {"coding": [_coding(IDENTIFIER_TYPE, "MR", "Medical record number")],
                                                 "text": "MRN"}, "value": p.mrn}],
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name],
                  "text": p.name}],  # family and given as they are; the text in the patient's order
    }
    if p.date_of_birth:
        patient["birthDate"] = p.date_of_birth.isoformat()
    gender = GENDER.get((p.sex or "").strip().lower())
    if gender:
        patient["gender"] = gender
    elif p.sex:
        patient["gender"] = "other"
    period = {"start": _time(rec.arrival_at)}
    if rec.discharged_at:
        period["end"] = _time(rec.discharged_at)
    encounter = {
        "resourceType": "Encounter",
        "id": ids("encounter"),
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{rec.record_uid}"}
                       if _is_uuid(rec.record_uid) else {"value": rec.record_uid}],
        "status": "finished" if rec.discharged_at else "in-progress",
        "class": _coding(ACT_CODE, "AMB", "ambulatory"),
        "type": [{"text": f"{rec.medication} infusion session, {rec.infusion_label}"}],
        "subject": {"reference": refs["patient"]},
        "period": period,
        "reasonCode": [{"text": rec.course.indication_label}],
    }
    resources = [patient, encounter, *_observations(rec, ids, refs)]
    ma = _medication(rec, ids, refs)
    if ma:
        resources.append(ma)
    return {
        "resourceType": "Bundle",
        "id": ids(f"bundle-{rec.content_hash or rec.version}"),
        "type": "collection",
        "timestamp": _time(now or datetime.now(timezone.utc)),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


# Codes from the R4 value sets with a "required" binding, which the fhir.resources models do not check.
REQUIRED_CODES = {
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch", "batch-response",
                         "history", "searchset", "collection"},
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                              "entered-in-error", "unknown"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                "entered-in-error", "unknown"},
    ("MedicationAdministration", "status"): {"in-progress", "not-done", "on-hold", "completed", "entered-in-error",
                                             "stopped", "unknown"},
}


def _check_codes(resource: dict[str, Any], where: str) -> None:
    for (kind, element), allowed in REQUIRED_CODES.items():
        if resource.get("resourceType") == kind and element in resource and resource[element] not in allowed:
            raise FhirExportError(f"The FHIR Bundle does not validate ({where}.{element}: {resource[element]!r} is "
                                  f"not one of {', '.join(sorted(allowed))}); nothing was written.")


def validate_bundle(data: dict[str, Any]) -> None:
    """Validate the Bundle and each resource with the fhir.resources R4B models (structure, types, cardinality)
    and the required value sets of the coded elements written here; raises FhirExportError."""
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError
    try:
        Bundle.model_validate(data)
        _check_codes(data, "Bundle")
        for n, entry in enumerate(data["entry"]):
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
            _check_codes(resource, f"entry.{n}.resource")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise FhirExportError(f"The FHIR Bundle does not validate ({where}: {first.get('msg')}); "
                              "nothing was written.") from None


def export_bundle(db: Database, actor: Actor, session_id: int, path: Path, *, now: datetime | None = None) -> int:
    """Write one session as a FHIR R4 Bundle; returns the number of resources. Audited as an export."""
    actor.require("export")
    path = Path(path)
    with db.reader() as s:
        rec = load_record(s, session_id)
    data = build_bundle(rec, now)
    validate_bundle(data)
    with private_output(path) as out:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
    audited(path, lambda: record_export(db, actor, session_id, "export", f"FHIR R4 Bundle: {path.name}"))
    return len(data["entry"])
