"""Discharge scoring: Modified Aldrete and PADSS, five items scored 0-2, discharge at a total of 9 or more."""
from __future__ import annotations

from dataclasses import dataclass, field

from monitor_app.domain.errors import FieldError

DISCHARGE_AT = 9

SCALES: dict[str, tuple[str, dict[str, tuple[str, tuple[str, str, str]]]]] = {
    "aldrete": ("Modified Aldrete", {
        "activity": ("Activity", ("Unable to move", "Moves 2 extremities", "Moves 4 extremities")),
        "respiration": ("Respiration", ("Apnoeic", "Dyspnoea or limited breathing", "Breathes deeply, coughs")),
        "circulation": ("Circulation", ("BP \u00b150% of baseline", "BP \u00b120-50% of baseline",
                                        "BP \u00b120% of baseline")),
        "consciousness": ("Consciousness", ("Not responding", "Arousable on calling", "Fully awake")),
        "oxygen": ("SpO2", ("< 90% with O2", "Needs O2 to keep > 90%", "> 92% on room air")),
    }),
    "padss": ("PADSS", {
        "vital_signs": ("Vital signs", ("> 40% of baseline", "20-40% of baseline", "Within 20% of baseline")),
        "ambulation": ("Activity / ambulation", ("Unable to ambulate", "Requires assistance", "Steady gait")),
        "nausea_vomiting": ("Nausea / vomiting", ("Severe", "Moderate", "Minimal")),
        "pain": ("Pain", ("Severe", "Moderate", "Minimal / controlled")),
        "bleeding": ("Bleeding", ("Severe", "Moderate", "Minimal")),
    }),
}


@dataclass(frozen=True)
class DischargeScore:
    scale: str
    items: dict[str, int] = field(default_factory=dict)

    def validate(self) -> "DischargeScore":
        if self.scale not in SCALES:
            raise FieldError("scale", f"Unknown discharge scale {self.scale!r}.")
        name, items = SCALES[self.scale]
        for key, (label, _) in items.items():
            v = self.items.get(key)
            if v is None:
                raise FieldError(key, f"{name}: score {label} (0-2).")
            if v not in (0, 1, 2):
                raise FieldError(key, f"{name}: {label} must be 0, 1 or 2.")
        return self

    @property
    def total(self) -> int:
        return sum(self.items.values())

    @property
    def meets_threshold(self) -> bool:
        return self.total >= DISCHARGE_AT


def scale_name(scale: str) -> str:
    return SCALES[scale][0]


@dataclass(frozen=True)
class Prefill:
    """A score item the record already answers: the score and the values it comes from, in words."""

    item: str
    score: int
    because: str


def percent_change(value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    return (value - baseline) * 100.0 / baseline


def _band(change: float, within: float, up_to: float) -> int:
    """2 within `within` %, 1 up to `up_to` %, 0 beyond (the scales' grading against the baseline)."""
    if change <= within:
        return 2
    return 1 if change <= up_to else 0


def prefill(scale: str, *, baseline: dict[str, int | None], last: dict[str, int | None]) -> dict[str, Prefill]:
    """The items of `scale` the record answers, from the baseline and the last recorded value of each parameter
    (keys systolic, diastolic, heart_rate, spo2, moaas). A documentation aid: the nurse confirms or changes them."""
    out: dict[str, Prefill] = {}
    changes = {p: percent_change(last.get(p), baseline.get(p)) for p in ("systolic", "diastolic", "heart_rate")}
    bp = [(p, c) for p, c in changes.items() if p != "heart_rate" and c is not None]

    def words(pairs) -> str:
        label = {"systolic": "systolic", "diastolic": "diastolic", "heart_rate": "heart rate"}
        return ", ".join(f"{label[p]} {last[p]} vs {baseline[p]} ({c:+.0f} %)" for p, c in pairs)

    if scale == "aldrete":
        if bp:
            worst = max(abs(c) for _p, c in bp)
            out["circulation"] = Prefill("circulation", _band(worst, 20, 50), "BP against the baseline: " + words(bp))
        spo2 = last.get("spo2")
        if spo2 is not None:
            score = 2 if spo2 > 92 else (1 if spo2 >= 90 else 0)
            out["oxygen"] = Prefill("oxygen", score, f"last SpO2 {spo2} %")
        moaas = last.get("moaas")
        if moaas is not None:
            score = 2 if moaas >= 5 else (1 if moaas >= 3 else 0)
            out["consciousness"] = Prefill("consciousness", score, f"last MOAA/S {moaas}")
    elif scale == "padss":
        vitals = [(p, c) for p, c in changes.items() if c is not None]
        if vitals:
            worst = max(abs(c) for _p, c in vitals)
            out["vital_signs"] = Prefill("vital_signs", _band(worst, 20, 40),
                                         "BP and pulse against the baseline: " + words(vitals))
    return out


def changed_items(scale: str, prefilled: dict[str, int], scored: dict[str, int]) -> list[str]:
    """The prefilled items the nurse scored otherwise, in words ("Circulation 0 \u2192 2"), for the record."""
    items = SCALES[scale][1] if scale in SCALES else {}
    return [f"{items[k][0] if k in items else k} {prefilled[k]} \u2192 {scored[k]}"
            for k in prefilled if k in scored and scored[k] != prefilled[k]]
