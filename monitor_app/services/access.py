"""Who may do what (SPEC 9), checked in the service layer for every path into the records.

The role that decides is the one the archive holds for the user now, read in each check, never the one an
`Actor` claims; a refused attempt is written to the audit trail in its own transaction.
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from monitor_app.domain.errors import PermissionDenied
from monitor_app.domain.session import Role

log = logging.getLogger(__name__)

N, C, A, ADM = Role.NURSE, Role.CHARGE_NURSE, Role.AUDITOR, Role.ADMINISTRATOR

PERMISSIONS: dict[str, frozenset[Role]] = {
    "document": frozenset({N, C}),            # patients, sessions, readings, events, flags, discharge, signing
    "review": frozenset({C}),                 # co-sign as reviewer
    "configure_monitoring": frozenset({C, ADM}),  # threshold profiles and schedules
    "clinic_settings": frozenset({ADM}),
    "manage_users": frozenset({ADM}),
    "read": frozenset({N, C, A, ADM}),
    "export": frozenset({N, C, A, ADM}),
    "verify": frozenset({C, A, ADM}),
}

ACTION_TEXT = {
    "document": "document sessions", "review": "co-sign records", "configure_monitoring":
    "change threshold profiles or schedules", "clinic_settings": "change clinic settings",
    "manage_users": "manage user accounts", "read": "read records", "export": "export records",
    "verify": "verify the archive",
}

# Audit actions about signing in and refusals: anyone may cause them, a disabled account included.
SIGN_IN_ACTIONS = frozenset({"login", "login_failed", "login_refused", "locked_out", "permission_denied"})
# Actions taken by a person authenticated against another archive (the one replaced or the file imported).
ARCHIVE_ACTIONS = frozenset({"restore", "import"})


@dataclass(frozen=True)
class Actor:
    """The signed-in user on whose behalf a service runs.

    An actor handed out by sign-in knows its archive, so each check reads the user's current role and active
    state there; any actor's writes are checked again inside their transaction (services.audit.write).
    """

    user_id: int | None
    username: str
    full_name: str
    credentials: str
    role: Role
    archive: Any = field(default=None, compare=False, repr=False)
    via: str = field(default="", compare=False)  # how the person acts when not at the screens: "the command line"

    def __getstate__(self):
        state = dict(self.__dict__)
        state["archive"] = None  # a Database never crosses a process boundary; workers check in audit.write
        return state

    def can(self, permission: str) -> bool:
        """What the screens offer (buttons shown or hidden); the services decide with `require`."""
        return self.role in PERMISSIONS[permission]

    def require(self, permission: str, what: str | None = None, *, session=None) -> None:
        """Refuse, and audit the refusal, unless the user's current role in the archive allows `permission`.

        `what` names the attempt in the audit row (by default, the service that asked). Inside a write, pass
        its `session`: the user's row is read there once, and the audit row of the change finds it there."""
        archive = self.archive
        if session is not None and self.user_id is not None:
            from monitor_app.storage.db import DB_KEY
            problem = user_problem(user_row(session, self.user_id), self, permission)
            archive = session.info.get(DB_KEY, archive)
        elif self.archive is not None and self.user_id is not None:
            problem = current_problem(self.archive, self, permission)
        else:
            problem = None if self.can(permission) else self.denial(permission)
        if problem:
            raise refusal(self, problem, what or _caller(), archive)

    def denial(self, permission: str) -> str:
        role = self.role.label.lower()
        return f"{'An' if role[0] in 'aeiou' else 'A'} {role} may not {ACTION_TEXT[permission]}."

    @property
    def display(self) -> str:
        """Printed name and credentials, and the way in when it is not the screens (PDF footers, audit rows)."""
        name = f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name
        return f"{name} via {self.via}" if self.via else name


# In-process administrator for what no person does: the first settings of a new archive, the demo's accounts.
SYSTEM = Actor(None, "system", "Chairside", "", Role.ADMINISTRATOR)


def _caller() -> str:
    """The service a check guards (its function name), for the audit row of a refusal."""
    frame = sys._getframe(2)
    while frame is not None and (frame.f_code.co_name.startswith("_")
                                 or frame.f_globals.get(frame.f_code.co_name) is None):  # nested helpers
        frame = frame.f_back
    return frame.f_code.co_name if frame is not None else ""


def user_problem(user, actor: Actor, permission: str | None) -> str | None:
    """Why the archive's row of the user does not allow this actor to act now (None: it does)."""
    if user is None or user.username != actor.username:
        return "This account is not in the archive; sign in again."
    if not user.active:
        return "This account is disabled."
    if user.role != Role(actor.role).value:
        return f"This account's role is {Role(user.role).label.lower()} now; sign in again."
    if permission is not None and Role(user.role) not in PERMISSIONS[permission]:
        return actor.denial(permission)
    return None


_USERS_KEY = "chairside.user_rows"


def user_row(session, user_id: int):
    """The archive's row of a user, read once per write transaction: the role check, the audit rows and the
    name on a saved reading all use it (a session's identity map keeps a row only while something holds it)."""
    from monitor_app.storage.models import User
    held = session.info.setdefault(_USERS_KEY, {})
    if user_id not in held:
        held[user_id] = session.get(User, user_id)
    return held[user_id]


def current_problem(db, actor: Actor, permission: str | None) -> str | None:
    from monitor_app.storage.models import User
    with db.reader() as s:
        return user_problem(s.get(User, actor.user_id), actor, permission)


def refusal(actor: Actor, message: str, what: str, db) -> PermissionDenied:
    """The error to raise; its audit row is written now, or once the transaction it interrupts is rolled back."""
    exc = PermissionDenied(message)
    if db is None:
        return exc
    def write() -> None:
        record_refusal(db, actor, "permission_denied", f"{message} ({what})" if what else message)
    if db.writing:
        exc.after_rollback = [write]
    else:
        write()
    return exc


def record_refusal(db, actor: Actor, action: str, reason: str, now=None) -> None:
    """One audit row for an attempt that was refused; a failure to write it never hides the refusal."""
    from monitor_app.services import audit
    try:
        with db.transaction() as s:
            audit.write(s, actor, action, "user", actor.user_id if actor.user_id is not None else "",
                        reason=reason, now=now)
    except Exception:
        log.exception("the audit row of a refused attempt could not be written")


def permission_for(entity: str, action: str, after: str | None) -> str | None:
    """The permission an audited action needed (verify replays it); None for sign-in rows and unknown kinds."""
    if action in SIGN_IN_ACTIONS:
        return None
    if action in ("export", "print", "backup"):
        return "export"
    if action in ARCHIVE_ACTIONS or entity == "user":
        return "manage_users"
    if entity == "clinic_settings":
        return "configure_monitoring" if action.startswith("set_default") else "clinic_settings"
    if entity in ("threshold_profile", "monitoring_schedule"):
        return "configure_monitoring"
    if entity == "signature":
        try:
            meaning = json.loads(after).get("meaning") if after else None
        except (ValueError, AttributeError):
            meaning = None
        return "review" if meaning == "Reviewed" else "document"
    if entity in ("patient", "course", "session", "reading", "amendment", "event", "flag", "flag_acknowledgement",
                  "discharge_assessment", "addendum"):
        return "document"
    return None
