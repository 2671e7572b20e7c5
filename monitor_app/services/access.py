"""Who may do what (SPEC 9), checked in the service layer for every path into the records."""
from __future__ import annotations

from dataclasses import dataclass

from monitor_app.domain.errors import PermissionDenied
from monitor_app.domain.session import Role

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


@dataclass(frozen=True)
class Actor:
    """The signed-in user on whose behalf a service runs."""

    user_id: int | None
    username: str
    full_name: str
    credentials: str
    role: Role

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"A {self.role.label.lower()} may not {ACTION_TEXT[permission]}.")

    @property
    def display(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name


# The command line acts as the machine's administrator: it manages users and exports, never documents care.
SYSTEM = Actor(None, "system", "Chairside command line", "", Role.ADMINISTRATOR)
