"""Profiles, schedules and orders through the services: frozen copies, orders in time, permissions, audit."""
from __future__ import annotations

import json
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import select

from monitor_app.domain.errors import FieldError, PermissionDenied, RuleViolation
from monitor_app.domain.schedule import ESKETAMINE, IV_KETAMINE
from monitor_app.domain.thresholds import KETAMINE_DEFAULT, NEWS2, Level, ParameterLimits, Thresholds
from monitor_app.domain.vitals import parse_vitals
from monitor_app.services import clinical, queries, settings
from monitor_app.storage.models import AuditEvent
from tests.session_flow import TICKED

_mrn = count(1)
M = timedelta(minutes=1)


def profile_id(db, name):
    return next(pid for pid, t, _preset, _retired in settings.list_profiles(db, include_retired=True)
                if t.name == name)


def schedule_id(db, name):
    return next(sid for sid, sc, _preset, _retired in settings.list_schedules(db, include_retired=True)
                if sc.name == name)


def new_session(db, nurse, t, **kw):
    pid = clinical.create_patient(db, nurse, mrn=f"T{next(_mrn)}", family_name="Nguyễn", given_name="Zoë",
                                  weight_kg=70)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="depression", outcome_measure="phq9")
    return clinical.create_session(db, nurse, course_id=cid, arrival_at=t, now=t,
                                   **{"checklist": TICKED, **kw})


def reading(db, nurse, sid, bp, at, hr="72", spo2="98", now=None):
    return clinical.record_reading(db, nurse, sid, parse_vitals(bp, hr, spo2), measured_at=at, now=now or at)


def flags_of(db, actor, sid, reading_id):
    rec = queries.get_record(db, actor, sid)
    r = next(r for r in rec.readings if r.id == reading_id)
    return {(f.parameter, f.level) for f in r.flags}


def audit_rows(db, entity, entity_id=None):
    with db.reader() as s:
        q = select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.seq)
        if entity_id is not None:
            q = q.where(AuditEvent.entity_id == str(entity_id))
        rows = s.scalars(q).all()
        return [(r.action, r.username, json.loads(r.before) if r.before else None,
                 json.loads(r.after) if r.after else None, r.reason) for r in rows]


def stricter(base: Thresholds, name=None, **changes) -> Thresholds:
    sys = base.for_parameter("systolic")
    limits = ParameterLimits(**{**sys.__dict__, **changes})
    t = base.with_parameter("systolic", limits)
    return Thresholds(name=name or t.name, limits=t.limits)


# ----------------------------------------------------------------------------------------- frozen copies

def test_a_session_keeps_its_limits_after_the_profile_is_edited(db, actors, t0):
    nurse, charge = actors["nurse"], actors["charge"]
    default = profile_id(db, KETAMINE_DEFAULT.name)
    before_edit = new_session(db, nurse, t0)
    r1 = reading(db, nurse, before_edit, "150/80", t0 + 5 * M)
    assert flags_of(db, nurse, before_edit, r1) == set()

    # The charge nurse lowers the systolic high warning to 140 for the whole clinic.
    settings.save_profile(db, charge, stricter(KETAMINE_DEFAULT, high_warning=140), default, reason="audit 2024")
    assert settings.list_profiles(db)[0][1].for_parameter("systolic").high_warning == 140

    # The older session still flags against its frozen copy: 150 stays unflagged, old flags unchanged.
    r2 = reading(db, nurse, before_edit, "150/80", t0 + 10 * M)
    assert flags_of(db, nurse, before_edit, r2) == set()
    assert flags_of(db, nurse, before_edit, r1) == set()
    rec = queries.get_record(db, nurse, before_edit)
    assert rec.thresholds.for_parameter("systolic").high_warning == 160
    assert rec.thresholds_at(t0 + 20 * M).for_parameter("systolic").high_warning == 160

    # A session opened after the edit uses the new limits.
    after_edit = new_session(db, nurse, t0 + 30 * M)
    r3 = reading(db, nurse, after_edit, "150/80", t0 + 31 * M)
    assert flags_of(db, nurse, after_edit, r3) == {("systolic", Level.WARNING)}


