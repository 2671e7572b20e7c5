"""The discharge assessment: the clinic's scale with a running total, escort, instructions, minimum observation."""
from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QCheckBox, QGridLayout, QLabel, QRadioButton, QWidget

from monitor_app.domain.clock import fmt_time, parse_clock_time
from monitor_app.domain.discharge import DISCHARGE_AT, SCALES, percent_change, prefill
from monitor_app.domain.errors import ConcurrentEdit, FieldError
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.schedule import observation_minutes_left
from monitor_app.services import clinical, queries
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.domain.thresholds import Level
from monitor_app.domain.vitals import format_bp
from monitor_app.ui.session.common import FormDialog, text_of
from monitor_app.ui.session.header import short_flag


def vitals_against(reading, baseline) -> str:
    """'BP 192/114 (+48 % / +42 %), HR 135 (+93 %), SpO2 91 %; baseline 130/80, HR 70, SpO2 98 %'."""
    v = reading.current
    b = baseline.current if baseline is not None else None

    def change(p):
        c = percent_change(getattr(v, p), getattr(b, p)) if b is not None else None
        return "" if c is None else f"{c:+.0f} %"
    parts = []
    if v.systolic is not None:
        bp_change = " / ".join(x for x in (change("systolic"), change("diastolic")) if x)
        parts.append(f"BP <b>{format_bp(v.systolic, v.diastolic)}</b>" + (f" ({bp_change})" if bp_change else ""))
    if v.heart_rate is not None:
        parts.append(f"HR <b>{v.heart_rate}</b>" + (f" ({change('heart_rate')})" if change("heart_rate") else ""))
    if v.spo2 is not None:
        parts.append(f"SpO2 <b>{v.spo2} %</b>")
    text = ", ".join(parts)
    if b is not None:
        base = [format_bp(b.systolic, b.diastolic)]
        if b.heart_rate is not None:
            base.append(f"HR {b.heart_rate}")
        if b.spo2 is not None:
            base.append(f"SpO2 {b.spo2} %")
        text += "; baseline " + ", ".join(x for x in base if x)
    return text


