"""The floor view (home): one card per active chair, kept current with what every workstation writes."""
from __future__ import annotations

import html
import math
import logging
from datetime import datetime

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QVBoxLayout, QWidget)

from monitor_app.domain.clock import fmt_duration, fmt_time
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.schedule import due_text
from monitor_app.domain.session import Phase, Status
from monitor_app.domain.thresholds import Level
from monitor_app.domain.vitals import format_bp
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import MessageLine, clear_layout, heading

log = logging.getLogger(__name__)

POLL_MS = 2000       # how often the floor asks whether anything was written anywhere
RETIME_MS = 15000    # how often elapsed and due times are re-rendered
CARD_EMS = 20  # the narrowest card in line heights: large type widens the cards instead of clipping them


def card_width(widget: QWidget) -> int:
    return widget.fontMetrics().height() * CARD_EMS

PHASE_STYLE = {  # (background, text): each phase also says its name, never colour alone
    Phase.PRE_INFUSION: ("#e8ecf0", theme.INK),
    Phase.INFUSION: ("#d6e9f6", "#004a75"),
    Phase.PAUSED: ("#fde9c4", "#6b4700"),
    Phase.RECOVERY: ("#d5efe6", "#00573f"),
    Phase.DISCHARGED: ("#e8ecf0", theme.MUTED),
}


def _symbol(level: Level) -> str:
    return theme.CRITICAL_SYMBOL if level == Level.CRITICAL else theme.WARNING_SYMBOL


def flagged(text: str, level: Level | None) -> str:
    if not text:
        return f"<span style='color:{theme.MUTED}'>\u2013</span>"
    if level is None:
        return f"<b>{html.escape(text)}</b>"
    return (f"<span style='color:{theme.LEVEL_COLOUR[level]}; font-weight:700'>{_symbol(level)}\u2009"
            f"{html.escape(text)}</span>")


def _worst(*flags) -> Level | None:
    levels = [f.level for f in flags if f is not None]
    if Level.CRITICAL in levels:
        return Level.CRITICAL
    return Level.WARNING if levels else None


