"""User accounts: Argon2 password hashes, sign-in with lock-out, password re-entry for signatures."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor_app.domain.errors import AuthenticationFailed, FieldError, NotFound
from monitor_app.domain.session import Role
from monitor_app.services import audit
from monitor_app.services.access import Actor
from monitor_app.storage.db import Database
from monitor_app.storage.models import User

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
_hasher = PasswordHasher()


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, user.full_name, user.credentials, Role(user.role))


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


def check_new_account(username: str, full_name: str) -> str:
    """The user name as stored, or a FieldError naming the field."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise FieldError("username", "User name must be 1-64 characters without spaces.")
    if not full_name.strip():
        raise FieldError("full_name", "Full name must not be empty.")
    return username


def add_user(db: Database, actor: Actor, username: str, full_name: str, role: Role | str, password: str,
             credentials: str = "") -> int:
    actor.require("manage_users")
    username = check_new_account(username, full_name)
    try:
        role = Role(role)
    except ValueError:
        raise FieldError("role", "Role must be one of: " + ", ".join(r.value for r in Role) + ".") from None
    check_password_rules(password, username)
    with db.transaction() as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise FieldError("username", f"User name {username!r} is taken.")
        user = User(username=username, full_name=full_name.strip(), credentials=credentials.strip(),
                    role=role.value, password_hash=_hasher.hash(password), active=True, failed_logins=0,
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


def disable_user(db: Database, actor: Actor, username: str, reason: str = "") -> None:
    actor.require("manage_users")
    with db.transaction() as s:
        user = _get(s, username)
        before = audit.snapshot(user)
        user.active = False
        audit.changed(s, actor, user, before, action="disable", reason=reason)


def reset_password(db: Database, actor: Actor, username: str, new_password: str) -> None:
    actor.require("manage_users")
    check_password_rules(new_password, username)
    with db.transaction() as s:
        user = _get(s, username)
        before = audit.snapshot(user)
        user.password_hash = _hasher.hash(new_password)
        user.failed_logins = 0
        user.locked_until = None
        audit.changed(s, actor, user, before, action="reset_password")


def _matches(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password(s: Session, user: User, password: str, now: datetime) -> None:
    """Verify a password inside the caller's transaction, counting failures towards the lock-out.

    A failure is recorded in its own transaction by the caller (sign_in) or raised for the caller to roll back
    the action it guarded; the failure counter is then written by `record_failure`.
    """
    if not user.active:
        raise AuthenticationFailed("This account is disabled.")
    if user.locked_until is not None and user.locked_until > now:
        raise AuthenticationFailed(f"This account is locked after {MAX_FAILURES} wrong passwords; "
                                   f"try again after {user.locked_until.astimezone():%H:%M}.")
    if not _matches(user, password):
        raise AuthenticationFailed("Wrong user name or password.")


def record_failure(db: Database, username: str, now: datetime | None = None) -> None:
    now = now or datetime.now(timezone.utc)
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.username == username))
        anonymous = Actor(None, username[:64], "", "", Role.NURSE)
        if user is None:
            audit.write(s, anonymous, "login_failed", "user", "", reason="unknown user name")
            return
        before = audit.snapshot(user)
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        audit.changed(s, actor_of(user), user, before, action="login_failed")


def sign_in(db: Database, username: str, password: str, now: datetime | None = None) -> Actor:
    """Check the password, write the login to the audit trail, and return the actor."""
    now = now or datetime.now(timezone.utc)
    try:
        with db.transaction() as s:
            user = s.scalar(select(User).where(User.username == username.strip()))
            if user is None:
                raise AuthenticationFailed("Wrong user name or password.")
            check_password(s, user, password, now)
            before = audit.snapshot(user)
            user.failed_logins = 0
            user.locked_until = None
            actor = actor_of(user)
            if before != audit.snapshot(user):
                audit.changed(s, actor, user, before, action="login")
            else:
                audit.write(s, actor, "login", "user", user.id)
            return actor
    except AuthenticationFailed:
        record_failure(db, username.strip(), now)
        raise


def reauthenticate(s: Session, actor: Actor, password: str, now: datetime) -> User:
    """Password re-entry for a signature, in the signing transaction."""
    user = s.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise AuthenticationFailed("Only a signed-in user can sign.")
    check_password(s, user, password, now)
    return user