def test_a_mid_session_order_changes_flags_only_for_readings_measured_after_it(db, actors, t0):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    reading(db, nurse, sid, "150/80", t0 + 5 * M)  # baseline: 170 is 13 % above it, inside the 20 % limit
    clinical.start_infusion(db, nurse, sid, at=t0 + 10 * M, now=t0 + 10 * M)
    before = reading(db, nurse, sid, "170/90", t0 + 20 * M)
    assert flags_of(db, nurse, sid, before) == {("systolic", Level.WARNING)}

    # Clinician orders a systolic high warning of 175 for this patient from t0+25.
    ordered = stricter(KETAMINE_DEFAULT, name="Order", high_warning=175)
    event_id = clinical.order_limits(db, nurse, sid, ordered, clinician="Dr Okafor", reason="Known hypertension",
                                     at=t0 + 25 * M, now=t0 + 25 * M)
    after = reading(db, nurse, sid, "170/90", t0 + 30 * M)
    assert flags_of(db, nurse, sid, after) == set()
    # A late entry measured before the order is judged by the limits in force when it was measured.
    late = reading(db, nurse, sid, "170/90", t0 + 22 * M, now=t0 + 35 * M)
    assert flags_of(db, nurse, sid, late) == {("systolic", Level.WARNING)}
    # The reading flagged before the order keeps its flag.
    assert flags_of(db, nurse, sid, before) == {("systolic", Level.WARNING)}

    rec = queries.get_record(db, nurse, sid)
    assert rec.thresholds_at(t0 + 24 * M).for_parameter("systolic").high_warning == 160
    assert rec.thresholds_at(t0 + 25 * M).for_parameter("systolic").high_warning == 175
    order = next(e for e in rec.events if e.id == event_id)
    assert order.kind == "limits_changed" and order.note == "Known hypertension"
    assert order.details["clinician"] == "Dr Okafor" and "by Dr Okafor" in order.summary


def test_an_order_needs_the_clinician_and_a_reason_and_consistent_limits(db, actors, t0):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    for clinician, reason, field in (("", "why", "clinician"), ("Dr A", "  ", "reason")):
        with pytest.raises(FieldError) as err:
            clinical.order_limits(db, nurse, sid, KETAMINE_DEFAULT, clinician=clinician, reason=reason,
                                  now=t0 + M)
        assert err.value.field == field
    bad = stricter(KETAMINE_DEFAULT, high_warning=190)
    with pytest.raises(FieldError) as err:
        clinical.order_limits(db, nurse, sid, bad, clinician="Dr A", reason="r", now=t0 + M)
    assert "Systolic BP" in err.value.message
    with pytest.raises(PermissionDenied):
        clinical.order_limits(db, actors["auditor"], sid, KETAMINE_DEFAULT, clinician="Dr A", reason="r",
                              now=t0 + M)
    assert queries.get_record(db, nurse, sid).events == []


def test_a_schedule_order_changes_when_the_next_reading_is_due(db, actors, t0):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    reading(db, nurse, sid, "120/80", t0 + 5 * M)
    clinical.start_infusion(db, nurse, sid, at=t0 + 10 * M, now=t0 + 10 * M)
    reading(db, nurse, sid, "125/80", t0 + 20 * M)
    rec = queries.get_record(db, nurse, sid)
    assert rec.next_due(t0 + 21 * M).at == t0 + 30 * M

    clinical.order_schedule(db, nurse, sid, IV_KETAMINE.with_changes(name="Every 5", infusion_interval_min=5),
                            clinician="Dr Okafor", reason="BP rising", at=t0 + 21 * M, now=t0 + 21 * M)
    rec = queries.get_record(db, nurse, sid)
    due = rec.next_due(t0 + 22 * M)
    assert due.at == t0 + 25 * M and not due.overdue
    assert rec.next_due(t0 + 26 * M + timedelta(seconds=1)).overdue
    assert rec.schedule.infusion_interval_min == 10  # the frozen copy itself is unchanged
    with pytest.raises(FieldError) as err:
        clinical.order_schedule(db, nurse, sid, IV_KETAMINE.with_changes(infusion_interval_min=0),
                                clinician="Dr O", reason="x", now=t0 + 23 * M)
    assert err.value.field == "infusion_interval_min" and "between 1 and 120" in err.value.message


