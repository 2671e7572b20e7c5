"""A session documented through the services, step by step, for the record-rule, storage and PostgreSQL tests."""
from __future__ import annotations

import itertools
import os
from datetime import datetime, timedelta

from monitor_app.domain.session import DEFAULT_CHECKLIST
from monitor_app.domain.vitals import parse_vitals
from monitor_app.services import clinical as c
from monitor_app.services.settings import read_settings

ALDRETE_OK = dict(activity=2, respiration=2, circulation=2, consciousness=2, oxygen=1)
_mrns = itertools.count(1)


TICKED = dict.fromkeys(DEFAULT_CHECKLIST, True)  # the pre-infusion checklist done, as before most starts


def v(bp: str = "", hr: str = "", spo2: str = "", rr: str = "", comment: str = ""):
    return parse_vitals(bp=bp, heart_rate=hr, spo2=spo2, resp_rate=rr, comment=comment)


def at(t0: datetime, minutes: float) -> datetime:
    return t0 + timedelta(minutes=minutes)


def open_session(db, nurse, t0: datetime, *, family: str = "Nguyễn", given: str = "Zoë") -> int:
    """A patient with a course and a session that opened (patient arrived) at t0."""
    mrn = f"T{os.getpid()}-{next(_mrns):05d}"
    pid = c.create_patient(db, nurse, mrn=mrn, family_name=family, given_name=given, weight_kg=64.0)
    cid = c.create_course(db, nurse, patient_id=pid, indication="depression", outcome_measure="phq9")
    ticked = dict.fromkeys(read_settings(db).checklist_items, True)  # the clinic's own checklist, all done
    return c.create_session(db, nurse, course_id=cid, chair="3", arrival_at=t0, now=t0, outcome_score_before=14,
                            checklist=ticked)


def start(db, nurse, sid: int, t0: datetime) -> None:
    """Baseline at +5, infusion from +10."""
    c.record_reading(db, nurse, sid, v("128/82", "72", "98"), measured_at=at(t0, 5), now=at(t0, 5))
    c.start_infusion(db, nurse, sid, at=at(t0, 10), now=at(t0, 10))


def to_recovery(db, nurse, sid: int, t0: datetime) -> None:
    """Normal readings through the infusion (+20, +30, +40), stopped at +50."""
    for m, bp in ((20, "138/86"), (30, "142/88"), (40, "140/86")):
        c.record_reading(db, nurse, sid, v(bp, "80", "97"), measured_at=at(t0, m), now=at(t0, m))
    c.stop_infusion(db, nurse, sid, at=at(t0, 50), now=at(t0, 50))


def discharge(db, nurse, sid: int, t0: datetime, minutes: float = 90, **kw) -> int:
    args = dict(scale="aldrete", items=ALDRETE_OK, escort_present=True, escort_name="Sam Partner",
                instructions_given=True, at=at(t0, minutes), now=at(t0, minutes))
    args.update(kw)
    return c.discharge(db, nurse, sid, **args)


def complete_session(db, nurse, t0: datetime, **names) -> int:
    """Arrival at t0, infusion +10 to +50, discharged at +90: ready to sign."""
    sid = open_session(db, nurse, t0, **names)
    start(db, nurse, sid, t0)
    to_recovery(db, nurse, sid, t0)
    discharge(db, nurse, sid, t0)
    return sid