class SessionCard(QFrame):
    """One chair at a glance; click or Enter opens its session screen."""

    activated = Signal(int)
    move = Signal(object, int, int)  # this card, columns and rows to move the cursor by (arrow keys)

    def __init__(self, record: SessionRecord, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.record = record
        self.setObjectName("card")
        self.point_size = 0.0  # set by the floor when it places the card: the type grows with the card
        self.setFocusPolicy(Qt.StrongFocus)
        self.setCursor(Qt.PointingHandCursor)
        self.setFixedWidth(card_width(self))
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Maximum)
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        box.setSpacing(6)
        top = QHBoxLayout()
        self.chair = heading("", 17)
        self.chair.setObjectName("chairTitle")
        self.phase = QLabel()
        self.phase.setAlignment(Qt.AlignCenter)
        top.addWidget(self.chair)
        top.addStretch(1)
        top.addWidget(self.phase)
        box.addLayout(top)
        self.banner = QLabel()
        self.banner.setObjectName("criticalBanner")
        self.banner.setAlignment(Qt.AlignCenter)
        self.banner.setStyleSheet(f"background: {theme.VERMILION}; color: white; font-weight: 800; "
                                  "border-radius: 4px; padding: 4px 8px;")
        self.banner.hide()
        box.addWidget(self.banner)
        self.who = QLabel()
        self.who.setStyleSheet(f"color: {theme.MUTED};")
        box.addWidget(self.who)
        self.elapsed = QLabel()
        box.addWidget(self.elapsed)
        self.latest = QLabel()
        self.latest.setTextFormat(Qt.RichText)
        box.addWidget(self.latest)
        self.flags = QLabel()
        self.flags.setTextFormat(Qt.RichText)
        self.flags.setWordWrap(True)
        box.addWidget(self.flags)
        self.due = QLabel()
        self.due.setObjectName("due")
        self.due.setTextFormat(Qt.RichText)
        self.due.setWordWrap(True)
        box.addWidget(self.due)
        self.render(ctx.now())

    # -- drawing
    def render(self, now: datetime) -> None:
        rec, zone = self.record, self.ctx.zone
        self.chair.setText(f"Chair {rec.chair}" if rec.chair else "No chair")
        bg, fg = PHASE_STYLE.get(rec.phase, PHASE_STYLE[Phase.PRE_INFUSION])
        self.phase.setText(rec.phase.label.upper())
        self.phase.setStyleSheet(f"background: {bg}; color: {fg}; border-radius: 4px; padding: 3px 8px; "
                                 f"font-weight: 600;")
        self.who.setText(f"{rec.patient.initials}  \u00b7  MRN {rec.patient.mrn}  \u00b7  {rec.infusion_label}")
        self.elapsed.setText(self._elapsed_text(now))
        self.latest.setText(self._latest_html())
        n_crit = len(rec.open_critical_flags)
        n_warn = len(rec.open_flags) - n_crit
        parts = []
        if n_crit:
            parts.append(f"<span style='color:{theme.VERMILION}; font-weight:700'>{theme.CRITICAL_SYMBOL} "
                         f"{n_crit} critical flag{'s' if n_crit > 1 else ''} to acknowledge</span>")
        if n_warn:
            parts.append(f"<span style='color:#9a6700; font-weight:600'>{theme.WARNING_SYMBOL} "
                         f"{n_warn} warning{'s' if n_warn > 1 else ''}</span>")
        self.flags.setText("&nbsp;&nbsp;".join(parts))
        self.flags.setVisible(bool(parts))
        due = rec.next_due(now)
        overdue = due.overdue
        self.setProperty("overdue", overdue)
        text = due_text(due, now, zone)
        if due.at is None and due.reason != "baseline":
            text = f"<span style='color:{theme.MUTED}'>{text}</span>"
            due_style = ""
        elif overdue:
            text = f"<b>{theme.DUE_SYMBOL} {text}</b>"
            due_style = (f"background: {theme.VERMILION}; color: white; border-radius: 4px; padding: 4px 8px;")
        else:
            text = f"{theme.DUE_SYMBOL} {text}"
            due_style = (f"background: {theme.PANEL}; color: {theme.INK}; border-radius: 4px; padding: 4px 8px;")
        self.due.setText(text)
        self.due.setStyleSheet(due_style)
        self.overdue = overdue
        # The loudest card: open critical flags (a thick vermilion border and a banner), above an overdue reading
        # (a thinner orange border); the focused card is marked by a blue outline inside either.
        self.critical = n_crit > 0
        self.banner.setText(f"{theme.CRITICAL_SYMBOL} {n_crit} CRITICAL FLAG{'S' if n_crit > 1 else ''} OPEN"
                            if n_crit else "")
        self.banner.setVisible(bool(n_crit))
        if self.critical:
            self._look = (theme.VERMILION, 6, "#fff3ee")
        elif overdue:
            self._look = (theme.ORANGE, 3, theme.PAPER)
        else:
            self._look = ("#cfd6dd", 1, theme.PAPER)
        self._apply_look()
        self.setAccessibleName(f"Chair {rec.chair}, {rec.phase.label}"
                               + (f", {n_crit} critical flags open" if n_crit else "")
                               + (", reading overdue" if overdue else ""))

    def _apply_look(self) -> None:
        """The card's border, background and type size, in one style sheet (setting one re-styles every label in
        the card, so it is set only when it changes, and only once the floor has placed the card)."""
        if not self.point_size:
            return
        border, width, background = self._look
        sheet = (f"QFrame#card {{ background: {background}; border: {width}px solid {border}; border-radius: 10px; }}"
                 f" QFrame#card QLabel {{ font-size: {self.point_size:.1f}pt; }} QFrame#card QLabel#chairTitle "
                 f"{{ font-size: {self.point_size * 17 / 11:.1f}pt; font-weight: 600; }}"
                 f" QFrame#card:focus {{ border: {max(width, 3)}px solid {border if width > 1 else theme.BLUE}; "
                 f"outline: none; background: #eaf3fb; }}")
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)

    def set_point_size(self, points: float) -> None:
        """The card's type (a style sheet's font size: the card's own sheet would override a set font)."""
        if abs(points - self.point_size) < 0.05:
            return
        self.point_size = points
        self._apply_look()

    def _elapsed_text(self, now: datetime) -> str:
        rec = self.record
        if rec.phase == Phase.RECOVERY and rec.infusion_end_at:
            return f"Recovery for {fmt_duration(now - rec.infusion_end_at)}  (infusion ended " \
                   f"{fmt_time(rec.infusion_end_at, self.ctx.zone)})"
        if rec.infusion_start_at:
            what = "Infusion paused" if rec.phase == Phase.PAUSED else "Infusion running"
            return f"{what} \u2014 {fmt_duration(now - rec.infusion_start_at)} since start " \
                   f"{fmt_time(rec.infusion_start_at, self.ctx.zone)}"
        return f"Arrived {fmt_time(rec.arrival_at, self.ctx.zone)} \u2014 {fmt_duration(now - rec.arrival_at)} ago"

    def _latest_html(self) -> str:
        r = self.record.latest_reading
        if r is None:
            return f"<span style='color:{theme.MUTED}'>No reading yet</span>"
        v = r.current
        bp = flagged(format_bp(v.systolic, v.diastolic), _worst(r.flag_for("systolic"), r.flag_for("diastolic")))
        hr = flagged("" if v.heart_rate is None else str(v.heart_rate), _worst(r.flag_for("heart_rate")))
        spo2 = flagged("" if v.spo2 is None else f"{v.spo2}%", _worst(r.flag_for("spo2")))
        muted = f"color:{theme.MUTED}"
        return (f"<span style='{muted}'>{fmt_time(r.measured_at, self.ctx.zone)}</span>&nbsp;&nbsp; "
                f"<span style='{muted}'>BP</span> {bp}&nbsp;&nbsp; <span style='{muted}'>HR</span> {hr}"
                f"&nbsp;&nbsp; <span style='{muted}'>SpO\u2082</span> {spo2}")

    # -- input
    def mouseReleaseEvent(self, event):  # noqa: N802
        if event.button() == Qt.LeftButton and self.rect().contains(event.position().toPoint()):
            self.activated.emit(self.record.id)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event):  # noqa: N802
        if event.key() in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Space):
            self.activated.emit(self.record.id)
            return
        step = {Qt.Key_Left: (-1, 0), Qt.Key_Right: (1, 0), Qt.Key_Up: (0, -1), Qt.Key_Down: (0, 1)}.get(event.key())
        if step is not None and not event.modifiers() & ~Qt.KeypadModifier:
            self.move.emit(self, *step)
            return
        super().keyPressEvent(event)