def test_the_esketamine_schedule_counts_observation_from_the_first_dose(db, actors, t0):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0, schedule_id=schedule_id(db, ESKETAMINE.name))
    reading(db, nurse, sid, "120/80", t0 + 5 * M)
    clinical.start_infusion(db, nurse, sid, at=t0 + 10 * M, now=t0 + 10 * M)
    clinical.stop_infusion(db, nurse, sid, at=t0 + 50 * M, now=t0 + 50 * M)
    assert queries.get_record(db, nurse, sid).observation_ends_at == t0 + 130 * M


# ---------------------------------------------------------------------------------------- pre-infusion limit

def test_the_pre_infusion_limit_is_off_by_default(db, actors, t0):
    nurse = actors["nurse"]
    sid = new_session(db, nurse, t0)
    reading(db, nurse, sid, "210/125", t0 + 5 * M)
    clinical.start_infusion(db, nurse, sid, at=t0 + 10 * M, now=t0 + 10 * M)
    rec = queries.get_record(db, nurse, sid)
    assert rec.infusion_start_at == t0 + 10 * M
    assert [e.kind for e in rec.events] == []


@pytest.mark.parametrize("bp, blocked", [("181/100", True), ("180/100", False), ("150/111", True),
                                         ("150/110", False)])
def test_a_baseline_above_the_pre_infusion_limit_needs_the_clinician_and_a_note(db, actors, t0, bp, blocked):
    nurse, charge = actors["nurse"], actors["charge"]
    guarded = Thresholds(name="Guarded", limits=KETAMINE_DEFAULT.limits, preinfusion_systolic_max=180,
                         preinfusion_diastolic_max=110)
    pid = settings.save_profile(db, charge, guarded)
    sid = new_session(db, nurse, t0, profile_id=pid)
    reading(db, nurse, sid, bp, t0 + 5 * M)
    if not blocked:
        clinical.start_infusion(db, nurse, sid, at=t0 + 10 * M, now=t0 + 10 * M)
        assert queries.get_record(db, nurse, sid).events == []
        return
    for clinician, note in (("", ""), ("Dr Okafor", ""), ("", "Reviewed, proceed")):
        with pytest.raises(FieldError) as err:
            clinical.start_infusion(db, nurse, sid, at=t0 + 10 * M, now=t0 + 10 * M,
                                    authorising_clinician=clinician, note=note)
        assert "pre-infusion limit" in err.value.message
    assert queries.get_record(db, nurse, sid).infusion_start_at is None
    clinical.start_infusion(db, nurse, sid, at=t0 + 10 * M, now=t0 + 10 * M, authorising_clinician="Dr Okafor",
                            note="Reviewed, proceed")
    rec = queries.get_record(db, nurse, sid)
    assert rec.infusion_start_at == t0 + 10 * M
    [event] = rec.events
    assert event.kind == "start_authorised" and event.note == "Reviewed, proceed"
    assert event.details == {"clinician": "Dr Okafor"}
    assert any(a[0] == "create" and a[3]["kind"] == "start_authorised" for a in audit_rows(db, "event", event.id))


# --------------------------------------------------------------------------------------- who may change what

