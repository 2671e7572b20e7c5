"""Permissions in the service layer (SPEC 9): every write path refuses a role that may not use it, writing nothing."""
from __future__ import annotations

import inspect
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from conftest import PASSWORDS
from monitor_app.domain.errors import PermissionDenied
from monitor_app.domain.schedule import Schedule
from monitor_app.domain.thresholds import KETAMINE_DEFAULT, NEWS2
from monitor_app.services import clinical, settings, users
from monitor_app.services.queries import get_record
from monitor_app.services.settings import ClinicDetails
from monitor_app.storage.models import AUDITED, AuditEvent
from session_flow import ALDRETE_OK, at, complete_session, open_session, start, v

# Services that only read: every role may use them (the auditor reads everything).
READ_ONLY = {"users.list_users"}


def write_services() -> set[str]:
    """Every public service taking (db, actor, ...) in the modules that change records."""
    names = set()
    for module in (clinical, settings, users):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:2] == ["db", "actor"]:
                names.add(f"{module.__name__.rsplit('.', 1)[1]}.{name}")
    return names - READ_ONLY


@pytest.fixture
def world(db, actors, t0):
    """An open session with a flag and an event, a signed session, a custom profile and schedule."""
    nurse, charge = actors["nurse"], actors["charge"]
    sid = open_session(db, nurse, t0)
    start(db, nurse, sid, t0)
    rid = clinical.record_reading(db, nurse, sid, v("165/90", "80", "97"), measured_at=at(t0, 20), now=at(t0, 20))
    eid = clinical.record_event(db, nurse, sid, "headache", severity="mild", at=at(t0, 21), now=at(t0, 21))
    signed = complete_session(db, nurse, t0)
    clinical.sign(db, nurse, signed, PASSWORDS["nurse"], now=at(t0, 95))
    profile = settings.save_profile(db, charge, replace(NEWS2, name="Ward profile"))
    schedule = settings.save_schedule(db, charge, Schedule("Ward schedule"))
    flag_id = get_record(db, nurse, sid).readings[-1].flags[0].id
    with db.reader() as s:
        course_id = s.scalar(select(func.max(AUDITED["course"].id)))
        patient_id = s.scalar(select(func.max(AUDITED["patient"].id)))
    return dict(sid=sid, rid=rid, eid=eid, signed=signed, profile=profile, schedule=schedule, flag=flag_id,
                course=course_id, patient=patient_id)


