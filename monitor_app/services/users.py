"""User accounts: Argon2 password hashes, sign-in with lock-out, password re-entry for signatures."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor_app.domain.clock import clinic_zone
from monitor_app.domain.errors import AuthenticationFailed, FieldError, NotFound
from monitor_app.domain.session import Role
from monitor_app.domain.text import check_text
from monitor_app.services import audit, versions
from monitor_app.services.passwords import check_early, hash_password, matches
from monitor_app.services.access import Actor
from monitor_app.storage.db import Database
from monitor_app.storage.models import ClinicSettings, User

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8


def actor_of(user: User, db: Database | None = None) -> Actor:
    """The actor of a signed-in user; bound to its archive, every check reads the user's role there."""
    return Actor(user.id, user.username, user.full_name, user.credentials, Role(user.role), db)


class AccountLocked(AuthenticationFailed):
    """Too many wrong passwords: the account waits out its lock; attempts meanwhile neither count nor extend it."""


class AccountDisabled(AuthenticationFailed):
    """An administrator disabled the account."""


LOCKOUT_FAILURES_RANGE = (3, 20)
LOCKOUT_MINUTES_RANGE = (1, 1440)


def lockout_policy(s: Session) -> tuple[int, timedelta]:
    """Failures before a lock and how long it lasts: clinic settings (SPEC 9), 5 and 15 minutes by default."""
    row = s.get(ClinicSettings, 1)
    if row is None:
        return MAX_FAILURES, LOCKOUT
    return row.lockout_failures, timedelta(minutes=row.lockout_minutes)


def set_lockout_policy(db: Database, actor: Actor, failures: int, minutes: int, reason: str = "") -> None:
    """The clinic's lock-out: `failures` wrong passwords in a row lock an account for `minutes`."""
    actor.require("clinic_settings")
    for field, value, (low, high), label in (("lockout_failures", failures, LOCKOUT_FAILURES_RANGE,
                                              "Wrong passwords before a lock-out"),
                                             ("lockout_minutes", minutes, LOCKOUT_MINUTES_RANGE,
                                              "Lock-out minutes")):
        if not isinstance(value, int) or not low <= value <= high:
            raise FieldError(field, f"{label} must be a whole number from {low} to {high}.")
    with db.transaction() as s:
        row = s.get(ClinicSettings, 1)
        before = audit.snapshot(row)
        row.lockout_failures, row.lockout_minutes = failures, minutes
        audit.changed(s, actor, row, before, reason=reason or "lock-out changed")


MAX_PASSWORD = 128
MIN_DISTINCT = 5
# Passwords at the top of every leaked-password list, and the words anyone would try first at a clinic. A
# password is refused when it is one of these with digits or punctuation added around it ("Password1!").
COMMON_PASSWORDS = frozenset("""
password passw0rd qwerty qwertyuiop azerty letmein welcome admin administrator changeme secret iloveyou
monkey dragon football baseball sunshine princess abc123 abcdef abcdefgh 123456789 1234567890 12345678 11111111
87654321 00000000 trustno1 master superman batman login chairside ketamine clinic nurse doctor hospital
infusion default
""".split())


def check_password_rules(password: str, username: str = "") -> None:
    """The strength rules of every password (new user, reset, first administrator), each with its message."""
    check_text("password", password, "Password", 1000)
    if len(password) < MIN_PASSWORD:
        raise FieldError("password", f"Password must be at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise FieldError("password", f"Password must be at most {MAX_PASSWORD} characters.")
    if username.strip() and password.strip().casefold() == username.strip().casefold():
        raise FieldError("password", "Password must not be the user name.")
    if len(set(password)) < MIN_DISTINCT:
        raise FieldError("password", f"Password must use at least {MIN_DISTINCT} different characters.")
    core = password.casefold().strip("0123456789!@#$%^&*()-_=+.,;:?~ ")
    if password.casefold() in COMMON_PASSWORDS or core in COMMON_PASSWORDS:
        raise FieldError("password", "Password is too common (it is among the first any attacker tries); "
                                     "choose another.")


def check_new_account(username: str, full_name: str, credentials: str = "") -> str:
    """The user name as stored, or a FieldError naming the field."""
    check_text("username", username, "User name")
    check_text("full_name", full_name, "Full name", 200)
    check_text("credentials", credentials, "Credentials", 64)
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise FieldError("username", "User name must be 1-64 characters without spaces.")
    if not full_name.strip():
        raise FieldError("full_name", "Full name must not be empty.")
    return username


def add_user(db: Database, actor: Actor, username: str, full_name: str, role: Role | str, password: str,
             credentials: str = "") -> int:
    actor.require("manage_users")
    username = check_new_account(username, full_name, credentials)
    try:
        role = Role(role)
    except ValueError:
        raise FieldError("role", "Role must be one of: " + ", ".join(r.value for r in Role) + ".") from None
    check_password_rules(password, username)
    with db.transaction() as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise FieldError("username", f"User name {username!r} is taken.")
        user = User(username=username, full_name=full_name.strip(), credentials=credentials.strip(),
                    role=role.value, password_hash=hash_password(password), active=True, failed_logins=0,
                    created_at=datetime.now(timezone.utc))
        s.add(user)
        audit.created(s, actor, user)
        return user.id


def list_users(db: Database, actor: Actor) -> list[User]:
    actor.require("read")
    with db.reader() as s:
        return list(s.scalars(select(User).order_by(User.username)))


def _get(s: Session, username: str) -> User:
    user = s.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"There is no user named {username!r}.")
    return user


