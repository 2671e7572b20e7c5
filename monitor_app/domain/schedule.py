"""Monitoring schedules: when the next reading is due, when it is overdue, and the minimum observation."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from monitor_app.domain.clock import fmt_duration, fmt_time
from monitor_app.domain.errors import FieldError
from monitor_app.domain.session import Phase

GRACE = timedelta(minutes=1)  # a reading turns overdue one minute after it was due


@dataclass(frozen=True)
class Schedule:
    name: str
    baseline_window_min: int = 30
    infusion_interval_min: int = 10
    recovery_interval_min: int = 15
    min_observation_min: int = 30
    # "infusion_end": observation counts from the end of the infusion; "first_dose": from its start (esketamine)
    observation_from: str = "infusion_end"

    def validate(self) -> "Schedule":
        if not self.name.strip():
            raise FieldError("name", "Schedule name must not be empty.")
        for f, lo, hi, label in (("baseline_window_min", 1, 240, "Baseline window"),
                                 ("infusion_interval_min", 1, 120, "Interval during the infusion"),
                                 ("recovery_interval_min", 1, 120, "Interval in recovery"),
                                 ("min_observation_min", 0, 480, "Minimum observation")):
            v = getattr(self, f)
            if not isinstance(v, int) or not lo <= v <= hi:
                raise FieldError(f, f"{label} must be a whole number of minutes between {lo} and {hi}.")
        if self.observation_from not in ("infusion_end", "first_dose"):
            raise FieldError("observation_from", "Minimum observation counts from the infusion end or the first dose.")
        return self

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> "Schedule":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def with_changes(self, **changes) -> "Schedule":
        return replace(self, **changes)


IV_KETAMINE = Schedule(name="IV ketamine (clinic default)")
ESKETAMINE = Schedule(name="Esketamine (REMS, 120 minutes)", baseline_window_min=30, infusion_interval_min=10,
                      recovery_interval_min=15, min_observation_min=120, observation_from="first_dose")
PRESETS = (IV_KETAMINE, ESKETAMINE)


@dataclass(frozen=True)
class Due:
    at: datetime | None
    overdue: bool
    # "baseline" (none yet), "rebaseline" (start by `at`, or the baseline is too old and is taken again),
    # "infusion", "recovery", or "" when nothing is due
    reason: str


def next_due(schedule: Schedule, phase: Phase, now: datetime, last_reading_at: datetime | None,
             phase_started_at: datetime | None, baseline_at: datetime | None) -> Due:
    """When the next reading is due under the schedule in force, and whether it is past the grace minute."""
    if phase == Phase.DISCHARGED:
        return Due(None, False, "")
    if phase == Phase.PRE_INFUSION:
        if baseline_at is None:
            return Due(now, False, "baseline")
        # The infusion may start only within the baseline window; after it the baseline is taken again.
        expires = baseline_at + timedelta(minutes=schedule.baseline_window_min)
        return Due(expires, now > expires + GRACE, "rebaseline")
    interval = schedule.recovery_interval_min if phase == Phase.RECOVERY else schedule.infusion_interval_min
    reason = "recovery" if phase == Phase.RECOVERY else "infusion"
    anchor = max(t for t in (last_reading_at, phase_started_at) if t is not None) \
        if (last_reading_at or phase_started_at) else now
    # A phase change restarts the clock at the phase start, not at an older reading.
    due = anchor + timedelta(minutes=interval)
    return Due(due, now > due + GRACE, reason)


def due_text(due: Due, now: datetime, zone: tzinfo) -> str:
    """The due clock in words, the same on the floor and at the chair."""
    if due.reason == "baseline":
        return "Baseline reading due"
    if due.at is None:
        return "No reading due"
    at = fmt_time(due.at, zone)
    if due.overdue:
        if due.reason == "rebaseline":
            return f"OVERDUE: baseline too old since {at}, repeat it"
        return f"OVERDUE: reading due {at}, {fmt_duration(now - due.at)} ago"
    when = "now" if due.at - now <= timedelta(seconds=30) else f"in {fmt_duration(due.at - now + timedelta(seconds=59))}"
    if due.reason == "rebaseline":
        return f"Start by {at} ({when}) or repeat the baseline"
    return f"Next reading due {at} ({when})"


def observation_ends_at(schedule: Schedule, infusion_start: datetime | None,
                        infusion_end: datetime | None) -> datetime | None:
    base = infusion_start if schedule.observation_from == "first_dose" else infusion_end
    if base is None:
        return None
    return base + timedelta(minutes=schedule.min_observation_min)


def observation_minutes_left(ends: datetime, at: datetime) -> int:
    """Whole minutes from `at` until the minimum observation `ends`, a part minute counted as one: "10 min left"
    ten minutes before, "1 min left" half a minute before."""
    return math.ceil((ends - at).total_seconds() / 60)


def baseline_in_window(schedule: Schedule, baseline_at: datetime | None, start: datetime) -> bool:
    return baseline_at is not None and timedelta(0) <= start - baseline_at <= timedelta(
        minutes=schedule.baseline_window_min)
