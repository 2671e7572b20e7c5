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