class FreeChairCard(QFrame):
    """A chair with no session: shown, muted, so the floor is the room as it is."""

    def __init__(self, chair: str, parent=None):
        super().__init__(parent)
        self.chair_name = chair
        self.setObjectName("freeCard")
        self.setStyleSheet("QFrame#freeCard { background: transparent; border: 2px dashed #cfd6dd; "
                           "border-radius: 10px; }")
        self.setFixedWidth(card_width(self))
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Preferred)
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        self.chair = heading(f"Chair {chair}", 17)
        self.chair.setObjectName("chairTitle")
        self.chair.setStyleSheet(f"color: {theme.MUTED};")
        box.addWidget(self.chair)
        self.state = QLabel("Free")
        self.state.setStyleSheet(f"color: {theme.MUTED};")
        box.addWidget(self.state)
        box.addStretch(1)
        self.setAccessibleName(f"Chair {chair}, free")

    def set_point_size(self, points: float) -> None:
        self.setStyleSheet("QFrame#freeCard { background: transparent; border: 2px dashed #cfd6dd; "
                           f"border-radius: 10px; }} QFrame#freeCard QLabel {{ font-size: {points:.1f}pt; }} "
                           f"QFrame#freeCard QLabel#chairTitle {{ font-size: {points * 17 / 11:.1f}pt; "
                           "font-weight: 600; }")


