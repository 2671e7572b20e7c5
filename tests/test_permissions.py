"""Permissions in the service layer (SPEC 9): every write path refuses a role that may not use it, changes nothing,
and writes the refused attempt (who and what) to the audit trail."""
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
        "clinical.record_reading_shown": lambda a: clinical.record_reading_shown(db, a, w["sid"], v("120/80"),
                                                                                 measured_at=now, now=now),
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
        "users.unlock_user": lambda a: users.unlock_user(db, a, "nurse2"),
        "users.set_lockout_policy": lambda a: users.set_lockout_policy(db, a, 3, 30),
    }


def snapshot_counts(db) -> dict[str, int]:
    with db.reader() as s:
        return {name: s.scalar(select(func.count()).select_from(model)) for name, model in AUDITED.items()}


def audit_rows_after(db, seq: int) -> list[AuditEvent]:
    with db.reader() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)))


def audit_tail(db) -> int:
    with db.reader() as s:
        return s.scalar(select(func.max(AuditEvent.seq))) or 0


def test_the_table_covers_every_write_service(db, t0):
    assert set(calls(db, t0, {})) == write_services()


def _refused(db, actor, services: dict):
    before, tail = snapshot_counts(db), audit_tail(db)
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
    # Each refusal is in the trail: one row, under the person, naming the service refused.
    rows = audit_rows_after(db, tail)
    assert [r.action for r in rows] == ["permission_denied"] * len(services)
    assert {r.username for r in rows} == {actor.username}
    for name, row in zip(services, rows):
        assert name.split(".")[1] in row.reason, (name, row.reason)


def test_an_auditor_is_refused_by_every_write_service_and_nothing_is_written(db, actors, t0, world):
    _refused(db, actors["auditor"], calls(db, t0, world))


def test_a_nurse_cannot_configure_monitoring_clinic_or_users(db, actors, t0, world):
    services = {k: f for k, f in calls(db, t0, world).items() if k.startswith(("settings.", "users."))}
    _refused(db, actors["nurse"], services)


def test_a_charge_nurse_configures_monitoring_but_not_the_clinic_or_users(db, actors, t0, world):
    services = {k: f for k, f in calls(db, t0, world).items()
                if k in ("settings.update_clinic", "users.set_lockout_policy") or k.startswith("users.")}
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


# ----------------------------------------------------------------------------------- roles from the archive

def test_a_hand_built_actor_claiming_another_role_is_refused_and_audited(db, actors, t0, world):
    """The auditor's id with the role "nurse" written on it: the archive's role decides, and verify agrees."""
    from monitor_app.services import integrity
    from monitor_app.services.access import Actor
    from monitor_app.domain.session import Role
    real = actors["auditor"]
    forged = Actor(real.user_id, real.username, real.full_name, real.credentials, Role.NURSE)
    before, tail = snapshot_counts(db), audit_tail(db)
    with pytest.raises(PermissionDenied, match="auditor"):
        clinical.record_reading(db, forged, world["sid"], v("120/80"), measured_at=at(t0, 30), now=at(t0, 30))
    assert snapshot_counts(db) == before  # no reading saved
    (row,) = audit_rows_after(db, tail)  # the refusal survived the rollback of the change it refused
    assert (row.username, row.action) == ("auditor", "permission_denied") and "record_reading" in row.reason
    # bound to the archive too (as sign-in hands it out), the claim counts for nothing
    from dataclasses import replace
    with pytest.raises(PermissionDenied, match="auditor"):
        clinical.record_reading(db, replace(forged, archive=db), world["sid"], v("120/80"), measured_at=at(t0, 30),
                                now=at(t0, 30))
    assert snapshot_counts(db) == before
    assert integrity.verify_archive(db, actors["charge"]).intact


def test_a_disabled_user_cannot_write_with_an_actor_from_before(db, actors, t0, world):
    nurse2 = actors["nurse2"]
    users.disable_user(db, actors["admin"], "nurse2", "left the clinic")
    before, tail = snapshot_counts(db), audit_tail(db)
    with pytest.raises(PermissionDenied, match="disabled"):
        clinical.record_event(db, nurse2, world["sid"], "nausea", severity="mild", at=at(t0, 30), now=at(t0, 30))
    assert snapshot_counts(db) == before
    assert [(r.username, r.action) for r in audit_rows_after(db, tail)] == [("nurse2", "permission_denied")]


def test_a_role_changed_by_the_administrator_applies_at_once(db, actors, t0, world):
    """An actor handed out before the role changed acts with the archive's role, not the one it carries."""
    from sqlalchemy import update
    from monitor_app.storage.models import User
    charge = actors["charge"]
    with db.transaction() as s:  # as an administrator's change would leave the row (audited below by verify)
        s.execute(update(User).where(User.username == "charge").values(role="auditor"))
    with pytest.raises(PermissionDenied, match="role is auditor now"):
        settings.save_schedule(db, charge, Schedule("Other"), world["schedule"])