def disable_user(db: Database, actor: Actor, username: str, reason: str = "", *,
                 expected_version: int | None = None) -> None:
    """`expected_version` is User.version as the administrator's screen loaded it (sign-ins do not change it)."""
    actor.require("manage_users")
    with db.transaction() as s:
        user = _get(s, username)
        versions.check(user, expected_version, "user account")
        versions.bump(user)
        before = audit.snapshot(user)
        user.active = False
        audit.changed(s, actor, user, before, action="disable", reason=reason)


def reset_password(db: Database, actor: Actor, username: str, new_password: str, *,
                   expected_version: int | None = None) -> None:
    actor.require("manage_users")
    check_password_rules(new_password, username)
    with db.transaction() as s:
        user = _get(s, username)
        versions.check(user, expected_version, "user account")
        versions.bump(user)
        before = audit.snapshot(user)
        user.password_hash = hash_password(new_password)
        user.failed_logins = 0
        user.locked_until = None
        audit.changed(s, actor, user, before, action="reset_password")


def _matches(user: User, password: str) -> bool:
    return matches(user.password_hash or "", password)


def _locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def check_password(s: Session, user: User, password: str, now: datetime) -> None:
    """Verify a password inside the caller's transaction.

    A locked account is refused before its password is looked at, so trying during the lock tells nothing and
    changes nothing. A failure is written by `record_failure`, in its own transaction, after the caller rolled
    back what the password guarded.
    """
    if not user.active:
        raise AccountDisabled("This account is disabled.")
    if _locked(user, now):
        settings = s.get(ClinicSettings, 1)
        until = user.locked_until.astimezone(clinic_zone(settings.timezone if settings else None))
        raise AccountLocked(f"This account is locked after too many wrong passwords until "
                            f"{until:%H:%M %Z}; an administrator can unlock it.")
    if not _matches(user, password):
        raise AuthenticationFailed("Wrong user name or password.")


def record_failure(db: Database, username: str, now: datetime | None = None) -> None:
    """Audit a refused sign-in or password re-entry; a wrong password counts towards the lock-out.

    Refusals of a locked or disabled account are audited without counting: a lock is never extended by
    attempts made while it lasts (OWASP), so nobody can keep a colleague out by retrying.
    """
    now = now or datetime.now(timezone.utc)
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            anonymous = Actor(None, username[:64], "", "", Role.NURSE)
            audit.write(s, anonymous, "login_failed", "user", "", reason="unknown user name", now=now)
            return
        actor = actor_of(user)
        if not user.active:
            audit.write(s, actor, "login_refused", "user", user.id, reason="account disabled", now=now)
            return
        if _locked(user, now):
            audit.write(s, actor, "login_refused", "user", user.id,
                        reason=f"account locked until {user.locked_until.isoformat()}", now=now)
            return
        failures, lockout = lockout_policy(s)
        before = audit.snapshot(user)
        user.failed_logins += 1
        if user.failed_logins >= failures:
            user.locked_until = now + lockout
            user.failed_logins = 0
            audit.changed(s, actor, user, before, action="locked_out",
                          reason=f"{failures} wrong passwords; locked for {lockout.total_seconds() / 60:g} minutes")
        else:
            audit.changed(s, actor, user, before, action="login_failed", reason="wrong password")


def unlock_user(db: Database, actor: Actor, username: str) -> None:
    """An administrator ends a lock early (and clears the count of wrong passwords)."""
    actor.require("manage_users")
    with db.transaction() as s:
        user = _get(s, username)
        before = audit.snapshot(user)
        user.locked_until = None
        user.failed_logins = 0
        audit.changed(s, actor, user, before, action="unlock")


def sign_in(db: Database, username: str, password: str, now: datetime | None = None) -> Actor:
    """Check the password, write the login to the audit trail, and return the actor (bound to `db`)."""
    now = now or datetime.now(timezone.utc)
    check_text("username", username, "User name", 64)  # before the lookup and the audit row of a failure
    check_ahead(db, username, password, now)
    try:
        with db.transaction() as s:
            user = s.scalar(select(User).where(User.username == username.strip()))
            if user is None:
                raise AuthenticationFailed("Wrong user name or password.")
            check_password(s, user, password, now)
            before = audit.snapshot(user)
            user.failed_logins = 0
            user.locked_until = None
            actor = actor_of(user, db)
            if before != audit.snapshot(user):
                audit.changed(s, actor, user, before, action="login")
            else:
                audit.write(s, actor, "login", "user", user.id, now=now)
            return actor
    except AuthenticationFailed:
        record_failure(db, username.strip(), now)
        raise


def check_ahead(db: Database, username: str, password: str, now: datetime) -> None:
    """Start the slow part of a password check (Argon2) before the write lock is taken, so other workstations
    keep saving meanwhile; the check inside the transaction takes its answer only if the account is still as
    read here (check_password)."""
    with db.reader() as s:
        found = s.execute(select(User.password_hash, User.active, User.locked_until)
                          .where(User.username == username.strip())).first()
    if found is not None and found.active and not (found.locked_until and found.locked_until > now):
        check_early(found.password_hash, password)


def reauthenticate(s: Session, actor: Actor, password: str, now: datetime) -> User:
    """Password re-entry for a signature, in the signing transaction."""
    user = s.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise AuthenticationFailed("Only a signed-in user can sign.")
    check_password(s, user, password, now)
    return user


def authenticate_elsewhere(row: dict, password: str) -> Actor:
    """Check a password against a user row of another archive: the backup being restored when this archive is
    gone, or the file being imported into an empty one (no one here to ask). Nothing is written anywhere."""
    user = User(**{k: row.get(k) for k in ("id", "username", "full_name", "credentials", "role", "password_hash",
                                             "active")})
    if not user.active:
        raise AccountDisabled("This account is disabled.")
    if not _matches(user, password):
        raise AuthenticationFailed("Wrong user name or password.")
    return actor_of(user)
