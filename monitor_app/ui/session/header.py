"""The session header: who, which infusion, dose, phase and elapsed time, the infusion buttons, the due clock."""
from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.schedule import due_text
from monitor_app.domain.session import Phase
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import sized_font
from monitor_app.ui.widgets import hold_size

PHASE_STYLE = {  # text, background, symbol (never colour alone)
    Phase.PRE_INFUSION: ("Pre-infusion", "#d9dee4", "\u25cb"),
    Phase.INFUSION: ("Infusion running", theme.SKY, "\u25b6"),
    Phase.PAUSED: ("Infusion paused", theme.ORANGE, "\u2016"),
    Phase.RECOVERY: ("Recovery", "#8fd3bd", "\u25cf"),
    Phase.DISCHARGED: ("Discharged", "#c4cbd3", "\u2713"),
}
# (name, label, key); F6 pauses or resumes, whichever applies.
BUTTONS = (("start", "Start infusion", "F5"), ("pause", "Pause", "F6"), ("resume", "Resume", "F6"),
           ("stop", "Stop infusion", "F7"), ("discharge", "Discharge\u2026", "F8"))


STRIP_CRITICAL = (f"QLabel#criticalStrip {{ background: {theme.VERMILION}; color: white; padding: 4px 10px; "
                  "border-radius: 4px; }")
STRIP_CALM = (f"QLabel#criticalStrip {{ background: {theme.PANEL}; color: {theme.MUTED}; padding: 4px 10px; "
              "border-radius: 4px; font-weight: normal; }")
SHORT = {"systolic": "SYS", "diastolic": "DIA", "heart_rate": "HR", "spo2": "SpO2", "resp_rate": "RR"}


def short_flag(flag) -> str:
    """'SYS 192' for a flag: the parameter as the monitor shows it and the value."""
    return f"{SHORT.get(flag.parameter, flag.parameter)} {flag.value:g}"


