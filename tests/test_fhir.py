"""The FHIR R4 Bundle of a session: validated with fhir.resources, LOINC codes, current values, statuses, audit."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from monitor_app.domain.errors import NotFound
from monitor_app.domain.vitals import Vitals
from monitor_app.reports.fhir import FhirExportError, export_bundle, validate_bundle
from monitor_app.services import clinical as c
from monitor_app.storage.models import AuditEvent, Flag
from tests.session_flow import TICKED

ALDRETE_OK = dict(activity=2, respiration=2, circulation=2, consciousness=2, oxygen=1)


@pytest.fixture
def session(db, actors, t0):
    """A finished session: baseline, a critical BP acknowledged, an amended heart rate, a reading in error."""
    n = actors["nurse"]
    at = lambda m: t0 + timedelta(minutes=m)
    pid = c.create_patient(db, n, mrn="M-77", family_name="Nguyễn", given_name="Zoë", date_of_birth=date(1980, 2, 3),
                           sex="female", weight_kg=70)
    cid = c.create_course(db, n, patient_id=pid, indication="depression")
    sid = c.create_session(db, n, course_id=cid, chair="3", lot_number="LOT-9", arrival_at=at(0), now=at(0),
                           checklist=TICKED)
    r1 = c.record_reading(db, n, sid, Vitals(128, 82, 72, 98, 14, 5), measured_at=at(5), now=at(5))
    c.start_infusion(db, n, sid, at=at(10), now=at(10))
    r2 = c.record_reading(db, n, sid, Vitals(185, 100, 90, 97), measured_at=at(20), now=at(20))
    with db.reader() as s:
        for f in s.scalars(select(Flag).where(Flag.reading_id == r2)):
            c.acknowledge_flag(db, n, f.id, "rechecked", now=at(21))
    c.amend_reading(db, n, r2, {"heart_rate": 95}, "transcription slip", now=at(22))
    r3 = c.record_reading(db, n, sid, Vitals(130, 80, 80, 96), measured_at=at(30), now=at(30))
    c.mark_entered_in_error(db, n, "reading", r3, "wrong chair", now=at(31))
    c.stop_infusion(db, n, sid, at=at(50), now=at(50))
    c.discharge(db, n, sid, scale="aldrete", items=ALDRETE_OK, escort_present=True, escort_name="Sam",
                instructions_given=True, at=at(90), now=at(90))
    return sid, {"r1": r1, "r2": r2, "r3": r3}, at


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def observation(bundle, code, effective):
    found = [o for o in resources(bundle, "Observation")
             if o["code"].get("coding", [{}])[0].get("code") == code and o["effectiveDateTime"] == effective.isoformat()]
    assert len(found) == 1, (code, effective)
    return found[0]


def test_bundle_validates_and_carries_the_record(db, actors, session, tmp_path):
    sid, ids, at = session
    path = tmp_path / "bundle.json"
    count = export_bundle(db, actors["auditor"], sid, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    Bundle.model_validate(data)  # the R4B models accept it as it is written
    assert data["type"] == "collection" and len(data["entry"]) == count

    (patient,) = resources(data, "Patient")
    assert patient["identifier"][0]["value"] == "M-77"
    assert patient["identifier"][0]["type"]["coding"][0]["code"] == "MR"
    assert patient["name"][0] == {"use": "official", "family": "Nguyễn", "given": ["Zoë"], "text": "Zoë Nguyễn"}
    assert (patient["birthDate"], patient["gender"]) == ("1980-02-03", "female")

    (encounter,) = resources(data, "Encounter")
    assert encounter["status"] == "finished"
    assert encounter["period"] == {"start": at(0).isoformat(), "end": at(90).isoformat()}
    patient_ref = f"urn:uuid:{patient['id']}"
    assert encounter["subject"]["reference"] == patient_ref

    # Baseline: BP panel with systolic/diastolic components, HR, SpO2 by pulse oximetry, RR, all final.
    bp = observation(data, "85354-9", at(5))
    assert bp["status"] == "final"
    assert [(x["code"]["coding"][0]["code"], x["valueQuantity"]["value"], x["valueQuantity"]["code"])
            for x in bp["component"]] == [("8480-6", 128, "mm[Hg]"), ("8462-4", 82, "mm[Hg]")]
    assert observation(data, "8867-4", at(5))["valueQuantity"]["value"] == 72
    spo2 = observation(data, "59408-5", at(5))
    assert spo2["valueQuantity"] == {"value": 98, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
    assert observation(data, "9279-1", at(5))["valueQuantity"]["value"] == 14
    assert all(o["category"][0]["coding"][0]["code"] == "vital-signs" for o in resources(data, "Observation"))
    assert all(o["subject"]["reference"] == patient_ref for o in resources(data, "Observation"))

    # The amended heart rate carries the current value and says it was amended; its BP panel stays final.
    hr = observation(data, "8867-4", at(20))
    assert (hr["status"], hr["valueQuantity"]["value"]) == ("amended", 95)
    assert "90 -> 95" in hr["note"][0]["text"] and "transcription slip" in hr["note"][0]["text"]
    bp2 = observation(data, "85354-9", at(20))
    assert bp2["status"] == "final"
    systolic = bp2["component"][0]
    assert systolic["valueQuantity"]["value"] == 185
    assert systolic["interpretation"][0]["coding"][0]["code"] == "HH"  # above the critical limit of 180

    # The reading entered in error is there, marked so, with its reason.
    wrong = observation(data, "85354-9", at(30))
    assert wrong["status"] == "entered-in-error" and "wrong chair" in wrong["note"][0]["text"]

    (ma,) = resources(data, "MedicationAdministration")
    assert ma["status"] == "completed"
    assert ma["effectivePeriod"] == {"start": at(10).isoformat(), "end": at(50).isoformat()}
    assert ma["dosage"]["dose"]["value"] == 35.0 and ma["dosage"]["dose"]["code"] == "mg"  # 0.5 mg/kg x 70 kg
    assert ma["dosage"]["route"]["coding"][0]["code"] == "47625008"
    assert "ketamine" in ma["medicationCodeableConcept"]["text"].lower()

    # Every reference points at a resource in the Bundle.
    urls = {e["fullUrl"] for e in data["entry"]}
    refs = [o["subject"]["reference"] for o in resources(data, "Observation")] + \
        [o["encounter"]["reference"] for o in resources(data, "Observation")] + [ma["context"]["reference"]]
    assert set(refs) <= urls


def test_export_is_audited_and_ids_are_stable(db, actors, session, tmp_path):
    sid, _ids, _at = session
    export_bundle(db, actors["auditor"], sid, tmp_path / "a.json")
    export_bundle(db, actors["auditor"], sid, tmp_path / "b.json")
    a, b = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert [e["fullUrl"] for e in a["entry"]] == [e["fullUrl"] for e in b["entry"]]
    with db.reader() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [(r.username, r.entity, r.session_id) for r in rows] == [("auditor", "session", sid)] * 2
    assert "FHIR" in rows[0].reason and "a.json" in rows[0].reason


def test_in_progress_session(db, actors, t0, tmp_path):
    """Before the infusion starts there is no MedicationAdministration, and the encounter is in progress."""
    n = actors["nurse"]
    pid = c.create_patient(db, n, mrn="M-1", family_name="Roe", given_name="Ann", sex="")
    cid = c.create_course(db, n, patient_id=pid, indication="ocd")
    sid = c.create_session(db, n, course_id=cid, arrival_at=t0, now=t0, checklist=TICKED)
    c.record_reading(db, n, sid, Vitals(heart_rate=70), measured_at=t0, now=t0)
    path = tmp_path / "b.json"
    export_bundle(db, n, sid, path)
    data = json.loads(path.read_text())
    Bundle.model_validate(data)
    assert resources(data, "MedicationAdministration") == []
    assert resources(data, "Encounter")[0]["status"] == "in-progress"
    assert "end" not in resources(data, "Encounter")[0]["period"]
    assert "gender" not in resources(data, "Patient")[0]
    assert [o["code"]["coding"][0]["code"] for o in resources(data, "Observation")] == ["8867-4"]


def test_unknown_session_writes_nothing(db, actors, tmp_path):
    with pytest.raises(NotFound, match="999"):
        export_bundle(db, actors["auditor"], 999, tmp_path / "x.json")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("x.json")]
    with db.reader() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is None


def test_invalid_bundles_are_refused(db, actors, session, tmp_path):
    sid, _ids, _at = session
    path = tmp_path / "ok.json"
    export_bundle(db, actors["auditor"], sid, path)
    data = json.loads(path.read_text())
    broken = json.loads(json.dumps(data))
    del broken["entry"][1]["resource"]["class"]  # Encounter.class is required in R4
    with pytest.raises(FhirExportError, match="class"):
        validate_bundle(broken)
    coded = json.loads(json.dumps(data))
    coded["entry"][0]["resource"]["gender"] = "F"  # not in the required AdministrativeGender value set
    with pytest.raises(FhirExportError, match="gender"):
        validate_bundle(coded)
