"""The demo clinic: users of every role, patients with Unicode names, finished, signed and in-progress sessions.

Everything is written through the real services (with their audit rows), with clinical times in the past.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from monitor_app.domain.errors import RuleViolation
from monitor_app.domain.vitals import Vitals
from monitor_app.services import clinical as c, settings, users
from monitor_app.services.access import SYSTEM
from monitor_app.storage.db import Database
from monitor_app.storage.models import Patient

ACCOUNTS = [
    ("nina", "nina-demo-pass", "nurse", "Nina Okafor", "RN"),
    ("tomas", "tomas-demo-pass", "nurse", "Tomás Álvarez", "RN"),
    ("carla", "carla-demo-pass", "charge_nurse", "Carla Jensen", "RN, BSN"),
    ("audrey", "audrey-demo-pass", "auditor", "Audrey Mbeki", "CPHQ"),
    ("admin", "admin-demo-pass", "administrator", "Sam Admin", ""),
]
ALDRETE_OK = dict(activity=2, respiration=2, circulation=2, consciousness=2, oxygen=1)


def _v(bp: str = "", hr: int | None = None, spo2: int | None = None, rr: int | None = None, moaas: int | None = None,
       comment: str = "") -> Vitals:
    s, d = (int(x) for x in bp.split("/")) if bp else (None, None)
    return Vitals(s, d, hr, spo2, rr, moaas, None, comment)


# (minutes after arrival, BP, HR, SpO2, RR, MOAA/S); infusion runs from +15 to +55, discharge at +100.
TYPICAL = [
    (8, "132/84", 76, 98, 14, 5), (25, "141/88", 80, 98, 14, 5), (35, "152/92", 86, 97, 15, 4),
    (45, "158/96", 88, 97, 14, 4), (55, "149/90", 84, 98, 14, 5), (70, "138/86", 78, 98, 14, 5),
    (85, "134/84", 76, 98, 14, 5),
]


def _finished_session(db: Database, nurse, charge, passwords, course_id: int, arrival: datetime,
                      readings=TYPICAL, extras=None, cosign: bool = True, lot: str = "KX2291") -> int:
    at = lambda m: arrival + timedelta(minutes=m)
    sid = c.create_session(db, nurse, course_id=course_id, chair="2", supervising_clinician="Dr. Imani Reyes",
                           lot_number=lot, checklist={k: True for k in settings.read_settings(db).checklist_items},
                           concomitant_medicines=[], outcome_score_before=None, arrival_at=arrival, now=arrival)
    started = False
    for m, bp, hr, spo2, rr, moaas in readings:
        if not started and m > 15:
            c.start_infusion(db, nurse, sid, at=at(15), now=at(15))
            started = True
        if m > 55 and started and not _stopped(db, nurse, sid):
            c.stop_infusion(db, nurse, sid, at=at(55), now=at(55))
        c.record_reading(db, nurse, sid, _v(bp, hr, spo2, rr, moaas), measured_at=at(m), now=at(m) + timedelta(
            seconds=40))
        if extras:
            extras(sid, at, m)
    if not _stopped(db, nurse, sid):
        c.stop_infusion(db, nurse, sid, at=at(55), now=at(55))
    record = _record(db, nurse, sid)
    for flag in record.open_flags:
        c.acknowledge_flag(db, nurse, flag.id, "rechecked", now=flag.created_at + timedelta(minutes=2))
    c.discharge(db, nurse, sid, scale="aldrete", items=ALDRETE_OK, escort_present=True, escort_name="Partner",
                instructions_given=True, at=at(100), now=at(100))
    c.sign(db, nurse, sid, passwords[nurse.username], now=at(104))
    if cosign:
        c.cosign(db, charge, sid, passwords[charge.username], now=at(180))
    return sid


def _record(db, actor, sid):
    from monitor_app.services.queries import get_record
    return get_record(db, actor, sid, with_hash=False)


def _stopped(db, actor, sid) -> bool:
    return _record(db, actor, sid).infusion_end_at is not None


def create_demo(db: Database, now: datetime | None = None) -> list[tuple[str, str, str]]:
    """Fill an empty archive with a demo clinic; returns (username, password, role) of the accounts."""
    now = now or datetime.now(timezone.utc)
    settings.bootstrap(db)
    with db.reader() as s:
        if s.scalar(select(Patient.id).limit(1)) is not None:
            raise RuleViolation("This archive already holds patients; the demo needs an empty archive "
                                "(use --data-dir with a new folder).")
    for username, password, role, name, cred in ACCOUNTS:
        users.add_user(db, SYSTEM, username, name, role, password, cred)
    passwords = {a[0]: a[1] for a in ACCOUNTS}
    nina = users.sign_in(db, "nina", passwords["nina"])
    tomas = users.sign_in(db, "tomas", passwords["tomas"])
    carla = users.sign_in(db, "carla", passwords["carla"])
    day = lambda days_ago, hour=9: (now - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0,
                                                                          microsecond=0)

    zoe = c.create_patient(db, nina, mrn="100231", family_name="Nguyễn", given_name="Zoë",
                           date_of_birth=date(1986, 4, 12), sex="female", weight_kg=64.0, allergies="Penicillin")
    lukasz = c.create_patient(db, nina, mrn="100232", family_name="Żółć", given_name="Łukasz",
                              date_of_birth=date(1979, 11, 3), sex="male", weight_kg=82.5)
    aroha = c.create_patient(db, tomas, mrn="100233", family_name="Ngata", given_name="Aroha",
                             date_of_birth=date(1992, 7, 28), sex="female", weight_kg=58.0)
    c.create_patient(db, tomas, mrn="100234", family_name="Kierkegård", given_name="Søren",
                     date_of_birth=date(1968, 2, 17), sex="male", weight_kg=91.0, notes="Prefers chair by window")

    zoe_course = c.create_course(db, nina, patient_id=zoe, indication="depression", planned_infusions=6,
                                 prescriber="Dr. Imani Reyes", outcome_measure="phq9")
    luk_course = c.create_course(db, nina, patient_id=lukasz, indication="ocd", planned_infusions=6,
                                 prescriber="Dr. Imani Reyes", outcome_measure="ybocs")
    aroha_course = c.create_course(db, tomas, patient_id=aroha, indication="chronic_pain", planned_infusions=6,
                                   prescriber="Dr. Felix Brandt", outcome_measure="nrs")

    # Zoë, infusion 1: a critical BP at 40 minutes, acknowledged; nausea treated; reviewed by the charge nurse.
    def zoe1_extras(sid, at, m):
        if m == 45:
            c.record_event(db, nina, sid, "nausea", severity="moderate", note="Settled with ondansetron",
                           at=at(46), now=at(47))
            c.record_event(db, nina, sid, "medication_given", details={"medication": "Ondansetron", "dose": "4 mg",
                           "route": "IV"}, at=at(48), now=at(48))
            c.record_event(db, nina, sid, "clinician_notified", details={"clinician": "Dr. Imani Reyes"},
                           note="BP 186/104 reported", at=at(49), now=at(49))
    zoe1 = TYPICAL[:3] + [(45, "186/104", 98, 97, 16, 4)] + TYPICAL[4:]
    _finished_session(db, nina, carla, passwords, zoe_course, day(14), zoe1, zoe1_extras)

    # Zoë, infusion 2: a late entry, an amendment and an entered-in-error reading; signed, not yet reviewed,
    # then an addendum.
    def zoe2_extras(sid, at, m):
        if m == 35:
            rec = _record(db, nina, sid)
            r = rec.readings[-1]
            c.amend_reading(db, nina, r.id, {"heart_rate": 84}, "Transcribed 48 instead of 84", now=at(37))
        if m == 70:
            wrong = c.record_reading(db, nina, sid, _v("112/70", 64, 99, 14, 5), measured_at=at(72), now=at(73))
            c.mark_entered_in_error(db, nina, "reading", wrong, "Entered for the wrong chair", now=at(74))
            c.record_reading(db, nina, sid, _v("132/84", 74, 98, 14, 5, "From the paper chart"),
                             measured_at=at(78), now=at(91))  # typed in 13 minutes later: a late entry
            c.record_event(db, nina, sid, "dissociation", severity="mild", note="Resolved within 15 minutes",
                           at=at(40), now=at(75))
    zoe2 = [(8, "128/82", 74, 98, 14, 5), (25, "138/86", 78, 98, 14, 5), (35, "146/90", 48, 97, 14, 4),
            (45, "150/92", 86, 97, 14, 4), (55, "144/88", 82, 98, 14, 5), (70, "134/84", 76, 98, 14, 5),
            (85, "130/82", 74, 98, 14, 5)]
    sid2 = _finished_session(db, nina, carla, passwords, zoe_course, day(10), zoe2, zoe2_extras, cosign=False)
    c.add_addendum(db, nina, sid2, "Patient phoned the next morning: no after-effects, slept well.",
                   passwords["nina"], now=day(9, 10))

    _finished_session(db, nina, carla, passwords, zoe_course, day(7))
    _finished_session(db, tomas, carla, passwords, aroha_course, day(6, 13), lot="KX2301")

    # Today: Zoë mid-infusion with a critical reading not yet acknowledged.
    t0 = now - timedelta(minutes=45)
    sid = c.create_session(db, nina, course_id=zoe_course, chair="3", supervising_clinician="Dr. Imani Reyes",
                           lot_number="KX2310", checklist={k: True for k in settings.read_settings(db).checklist_items},
                           outcome_score_before=11, arrival_at=t0, now=t0)
    c.record_reading(db, nina, sid, _v("130/84", 74, 98, 14, 5), measured_at=t0 + timedelta(minutes=5),
                     now=t0 + timedelta(minutes=5))
    c.start_infusion(db, nina, sid, at=t0 + timedelta(minutes=10), now=t0 + timedelta(minutes=10))
    c.record_reading(db, nina, sid, _v("142/88", 80, 98, 14, 5), measured_at=t0 + timedelta(minutes=20),
                     now=t0 + timedelta(minutes=20))
    c.record_reading(db, nina, sid, _v("151/92", 84, 97, 15, 4), measured_at=t0 + timedelta(minutes=30),
                     now=t0 + timedelta(minutes=30))
    c.record_event(db, nina, sid, "dissociation", severity="mild", at=t0 + timedelta(minutes=32),
                   now=t0 + timedelta(minutes=32))
    c.record_reading(db, nina, sid, _v("184/112", 96, 96, 16, 4, "Patient anxious"),
                     measured_at=t0 + timedelta(minutes=40), now=t0 + timedelta(minutes=40))

    # Łukasz: arrived, baseline taken, about to start.
    t1 = now - timedelta(minutes=12)
    sid_l = c.create_session(db, nina, course_id=luk_course, chair="1", supervising_clinician="Dr. Imani Reyes",
                             lot_number="KX2310", outcome_score_before=27, arrival_at=t1, now=t1,
                             concomitant_medicines=["Benzodiazepines"])
    c.record_reading(db, nina, sid_l, _v("124/78", 68, 99, 12, 5), measured_at=t1 + timedelta(minutes=6),
                     now=t1 + timedelta(minutes=6))

    # Aroha: in recovery.
    t2 = now - timedelta(minutes=75)
    sid_a = c.create_session(db, tomas, course_id=aroha_course, chair="4", supervising_clinician="Dr. Felix Brandt",
                             lot_number="KX2301", outcome_score_before=7, arrival_at=t2, now=t2,
                             checklist={k: True for k in settings.read_settings(db).checklist_items})
    for m, bp, hr, spo2 in ((5, "118/76", 70, 99), (20, "126/80", 74, 98), (30, "132/84", 78, 98),
                            (40, "136/86", 80, 98), (50, "130/82", 76, 98), (65, "122/78", 72, 99)):
        if m == 20:
            c.start_infusion(db, tomas, sid_a, at=t2 + timedelta(minutes=12), now=t2 + timedelta(minutes=12))
        if m == 65:
            c.stop_infusion(db, tomas, sid_a, at=t2 + timedelta(minutes=52), now=t2 + timedelta(minutes=52))
        c.record_reading(db, tomas, sid_a, _v(bp, hr, spo2), measured_at=t2 + timedelta(minutes=m),
                         now=t2 + timedelta(minutes=m))
    return [(a[0], a[1], a[2]) for a in ACCOUNTS]