def minutes_between(a: datetime, b: datetime) -> int:
    return max(0, int((b - a).total_seconds() // 60))


def elapsed_text(record: SessionRecord, now: datetime) -> str:
    if record.discharged_at is not None:
        return f"{minutes_between(record.arrival_at, record.discharged_at)} min in clinic"
    if record.infusion_end_at is not None:
        return f"{minutes_between(record.infusion_end_at, now)} min in recovery"
    if record.infusion_start_at is not None:
        return f"{minutes_between(record.infusion_start_at, now)} of {record.planned_minutes} min infused"
    return f"arrived {minutes_between(record.arrival_at, now)} min ago"


class SessionHeader(QWidget):
    def __init__(self, ctx: UiContext, editable: bool, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.editable = editable
        self.name = QLabel()
        self.name.setFont(sized_font(ctx, 6, bold=True))
        self.name.setAccessibleName("Patient")
        self.details = QLabel()
        self.details.setFont(sized_font(ctx))
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.phase = QLabel()
        self.phase.setFont(sized_font(ctx, 2, bold=True))
        self.phase.setAccessibleName("Phase")
        self.phase.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.phase.setStyleSheet("padding: 4px 12px;")
        self._longest_phase = max((f"{sym} {text}" for text, _c, sym in PHASE_STYLE.values()), key=len)
        hold_size(self.phase, self._longest_phase)
        self._wall = False
        self.elapsed = QLabel()
        self.elapsed.setFont(sized_font(ctx, 1))
        self.elapsed.setAccessibleName("Elapsed time")
        self.elapsed.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hold_size(self.elapsed, "888 of 888 min infused")
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.setSpacing(6)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        for name, label, key in BUTTONS:
            b = QPushButton(f"{label}  {key}")
            b.setFont(sized_font(ctx, 1, bold=True))
            b.setAccessibleName(label.rstrip("\u2026"))
            b.setToolTip(f"{label.rstrip(chr(0x2026))} ({key}); asks before it acts")
            # Outside the entry's Tab chain: Space or Enter typed for a reading can never press them.
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setAutoDefault(False)
            hint = b.sizeHint()
            b.setFixedSize(hint.width() + 8, hint.height() + 10)
            row.addWidget(b)
            self.buttons[name] = b
        # Pause and Resume take turns in one place of one width: the header keeps its size and place.
        width = max(self.buttons["pause"].width(), self.buttons["resume"].width())
        for name in ("pause", "resume"):
            self.buttons[name].setFixedWidth(width)
        self.actions = QWidget()
        self.actions.setLayout(row)
        # Only the actions of the phase are shown, right-aligned in an area as wide as the widest phase needs
        # (Pause or Resume with Stop): the header keeps its size and place in every phase.
        b = self.buttons
        self.actions.setFixedWidth(max(b["start"].width(), b["pause"].width() + 6 + b["stop"].width(),
                                       b["discharge"].width()))
        self.actions.setFixedHeight(max(x.height() for x in b.values()))

        self.due = DueClock(ctx)
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.name, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.details, 1, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.actions, 0, Qt.AlignmentFlag.AlignVCenter)
        status = QHBoxLayout()
        status.setSpacing(12)
        status.addWidget(self.phase)
        status.addWidget(self.elapsed)
        status.addWidget(self.due)
        status.addStretch(1)
        # While any critical flag is open, a strip across the header names it: the loudest thing on the screen.
        self.critical = QLabel()
        self.critical.setObjectName("criticalStrip")
        self.critical.setAccessibleName("Open critical flags")
        self.critical.setFont(sized_font(ctx, 1, bold=True))
        self.critical.setStyleSheet(STRIP_CRITICAL)
        self._strip_critical = True
        self.critical.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        policy = self.critical.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the header keeps its height whether or not a flag is open
        self.critical.setSizePolicy(policy)
        self.critical.setText(f"{theme.CRITICAL_SYMBOL} Critical")
        self.critical.setFixedHeight(self.critical.sizeHint().height())
        self.critical.setText("")
        grid = QVBoxLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        grid.addLayout(top)
        grid.addLayout(status)
        grid.addWidget(self.critical)
        # Shown or hidden only once it has a parent: a parentless widget shown would be a window of its own,
        # and taking it away again would leave no window active (the nurse's keys would go nowhere).
        self.actions.setVisible(editable)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def resizeEvent(self, event):  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        # On a wide screen (1920 and more) the phase and the next-due clock are read from across the room:
        # about 30 px high letters, readable at 2 metres.
        wall = event.size().width() >= 1700
        if wall != self._wall:
            self._wall = wall
            self.set_wall_size(wall)

    def set_wall_size(self, wall: bool) -> None:
        step = 9 if wall else 2
        for label, longest in ((self.phase, self._longest_phase), (self.due, self.due.longest)):
            label.setFont(sized_font(self.ctx, step, bold=True))
            label.setMinimumSize(0, 0)
            label.setMaximumSize(16777215, 16777215)
            hold_size(label, longest)
        self.elapsed.setFont(sized_font(self.ctx, 5 if wall else 1))
        self.elapsed.setMinimumSize(0, 0)
        self.elapsed.setMaximumSize(16777215, 16777215)
        hold_size(self.elapsed, "888 of 888 min infused")

    def set_record(self, record: SessionRecord, now: datetime) -> None:
        p = record.patient
        self.name.setText(f"{p.name}")
        dose = []
        if record.dose_mg_per_kg is not None:
            dose.append(f"{record.dose_mg_per_kg:g} mg/kg")
        if record.dose_mg_total is not None:
            dose.append(f"{record.dose_mg_total:g} mg")
        allergies = f" &middot; <b style='color:{theme.VERMILION}'>Allergies: {escape(p.allergies)}</b>" \
            if p.allergies else ""
        self.details.setText(
            f"MRN <b>{escape(p.mrn)}</b> &middot; <b>{escape(record.infusion_label)}</b> &middot; "
            f"{escape(record.course.indication_label)} &middot; {escape(record.medication)} "
            f"{' = '.join(dose)} {escape(record.route)} over {record.planned_minutes} min &middot; "
            f"Chair&nbsp;<b>{escape(record.chair or '-')}</b>{allergies}")  # never "Chair" at a line end
        text, colour, symbol = PHASE_STYLE[record.phase]
        self.phase.setText(f"{symbol} {text}")
        self.phase.setStyleSheet(f"background: {colour}; color: {theme.INK}; padding: 4px 12px; "
                                 "border-radius: 4px;")
        self.update_time(record, now)
        phase = record.phase
        enabled = {
            "start": phase == Phase.PRE_INFUSION,
            "pause": phase == Phase.INFUSION,
            "resume": phase == Phase.PAUSED,
            "stop": phase in (Phase.INFUSION, Phase.PAUSED),
            "discharge": phase == Phase.RECOVERY,
        }
        for name, b in self.buttons.items():
            b.setEnabled(self.editable and not record.locked and enabled[name])
            b.setVisible(enabled[name])
        self.show_critical(record)

    def show_critical(self, record: SessionRecord) -> None:
        """The strip naming every open critical flag (symbol, value, time), or nothing while none is open."""
        open_critical = record.open_critical_flags
        if not open_critical:
            self.critical.setText("\u2713 No open critical flags")
            self.critical.setToolTip("")
            self.critical.setProperty("critical", False)
            self._style_strip(False)
            return
        measured = {r.id: r.measured_at for r in record.readings}
        parts = [f"{short_flag(f)} at {fmt_time(measured.get(f.reading_id), self.ctx.zone)}" for f in open_critical]
        n = len(open_critical)
        named = ", ".join(parts[:3]) + (f" and {n - 3} more" if n > 3 else "")  # one line, never clipped
        text = f"{theme.CRITICAL_SYMBOL} {n} critical flag{'s' if n > 1 else ''} open: {named} \u2014 acknowledge in Flags"
        self.critical.setText(text)
        self.critical.setToolTip(text)
        self._style_strip(True)

    def _style_strip(self, critical: bool) -> None:
        if critical == self._strip_critical:
            return
        self._strip_critical = critical
        self.critical.setStyleSheet(STRIP_CRITICAL if critical else STRIP_CALM)

    def update_time(self, record: SessionRecord, now: datetime) -> None:
        self.elapsed.setText(elapsed_text(record, now))


class DueClock(QLabel):
    """'Next reading due 14:40 (in 6 min)', turning OVERDUE (colour, symbol and text) after the grace minute."""

    STYLE = "padding: 4px 10px; border-radius: 4px;"

    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setFont(sized_font(ctx, 2, bold=True))
        self.setAccessibleName("Next reading due")
        self.overdue = False
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(self.STYLE)  # its padding, before the size is taken
        self.longest = f"{theme.DUE_SYMBOL} OVERDUE: baseline too old since 00:00, repeat it"
        hold_size(self, self.longest)

    def setStyleSheet(self, sheet: str) -> None:
        # Re-applying a style sheet re-polishes and re-lays out the label: only when the look changes.
        if sheet != self.styleSheet():
            super().setStyleSheet(sheet)

    def update_due(self, record: SessionRecord, now: datetime) -> None:
        due = record.next_due(now)
        self.overdue = due.overdue
        style = self.STYLE
        text = due_text(due, now, self.ctx.zone)
        if due.reason == "baseline":
            self.setText(f"\u25cb {text}")
            self.setToolTip("Record a baseline reading before starting the infusion")
            self.setStyleSheet(f"{style} background: {theme.PANEL}; color: {theme.INK};")
        elif due.at is None:
            self.setText(text)
            self.setStyleSheet(f"{style} color: {theme.MUTED};")
        elif due.overdue:
            self.setText(f"{theme.DUE_SYMBOL} {text}")
            self.setToolTip("The baseline is older than the schedule's window: take a new one before the start"
                            if due.reason == "rebaseline" else
                            "The next reading is overdue (more than a minute past its time)")
            self.setStyleSheet(f"{style} background: {theme.VERMILION}; color: white;")
        else:
            self.setText(f"{theme.DUE_SYMBOL} {text}")
            self.setToolTip("")
            self.setStyleSheet(f"{style} background: {theme.PANEL}; color: {theme.INK};")