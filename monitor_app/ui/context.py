"""What every screen needs: the database, the signed-in user, the clinic's time zone and settings, a clock."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Callable

from monitor_app.domain.clock import clinic_zone
from monitor_app.services.access import Actor
from monitor_app.services.settings import read_settings
from monitor_app.storage.db import Database
from monitor_app.storage.models import ClinicSettings


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class UiContext:
    db: Database
    actor: Actor | None = None
    settings: ClinicSettings | None = None
    zone: tzinfo = timezone.utc
    clock: Callable[[], datetime] = field(default=_utcnow)  # tests replace it to control "now"
    large_type: bool = False

    def reload_settings(self) -> None:
        self.settings = read_settings(self.db)
        self.zone = clinic_zone(self.settings.timezone)

    def now(self) -> datetime:
        return self.clock()

    @property
    def signed_in(self) -> Actor:
        if self.actor is None:
            raise RuntimeError("no user is signed in")
        return self.actor
