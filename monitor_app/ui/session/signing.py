"""Signing: the author's signature, the reviewer's co-signature, signed addenda, and the signatures shown."""
from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton, QVBoxLayout,
                               QWidget)

from monitor_app.domain.clock import fmt_datetime, fmt_time
from monitor_app.domain.errors import FieldError
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.thresholds import Level
from monitor_app.services import clinical
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import FormDialog, sized_font, text_of
from monitor_app.ui.session.corrections import AMEND_FIELDS, changes_from, reading_summary

MEANING_TEXT = {"Authored": "I documented this session and this record is complete and accurate.",
                "Reviewed": "I reviewed this record.",
                "Addendum": "I add this addendum to the signed record."}


def record_summary(record: SessionRecord, zone) -> str:
    """What is being signed, in a few lines."""
    valid = record.valid_readings
    flags = record.flags
    acked = sum(1 for f in flags if f.ack is not None)
    critical = sum(1 for f in flags if f.level == Level.CRITICAL)
    events = [e for e in record.events if e.error is None]
    lines = [
        f"<b>{escape(record.patient.name)}</b>, MRN {escape(record.patient.mrn)} &mdash; "
        f"{escape(record.infusion_label)}, {escape(record.course.indication_label)}",
        f"Session {fmt_datetime(record.arrival_at, zone)}, chair {escape(record.chair or '-')}, "
        f"{escape(record.medication)} {record.dose_mg_total or '-'} mg {escape(record.route)}",
        f"Infusion {fmt_time(record.infusion_start_at, zone) or '-'} to {fmt_time(record.infusion_end_at, zone) or '-'}"
        f", discharged {fmt_time(record.discharged_at, zone) or '-'}",
        f"{len(valid)} readings ({len(record.readings) - len(valid)} entered in error), {len(flags)} flags "
        f"({critical} critical, {acked} acknowledged), {len(events)} event{'' if len(events) == 1 else 's'}",
    ]
    if record.discharge is not None:
        d = record.discharge
        lines.append(f"Discharge: {escape(d.scale_label)} {d.total}/10, escort {escape(d.escort_name)}")
    return "<br>".join(lines)


OVERRIDES = {"start_authorised", "start_checklist_incomplete", "limits_changed", "schedule_changed"}


def exceptions(record: SessionRecord, zone) -> list[str]:
    """What a signer and a reviewer must see, in words: late entries, amendments, entered-in-error rows,
    overrides, early stop and discharge, critical flags and what was done about them."""
    from monitor_app.domain.session import ACK_ACTIONS
    from monitor_app.ui.session.header import short_flag
    out = []
    measured = {r.id: r.measured_at for r in record.readings}
    for r in record.readings:
        when = fmt_time(r.measured_at, zone)
        if r.late:
            out.append(f"{theme.LATE_SYMBOL} Late entry: reading of {when} entered {fmt_time(r.recorded_at, zone)} "
                       f"by {r.recorded_by}")
        for a in r.amendments:
            changes = ", ".join(f"{k} {old} \u2192 {new}" for k, (old, new) in a.changes.items())
            out.append(f"{theme.AMENDED_SYMBOL} Amended: reading of {when}: {changes} ({a.reason}; {a.by}, "
                       f"{fmt_time(a.at, zone)})")
        if r.error is not None:
            out.append(f"\u2717 Entered in error: reading of {when} ({r.error.reason}; {r.error.by})")
    for e in record.events:
        if e.error is not None:
            out.append(f"\u2717 Entered in error: event {e.number}. {e.summary} ({e.error.reason}; {e.error.by})")
        elif e.kind in OVERRIDES or e.kind == "stopped_early":
            note = f": {e.note}" if e.note else ""
            out.append(f"{theme.WARNING_SYMBOL} {e.summary} at {fmt_time(e.at, zone)}{note}")
    d = record.discharge
    if d is not None and not d.observation_met:
        out.append(f"{theme.WARNING_SYMBOL} Early discharge at {fmt_time(record.discharged_at, zone)}, before the "
                   f"minimum observation: {d.early_reason}")
    for f in record.flags:
        if f.level != Level.CRITICAL:
            continue
        what = f"{theme.CRITICAL_SYMBOL} Critical {short_flag(f)} at {fmt_time(measured.get(f.reading_id), zone)}"
        if f.ack is not None:
            action = ACK_ACTIONS.get(f.ack.action, f.ack.action) + (f": {f.ack.action_text}"
                                                                     if f.ack.action_text else "")
            out.append(f"{what}: {action} ({f.ack.by}, {fmt_time(f.ack.at, zone)})")
        elif f.cleared:
            out.append(f"{what}: no longer applies after a correction")
        else:
            out.append(f"{what}: NOT acknowledged")
    return out