def test_verify_names_an_action_the_role_did_not_allow_at_that_time(db, actors, t0, world):
    """A row written around the services (the auditor's reading, chained properly) is named by the role replay."""
    from monitor_app.services import audit, integrity
    from monitor_app.storage.models import Reading
    from datetime import timedelta
    auditor = actors["auditor"]
    with db.transaction() as s:
        r = Reading(session_id=world["sid"], measured_at=at(t0, 31), recorded_at=at(t0, 31),
                    recorded_by_id=auditor.user_id, systolic=120, diastolic=80)
        s.add(r)
        s.flush()
        # The one writer of audit rows checks the role, so an insider writes the row by hand, chained and hashed.
        last = s.execute(select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc())).first()
        ev = AuditEvent(seq=last.seq + 1, at=at(t0, 31) + timedelta(seconds=1), user_id=auditor.user_id,
                        username="auditor", action="create", entity="reading", entity_id=str(r.id),
                        session_id=world["sid"], before=None, after=audit.canonical(audit.snapshot(r)),
                        reason="", prev_hash=last.row_hash)
        ev.row_hash = audit.row_hash(ev)
        s.add(ev)
    report = integrity.verify_archive(db, actors["charge"])
    assert any("auditor acted (create reading" in p and "may not document sessions" in p for p in report.problems), \
        report.problems
    assert len(report.problems) == 1, report.problems


# ------------------------------------------------------------------------------------------ fair lock-out

def test_the_lock_out_timeline(db, actors):
    """OWASP: five failures lock for 15 minutes; tries during the lock neither count nor extend it; the right
    password after the lock works; an administrator unlocks early; every step audited."""
    from datetime import datetime, timedelta, timezone
    from monitor_app.domain.errors import AuthenticationFailed
    from monitor_app.services.users import AccountLocked
    t = datetime(2026, 3, 8, 9, 0, tzinfo=timezone.utc)
    right, wrong = PASSWORDS["nurse"], "not-the-password"
    tail = audit_tail(db)

    def attempt(minute: float, password: str):
        return users.sign_in(db, "nurse", password, now=t + timedelta(minutes=minute))

    for minute in range(4):  # 09:00-09:03: four wrong passwords, the account still open
        with pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
            attempt(minute, wrong)
    with pytest.raises(AuthenticationFailed, match="Wrong"):
        attempt(4, wrong)  # 09:04 UTC: the fifth locks until 09:19 UTC, 05:19 EDT at the clinic (New York)
    for minute in (5, 10, 14, 18.9):  # every minute or so, even with the right password: refused, lock unchanged
        with pytest.raises(AccountLocked, match="until 05:19 EDT"):
            attempt(minute, right if minute != 10 else wrong)
    assert attempt(19, right).username == "nurse"  # 09:19: the lock has run out, nothing was added to it
    # a second lock, ended early by the administrator
    for minute in range(30, 35):
        with pytest.raises(AuthenticationFailed):
            attempt(minute, wrong)
    with pytest.raises(AccountLocked, match="until 05:49 EDT"):
        attempt(36, right)
    users.unlock_user(db, actors["admin"], "nurse")
    assert attempt(37, right).username == "nurse"
    # a nurse cannot unlock anyone (refused and audited like any refusal)
    with pytest.raises(PermissionDenied):
        users.unlock_user(db, actors["nurse2"], "nurse")
    steps = [(r.username, r.action) for r in audit_rows_after(db, tail)]
    assert steps == ([("nurse", "login_failed")] * 4 + [("nurse", "locked_out")] + [("nurse", "login_refused")] * 4
                     + [("nurse", "login")] + [("nurse", "login_failed")] * 4 + [("nurse", "locked_out"),
                     ("nurse", "login_refused"), ("admin", "unlock"), ("nurse", "login"),
                     ("nurse2", "permission_denied")])


def test_the_lock_out_is_a_clinic_setting(db, actors):
    from datetime import datetime, timedelta, timezone
    from monitor_app.domain.errors import AuthenticationFailed, FieldError
    from monitor_app.services import integrity
    from monitor_app.services.users import AccountLocked
    with pytest.raises(FieldError, match="from 3 to 20") as err:
        users.set_lockout_policy(db, actors["admin"], 2, 30)
    assert err.value.field == "lockout_failures"
    users.set_lockout_policy(db, actors["admin"], 3, 30)
    t = datetime(2026, 3, 8, 9, 0, tzinfo=timezone.utc)
    for minute in range(3):
        with pytest.raises(AuthenticationFailed):
            users.sign_in(db, "nurse", "wrong-password", now=t + timedelta(minutes=minute))
    with pytest.raises(AccountLocked, match="until 05:32 EDT"):
        users.sign_in(db, "nurse", PASSWORDS["nurse"], now=t + timedelta(minutes=31))
    assert users.sign_in(db, "nurse", PASSWORDS["nurse"], now=t + timedelta(minutes=32)).username == "nurse"
    assert integrity.verify_archive(db, actors["auditor"]).intact