CHANGES = {
    "save_profile": lambda db, a: settings.save_profile(db, a, Thresholds(name="New", limits=NEWS2.limits)),
    "edit_profile": lambda db, a: settings.save_profile(db, a, stricter(KETAMINE_DEFAULT, high_warning=150),
                                                        profile_id(db, KETAMINE_DEFAULT.name)),
    "retire_profile": lambda db, a: settings.retire_profile(db, a, profile_id(db, NEWS2.name)),
    "default_profile": lambda db, a: settings.set_default_profile(db, a, profile_id(db, "New")),
    "save_schedule": lambda db, a: settings.save_schedule(db, a, IV_KETAMINE.with_changes(name="New")),
    "retire_schedule": lambda db, a: settings.retire_schedule(db, a, schedule_id(db, ESKETAMINE.name)),
    "default_schedule": lambda db, a: settings.set_default_schedule(db, a, schedule_id(db, "New")),
}


def configuration(db):
    return (settings.list_profiles(db, True), settings.list_schedules(db, True),
            settings.read_settings(db).default_profile_id, settings.read_settings(db).default_schedule_id,
            len(audit_rows(db, "threshold_profile")), len(audit_rows(db, "monitoring_schedule")))


@pytest.mark.parametrize("role", ["nurse", "auditor"])
def test_nurses_and_auditors_may_not_change_profiles_or_schedules(db, actors, role):
    # A profile and a schedule named "New" exist, so every change below would succeed for a charge nurse.
    CHANGES["save_profile"](db, actors["charge"])
    CHANGES["save_schedule"](db, actors["charge"])
    before = configuration(db)
    for name, change in CHANGES.items():
        with pytest.raises(PermissionDenied) as err:
            change(db, actors[role])
        assert "may not change threshold profiles or schedules" in str(err.value), name
    assert configuration(db) == before


@pytest.mark.parametrize("role", ["charge", "admin"])
def test_charge_nurses_and_administrators_may(db, actors, role):
    for change in CHANGES.values():
        before = configuration(db)
        change(db, actors[role])
        assert configuration(db) != before
    assert settings.read_settings(db).default_profile_id == profile_id(db, "New")
    assert settings.list_profiles(db)[0][1].for_parameter("systolic").high_warning == 150


# ------------------------------------------------------------------------------------------------ the audit

def test_every_profile_change_is_audited_with_before_and_after(db, actors):
    charge = actors["charge"]
    pid = profile_id(db, KETAMINE_DEFAULT.name)
    settings.save_profile(db, charge, stricter(KETAMINE_DEFAULT, name="Ketamine (strict)", high_warning=150), pid,
                          reason="Clinic review")
    action, who, before, after, reason = audit_rows(db, "threshold_profile", pid)[-1]
    assert (action, who, reason) == ("update", "charge", "Clinic review")
    assert before["name"] == KETAMINE_DEFAULT.name and after["name"] == "Ketamine (strict)"
    assert before["limits"]["limits"]["systolic"]["high_warning"] == 160
    assert after["limits"]["limits"]["systolic"]["high_warning"] == 150

    new = settings.save_profile(db, charge, Thresholds(name="Copy", limits=NEWS2.limits))
    action, who, before, after, _ = audit_rows(db, "threshold_profile", new)[-1]
    assert (action, who, before) == ("create", "charge", None)
    assert after["limits"] == Thresholds(name="Copy", limits=NEWS2.limits).to_dict()

    settings.set_default_profile(db, charge, new)
    action, who, before, after, _ = audit_rows(db, "clinic_settings")[-1]
    assert action == "set_default_profile" and (before["default_profile_id"], after["default_profile_id"]) == (pid, new)

    settings.retire_profile(db, charge, pid, reason="Replaced")
    action, who, before, after, reason = audit_rows(db, "threshold_profile", pid)[-1]
    assert (action, reason, before["retired"], after["retired"]) == ("retire", "Replaced", False, True)


