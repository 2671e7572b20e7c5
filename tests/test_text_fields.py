"""Every text field of every service, on SQLite and on the PostgreSQL server (SPEC 3 and 8): whatever is typed or
pasted (NUL, lone surrogates, right-to-left overrides, 10,000 characters, emoji, any script) is either stored or
refused with a message naming the field; never a database error, and nothing stored when refused."""
from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from conftest import PASSWORDS, make_users, postgres_database
from monitor_app.domain.errors import ChairsideError, FieldError
from monitor_app.domain.schedule import IV_KETAMINE
from monitor_app.domain.text import text_problem
from monitor_app.domain.thresholds import KETAMINE_DEFAULT
from monitor_app.domain.vitals import Vitals
from monitor_app.services import audit, clinical as c, queries, settings, users
from monitor_app.services.access import SYSTEM
from monitor_app.services.queries import ArchiveQuery
from monitor_app.storage.db import open_database
from session_flow import ALDRETE_OK, at, open_session, start, to_recovery, v

# The edges every field is tried with, besides what Hypothesis finds.
EDGES = ("\x00", "Zo\x00ë", "\ud800", "Nguy\udfffễn", "\u202eevil.exe\u202c", "x" * 10_000, "😀👩🏽‍⚕️🇬🇧",
         "  ", "مريم الحسن", "李小龙")
ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=300)  # surrogates and controls included


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic(request, tmp_path):
    if request.param == "sqlite":
        db = open_database(None, tmp_path / "data", create=True)
        try:
            settings.bootstrap(db)
            yield Clinic(db, make_users(db))
        finally:
            db.dispose()
        return
    with postgres_database() as url:
        db = open_database(url, tmp_path / "data", create=True)
        try:
            settings.bootstrap(db)
            yield Clinic(db, make_users(db))
        finally:
            db.dispose()


class Clinic:
    """One archive and what the text fields need around them, made once and reused."""

    def __init__(self, db, actors):
        from datetime import datetime, timezone
        self.db, self.actors = db, actors
        self.nurse = actors["nurse"]
        self.t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=8)
        self.sid = open_session(db, self.nurse, self.t0)
        start(db, self.nurse, self.sid, self.t0)
        self.minutes = itertools.count(11)
        self.n = itertools.count(1)
        self.reading = self.new_reading()
        self.signed = self.signed_session()

    def moment(self):
        return at(self.t0, next(self.minutes) * 0.01)

    def new_reading(self, bp="128/82") -> int:
        m = self.moment()
        return c.record_reading(self.db, self.nurse, self.sid, v(bp, "72", "98"), measured_at=m, now=m)

    def in_recovery(self) -> int:
        sid = open_session(self.db, self.nurse, self.t0)
        start(self.db, self.nurse, sid, self.t0)
        to_recovery(self.db, self.nurse, sid, self.t0)
        return sid

    def signed_session(self) -> int:
        sid = self.in_recovery()
        c.discharge(self.db, self.nurse, sid, scale="aldrete", items=ALDRETE_OK, escort_present=True,
                    escort_name="Sam", instructions_given=True, at=at(self.t0, 90), now=at(self.t0, 90))
        c.sign(self.db, self.nurse, sid, PASSWORDS["nurse"], now=at(self.t0, 95))
        return sid

    def audit_rows(self) -> int:
        with self.db.reader() as s:
            return audit.count_rows(s)


def _patient(k, field):
    def call(t):
        values = dict(mrn=f"M{next(k.n)}", family_name="Doe", given_name="Jo")
        values[field] = t
        return c.create_patient(k.db, k.nurse, **values)
    return call


def _new_patient(k) -> int:
    return c.create_patient(k.db, k.nurse, mrn=f"P{next(k.n)}", family_name="Doe", given_name="Jo", weight_kg=70)


def _course(k, field):
    pid = _new_patient(k)
    indication = "other" if field == "indication_other" else "depression"
    return lambda t: c.create_course(k.db, k.nurse, patient_id=pid, indication=indication, **{field: t})


def _session(k, field):
    cid = c.create_course(k.db, k.nurse, patient_id=_new_patient(k), indication="depression")

    def call(t):
        values = dict(chair="1", supervising_clinician="Dr A", medication="Ketamine HCl", lot_number="L1")
        values[field] = [t] if field == "concomitant_medicines" else t
        return c.create_session(k.db, k.nurse, course_id=cid, arrival_at=k.t0, now=k.t0, **values)
    return call


def _amend(k):
    current = queries.get_reading(k.db, k.nurse, k.reading)[0].current.heart_rate
    return lambda t: c.amend_reading(k.db, k.nurse, k.reading, {"heart_rate": 60 if current != 60 else 61}, t,
                                     now=k.moment() + timedelta(hours=1))


def _entered_in_error(k):
    rid = k.new_reading()
    return lambda t: c.mark_entered_in_error(k.db, k.nurse, "reading", rid, t, now=k.moment() + timedelta(hours=1))


def _acknowledge(k):
    rid = k.new_reading("188/112")
    flag = next(f for f in queries.get_reading(k.db, k.nurse, rid)[0].flags)
    return lambda t: c.acknowledge_flag(k.db, k.nurse, flag.id, "other", t, now=k.moment() + timedelta(hours=1))