class _PasswordDialog(FormDialog):
    meaning = "Authored"

    def __init__(self, ctx: UiContext, record: SessionRecord, title: str, parent=None):
        super().__init__(ctx, title, parent)
        self.record = record
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)
        actor = ctx.signed_in
        self.summary = QLabel(record_summary(record, ctx.zone))
        self.summary.setWordWrap(True)
        self.form.addRow(self.summary)
        found = exceptions(record, ctx.zone)
        self.exceptions = QLabel(("<b>For the reviewer</b> (" + str(len(found)) + "):<br>"
                                  + "<br>".join(escape(x) for x in found)) if found
                                 else "\u2713 No exceptions: no late entries, amendments, entries in error, "
                                      "overrides, early discharge or critical flags.")
        self.exceptions.setObjectName("exceptions")
        self.exceptions.setWordWrap(True)
        self.form.addRow(self.exceptions)
        self.missing = QLabel()
        self.missing.setWordWrap(True)
        self.missing.setObjectName("missing_for_signature")
        self.form.addRow(self.missing)
        self.signer = QLabel(f"Signing as <b>{escape(actor.display)}</b>, meaning <b>{self.meaning}</b>: "
                             f"{MEANING_TEXT[self.meaning]}")
        self.signer.setWordWrap(True)
        self.form.addRow(self.signer)
        self.password = self.add_line("password", "Password:")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)

    def block(self, reasons: list[str]) -> None:
        """Disable signing and say why, while something is missing."""
        if reasons:
            self.missing.setText(f"{theme.CRITICAL_SYMBOL} Cannot sign yet. Missing: " + "; ".join(reasons) + ".")
            self.missing.setStyleSheet(f"color: {theme.VERMILION}; font-weight: bold;")
            self.ok_button.setEnabled(False)
            self.ok_button.setToolTip("Missing: " + "; ".join(reasons))
            self.password.setEnabled(False)
        else:
            self.missing.setText("\u2713 Nothing is missing for the signature.")
            self.missing.setStyleSheet(f"color: {theme.GREEN};")
            self.ok_button.setEnabled(True)
            self.ok_button.setToolTip("")
            self.password.setFocus()


class SignDialog(_PasswordDialog):
    meaning = "Authored"

    def __init__(self, ctx: UiContext, record: SessionRecord, parent=None):
        super().__init__(ctx, record, "Sign session record", parent)
        self.ok_button.setText("Sign")
        self.block(record.missing_for_signature())

    def submit(self) -> None:
        clinical.sign(self.ctx.db, self.ctx.signed_in, self.record.id, self.password.text(), now=self.ctx.now())


class CosignDialog(_PasswordDialog):
    meaning = "Reviewed"

    def __init__(self, ctx: UiContext, record: SessionRecord, parent=None):
        super().__init__(ctx, record, "Co-sign as reviewer", parent)
        self.ok_button.setText("Co-sign")
        self.block([])

    def submit(self) -> None:
        clinical.cosign(self.ctx.db, self.ctx.signed_in, self.record.id, self.password.text(), now=self.ctx.now())


