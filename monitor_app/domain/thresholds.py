"""Alert thresholds: profiles of limits per parameter, the shipped presets, and the evaluation of a reading.

A value equal to a limit is inside it. Outside the warning band is a warning, outside the critical band is
critical. Baseline-relative limits flag a change from the session's baseline by more than a percentage.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from monitor_app.domain.errors import FieldError

PARAMETERS = ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate")
PARAMETER_LABELS = {
    "systolic": "Systolic BP", "diastolic": "Diastolic BP", "heart_rate": "Heart rate",
    "spo2": "SpO2", "resp_rate": "Respiratory rate",
}
LIMIT_NAMES = ("low_critical", "low_warning", "high_warning", "high_critical")
LIMIT_LABELS = {"low_critical": "low critical", "low_warning": "low warning",
                "high_warning": "high warning", "high_critical": "high critical"}
PRESET_NOTE = "Editable starting point, not clinical advice."


class Level(str, Enum):
    WARNING = "warning"
    CRITICAL = "critical"


LEVEL_SYMBOL = {Level.WARNING: "\u25b2", Level.CRITICAL: "\u25c6"}  # ▲ warning, ◆ critical: shape, not colour alone


@dataclass(frozen=True)
class ParameterLimits:
    low_critical: float | None = None
    low_warning: float | None = None
    high_warning: float | None = None
    high_critical: float | None = None
    baseline_warning_pct: float | None = None
    baseline_critical_pct: float | None = None

    def validate(self, parameter: str) -> "ParameterLimits":
        name = PARAMETER_LABELS[parameter]
        present = [(n, getattr(self, n)) for n in LIMIT_NAMES if getattr(self, n) is not None]
        for (a, va), (b, vb) in zip(present, present[1:]):
            if va > vb:
                raise FieldError(f"{parameter}.{b}", f"{name}: {LIMIT_LABELS[a]} ({_fmt(va)}) must not be above "
                                                     f"{LIMIT_LABELS[b]} ({_fmt(vb)}).")
        w, c = self.baseline_warning_pct, self.baseline_critical_pct
        for n, v in (("baseline_warning_pct", w), ("baseline_critical_pct", c)):
            if v is not None and not 0 < v <= 500:
                raise FieldError(f"{parameter}.{n}", f"{name}: baseline change must be between 1 and 500 %.")
        if w is not None and c is not None and w > c:
            raise FieldError(f"{parameter}.baseline_critical_pct",
                             f"{name}: baseline warning change ({_fmt(w)} %) must not be above the critical "
                             f"change ({_fmt(c)} %).")
        return self

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict | None) -> "ParameterLimits":
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Thresholds:
    """A set of limits: a profile, or the copy frozen into a session."""

    name: str
    limits: dict[str, ParameterLimits] = field(default_factory=dict)
    # Baseline above this (systolic, diastolic) requires an authorising clinician to start; None = off.
    preinfusion_systolic_max: float | None = None
    preinfusion_diastolic_max: float | None = None

    def for_parameter(self, parameter: str) -> ParameterLimits:
        return self.limits.get(parameter, ParameterLimits())

    def validate(self) -> "Thresholds":
        if not self.name.strip():
            raise FieldError("name", "Profile name must not be empty.")
        for p, lim in self.limits.items():
            if p not in PARAMETERS:
                raise FieldError(p, f"Unknown parameter {p!r}.")
            lim.validate(p)
        return self

    def with_parameter(self, parameter: str, limits: ParameterLimits) -> "Thresholds":
        return replace(self, limits={**self.limits, parameter: limits})

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "limits": {p: self.limits[p].to_dict() for p in PARAMETERS if p in self.limits},
            "preinfusion_systolic_max": self.preinfusion_systolic_max,
            "preinfusion_diastolic_max": self.preinfusion_diastolic_max,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Thresholds":
        return cls(
            name=data["name"],
            limits={p: ParameterLimits.from_dict(v) for p, v in (data.get("limits") or {}).items()},
            preinfusion_systolic_max=data.get("preinfusion_systolic_max"),
            preinfusion_diastolic_max=data.get("preinfusion_diastolic_max"),
        )

    def baseline_blocks_start(self, baseline_systolic: int | None, baseline_diastolic: int | None) -> bool:
        """True when the baseline is above the pre-infusion limit (which is off when not set)."""
        s_max, d_max = self.preinfusion_systolic_max, self.preinfusion_diastolic_max
        return bool((s_max is not None and baseline_systolic is not None and baseline_systolic > s_max)
                    or (d_max is not None and baseline_diastolic is not None and baseline_diastolic > d_max))


@dataclass(frozen=True)
class Finding:
    """One limit a value is outside of."""

    parameter: str
    level: Level
    value: float
    limit: float
    kind: str  # "low", "high" or "baseline"

    @property
    def description(self) -> str:
        name = PARAMETER_LABELS[self.parameter]
        if self.kind == "baseline":
            return f"{name} {_fmt(self.value)}: change from baseline above {_fmt(self.limit)} %"
        side = "below" if self.kind == "low" else "above"
        return f"{name} {_fmt(self.value)} {side} {self.level.value} limit {_fmt(self.limit)}"

    @property
    def symbol(self) -> str:
        return LEVEL_SYMBOL[self.level]


def evaluate_value(parameter: str, value: float | None, limits: ParameterLimits,
                   baseline: float | None = None) -> Finding | None:
    """The worst finding for one value, or None when it is inside every limit (equal to a limit is inside)."""
    if value is None:
        return None
    L = limits
    if L.low_critical is not None and value < L.low_critical:
        return Finding(parameter, Level.CRITICAL, value, L.low_critical, "low")
    if L.high_critical is not None and value > L.high_critical:
        return Finding(parameter, Level.CRITICAL, value, L.high_critical, "high")
    absolute = None
    if L.low_warning is not None and value < L.low_warning:
        absolute = Finding(parameter, Level.WARNING, value, L.low_warning, "low")
    elif L.high_warning is not None and value > L.high_warning:
        absolute = Finding(parameter, Level.WARNING, value, L.high_warning, "high")
    if baseline:
        change = abs(value - baseline) / baseline * 100
        if L.baseline_critical_pct is not None and change > L.baseline_critical_pct:
            return Finding(parameter, Level.CRITICAL, value, L.baseline_critical_pct, "baseline")
        if absolute is None and L.baseline_warning_pct is not None and change > L.baseline_warning_pct:
            return Finding(parameter, Level.WARNING, value, L.baseline_warning_pct, "baseline")
    return absolute


def evaluate(values: dict[str, float | None], thresholds: Thresholds,
             baseline: dict[str, float | None] | None = None) -> list[Finding]:
    """Every finding of one reading against the limits in force, worst first per parameter."""
    baseline = baseline or {}
    found = []
    for p in PARAMETERS:
        f = evaluate_value(p, values.get(p), thresholds.for_parameter(p), baseline.get(p))
        if f is not None:
            found.append(f)
    return found


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _lim(lc=None, lw=None, hw=None, hc=None, bw=None, bc=None) -> ParameterLimits:
    return ParameterLimits(lc, lw, hw, hc, bw, bc)


KETAMINE_DEFAULT = Thresholds(
    name="Ketamine infusion (clinic default)",
    limits={
        "systolic": _lim(80, 90, 160, 180, 20, 40),
        "diastolic": _lim(40, 50, 100, 110, 20, 40),
        "heart_rate": _lim(40, 50, 110, 130, 20, 40),
        "spo2": _lim(92, 94, None, None),
        "resp_rate": _lim(9, 12, 20, 24),
    },
)

# Royal College of Physicians, NEWS2 (2017): score-0 band as warning edges, score-3 edges as critical.
NEWS2 = Thresholds(
    name="NEWS2 bands",
    limits={
        "systolic": _lim(91, 111, 219, 219),
        "heart_rate": _lim(41, 51, 90, 130),
        "spo2": _lim(92, 96, None, None),
        "resp_rate": _lim(9, 12, 20, 24),
    },
)

PRESETS = (KETAMINE_DEFAULT, NEWS2)
