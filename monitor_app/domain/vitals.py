"""What a nurse types for a reading: parsing, plausibility ranges and the derived values (MAP, late entry)."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from monitor_app.domain.errors import FieldError

# Physiologically possible ranges (SPEC 3, rule 1): a value outside is refused at entry.
PLAUSIBLE = {
    "systolic": ("Systolic BP", 40, 300, "mmHg"),
    "diastolic": ("Diastolic BP", 20, 200, "mmHg"),
    "heart_rate": ("Heart rate", 20, 250, "/min"),
    "spo2": ("SpO2", 50, 100, "%"),
    "resp_rate": ("Respiratory rate", 2, 60, "/min"),
    "moaas": ("MOAA/S", 0, 5, ""),
    "pain_nrs": ("Pain NRS", 0, 10, ""),
}
VITAL_FIELDS = tuple(PLAUSIBLE)
FUTURE_TOLERANCE = timedelta(minutes=2)
LATE_ENTRY_AFTER = timedelta(minutes=10)
COMMENT_MAX = 500

_INT = re.compile(r"^[0-9]+$")


def label(field: str) -> str:
    return PLAUSIBLE[field][0]


def range_text(field: str) -> str:
    name, lo, hi, unit = PLAUSIBLE[field]
    return f"{lo}-{hi}{(' ' + unit) if unit and unit != '%' else unit}"


def check_range(field: str, value: int) -> int:
    name, lo, hi, _ = PLAUSIBLE[field]
    if not lo <= value <= hi:
        raise FieldError(field, f"{name} must be between {range_text(field)}; {value} is outside that range.")
    return value


def parse_whole_number(field: str, text: str | None) -> int | None:
    """Parse one typed number; blank means 'not measured'. Refuses letters, decimals and out-of-range values."""
    if text is None:
        return None
    cleaned = text.strip().replace(" ", "")
    if not cleaned:
        return None
    name = PLAUSIBLE[field][0]
    if not _INT.match(cleaned) or len(cleaned) > 6:
        raise FieldError(field, f"{name} must be a whole number between {range_text(field)}; "
                                f"\u201c{text.strip()[:20]}\u201d is not.")
    return check_range(field, int(cleaned))


def parse_bp(text: str | None) -> tuple[int | None, int | None]:
    """Parse a blood pressure typed as '128/82' into (systolic, diastolic); blank gives (None, None)."""
    if text is None or not text.strip():
        return None, None
    parts = text.replace(" ", "").split("/")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise FieldError("bp", "Blood pressure must be typed as systolic/diastolic, for example 128/82 "
                               f"(systolic {range_text('systolic')}, diastolic {range_text('diastolic')}).")
    sys_text, dia_text = parts
    for field, part in (("systolic", sys_text), ("diastolic", dia_text)):
        if not _INT.match(part) or len(part) > 6:
            raise FieldError("bp", f"{label(field)} must be a whole number between {range_text(field)}; "
                                   f"\u201c{part[:20]}\u201d is not.")
    systolic, diastolic = int(sys_text), int(dia_text)
    check_pair(systolic, diastolic)
    return systolic, diastolic


def check_pair(systolic: int | None, diastolic: int | None) -> None:
    if (systolic is None) != (diastolic is None):
        raise FieldError("bp", "Blood pressure needs both systolic and diastolic, for example 128/82.")
    if systolic is None:
        return
    for field, value in (("systolic", systolic), ("diastolic", diastolic)):
        try:
            check_range(field, value)
        except FieldError as exc:
            raise FieldError("bp", exc.message) from None
    if diastolic >= systolic:
        raise FieldError("bp", f"Diastolic BP ({diastolic}) must be below systolic ({systolic}).")


@dataclass(frozen=True)
class Vitals:
    """The measured values of one reading; any may be missing, but not all."""

    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    resp_rate: int | None = None
    moaas: int | None = None
    pain_nrs: int | None = None
    comment: str = ""

    def validate(self) -> "Vitals":
        check_pair(self.systolic, self.diastolic)
        for field in VITAL_FIELDS:
            value = getattr(self, field)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise FieldError(field, f"{label(field)} must be a whole number between {range_text(field)}.")
                try:
                    check_range(field, value)
                except FieldError as exc:
                    raise FieldError("bp" if field in ("systolic", "diastolic") else field, exc.message) from None
        if len(self.comment) > COMMENT_MAX:
            raise FieldError("comment", f"Comment must be at most {COMMENT_MAX} characters.")
        if all(getattr(self, f) is None for f in VITAL_FIELDS):
            raise FieldError("bp", "Enter at least one value: BP, heart rate or SpO2.")
        return self

    @property
    def map(self) -> int | None:
        return mean_arterial_pressure(self.systolic, self.diastolic)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_vitals(bp: str = "", heart_rate: str = "", spo2: str = "", resp_rate: str = "", moaas: str = "",
                 pain_nrs: str = "", comment: str = "") -> Vitals:
    """Turn the texts of the entry line into validated Vitals; raises FieldError naming the first bad field."""
    systolic, diastolic = parse_bp(bp)
    return Vitals(
        systolic=systolic, diastolic=diastolic,
        heart_rate=parse_whole_number("heart_rate", heart_rate),
        spo2=parse_whole_number("spo2", spo2),
        resp_rate=parse_whole_number("resp_rate", resp_rate),
        moaas=parse_whole_number("moaas", moaas),
        pain_nrs=parse_whole_number("pain_nrs", pain_nrs),
        comment=(comment or "").strip(),
    ).validate()


def mean_arterial_pressure(systolic: int | None, diastolic: int | None) -> int | None:
    if systolic is None or diastolic is None:
        return None
    return round((systolic + 2 * diastolic) / 3)


def format_bp(systolic: int | None, diastolic: int | None) -> str:
    if systolic is None or diastolic is None:
        return ""
    return f"{systolic}/{diastolic}"


def check_measured_at(measured_at: datetime, now: datetime, opened_at: datetime,
                      closed_at: datetime | None = None) -> None:
    """Refuse a measured-at time more than 2 minutes ahead of now, or outside the session (arrival to discharge)."""
    if measured_at - now > FUTURE_TOLERANCE:
        raise FieldError("time", "Time must not be more than 2 minutes in the future.")
    if measured_at < opened_at:
        raise FieldError("time", "Time is before the patient arrived for this session.")
    if closed_at is not None and measured_at > closed_at:
        raise FieldError("time", "Time is after the patient was discharged.")


def is_late_entry(measured_at: datetime, recorded_at: datetime) -> bool:
    """A reading recorded more than 10 minutes after it was measured is a late entry (exactly 10 is not)."""
    return recorded_at - measured_at > LATE_ENTRY_AFTER