def chair_key(chair: str | None):
    """Chair order as people count: "2" before "10"; sessions without a chair last."""
    import re
    if not chair:
        return [(2, 0, "")]
    return [(0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in re.findall(r"\d+|\D+", chair)]


class FloorView(QWidget):
    """Every active session at once; readings from other workstations appear within seconds."""

    open_session = Signal(int)

    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.cards: list[SessionCard] = []
        self.free_cards: list[FreeChairCard] = []
        self.tiles: list[QWidget] = []  # session and free-chair cards in chair order, as placed in the grid
        self._marker: int | None = None
        self._columns = 0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 12)
        outer.setSpacing(12)
        head = QHBoxLayout()
        self.title = heading("Floor", 20)
        head.addWidget(self.title)
        self.updated = QLabel()
        self.updated.setStyleSheet(f"color: {theme.MUTED};")
        head.addSpacing(16)
        head.addWidget(self.updated, 0, Qt.AlignBottom)
        head.addStretch(1)
        if ctx.signed_in.can("review"):  # the charge nurse's binder: one page a day, anchoring the archive
            self.daily_log_button = QPushButton("Print today's log")
            self.daily_log_button.setAccessibleName("Print today's daily clinic log")
            self.daily_log_button.clicked.connect(self.show_daily_log)
            head.addWidget(self.daily_log_button, 0, Qt.AlignBottom)
        outer.addLayout(head)
        self.message = MessageLine()
        outer.addWidget(self.message)
        self.backup_notice = MessageLine()  # a failed backup is seen where everyone looks, not only in the log
        self.backup_notice.setObjectName("backupNotice")
        outer.addWidget(self.backup_notice)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        body = QWidget()
        body.setObjectName("floorBody")
        body.setStyleSheet("QWidget#floorBody { background: transparent; }")
        scroll.viewport().setAutoFillBackground(False)
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(14)
        self.empty = QLabel("No active sessions." + (" Start one with New session (Ctrl+N)."
                                                     if ctx.signed_in.can("document") else ""))
        self.empty.setStyleSheet(f"color: {theme.MUTED}; padding: 30px;")
        self.empty.setAlignment(Qt.AlignCenter)
        self.body.addWidget(self.empty)
        self.grid = QGridLayout()
        self.grid.setSpacing(16)
        self.grid.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.body.addLayout(self.grid)
        self.waiting_title = heading("Awaiting signature", 14)
        self.body.addSpacing(8)
        self.body.addWidget(self.waiting_title)
        self.waiting = QVBoxLayout()
        self.waiting.setSpacing(4)
        self.body.addLayout(self.waiting)
        self.body.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.retime_timer = QTimer(self)
        self.retime_timer.setInterval(RETIME_MS)
        self.retime_timer.timeout.connect(self.retime)
        self.poll_timer.start()
        self.retime_timer.start()
        self._shown_before = False
        self.reload()
        self.show_backup_problem()

    def show_backup_problem(self) -> None:
        from monitor_app.services.backup_status import failure
        problem = failure(self.ctx.db)
        if problem and problem not in self.backup_notice.text():
            self.backup_notice.show_error(f"Backup failed. {problem} Tell the administrator (Settings, Backups "
                                          f"has Back up now).")
        elif not problem and not self.backup_notice.isHidden():
            self.backup_notice.clear_message()

    def show_daily_log(self) -> None:
        from monitor_app.ui.pdf_preview import DailyLogPreview
        DailyLogPreview(self.ctx, self.ctx.now().astimezone(self.ctx.zone).date(), self).exec()

    # -- data
    def poll(self) -> None:
        """Reload only when something was written since the last look (cheap: one indexed max())."""
        if not self.isVisible():
            return
        self.show_backup_problem()
        from monitor_app.services.queries import change_marker
        try:
            marker = change_marker(self.ctx.db)
        except Exception as exc:  # a lost network connection to the server must not stop the floor
            log.warning("floor poll failed: %s", type(exc).__name__)
            self.message.show_error("Cannot reach the archive; retrying every few seconds.")
            return
        if marker != self._marker:
            self.reload()
        elif self.message.isVisible():
            self.message.clear_message()

    def reload(self) -> None:
        from monitor_app.services import queries
        try:
            seen = queries.floor_data(self.ctx.db, self.ctx.signed_in, now=self.ctx.now(),
                                      with_awaiting=self.ctx.signed_in.can("document"))
        except Exception as exc:
            log.warning("floor reload failed: %s", type(exc).__name__)
            self.message.show_error("Cannot read the archive; retrying every few seconds.")
            return
        self.message.clear_message()
        self._marker = seen.marker
        self._show_cards(seen.active, seen.chairs)
        self._show_waiting(seen.awaiting)
        self.updated.setText(f"{len(seen.active)} active \u00b7 updated {fmt_time(self.ctx.now(), self.ctx.zone)}")

    def retime(self) -> None:
        if not self.isVisible():
            return
        now = self.ctx.now()
        for card in self.cards:
            card.render(now)

    def place_cursor(self) -> None:
        """The floor shown: the cursor on the card it was on, else the first card (Enter opens it)."""
        window = self.window()
        if window is not None and window.isVisible() and not window.isActiveWindow() and self.isVisible():
            window.activateWindow()
        current = window.focusWidget() if window is not None else None
        card = next((c for c in self.cards if c is current), None) or (self.cards[0] if self.cards else None)
        if card is not None:
            card.setFocus(Qt.OtherFocusReason)
        else:
            self.setFocus(Qt.OtherFocusReason)

    def _move_cursor(self, card: "SessionCard", dx: int, dy: int) -> None:
        if card not in self.cards:
            return
        columns = max(1, self._columns)
        # Through the grid as it is drawn (free chairs included); a free chair is skipped in the same direction.
        i = self.tiles.index(card)
        step = dx + dy * columns
        i += step
        while 0 <= i < len(self.tiles) and not isinstance(self.tiles[i], SessionCard):
            i += step if dy == 0 else (1 if step > 0 else -1)
        if 0 <= i < len(self.tiles):
            self.tiles[i].setFocus(Qt.TabFocusReason)

    def card_for(self, session_id: int) -> SessionCard | None:
        return next((c for c in self.cards if c.record.id == session_id), None)

    # -- layout
    def _show_cards(self, records: list[SessionRecord], chairs: list[str] = ()) -> None:
        window = self.window()
        current = window.focusWidget() if window is not None else None
        focused = next((c.record.id for c in self.cards if c is current), None)
        lost = current is None or current is self or self.isAncestorOf(current)  # the cursor was on the floor
        for card in self.cards + self.free_cards:
            card.setParent(None)
            card.deleteLater()
        records = sorted(records, key=lambda r: (chair_key(r.chair), r.arrival_at))
        self.cards = [SessionCard(r, self.ctx) for r in records]
        busy = {r.chair for r in records}
        self.free_cards = [FreeChairCard(c) for c in chairs if c not in busy]
        self.tiles = sorted(self.cards + self.free_cards,
                            key=lambda t: chair_key(t.record.chair if isinstance(t, SessionCard) else t.chair_name))
        for card in self.cards:
            card.activated.connect(self.open_session)
            card.move.connect(self._move_cursor)
        self.empty.setVisible(not self.tiles)
        self._columns = 0
        if self.isVisible():  # else when shown, at the size it is shown at
            self._place_cards()
        if focused is not None and (card := self.card_for(focused)) is not None:
            card.setFocus()
        elif lost and self.isVisible() and self.cards:
            self.cards[0].setFocus(Qt.OtherFocusReason)

    def _place_cards(self) -> None:
        """Every chair in a grid filling the width: as many columns as cards of the base width fit, each card
        widened to share the width, its type growing with it (read from across the room on a large screen)."""
        available = self.width() - 64
        base = card_width(self)
        # No more columns than a square grid needs: a few chairs get big cards, readable across the room.
        columns = max(1, min(available // (base + 16), math.ceil(math.sqrt(max(1, len(self.tiles))))))
        width = max(base, (available - 16 * (columns - 1)) // columns)
        if columns == self._columns and width == getattr(self, "_tile_width", 0) \
                and all(self.grid.indexOf(c) >= 0 for c in self.tiles):
            return
        self._columns = columns
        self._tile_width = width
        scale = min(1.5, width / base)
        base_points = max(1.0, self.font().pointSizeF())
        # Grows with the card, to half as large again as ordinary type.
        points = max(base_points, min(base_points * scale, theme.BASE_POINT_SIZE * 1.5)) \
            if base_points <= theme.BASE_POINT_SIZE else base_points  # large type is large enough
        for tile in self.tiles:
            self.grid.removeWidget(tile)
        for i, tile in enumerate(self.tiles):
            tile.setFixedWidth(width)
            tile.set_point_size(points)
            self.grid.addWidget(tile, i // columns, i % columns, Qt.AlignTop)
        for i in range(len(self.cards) - 1):
            QWidget.setTabOrder(self.cards[i], self.cards[i + 1])
        self.empty.setVisible(not self.tiles)

    def _show_waiting(self, records: list[SessionRecord]) -> None:
        clear_layout(self.waiting)
        actor = self.ctx.signed_in
        shown = 0
        for rec in records:
            if rec.status == Status.AWAITING_SIGNATURE:
                what = "awaiting signature"
            elif actor.can("review") and rec.review_signature() is None:
                what = "awaiting co-signature"
            else:
                continue
            button = QPushButton(f"{rec.patient.initials} \u00b7 MRN {rec.patient.mrn} \u00b7 {rec.infusion_label}"
                                 f" \u00b7 {rec.arrival_at.astimezone(self.ctx.zone):%Y-%m-%d} \u00b7 "
                                 f"{rec.primary_nurse} \u2014 {what}")
            button.setFlat(True)
            button.setCursor(Qt.PointingHandCursor)
            button.setStyleSheet(f"QPushButton {{ text-align: left; padding: 6px 10px; border: 1px solid #dde3e8; "
                                 f"border-radius: 6px; background: {theme.PAPER}; }} "
                                 f"QPushButton:focus {{ border: 2px solid {theme.BLUE}; }}")
            button.clicked.connect(lambda _=False, sid=rec.id: self.open_session.emit(sid))
            self.waiting.addWidget(button)
            shown += 1
        self.waiting_title.setVisible(shown > 0)

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        self._place_cards()

    def changeEvent(self, event):  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.ApplicationFontChange:
            QTimer.singleShot(0, self.reload)  # cards are sized from the type size

    def showEvent(self, event):  # noqa: N802
        super().showEvent(event)
        self._place_cards()
        if self._shown_before:  # coming back to the floor: catch up at once (the first time it was just read)
            QTimer.singleShot(0, self.poll)
            QTimer.singleShot(0, self.retime)
        self._shown_before = True
