"""Before the infusion starts: the checklist, concomitant medicines, allergies, weight and dose, the baseline.

A documentation aid, never advice: it shows what the record holds so the nurse starts knowing it. Unticked
checklist items need a reason (recorded by the service); a baseline above the pre-infusion limit needs the
authorising clinician and a note.
"""
from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QLabel

from monitor_app.domain.errors import FieldError
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.vitals import format_bp
from monitor_app.services import clinical
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import FormDialog, clock, text_of


def _warn(text: str) -> str:
    return f"<span style='color:{theme.VERMILION}; font-weight:bold'>{theme.WARNING_SYMBOL} {text}</span>"


class StartReviewDialog(FormDialog):
    def __init__(self, ctx: UiContext, record: SessionRecord, parent=None):
        super().__init__(ctx, "Start the infusion", parent)
        self.record = record
        now = ctx.now()
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 72)
        self.set_intro(f"Start <b>{escape(record.medication)}</b> for <b>{escape(record.patient.name)}</b> "
                       f"({escape(record.infusion_label)}) at <b>{clock(now, ctx)}</b>, over "
                       f"{record.planned_minutes} min. Check what the record holds:")
        unticked = [item for item, done in record.checklist.items() if not done]
        ticked = [item for item, done in record.checklist.items() if done]
        lines = []
        if unticked:
            lines.append(_warn("Not done: " + ", ".join(escape(i) for i in unticked)))
        if ticked:
            lines.append("\u2713 " + ", ".join(escape(i) for i in ticked))
        self.checklist = self._row("checklist", "Checklist:", "<br>".join(lines) or "No checklist items.")
        meds = record.concomitant_medicines
        self.medicines = self._row("medicines", "Concomitant medicines:",
                                   _warn(", ".join(escape(m) for m in meds)) if meds else "None recorded")
        allergies = record.patient.allergies
        self.allergies = self._row("allergies", "Allergies:", _warn(escape(allergies)) if allergies
                                   else "None recorded")
        weight = record.patient.weight_kg
        dose = []
        if record.dose_mg_per_kg is not None:
            dose.append(f"{record.dose_mg_per_kg:g} mg/kg")
        if record.dose_mg_total is not None:
            dose.append(f"<b>{record.dose_mg_total:g} mg</b> total")
        weight_text = f"{weight:g} kg" if weight else _warn("no weight recorded")
        self.dose = self._row("dose", "Weight and dose:", f"{weight_text}; {' = '.join(dose) or '-'} "
                              f"{escape(record.route)}")
        base = record.baseline
        if base is None:
            baseline = _warn("No baseline reading")
        else:
            v = base.current
            age = max(0, int((now - base.measured_at).total_seconds() // 60))
            values = [format_bp(v.systolic, v.diastolic)]
            if v.heart_rate is not None:
                values.append(f"HR {v.heart_rate}")
            if v.spo2 is not None:
                values.append(f"SpO2 {v.spo2}%")
            window = record.schedule_at(now).baseline_window_min
            age_text = f"taken {clock(base.measured_at, ctx)}, {age} min ago"
            if window and age > window:
                age_text = _warn(f"{age_text}: older than the {window}-minute window")
            flags = " ".join(f.symbol for f in base.flags)
            baseline = f"<b>{escape(', '.join(p for p in values if p))}</b> {flags} ({age_text})"
        self.baseline = self._row("baseline", "Baseline:", baseline)
        self.reason = self.add_text("checklist_reason", "Reason to start with items not done:",
                                    "required: why the infusion starts although items are not done")
        self.form.setRowVisible(self.reason, bool(unticked))
        self.clinician = self.add_line("authorising_clinician", "Authorising clinician:")
        self.note = self.add_text("note", "Clinician's note:", "what the clinician decided")
        limits = record.thresholds_at(now)
        above = base is not None and limits.baseline_blocks_start(base.current.systolic, base.current.diastolic)
        self._show_authorisation(above)
        self.ok_button.setText("Start infusion")

    def _row(self, name: str, label: str, html: str) -> QLabel:
        w = QLabel(html)
        w.setWordWrap(True)
        return self.add_field(name, label, w)

    def _show_authorisation(self, show: bool) -> None:
        self.form.setRowVisible(self.clinician, show)
        self.form.setRowVisible(self.note, show)

    def submit(self) -> None:
        try:
            clinical.start_infusion(self.ctx.db, self.ctx.signed_in, self.record.id,
                                    checklist_reason=text_of(self.reason),
                                    authorising_clinician=self.clinician.text(), note=text_of(self.note),
                                    expected_version=self.record.version, now=self.ctx.now())
        except FieldError as exc:
            if exc.field in ("authorising_clinician", "note"):
                self._show_authorisation(True)
            if exc.field == "checklist_reason":
                self.form.setRowVisible(self.reason, True)
            raise
