"""The discharge assessment: the clinic's scale with a running total, escort, instructions, minimum observation."""
from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QCheckBox, QGridLayout, QLabel, QRadioButton, QWidget

from monitor_app.domain.clock import fmt_time, parse_clock_time
from monitor_app.domain.discharge import DISCHARGE_AT, SCALES
from monitor_app.domain.errors import ConcurrentEdit, FieldError
from monitor_app.domain.record import SessionRecord
from monitor_app.services import clinical, queries
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import FormDialog, text_of


class DischargeDialog(FormDialog):
    def __init__(self, ctx: UiContext, record: SessionRecord, parent=None):
        super().__init__(ctx, "Discharge assessment", parent)
        if ctx.settings is None:
            ctx.reload_settings()
        self.record = record
        self.scale = ctx.settings.discharge_scale if ctx.settings.discharge_scale in SCALES else "aldrete"
        name, items = SCALES[self.scale]
        self.set_intro(f"<b>{name}</b>: score each item 0, 1 or 2. Discharge at a total of {DISCHARGE_AT} or more, "
                       f"with a responsible adult escort.")
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

    def scores(self) -> dict[str, int]:
        return {k: g.checkedId() for k, g in self.groups.items() if g.checkedId() >= 0}

    def _at(self):
        now = self.ctx.now()
        try:
            return parse_clock_time(self.time.text(), now, self.ctx.zone) if self.time.text().strip() else now
        except FieldError:
            return now

    def _update(self) -> None:
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
            left = int((ends - at).total_seconds() // 60) + 1
            self.observation.setText(f"{theme.WARNING_SYMBOL} Minimum observation ends at "
                                     f"{fmt_time(ends, self.ctx.zone)} ({left} min left): a reason is required.")
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
                               expected_version=self.record.version, now=now)
        except ConcurrentEdit:
            # The session as it now stands (the scores typed stay): the retry is checked against it.
            self.record = queries.get_record(self.ctx.db, self.ctx.signed_in, self.record.id, with_hash=False)
            self._update()
            raise
