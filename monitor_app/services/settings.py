"""Clinic configuration: clinic details, threshold profiles and monitoring schedules (SPEC 4 and 5)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor_app.domain import schedule as schedules, thresholds as profiles
from monitor_app.domain.discharge import SCALES
from monitor_app.domain.errors import FieldError, NotFound, RuleViolation
from monitor_app.domain.schedule import Schedule
from monitor_app.domain.session import DEFAULT_CHECKLIST
from monitor_app.domain.text import check_text
from monitor_app.domain.thresholds import Thresholds
from monitor_app.services import audit, versions
from monitor_app.services.access import SYSTEM, Actor
from monitor_app.storage.db import Database
from monitor_app.storage.models import ClinicSettings, InfusionSession, MonitoringSchedule, ThresholdProfile

SETTINGS_ID = 1
PAGE_SIZES = ("A4", "Letter")
# The clinic name `demo` gives its archive: every screen of a demo archive then says that it is one.
DEMO_CLINIC_NAME = "Chairside demo clinic"


def bootstrap(db: Database) -> None:
    """A new archive gets clinic settings, the preset profiles and schedules, audited as the system."""
    with db.transaction() as s:
        if s.get(ClinicSettings, SETTINGS_ID) is not None:
            return
        made = []
        for preset in profiles.PRESETS:
            p = ThresholdProfile(name=preset.name, limits=preset.to_dict(), preset=True)
            s.add(p)
            audit.created(s, SYSTEM, p)
            made.append(p)
        scheds = []
        for preset in schedules.PRESETS:
            m = MonitoringSchedule(name=preset.name, settings=preset.to_dict(), preset=True)
            s.add(m)
            audit.created(s, SYSTEM, m)
            scheds.append(m)
        cs = ClinicSettings(id=SETTINGS_ID, checklist_items=list(DEFAULT_CHECKLIST),
                            default_profile_id=made[0].id, default_schedule_id=scheds[0].id)
        s.add(cs)
        audit.created(s, SYSTEM, cs)


def get_settings(s: Session) -> ClinicSettings:
    cs = s.get(ClinicSettings, SETTINGS_ID)
    if cs is None:
        raise RuleViolation("The archive has no clinic settings; it was not initialised by Chairside.")
    return cs


def read_settings(db: Database) -> ClinicSettings:
    with db.reader() as s:
        cs = get_settings(s)
        s.expunge(cs)
        return cs


@dataclass(frozen=True)
class ClinicDetails:
    name: str
    address: str
    page_size: str
    timezone: str
    inactivity_lock_min: int
    discharge_scale: str
    checklist_items: tuple[str, ...]
    logo_png: bytes | None = None


def update_clinic(db: Database, actor: Actor, details: ClinicDetails, reason: str = "", *,
                  expected_version: int | None = None) -> None:
    """Change the clinic details; `expected_version` is ClinicSettings.version as the editor loaded it."""
    actor.require("clinic_settings")
    check_clinic_details(details)
    with db.transaction() as s:
        cs = get_settings(s)
        versions.check(cs, expected_version, "clinic's settings")
        versions.bump(cs)
        before = audit.snapshot(cs)
        cs.name, cs.address, cs.page_size = details.name.strip(), details.address.strip(), details.page_size
        cs.timezone, cs.inactivity_lock_min = details.timezone, details.inactivity_lock_min
        cs.discharge_scale = details.discharge_scale
        cs.checklist_items = [c.strip() for c in details.checklist_items if c.strip()]
        if details.logo_png is not None:
            cs.logo_png = details.logo_png or None
        audit.changed(s, actor, cs, before, reason=reason)


def check_clinic_details(details: ClinicDetails) -> None:
    """Refuse clinic details that cannot be saved, naming the field (also before a new archive is made)."""
    check_text("name", details.name, "Clinic name", 200)
    check_text("address", details.address, "Address")
    check_text("timezone", details.timezone, "Time zone", 64)
    for item in details.checklist_items:
        check_text("checklist_items", item, "Checklist item", 200)
    if not details.name.strip():
        raise FieldError("name", "Clinic name must not be empty.")
    if details.page_size not in PAGE_SIZES:
        raise FieldError("page_size", "Page size must be A4 or Letter.")
    if not 1 <= details.inactivity_lock_min <= 120:
        raise FieldError("inactivity_lock_min", "Inactivity lock must be between 1 and 120 minutes.")
    if details.discharge_scale not in SCALES:
        raise FieldError("discharge_scale", "Discharge scale must be Modified Aldrete or PADSS.")
    if details.timezone:
        from zoneinfo import ZoneInfo
        try:
            ZoneInfo(details.timezone)
        except Exception:
            raise FieldError("timezone", f"Unknown time zone {details.timezone!r} (e.g. Europe/London).") from None


# --------------------------------------------------------------------------------------- threshold profiles

def profile_for(s: Session, profile_id: int | None) -> ThresholdProfile:
    p = s.get(ThresholdProfile, profile_id) if profile_id is not None else None
    if p is None:
        raise NotFound(f"There is no threshold profile with id {profile_id}.")
    if p.retired:
        raise RuleViolation(f"Threshold profile {p.name!r} is retired.")
    return p


def list_profiles(db: Database, include_retired: bool = False) -> list[tuple[int, Thresholds, bool, bool]]:
    """(id, thresholds, preset, retired) for each profile."""
    with db.reader() as s:
        q = select(ThresholdProfile).order_by(ThresholdProfile.id)
        if not include_retired:
            q = q.where(ThresholdProfile.retired.is_(False))
        return [(p.id, Thresholds.from_dict(p.limits), p.preset, p.retired) for p in s.scalars(q)]


def _unique_name(s: Session, model, name: str, own_id: int | None = None) -> str:
    name = check_text("name", name, "Name").strip()
    if not name:
        raise FieldError("name", "Name must not be empty.")
    if len(name) > 120:
        raise FieldError("name", "Name must be at most 120 characters.")
    other = s.scalar(select(model.id).where(model.name == name))
    if other is not None and other != own_id:
        raise FieldError("name", f"The name {name!r} is already used.")
    return name


def save_profile(db: Database, actor: Actor, thresholds: Thresholds, profile_id: int | None = None,
                 reason: str = "", *, expected_version: int | None = None) -> int:
    """Create (no id) or edit a profile. Sessions keep the copy frozen at their start.

    `expected_version` is the profile's version as the editor loaded it (version_of).
    """
    actor.require("configure_monitoring")
    thresholds.validate()
    with db.transaction() as s:
        name = _unique_name(s, ThresholdProfile, thresholds.name, profile_id)
        data = {**thresholds.to_dict(), "name": name}
        if profile_id is None:
            p = ThresholdProfile(name=name, limits=data, preset=False)
            s.add(p)
            audit.created(s, actor, p, reason=reason)
        else:
            p = profile_for(s, profile_id)
            versions.check(p, expected_version, "threshold profile")
            before = audit.snapshot(p)
            p.name, p.limits = name, data
            audit.changed(s, actor, p, before, reason=reason)
        return p.id


def retire_profile(db: Database, actor: Actor, profile_id: int, reason: str = "", *,
                   expected_version: int | None = None) -> None:
    """Profiles are never deleted (sessions refer to them); a retired one is no longer offered."""
    actor.require("configure_monitoring")
    with db.transaction() as s:
        p = profile_for(s, profile_id)
        versions.check(p, expected_version, "threshold profile")
        if get_settings(s).default_profile_id == p.id:
            raise RuleViolation("The clinic default profile cannot be retired; choose another default first.")
        before = audit.snapshot(p)
        p.retired = True
        audit.changed(s, actor, p, before, action="retire", reason=reason)


def set_default_profile(db: Database, actor: Actor, profile_id: int) -> None:
    actor.require("configure_monitoring")
    with db.transaction() as s:
        p = profile_for(s, profile_id)
        cs = get_settings(s)
        versions.bump(cs)
        before = audit.snapshot(cs)
        cs.default_profile_id = p.id
        audit.changed(s, actor, cs, before, action="set_default_profile")


def profile_in_use(db: Database, profile_id: int) -> bool:
    with db.reader() as s:
        return s.scalar(select(InfusionSession.id).where(InfusionSession.threshold_profile_id == profile_id)
                        .limit(1)) is not None


# ----------------------------------------------------------------------------------------------- schedules

def schedule_for(s: Session, schedule_id: int | None) -> MonitoringSchedule:
    m = s.get(MonitoringSchedule, schedule_id) if schedule_id is not None else None
    if m is None:
        raise NotFound(f"There is no monitoring schedule with id {schedule_id}.")
    if m.retired:
        raise RuleViolation(f"Monitoring schedule {m.name!r} is retired.")
    return m


def list_schedules(db: Database, include_retired: bool = False) -> list[tuple[int, Schedule, bool, bool]]:
    with db.reader() as s:
        q = select(MonitoringSchedule).order_by(MonitoringSchedule.id)
        if not include_retired:
            q = q.where(MonitoringSchedule.retired.is_(False))
        return [(m.id, Schedule.from_dict(m.settings), m.preset, m.retired) for m in s.scalars(q)]


def save_schedule(db: Database, actor: Actor, schedule: Schedule, schedule_id: int | None = None,
                  reason: str = "", *, expected_version: int | None = None) -> int:
    actor.require("configure_monitoring")
    schedule.validate()
    with db.transaction() as s:
        name = _unique_name(s, MonitoringSchedule, schedule.name, schedule_id)
        data = {**schedule.to_dict(), "name": name}
        if schedule_id is None:
            m = MonitoringSchedule(name=name, settings=data, preset=False)
            s.add(m)
            audit.created(s, actor, m, reason=reason)
        else:
            m = schedule_for(s, schedule_id)
            versions.check(m, expected_version, "monitoring schedule")
            before = audit.snapshot(m)
            m.name, m.settings = name, data
            audit.changed(s, actor, m, before, reason=reason)
        return m.id


def retire_schedule(db: Database, actor: Actor, schedule_id: int, reason: str = "", *,
                    expected_version: int | None = None) -> None:
    actor.require("configure_monitoring")
    with db.transaction() as s:
        m = schedule_for(s, schedule_id)
        versions.check(m, expected_version, "monitoring schedule")
        if get_settings(s).default_schedule_id == m.id:
            raise RuleViolation("The clinic default schedule cannot be retired; choose another default first.")
        before = audit.snapshot(m)
        m.retired = True
        audit.changed(s, actor, m, before, action="retire", reason=reason)


def set_default_schedule(db: Database, actor: Actor, schedule_id: int) -> None:
    actor.require("configure_monitoring")
    with db.transaction() as s:
        m = schedule_for(s, schedule_id)
        cs = get_settings(s)
        versions.bump(cs)
        before = audit.snapshot(cs)
        cs.default_schedule_id = m.id
        audit.changed(s, actor, cs, before, action="set_default_schedule")


_VERSIONED = {"clinic": ClinicSettings, "profile": ThresholdProfile, "schedule": MonitoringSchedule}


def versions_of(db: Database, kind: str) -> dict[int, int]:
    """Id -> version of every clinic setting of one kind ("clinic", "profile" or "schedule"): an editor loads
    them with the records it shows and passes the one it edits back as `expected_version`."""
    model = _VERSIONED[kind]
    with db.reader() as s:
        return dict(s.execute(select(model.id, model.version)).all())
