"""SQLAlchemy models of every Chairside record (SPEC 3).

Clinical rows are written once: a reading's values never change in place; a correction is an Amendment row.
"""

import uuid
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String,
                        Text, TypeDecorator, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so it is stored as naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: Chairside stores aware UTC times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def new_uid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by services.versions on each change


class ClinicSettings(Base):
    __tablename__ = "clinic_settings"
    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(200), default="Chairside clinic")
    address: Mapped[str] = mapped_column(Text, default="")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    page_size: Mapped[str] = mapped_column(String(10), default="A4")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    inactivity_lock_min: Mapped[int] = mapped_column(Integer, default=10)
    discharge_scale: Mapped[str] = mapped_column(String(16), default="aldrete")
    checklist_items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    default_profile_id: Mapped[int | None] = mapped_column(ForeignKey("threshold_profiles.id"))
    default_schedule_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_schedules.id"))
    # Lock-out after wrong passwords (SPEC 9): this many in a row lock the account for this many minutes.
    lockout_failures: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    lockout_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    version: Mapped[int] = mapped_column(Integer, default=1)


class ThresholdProfile(Base):
    __tablename__ = "threshold_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    limits: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.thresholds.Thresholds.to_dict()
    preset: Mapped[bool] = mapped_column(Boolean, default=False)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class MonitoringSchedule(Base):
    __tablename__ = "monitoring_schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.schedule.Schedule.to_dict()
    preset: Mapped[bool] = mapped_column(Boolean, default=False)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(64), unique=True)
    family_name: Mapped[str] = mapped_column(String(120))
    given_name: Mapped[str] = mapped_column(String(120))
    # Case-folded copies for prefix search through an index (SQLite's lower() only folds ASCII).
    family_key: Mapped[str] = mapped_column(String(120), index=True)
    given_key: Mapped[str] = mapped_column(String(120), index=True)
    # The whole name's search key without spaces, in both orders (domain.names.compact_key), so a whole name typed
    # either way round, with or without its space, is an indexed prefix. None in family_first: the script decides.
    full_key: Mapped[str] = mapped_column(String(250), index=True, default="")
    full_key_reversed: Mapped[str] = mapped_column(String(250), index=True, default="")
    family_first: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=None)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(16), default="")
    weight_kg: Mapped[float | None] = mapped_column(Float)
    allergies: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
    courses: Mapped[list["Course"]] = relationship(back_populates="patient", order_by="Course.id")


class Course(Base):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    indication: Mapped[str] = mapped_column(String(32))
    indication_other: Mapped[str] = mapped_column(String(200), default="")
    planned_infusions: Mapped[int] = mapped_column(Integer, default=6)
    prescriber: Mapped[str] = mapped_column(String(200), default="")
    outcome_measure: Mapped[str] = mapped_column(String(16), default="none")
    created_at: Mapped[datetime]
    patient: Mapped[Patient] = relationship(back_populates="courses")
    sessions: Mapped[list["InfusionSession"]] = relationship(back_populates="course",
                                                           order_by="InfusionSession.number")


class InfusionSession(Base):
    __tablename__ = "infusion_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    chair: Mapped[str] = mapped_column(String(32), default="")
    primary_nurse_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    supervising_clinician: Mapped[str] = mapped_column(String(200), default="")
    medication: Mapped[str] = mapped_column(String(120), default="Ketamine HCl")
    dose_mg_per_kg: Mapped[float | None] = mapped_column(Float)
    dose_mg_total: Mapped[float | None] = mapped_column(Float)
    route: Mapped[str] = mapped_column(String(16), default="IV")
    planned_minutes: Mapped[int] = mapped_column(Integer, default=40)
    lot_number: Mapped[str] = mapped_column(String(64), default="")
    concomitant_medicines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome_score_before: Mapped[int | None] = mapped_column(Integer)
    arrival_at: Mapped[datetime] = mapped_column(index=True)
    infusion_start_at: Mapped[datetime | None]
    infusion_end_at: Mapped[datetime | None]
    discharged_at: Mapped[datetime | None]
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(32), index=True)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON)  # frozen copy of the profile at start
    threshold_profile_id: Mapped[int | None] = mapped_column(ForeignKey("threshold_profiles.id"))
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)  # frozen copy of the schedule
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_schedules.id"))
    has_critical: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
    course: Mapped[Course] = relationship(back_populates="sessions")
    primary_nurse: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("course_id", "number"),)