def test_every_schedule_change_is_audited_with_before_and_after(db, actors):
    admin = actors["admin"]
    sid = schedule_id(db, IV_KETAMINE.name)
    settings.save_schedule(db, admin, IV_KETAMINE.with_changes(recovery_interval_min=20), sid)
    action, who, before, after, _ = audit_rows(db, "monitoring_schedule", sid)[-1]
    assert (action, who) == ("update", "admin")
    assert (before["settings"]["recovery_interval_min"], after["settings"]["recovery_interval_min"]) == (15, 20)
    esk = schedule_id(db, ESKETAMINE.name)
    settings.set_default_schedule(db, admin, esk)
    action, _, before, after, _ = audit_rows(db, "clinic_settings")[-1]
    assert (action, before["default_schedule_id"], after["default_schedule_id"]) == ("set_default_schedule", sid, esk)
    settings.retire_schedule(db, admin, sid)
    action, _, before, after, _ = audit_rows(db, "monitoring_schedule", sid)[-1]
    assert (action, before["retired"], after["retired"]) == ("retire", False, True)


# --------------------------------------------------------------------------------------- retire, names, rules

def test_the_clinic_default_cannot_be_retired(db, actors):
    charge = actors["charge"]
    with pytest.raises(RuleViolation, match="default profile cannot be retired"):
        settings.retire_profile(db, charge, profile_id(db, KETAMINE_DEFAULT.name))
    with pytest.raises(RuleViolation, match="default schedule cannot be retired"):
        settings.retire_schedule(db, charge, schedule_id(db, IV_KETAMINE.name))
    assert all(not retired for *_, retired in settings.list_profiles(db, True))


def test_a_retired_profile_used_by_a_session_stays_but_is_no_longer_offered(db, actors, t0):
    nurse, charge = actors["nurse"], actors["charge"]
    news2 = profile_id(db, NEWS2.name)
    assert not settings.profile_in_use(db, news2)
    sid = new_session(db, nurse, t0, profile_id=news2)
    assert settings.profile_in_use(db, news2)
    settings.retire_profile(db, charge, news2)
    assert news2 not in [p for p, *_ in settings.list_profiles(db)]
    assert (news2, NEWS2, True, True) in settings.list_profiles(db, include_retired=True)
    assert queries.get_record(db, nurse, sid).thresholds == NEWS2
    with pytest.raises(RuleViolation, match="retired"):
        new_session(db, nurse, t0 + M, profile_id=news2)
    with pytest.raises(RuleViolation, match="retired"):
        settings.set_default_profile(db, charge, news2)
    with pytest.raises(RuleViolation, match="retired"):
        settings.save_profile(db, charge, NEWS2, news2)


def test_profile_and_schedule_names_are_unique(db, actors):
    charge = actors["charge"]
    with pytest.raises(FieldError) as err:
        settings.save_profile(db, charge, Thresholds(name=f"  {NEWS2.name} ", limits=NEWS2.limits))
    assert err.value.field == "name" and "already used" in err.value.message
    with pytest.raises(FieldError):  # renaming onto another profile's name
        settings.save_profile(db, charge, Thresholds(name=NEWS2.name), profile_id(db, KETAMINE_DEFAULT.name))
    # Saving a profile under its own name is not a conflict.
    settings.save_profile(db, charge, NEWS2, profile_id(db, NEWS2.name))
    with pytest.raises(FieldError) as err:
        settings.save_schedule(db, charge, IV_KETAMINE.with_changes(name=ESKETAMINE.name))
    assert err.value.field == "name"
    with pytest.raises(FieldError) as err:
        settings.save_profile(db, charge, Thresholds(name="x" * 121))
    assert err.value.field == "name" and "120" in err.value.message
    assert len(settings.list_profiles(db)) == 2 and len(settings.list_schedules(db)) == 2


def test_invalid_limits_are_refused_before_anything_is_written(db, actors):
    charge = actors["charge"]
    rows = len(audit_rows(db, "threshold_profile"))
    with pytest.raises(FieldError) as err:
        settings.save_profile(db, charge, stricter(KETAMINE_DEFAULT, high_warning=190),
                              profile_id(db, KETAMINE_DEFAULT.name))
    assert err.value.field == "systolic.high_critical"
    assert "high warning (190)" in err.value.message and "high critical (180)" in err.value.message
    assert len(audit_rows(db, "threshold_profile")) == rows
    assert settings.list_profiles(db)[0][1] == KETAMINE_DEFAULT
