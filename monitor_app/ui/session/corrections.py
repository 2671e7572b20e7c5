"""Corrections that keep the original: amending a reading, marking a reading or an event entered in error."""
from __future__ import annotations

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.errors import ConcurrentEdit, FieldError
from monitor_app.domain.record import ReadingView
from monitor_app.domain.vitals import VITAL_FIELDS, format_bp, parse_vitals
from monitor_app.services import clinical, queries
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import FormDialog, text_of

# The amendable fields of a reading as typed: (key, label)
AMEND_FIELDS = (("bp", "BP (systolic/diastolic):"), ("heart_rate", "HR:"), ("spo2", "SpO2 %:"),
                ("resp_rate", "RR:"), ("moaas", "MOAA/S:"), ("pain_nrs", "NRS:"), ("comment", "Comment:"))


def _typed(v, key: str) -> str:
    if key == "bp":
        return format_bp(v.systolic, v.diastolic)
    if key == "comment":
        return v.comment
    value = getattr(v, key)
    return "" if value is None else str(value)


def reading_summary(r: ReadingView, zone) -> str:
    v = r.current
    parts = [format_bp(v.systolic, v.diastolic) and f"BP {format_bp(v.systolic, v.diastolic)}",
             v.heart_rate is not None and f"HR {v.heart_rate}", v.spo2 is not None and f"SpO2 {v.spo2}%"]
    return f"{fmt_time(r.measured_at, zone)}  " + ", ".join(p for p in parts if p)


def changes_from(r: ReadingView, texts: dict[str, str]) -> dict:
    """The fields whose typed value differs from the reading's current value (validated as at entry)."""
    new = parse_vitals(texts.get("bp", ""), texts.get("heart_rate", ""), texts.get("spo2", ""),
                       texts.get("resp_rate", ""), texts.get("moaas", ""), texts.get("pain_nrs", ""),
                       texts.get("comment", ""))
    changes = {f: getattr(new, f) for f in (*VITAL_FIELDS, "comment") if getattr(new, f) != getattr(r.current, f)}
    if not changes:
        raise FieldError("bp", "Nothing was changed: type the corrected value.")
    return changes


class AmendDialog(FormDialog):
    """The new values and a mandatory reason; the original stays in the record, struck through."""

    def __init__(self, ctx: UiContext, reading: ReadingView, expected_version: int | None = None, parent=None):
        super().__init__(ctx, "Amend reading", parent)
        self.reading = reading
        self.expected_version = expected_version
        self.set_intro(f"Correct the reading of <b>{reading_summary(reading, ctx.zone)}</b>. "
                       "The original value stays visible, struck through.")
        for key, label in AMEND_FIELDS:
            self.add_line(key, label, _typed(reading.current, key))
        self.reason = self.add_text("reason", "Reason (required):", "why the value was wrong")
        self.ok_button.setText("Amend")

    def texts(self) -> dict[str, str]:
        return {k: text_of(self.fields[k]) for k, _ in AMEND_FIELDS}

    def submit(self) -> None:
        changes = changes_from(self.reading, self.texts())
        try:
            clinical.amend_reading(self.ctx.db, self.ctx.signed_in, self.reading.id, changes, text_of(self.reason),
                                   expected_version=self.expected_version, now=self.ctx.now())
        except ConcurrentEdit:
            # The reading as it now stands, for the nurse to check; what was typed stays for the retry.
            self.reading, _ = queries.get_reading(self.ctx.db, self.ctx.signed_in, self.reading.id)
            self.expected_version = self.reading.version
            self.set_intro(f"Correct the reading of <b>{reading_summary(self.reading, self.ctx.zone)}</b> "
                           "(as it now stands). The original value stays visible, struck through.")
            raise


class EnteredInErrorDialog(FormDialog):
    def __init__(self, ctx: UiContext, target: str, target_id: int, description: str,
                 expected_version: int | None = None, parent=None):
        super().__init__(ctx, "Entered in error", parent)
        self.target, self.target_id, self.expected_version = target, target_id, expected_version
        self.set_intro(f"Mark this {target} entered in error: <b>{description}</b><br>"
                       "It stays in the record, struck through, with your reason.")
        self.reason = self.add_text("reason", "Reason (required):", "for example: entered for the wrong patient")
        self.ok_button.setText("Mark entered in error")

    def submit(self) -> None:
        try:
            clinical.mark_entered_in_error(self.ctx.db, self.ctx.signed_in, self.target, self.target_id,
                                           text_of(self.reason), expected_version=self.expected_version,
                                           now=self.ctx.now())
        except ConcurrentEdit:
            self.expected_version = queries.version_of(self.ctx.db, self.ctx.signed_in, self.target,
                                                       self.target_id)
            raise