class DischargeDialog(FormDialog):
    def __init__(self, ctx: UiContext, record: SessionRecord, parent=None):
        super().__init__(ctx, "Discharge assessment", parent)
        if ctx.settings is None:
            ctx.reload_settings()
        self.record = record
        self.scale = ctx.settings.discharge_scale if ctx.settings.discharge_scale in SCALES else "aldrete"
        name, items = SCALES[self.scale]
        self.set_intro(f"<b>{name}</b>: score each item 0, 1 or 2. Discharge at a total of {DISCHARGE_AT} or more, "
                       f"with a responsible adult escort. Items the record answers are filled in from it: confirm "
                       f"or change them.")
        self.checks = QLabel(self._checks_html())
        self.checks.setObjectName("dischargeChecks")
        self.checks.setWordWrap(True)
        self.add_field("checks", "Before discharge:", self.checks)
        self.blocked = bool(record.open_critical_flags)
        self.prefilled = self._prefill()
        self.groups: dict[str, QButtonGroup] = {}
        for key, (label, choices) in items.items():
            box = QWidget()
            grid = QGridLayout(box)
            grid.setContentsMargins(0, 0, 0, 0)
            group = QButtonGroup(self)
            for score, text in enumerate(choices):
                b = QRadioButton(f"{score}  {text}")
                b.setAccessibleName(f"{label}: {score}, {text}")
                group.addButton(b, score)
                grid.addWidget(b, 0, score)
            suggestion = self.prefilled.get(key)
            if suggestion is not None:
                group.button(suggestion.score).setChecked(True)
                hint = QLabel(f"From the record: {suggestion.score} ({suggestion.because})")
                hint.setObjectName(f"prefill_{key}")
                hint.setWordWrap(True)
                hint.setStyleSheet(f"color: {theme.MUTED};")
                grid.addWidget(hint, 1, 0, 1, 3)
            group.idToggled.connect(lambda *_: self._update())
            self.groups[key] = group
            self.add_field(key, f"{label}:", box)
        self.total = QLabel()
        self.total.setAccessibleName("Total score")
        self.add_field("score", "Total:", self.total)
        self.escort_present = self.add_field("escort_present", "Escort:", QCheckBox("Responsible adult escort present"))
        self.escort_name = self.add_line("escort_name", "Escort's name:")
        self.instructions = self.add_field("instructions_given", "Instructions:",
                                           QCheckBox("Discharge instructions given (no driving until the next day)"))
        self.time = self.add_line("time", "Time:", placeholder="HH:MM, blank for now")
        self.observation = QLabel()
        self.observation.setWordWrap(True)
        self.add_field("observation", "Observation:", self.observation)
        self.early_reason = self.add_text("early_reason", "Reason to discharge early:",
                                          "required when the minimum observation is not over")
        self.time.textEdited.connect(lambda _t: self._update())
        self.ok_button.setText("Discharge")
        self._update()

    def _prefill(self):
        r = self.record
        base = r.baseline
        last: dict[str, int | None] = {}
        for reading in reversed(r.valid_readings):
            for p in ("systolic", "diastolic", "heart_rate", "spo2", "moaas"):
                if last.get(p) is None:
                    last[p] = getattr(reading.current, p, None)
        baseline = {p: getattr(base.current, p, None) for p in ("systolic", "diastolic", "heart_rate")} \
            if base is not None else {}
        return prefill(self.scale, baseline=baseline, last=last)

    def _checks_html(self) -> str:
        """Open flags (critical ones block), a missing recovery reading, the last vitals against the baseline."""
        r, zone = self.record, self.ctx.zone
        lines = []
        measured = {x.id: x.measured_at for x in r.readings}
        critical = r.open_critical_flags
        if critical:
            names = ", ".join(f"{short_flag(f)} at {fmt_time(measured.get(f.reading_id), zone)}" for f in critical)
            lines.append(f"<span style='color:{theme.VERMILION}; font-weight:bold'>{theme.CRITICAL_SYMBOL} "
                         f"{len(critical)} critical flag{'s' if len(critical) > 1 else ''} open ({names}): "
                         f"acknowledge {'them' if len(critical) > 1 else 'it'} before the discharge.</span>")
        warnings = [f for f in r.open_flags if f.level != Level.CRITICAL]
        if warnings:
            lines.append(f"{theme.WARNING_SYMBOL} {len(warnings)} warning flag{'s' if len(warnings) > 1 else ''} "
                         f"open: " + ", ".join(short_flag(f) for f in warnings))
        if not critical and not warnings:
            lines.append("\u2713 No open flags.")
        recovery = [x for x in r.valid_readings if r.infusion_end_at and x.measured_at > r.infusion_end_at]
        if not recovery:
            lines.append(f"<span style='color:{theme.VERMILION}; font-weight:bold'>{theme.WARNING_SYMBOL} No reading "
                         f"since the infusion ended at {fmt_time(r.infusion_end_at, zone)}.</span>")
        last, base = r.latest_reading, r.baseline
        if last is not None:
            lines.append(f"Last vitals {fmt_time(last.measured_at, zone)}: {vitals_against(last, base)}")
        return "<br>".join(lines)

    def scores(self) -> dict[str, int]:
        return {k: g.checkedId() for k, g in self.groups.items() if g.checkedId() >= 0}

    def _at(self):
        now = self.ctx.now()
        try:
            return parse_clock_time(self.time.text(), now, self.ctx.zone) if self.time.text().strip() else now
        except FieldError:
            return now

    def _update(self) -> None:
        if self.blocked:
            self.ok_button.setEnabled(False)
            self.ok_button.setToolTip("Acknowledge the open critical flags first")
        scores = self.scores()
        total = sum(scores.values())
        missing = len(self.groups) - len(scores)
        if missing:
            self.total.setText(f"{total} so far ({missing} item{'s' if missing > 1 else ''} to score)")
            self.total.setStyleSheet("")
        elif total >= DISCHARGE_AT:
            self.total.setText(f"\u2713 {total} of 10: meets the discharge threshold ({DISCHARGE_AT} or more)")
            self.total.setStyleSheet(f"color: {theme.GREEN}; font-weight: bold;")
        else:
            self.total.setText(f"{theme.WARNING_SYMBOL} {total} of 10: below {DISCHARGE_AT}, reassess later")
            self.total.setStyleSheet(f"color: {theme.VERMILION}; font-weight: bold;")
        ends = self.record.observation_ends_at
        at = self._at()
        if ends is None:
            self.observation.setText("No minimum observation applies.")
            early = False
        elif at >= ends:
            self.observation.setText(f"\u2713 Minimum observation ended at {fmt_time(ends, self.ctx.zone)}.")
            early = False
        else:
            self.observation.setText(f"{theme.WARNING_SYMBOL} Minimum observation ends at "
                                     f"{fmt_time(ends, self.ctx.zone)} ({observation_minutes_left(ends, at)} min "
                                     f"left): a reason is required.")
            early = True
        self.observation.setStyleSheet("" if not early else f"color: {theme.VERMILION}; font-weight: bold;")
        self.form.setRowVisible(self.early_reason, early)

    def submit(self) -> None:
        scores = self.scores()
        for key in self.groups:
            if key not in scores:
                label = SCALES[self.scale][1][key][0]
                raise FieldError(key, f"Score {label} (0-2).")
        now = self.ctx.now()
        at = parse_clock_time(self.time.text(), now, self.ctx.zone) if self.time.text().strip() else now
        try:
            clinical.discharge(self.ctx.db, self.ctx.signed_in, self.record.id, scale=self.scale, items=scores,
                               escort_present=self.escort_present.isChecked(), escort_name=self.escort_name.text(),
                               instructions_given=self.instructions.isChecked(),
                               early_reason=text_of(self.early_reason), at=at,
                               expected_version=self.record.version, now=now,
                               prefilled={k: p.score for k, p in self.prefilled.items()})
        except ConcurrentEdit:
            # The session as it now stands (the scores typed stay): the retry is checked against it.
            self.record = queries.get_record(self.ctx.db, self.ctx.signed_in, self.record.id, with_hash=False)
            self._update()
            raise