def _discharge(k):
    sid = k.in_recovery()
    return lambda t: c.discharge(k.db, k.nurse, sid, scale="aldrete", items=ALDRETE_OK, escort_present=True,
                                 escort_name=t, instructions_given=True, at=at(k.t0, 90), now=at(k.t0, 90))


def _clinic_details(k, field):
    def call(t):
        values = dict(name="Clinic", address="", page_size="A4", timezone="", inactivity_lock_min=10,
                      discharge_scale="aldrete", checklist_items=("Consent",))
        values[field] = (t,) if field == "checklist_items" else t
        return settings.update_clinic(k.db, k.actors["admin"], settings.ClinicDetails(**values))
    return call


def _user(k, field):
    def call(t):
        values = dict(username=f"u{next(k.n)}", full_name="New Nurse", credentials="RN", password="long-enough-1")
        values[field] = t
        return users.add_user(k.db, SYSTEM, values["username"], values["full_name"], "nurse", values["password"],
                              values["credentials"])
    return call


def _now_and_later(k):
    m = k.moment()
    return m, m + timedelta(hours=1)


# Every service that takes text, by the field the text goes into: each prepares what it needs (not counted) and
# returns the call that takes the text.
CASES = {
    **{f"patient.{f}": (lambda k, f=f: _patient(k, f))
       for f in ("mrn", "family_name", "given_name", "sex", "allergies", "notes")},
    **{f"course.{f}": (lambda k, f=f: _course(k, f)) for f in ("indication_other", "prescriber")},
    **{f"session.{f}": (lambda k, f=f: _session(k, f))
       for f in ("chair", "supervising_clinician", "medication", "lot_number", "concomitant_medicines")},
    "reading.comment": lambda k: (lambda t, m=_now_and_later(k): c.record_reading(
        k.db, k.nurse, k.sid, Vitals(heart_rate=70, comment=t), measured_at=m[0], now=m[1])),
    "amendment.reason": _amend,
    "entered_in_error.reason": _entered_in_error,
    "event.note": lambda k: (lambda t, m=_now_and_later(k): c.record_event(
        k.db, k.nurse, k.sid, "nausea", severity="mild", note=t, at=m[0], now=m[1])),
    "event.medication": lambda k: (lambda t, m=_now_and_later(k): c.record_event(
        k.db, k.nurse, k.sid, "medication_given", details={"medication": t, "dose": "4 mg", "route": "IV"},
        at=m[0], now=m[1])),
    "order.clinician": lambda k: (lambda t, m=_now_and_later(k): c.order_limits(
        k.db, k.nurse, k.sid, KETAMINE_DEFAULT, clinician=t, reason="order", at=m[0], now=m[1])),
    "acknowledgement.action_text": _acknowledge,
    "discharge.escort_name": _discharge,
    "addendum.text": lambda k: (lambda t: c.add_addendum(k.db, k.nurse, k.signed, t, PASSWORDS["nurse"],
                                                         now=k.t0 + timedelta(hours=7))),
    **{f"clinic.{f}": (lambda k, f=f: _clinic_details(k, f)) for f in ("name", "address", "timezone",
                                                                       "checklist_items")},
    "profile.name": lambda k: (lambda t: settings.save_profile(k.db, k.actors["charge"],
                                                               dataclasses.replace(KETAMINE_DEFAULT, name=t))),
    "schedule.name": lambda k: (lambda t: settings.save_schedule(k.db, k.actors["charge"],
                                                                 dataclasses.replace(IV_KETAMINE, name=t))),
    **{f"user.{f}": (lambda k, f=f: _user(k, f)) for f in ("username", "full_name", "credentials", "password")},
    "sign_in.username": lambda k: (lambda t: users.sign_in(k.db, t, "whatever-pass")),
    "search.patients": lambda k: (lambda t: queries.search_patients(k.db, k.nurse, t)),
    "search.archive": lambda k: (lambda t: queries.search_archive(k.db, k.nurse, ArchiveQuery(text=t))),
}
# A refusal that is not about the text (a wrong password, an unknown user): still a ChairsideError, still nothing
# stored beyond its own audit row of a failed sign-in.
READ_ONLY = {"search.patients", "search.archive"}


def attempt(k: Clinic, case: str, value: str) -> None:
    call = CASES[case](k)
    before = k.audit_rows()
    try:
        call(value)
    except ChairsideError as exc:
        if case == "sign_in.username":
            assert k.audit_rows() <= before + 1  # the failed sign-in, audited; never the bad text itself
        elif isinstance(exc, FieldError):
            assert k.audit_rows() == before, (case, value[:20], exc)  # refused: nothing stored
        if text_problem(value):
            assert isinstance(exc, FieldError), (case, repr(value[:20]), exc)
        return
    # Stored: it must be text every database stores faithfully.
    assert not text_problem(value), (case, repr(value[:20]))
    if case not in READ_ONLY:
        assert k.audit_rows() > before


def test_every_text_field_takes_or_refuses_every_edge(clinic):
    for case in CASES:
        for value in EDGES:
            attempt(clinic, case, value)


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(case=st.sampled_from(sorted(CASES)), value=ANY_TEXT)
def test_every_text_field_takes_or_refuses_any_text(clinic, case, value):
    attempt(clinic, case, value)