def calls(db, t0, w):
    """One valid call of every write service, as the given actor with that actor's own password."""
    now = at(t0, 30)
    details = ClinicDetails("Clinic", "1 Road", "A4", "Europe/London", 10, "aldrete", ("Consent current",))
    return {
        "clinical.create_patient": lambda a: clinical.create_patient(db, a, mrn="P-NEW", family_name="Ngata",
                                                                     given_name="Aroha"),
        "clinical.create_course": lambda a: clinical.create_course(db, a, patient_id=w["patient"],
                                                                   indication="ptsd"),
        "clinical.create_session": lambda a: clinical.create_session(db, a, course_id=w["course"], arrival_at=now,
                                                                     now=now),
        "clinical.start_infusion": lambda a: clinical.start_infusion(db, a, w["sid"], now=now),
        "clinical.pause_infusion": lambda a: clinical.pause_infusion(db, a, w["sid"], now=now),
        "clinical.resume_infusion": lambda a: clinical.resume_infusion(db, a, w["sid"], now=now),
        "clinical.stop_infusion": lambda a: clinical.stop_infusion(db, a, w["sid"], at=now, now=now),
        "clinical.record_reading": lambda a: clinical.record_reading(db, a, w["sid"], v("120/80"), measured_at=now,
                                                                     now=now),
        "clinical.amend_reading": lambda a: clinical.amend_reading(db, a, w["rid"], {"heart_rate": 81}, "typo",
                                                                   now=now),
        "clinical.mark_entered_in_error": lambda a: clinical.mark_entered_in_error(db, a, "event", w["eid"], "wrong",
                                                                                   now=now),
        "clinical.record_event": lambda a: clinical.record_event(db, a, w["sid"], "nausea", severity="mild", at=now,
                                                                 now=now),
        "clinical.order_limits": lambda a: clinical.order_limits(db, a, w["sid"], KETAMINE_DEFAULT, clinician="Dr R",
                                                                 reason="order", at=now, now=now),
        "clinical.order_schedule": lambda a: clinical.order_schedule(db, a, w["sid"], Schedule("s"),
                                                                     clinician="Dr R", reason="order", at=now,
                                                                     now=now),
        "clinical.acknowledge_flag": lambda a: clinical.acknowledge_flag(db, a, w["flag"], "rechecked", now=now),
        "clinical.acknowledge_flags": lambda a: clinical.acknowledge_flags(db, a, [w["flag"]], "rechecked",
                                                                           now=now),
        "clinical.discharge": lambda a: clinical.discharge(db, a, w["sid"], scale="aldrete", items=ALDRETE_OK,
                                                           escort_present=True, escort_name="Sam",
                                                           instructions_given=True, early_reason="r", now=now),
        "clinical.sign": lambda a: clinical.sign(db, a, w["sid"], PASSWORDS[a.username], now=now),
        "clinical.cosign": lambda a: clinical.cosign(db, a, w["signed"], PASSWORDS[a.username], now=at(t0, 200)),
        "clinical.add_addendum": lambda a: clinical.add_addendum(db, a, w["signed"], "note", PASSWORDS[a.username],
                                                                 now=at(t0, 200)),
        "settings.update_clinic": lambda a: settings.update_clinic(db, a, details),
        "settings.save_profile": lambda a: settings.save_profile(db, a, KETAMINE_DEFAULT, w["profile"]),
        "settings.retire_profile": lambda a: settings.retire_profile(db, a, w["profile"]),
        "settings.set_default_profile": lambda a: settings.set_default_profile(db, a, w["profile"]),
        "settings.save_schedule": lambda a: settings.save_schedule(db, a, Schedule("Other"), w["schedule"]),
        "settings.retire_schedule": lambda a: settings.retire_schedule(db, a, w["schedule"]),
        "settings.set_default_schedule": lambda a: settings.set_default_schedule(db, a, w["schedule"]),
        "users.add_user": lambda a: users.add_user(db, a, "newuser", "New User", "nurse", "new-pass-123"),
        "users.disable_user": lambda a: users.disable_user(db, a, "nurse2"),
        "users.reset_password": lambda a: users.reset_password(db, a, "nurse2", "another-pass-1"),
    }


def snapshot_counts(db) -> dict[str, int]:
    with db.reader() as s:
        out = {name: s.scalar(select(func.count()).select_from(model)) for name, model in AUDITED.items()}
        out["audit"] = s.scalar(select(func.count()).select_from(AuditEvent))
        out["audit_tail"] = s.scalar(select(func.max(AuditEvent.seq)))
    return out


def test_the_table_covers_every_write_service(db, t0):
    assert set(calls(db, t0, {})) == write_services()


def _refused(db, actor, services: dict):
    before = snapshot_counts(db)
    allowed = []
    for name, call in services.items():
        try:
            call(actor)
        except PermissionDenied as exc:
            assert str(exc).strip(), name
        else:
            allowed.append(name)
    assert not allowed, f"{actor.role.value} was allowed: {allowed}"
    assert snapshot_counts(db) == before


def test_an_auditor_is_refused_by_every_write_service_and_nothing_is_written(db, actors, t0, world):
    _refused(db, actors["auditor"], calls(db, t0, world))


def test_a_nurse_cannot_configure_monitoring_clinic_or_users(db, actors, t0, world):
    services = {k: f for k, f in calls(db, t0, world).items() if k.startswith(("settings.", "users."))}
    _refused(db, actors["nurse"], services)