class Reading(Base):
    __tablename__ = "readings"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_sessions.id"))
    measured_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    systolic: Mapped[int | None] = mapped_column(Integer)
    diastolic: Mapped[int | None] = mapped_column(Integer)
    heart_rate: Mapped[int | None] = mapped_column(Integer)
    spo2: Mapped[int | None] = mapped_column(Integer)
    resp_rate: Mapped[int | None] = mapped_column(Integer)
    moaas: Mapped[int | None] = mapped_column(Integer)
    pain_nrs: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_readings_session_measured", "session_id", "measured_at"),)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by each correction of the reading


class Amendment(Base):
    """A correction of a reading or an event: the changed fields (old, new) or 'entered in error'."""

    __tablename__ = "amendments"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_sessions.id"), index=True)
    target: Mapped[str] = mapped_column(String(16))  # "reading" or "event"
    target_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))  # "amendment" or "entered_in_error"
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> [old, new]
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    addendum_id: Mapped[int | None] = mapped_column(ForeignKey("addenda.id"))  # a correction after signing


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_sessions.id"), index=True)
    at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped when marked entered in error


class Flag(Base):
    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_sessions.id"), index=True)
    reading_id: Mapped[int] = mapped_column(ForeignKey("readings.id"), index=True)
    parameter: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    limit: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]
    # Set when a correction of the reading (amendment or entered in error) made the flag no longer apply.
    cleared_by_amendment_id: Mapped[int | None] = mapped_column(ForeignKey("amendments.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by its acknowledgement or clearing


class FlagAcknowledgement(Base):
    __tablename__ = "flag_acknowledgements"
    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_sessions.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    action_text: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]


class DischargeAssessment(Base):
    __tablename__ = "discharge_assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_sessions.id"), index=True)
    scale: Mapped[str] = mapped_column(String(16))
    items: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    escort_present: Mapped[bool] = mapped_column(Boolean)
    escort_name: Mapped[str] = mapped_column(String(200), default="")
    instructions_given: Mapped[bool] = mapped_column(Boolean)
    observation_met: Mapped[bool] = mapped_column(Boolean)
    early_reason: Mapped[str] = mapped_column(Text, default="")
    assessed_at: Mapped[datetime]
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Addendum(Base):
    __tablename__ = "addenda"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_sessions.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class Signature(Base):
    __tablename__ = "signatures"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    meaning: Mapped[str] = mapped_column(String(16))  # Authored, Reviewed, Addendum
    printed_name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(String(64), default="")
    signed_at: Mapped[datetime]
    addendum_id: Mapped[int | None] = mapped_column(ForeignKey("addenda.id"))
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the record content as signed


class AuditEvent(Base):
    """Append-only, hash-chained trail (SPEC 3 rule 5)."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)


class ArchiveIdentity(Base):
    """The archive's own id (one row): the data directory remembers it, so a replaced archive is noticed."""

    __tablename__ = "archive_identity"
    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    archive_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime]


# Tables whose every row is tracked by the audit trail (verify replays them), by audit entity name.
AUDITED = {
    "user": User, "clinic_settings": ClinicSettings, "threshold_profile": ThresholdProfile,
    "monitoring_schedule": MonitoringSchedule, "patient": Patient, "course": Course,
    "session": InfusionSession, "reading": Reading, "amendment": Amendment, "event": Event, "flag": Flag,
    "flag_acknowledgement": FlagAcknowledgement, "discharge_assessment": DischargeAssessment,
    "addendum": Addendum, "signature": Signature,
}
ENTITY_OF = {model: name for name, model in AUDITED.items()}
