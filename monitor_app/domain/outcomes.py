"""Severity bands of the outcome measures (SPEC 2), as the scales' authors publish them, for charts of a course."""
from __future__ import annotations

# (from, to inclusive, words): PHQ-9 (Kroenke 2001), Y-BOCS (Goodman 1989), GAD-7 (Spitzer 2006), pain NRS.
BANDS: dict[str, tuple[tuple[int, int, str], ...]] = {
    "phq9": ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 19, "moderately severe"),
             (20, 27, "severe")),
    "ybocs": ((0, 7, "subclinical"), (8, 15, "mild"), (16, 23, "moderate"), (24, 31, "severe"),
              (32, 40, "extreme")),
    "gad7": ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")),
    "nrs": ((0, 0, "no pain"), (1, 3, "mild"), (4, 6, "moderate"), (7, 10, "severe")),
}


def band_of(measure: str, score: int | None) -> str:
    """The band's words for a score ('moderate'), or '' when the measure has no bands or there is no score."""
    if score is None:
        return ""
    for lo, hi, words in BANDS.get(measure, ()):
        if lo <= score <= hi:
            return words
    return ""