def test_a_charge_nurse_configures_monitoring_but_not_the_clinic_or_users(db, actors, t0, world):
    services = {k: f for k, f in calls(db, t0, world).items()
                if k in ("settings.update_clinic",) or k.startswith("users.")}
    _refused(db, actors["charge"], services)
    settings.save_schedule(db, actors["charge"], Schedule("Other"), world["schedule"])  # allowed


def test_an_administrator_cannot_document_care(db, actors, t0, world):
    services = {k: f for k, f in calls(db, t0, world).items() if k.startswith("clinical.")}
    _refused(db, actors["admin"], services)
    # but manages users and the clinic
    users.add_user(db, actors["admin"], "newuser", "New User", "nurse", "new-pass-123")
    settings.update_clinic(db, actors["admin"], ClinicDetails("Clinic", "", "A4", "", 10, "aldrete", ()))


def test_a_nurse_documents_and_an_auditor_reads_and_verifies(db, actors, t0, world):
    from monitor_app.services import integrity, queries
    nurse, auditor = actors["nurse"], actors["auditor"]
    calls(db, t0, world)["clinical.record_event"](nurse)
    assert queries.get_record(db, auditor, world["sid"]).events[-1].kind == "nausea"
    assert integrity.verify_archive(db, auditor).intact
    with pytest.raises(PermissionDenied):
        integrity.verify_archive(db, nurse)
    assert [u.username for u in users.list_users(db, auditor)]


def test_search_fields_are_parameters_and_prefixes_match_in_any_script(db, actors, t0):
    """SPEC 9: what is typed into search is a value, never SQL; prefixes of MRNs and names in any script match."""
    from datetime import date, timedelta
    from monitor_app.services.queries import ArchiveQuery, search_archive, search_patients
    nurse = actors["nurse"]
    made = {}
    for family, given in (("Kierkegård", "Søren"), ("Żółć", "Łukasz"), ("Nguyễn", "Zoë"), ("Иванова", "Анна"),
                          ("O'Brien", "Siobhán"), ("100%_Real", "Test")):
        sid = open_session(db, nurse, t0, family=family, given=given)
        made[family] = (sid, get_record(db, nurse, sid).patient.mrn)
    for typed, family in (("kierkeg", "Kierkegård"), ("KIERKEGÅ", "Kierkegård"), ("søren", "Kierkegård"),
                          ("żółć", "Żółć"), ("ŁUK", "Żółć"), ("nguyễ", "Nguyễn"), ("zoë", "Nguyễn"),
                          ("иван", "Иванова"), ("АННА", "Иванова"), ("o'b", "O'Brien"), ("100%", "100%_Real"),
                          ("100%_", "100%_Real"), ("zoë nguy", "Nguyễn")):
        assert [p.mrn for p in search_patients(db, nurse, typed)] == [made[family][1]], typed
    for typed, family in (("kierkeg", "Kierkegård"), ("KIERKEGÅ", "Kierkegård"), ("100%_", "100%_Real"),
                          (made["Żółć"][1], "Żółć")):
        rows = search_archive(db, nurse, ArchiveQuery(text=typed))
        assert [r.session_id for r in rows] == [made[family][0]], typed
    mrn_prefix = made["Nguyễn"][1][:-3]
    assert len(search_patients(db, nurse, mrn_prefix)) == len(made)
    for hostile in ("%", "_", "' OR 1=1 --", "\"; DROP TABLE patients; --", "100_", "*", "\\"):
        assert search_patients(db, nurse, hostile) == [], hostile
        assert search_archive(db, nurse, ArchiveQuery(text=hostile)) == [], hostile
    assert len(search_archive(db, nurse, ArchiveQuery(date_from=t0.date() - timedelta(days=1),
                                                      date_to=date.today() + timedelta(days=1)))) == len(made)
