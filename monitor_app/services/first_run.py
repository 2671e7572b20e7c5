"""A new clinic's archive, made in one go when the first-run wizard completes, and nothing before that."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from monitor_app.domain import schedule as schedules, thresholds as profiles
from monitor_app.domain.errors import FieldError, RuleViolation
from monitor_app.domain.session import Role
from monitor_app.services import settings, users
from monitor_app.services.access import Actor
from monitor_app.storage.db import Database, archive_state, discard_new_archive, open_database

log = logging.getLogger(__name__)

# Who the audit trail names for what the wizard writes (the administrator does not exist until it finishes).
SET_UP = Actor(None, "set-up", "Chairside first-run set-up", "", Role.ADMINISTRATOR)


@dataclass(frozen=True)
class FirstAdministrator:
    username: str
    full_name: str
    credentials: str
    password: str
    confirmation: str


def check_administrator(admin: FirstAdministrator) -> None:
    """The first administrator's account and password, refused with the field named, before anything is made."""
    users.check_new_account(admin.username, admin.full_name)
    users.check_password_rules(admin.password, admin.username)
    if admin.confirmation != admin.password:
        raise FieldError("confirmation", "The two passwords differ; type the same password twice.")


def check_clinic(details: settings.ClinicDetails) -> None:
    settings.check_clinic_details(details)
    if not details.timezone:
        raise FieldError("timezone", "Choose the clinic's time zone (e.g. Europe/London): every time on screen "
                                     "and on paper is shown in it.")


def set_up_clinic(database_url: str | None, data_dir: str | os.PathLike | None, details: settings.ClinicDetails,
                  admin: FirstAdministrator, profile_name: str, schedule_name: str) -> Database:
    """Create the archive with the clinic's details, its administrator and the starting profile and schedule."""
    check_clinic(details)
    check_administrator(admin)
    if profile_name not in {p.name for p in profiles.PRESETS}:
        raise FieldError("profile", f"Unknown threshold preset {profile_name!r}.")
    if schedule_name not in {p.name for p in schedules.PRESETS}:
        raise FieldError("schedule", f"Unknown monitoring schedule {schedule_name!r}.")
    if archive_state(database_url, data_dir) != "fresh":
        raise RuleViolation("An archive already exists here (or its backups do); the set-up makes a new clinic "
                            "only where there was none.")
    db = open_database(database_url, data_dir, create=True)
    try:
        settings.bootstrap(db)
        settings.update_clinic(db, SET_UP, details, reason="first-run set-up")
        users.add_user(db, SET_UP, admin.username, admin.full_name, Role.ADMINISTRATOR, admin.password,
                       admin.credentials)
        profile_id = next(i for i, t, _p, _r in settings.list_profiles(db) if t.name == profile_name)
        schedule_id = next(i for i, m, _p, _r in settings.list_schedules(db) if m.name == schedule_name)
        settings.set_default_profile(db, SET_UP, profile_id)
        settings.set_default_schedule(db, SET_UP, schedule_id)
    except BaseException:
        discard_new_archive(db)  # a set-up that failed half-way leaves none: the next start offers it again
        raise
    log.info("first-run set-up made a new archive")
    return db