class AddendumDialog(_PasswordDialog):
    """Text, optional corrections of readings (kept as amendments), and the password."""

    meaning = "Addendum"

    def __init__(self, ctx: UiContext, record: SessionRecord, parent=None):
        super().__init__(ctx, record, "Add a signed addendum", parent)
        self.summary.hide()
        self.exceptions.hide()
        self.text = self.add_text("text", "Addendum:", "what is added to the signed record")
        self.form.removeRow(self.password)  # keep the password last
        self.fields.pop("password", None)
        self.reading_box = QComboBox()
        self.reading_box.addItem("(no correction)", None)
        for r in record.valid_readings:
            self.reading_box.addItem(reading_summary(r, ctx.zone), r.id)
        self.add_field("corrections", "Correct reading:", self.reading_box)
        self.correction_edits = {}
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        for key, label in AMEND_FIELDS[:3]:
            e = QLineEdit()
            e.setPlaceholderText(label.rstrip(":"))
            e.setAccessibleName(f"Corrected {label.rstrip(':')}")
            h.addWidget(e)
            self.correction_edits[key] = e
        self.add_field("correction_values", "New values:", row)
        self.correction_reason = self.add_line("reason", "Correction reason:")
        self.add_button = QPushButton("Add correction")
        self.add_button.clicked.connect(self._add_correction)
        self.corrections_list = QListWidget()
        self.corrections_list.setMaximumHeight(80)
        self.add_field("corrections_list", "Corrections:", self.corrections_list)
        self.form.addRow("", self.add_button)
        self.password = self.add_line("password", "Password:")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.reading_box.currentIndexChanged.connect(self._reading_chosen)
        self.corrections: list[tuple[int, dict, str]] = []
        self.ok_button.setText("Sign addendum")
        self.block([])
        self.text.setFocus()

    def _reading_chosen(self) -> None:
        rid = self.reading_box.currentData()
        r = next((r for r in self.record.readings if r.id == rid), None)
        for key, e in self.correction_edits.items():
            if r is None:
                e.clear()
            elif key == "bp":
                e.setText(f"{r.current.systolic}/{r.current.diastolic}" if r.current.systolic else "")
            else:
                v = getattr(r.current, key)
                e.setText("" if v is None else str(v))

    def _add_correction(self) -> None:
        rid = self.reading_box.currentData()
        if rid is None:
            return
        r = next(r for r in self.record.readings if r.id == rid)
        texts = {k: e.text() for k, e in self.correction_edits.items()}
        for key in ("resp_rate", "moaas", "pain_nrs", "comment"):
            v = getattr(r.current, key)
            texts[key] = "" if v is None else str(v)
        try:
            changes = changes_from(r, texts)
            if not self.correction_reason.text().strip():
                raise FieldError("reason", "Give the reason for the correction.")
        except FieldError as exc:
            self.error.show_message(exc.message)
            return
        self.error.clear_message()
        self.corrections.append((rid, changes, self.correction_reason.text().strip()))
        self.corrections_list.addItem(f"{reading_summary(r, self.ctx.zone)}: "
                                      + ", ".join(f"{k} \u2192 {v}" for k, v in changes.items())
                                      + f" ({self.correction_reason.text().strip()})")
        self.reading_box.setCurrentIndex(0)
        self.correction_reason.clear()

    def submit(self) -> None:
        if self.reading_box.currentData() is not None:
            self._add_correction()
            if self.reading_box.currentData() is not None:
                return
        clinical.add_addendum(self.ctx.db, self.ctx.signed_in, self.record.id, text_of(self.text),
                              self.password.text(), corrections=self.corrections, now=self.ctx.now())


class SignaturesPanel(QWidget):
    """Signatures (name, credentials, date-time, meaning) and addenda, as the record shows them."""

    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.title = QLabel("Signatures")
        self.title.setFont(sized_font(ctx, 1, bold=True))
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setAccessibleName("Signatures and addenda")
        self.body.setFont(sized_font(ctx))
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.body)

    def set_record(self, record: SessionRecord) -> None:
        zone = self.ctx.zone
        lines = []
        for s in record.signatures:
            who = escape(s.printed_name + (f", {s.credentials}" if s.credentials else ""))
            lines.append(f"\u270d <b>{escape(s.meaning)}</b>: {who}, {fmt_datetime(s.signed_at, zone)}")
        for a in record.addenda:
            lines.append(f"<b>Addendum</b> {fmt_datetime(a.at, zone)} by {escape(a.by)}: {escape(a.text)}")
            for c in a.corrections:
                changes = ", ".join(f"{k} {old} \u2192 {new}" for k, (old, new) in c.changes.items())
                lines.append(f"&nbsp;&nbsp;correction: {escape(changes)} ({escape(c.reason)})")
        self.body.setText("<br>".join(lines))
        self.setVisible(bool(lines))
