"""The chairside session screen: puts the header, entry, chart, table, flags, events and signing together."""
from __future__ import annotations

import bisect

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QHBoxLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QSplitter, QTextEdit, QVBoxLayout, QWidget)

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.errors import ChairsideError
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.session import Phase
from monitor_app.services import clinical, queries
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.chart import SessionChart
from monitor_app.ui.session.confirm_bar import ConfirmBar
from monitor_app.ui.session.common import FormDialog, attempt, show_refusal, sized_font, text_of
from monitor_app.ui.session.corrections import AmendDialog, EnteredInErrorDialog, reading_summary
from monitor_app.ui.session.entry import ReadingEntry
from monitor_app.ui.session.events_panel import EventsPanel
from monitor_app.ui.session.flags_panel import FlagsPanel
from monitor_app.ui.session.header import SessionHeader
from monitor_app.ui.session.readings_model import ReadingsModel, ReadingsTable

TEXT_INPUTS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox)
TICK_MS = 5000  # the due clock, elapsed time and "now" line move on; other workstations' changes appear
ROWS_LEAST = 3  # readings in view at the least: what large type on a laptop's screen leaves beside the chart


class StopEarlyDialog(FormDialog):
    def __init__(self, ctx: UiContext, record: SessionRecord, minutes: int, parent=None):
        super().__init__(ctx, "Stop the infusion early", parent)
        self.record = record
        self.set_intro(f"The infusion has run {minutes} of {record.planned_minutes} planned minutes. "
                       "Stopping now is documented as stopped early.")
        self.reason = self.add_text("early_reason", "Reason (optional):", "for example: patient request")
        self.ok_button.setText("Stop infusion")

    def submit(self) -> None:
        clinical.stop_infusion(self.ctx.db, self.ctx.signed_in, self.record.id,
                               early_reason=text_of(self.reason) or "Stopped before the planned time",
                               expected_version=self.record.version, now=self.ctx.now())


class SessionScreen(QWidget):
    closed = Signal()

    def __init__(self, ctx: UiContext, session_id: int, read_only: bool = False, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.session_id = session_id
        self.read_only = read_only or not ctx.signed_in.can("document")
        self.record: SessionRecord | None = None
        self.marker = -1
        self.setFont(sized_font(ctx))
        editable = not self.read_only

        self.header = SessionHeader(ctx, editable)
        self.due = self.header.due
        self.entry = ReadingEntry(ctx, session_id)
        self.chart = SessionChart(ctx)
        self.model = ReadingsModel(ctx, self)
        self.table = ReadingsTable(self.model, editable)
        self.flags = FlagsPanel(ctx, editable)
        self.events = EventsPanel(ctx, session_id, editable)
        from monitor_app.ui.session.signing import SignaturesPanel
        self.signatures = SignaturesPanel(ctx)
        self.read_only_note = QLabel("Read-only record")
        self.read_only_note.setStyleSheet(f"color: {theme.MUTED}; font-weight: bold;")

        # Table actions
        self.amend_button = QPushButton("Amend\u2026")
        self.amend_button.setAccessibleName("Amend the selected reading")
        self.error_button = QPushButton("Entered in error\u2026")
        self.error_button.setAccessibleName("Mark the selected reading entered in error")
        self.amend_button.clicked.connect(lambda: self.amend(self.table.selected_reading_id()))
        self.error_button.clicked.connect(lambda: self.mark_error(self.table.selected_reading_id()))
        self.table.amend_requested.connect(self.amend)
        self.table.error_requested.connect(self.mark_error)
        # The symbols are explained where they are read: on the table and in each flagged cell's tooltip.
        self.legend = (f"{theme.WARNING_SYMBOL} warning, {theme.CRITICAL_SYMBOL} critical, {theme.LATE_SYMBOL} late "
                       f"entry, {theme.AMENDED_SYMBOL} amended, struck through: entered in error")
        self.table.setToolTip(self.legend)
        self.table.horizontalHeader().setToolTip(self.legend)
        self.table.setAccessibleDescription(self.legend)
        table_box = QWidget()
        tv = QVBoxLayout(table_box)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(self.table)

        # Bottom bar
        self.back_button = QPushButton("\u25c0 Floor")
        self.back_button.setAccessibleName("Back to the floor view")
        self.back_button.setToolTip("Back to the floor view (Alt+Left)")
        self.limits_button = QPushButton("Change limits\u2026")
        self.schedule_button = QPushButton("Change schedule\u2026")
        self.print_button = QPushButton("Print record\u2026")
        self.sign_button = QPushButton("Sign\u2026")
        self.cosign_button = QPushButton("Co-sign\u2026")
        self.addendum_button = QPushButton("Addendum\u2026")
        for b, tip in ((self.limits_button, "A clinician's order of other limits for this patient, from now on"),
                       (self.schedule_button, "A clinician's order of another monitoring schedule, from now on"),
                       (self.print_button, "Preview and print the session record"),
                       (self.sign_button, "Sign the record as its author; it then locks"),
                       (self.cosign_button, "Co-sign the signed record as reviewer"),
                       (self.addendum_button, "Add a signed addendum to the signed record")):
            b.setToolTip(tip)
            b.setAccessibleName(b.text().rstrip("\u2026"))
            b.setAutoDefault(False)
        self.back_button.clicked.connect(self.closed.emit)
        self.limits_button.clicked.connect(self.change_limits)
        self.schedule_button.clicked.connect(self.change_schedule)
        self.print_button.clicked.connect(self.print_record)
        self.sign_button.clicked.connect(self.sign)
        self.cosign_button.clicked.connect(self.cosign)
        self.addendum_button.clicked.connect(self.addendum)
        bar = QHBoxLayout()
        bar.setSpacing(4)
        bar.addWidget(self.back_button)
        bar.addWidget(self.read_only_note)
        bar.addWidget(self.amend_button)
        bar.addWidget(self.error_button)
        bar.addStretch(1)
        for b in (self.limits_button, self.schedule_button, self.print_button, self.addendum_button,
                  self.cosign_button, self.sign_button):
            bar.addWidget(b)

        # After discharge the entry line is closed, visibly; a reading measured earlier goes in through Late entry.
        self.late_open = False
        self.closed_note = QLabel()
        self.closed_note.setObjectName("entryClosed")
        self.closed_note.setWordWrap(True)
        self.closed_note.setStyleSheet(f"color: {theme.MUTED}; font-weight: bold;")
        self.late_button = QPushButton("Late entry\u2026")
        self.late_button.setAccessibleName("Late entry")
        self.late_button.setToolTip("Add a reading measured before the discharge (its time is required)")
        self.late_button.setAutoDefault(False)
        self.late_button.clicked.connect(self.open_late_entry)
        entry_row = QHBoxLayout()
        entry_row.addWidget(self.entry, 1)
        entry_row.addWidget(self.closed_note)
        entry_row.addWidget(self.late_button)
        self.entry_box = QWidget()
        self.entry_box.setLayout(entry_row)
        self.entry_box.setObjectName("entry_box")
        self.entry_box.setAutoFillBackground(True)  # a palette, not a style sheet: the entry repaints on every save
        palette = self.entry_box.palette()
        palette.setColor(self.entry_box.backgroundRole(), QColor(theme.PANEL))
        self.entry_box.setPalette(palette)
        entry_row.setContentsMargins(8, 2, 8, 2)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.chart)
        left.addWidget(table_box)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)
        # Six readings in view (four in large type) where the screen allows it, never fewer than three; the chart
        # never shorter than shows every panel whole; it takes the rest, and the nurse may move the divider.
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.row_height = self.table.verticalHeader().defaultSectionSize()
        self.rows_wanted = 4 if ctx.large_type else 6
        self.table.setMinimumHeight(self.row_height * ROWS_LEAST + self.table.horizontalHeader().sizeHint().height()
                                    + self.table.horizontalScrollBar().sizeHint().height() + 4)
        self.chart.setMinimumHeight(self.chart.compact_height())
        left.setChildrenCollapsible(False)
        self.left_split = left
        self.divider_moved = False  # until the nurse moves it, the chart takes all the height the table can spare
        left.splitterMoved.connect(lambda *_: setattr(self, "divider_moved", True))
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.flags)
        right.addWidget(self.events)
        right.addWidget(self.signatures)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)
        right.setChildrenCollapsible(False)
        self.events.quick.setMinimumHeight(self.events.quick.sizeHint().height())
        for lst in (self.flags.list, self.events.list):
            lst.setMinimumHeight(lst.fontMetrics().height() * 2 + 10)
        width = max(350, self.events.quick.sizeHint().width() + 8,
                    self.flags.title.width() + self.flags.ack_button.sizeHint().width() + 16)
        right.setMinimumWidth(width)  # the quick event buttons keep their whole labels
        right.setMaximumWidth(width + 120)
        self.side = right
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(right)
        body.setStretchFactor(0, 4)
        body.setStretchFactor(1, 1)
        body.setChildrenCollapsible(False)
        self.body = body
        # The side panel (flags, events, signatures) folds away for a wider chart and table; an open critical
        # flag still shows in the header's strip.
        self.side_button = QPushButton("Hide panel \u25b8")
        self.side_button.setAccessibleName("Show or hide the flags and events panel")
        self.side_button.setAutoDefault(False)
        self.side_button.clicked.connect(self.toggle_side)
        bar.insertWidget(1, self.side_button)
        # Ten buttons share one line, in large type too, at 1280 px: a narrower padding than the dialogs' buttons.
        for i in range(bar.count()):
            if isinstance(w := bar.itemAt(i).widget(), QPushButton):
                w.setStyleSheet("padding: 5px 9px;")

        root = QVBoxLayout(self)
        root.setContentsMargins(10, 8, 10, 8)
        root.setSpacing(6)
        self.confirm_bar = ConfirmBar(ctx)
        self.confirm_bar.on_closed = self.place_cursor
        root.addWidget(self.header)
        root.addWidget(self.entry_box)
        root.addWidget(self.confirm_bar)
        root.addWidget(body, 1)
        root.addLayout(bar)

        h = self.header.buttons
        h["start"].clicked.connect(self.start)
        h["pause"].clicked.connect(self.pause)
        h["resume"].clicked.connect(self.resume)
        h["stop"].clicked.connect(self.stop)
        h["discharge"].clicked.connect(self.discharge)
        self.shortcuts = {}
        for key, slot in (("F5", self.start), ("F6", self.pause_or_resume), ("F7", self.stop),
                          ("F8", self.discharge), ("Alt+Left", self.closed.emit),
                          ("Escape", self.escape)):
            sc = QShortcut(QKeySequence(key), self, slot)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.shortcuts[key] = sc

        self.entry.saved.connect(self.reading_saved)
        self.flags.changed.connect(self.refresh)
        self.events.changed.connect(self.refresh)
        self.flags.dialog_closed.connect(self.place_cursor)
        self.events.dialog_closed.connect(self.place_cursor)
        due_policy = self.due.sizePolicy()
        due_policy.setRetainSizeWhenHidden(True)  # the header keeps its size in every phase
        self.due.setSizePolicy(due_policy)
        QApplication.instance().installEventFilter(self)  # digits typed anywhere on the screen go to the entry
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.refresh()
        self.timer.start()
        self.place_cursor()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        QTimer.singleShot(0, self.share_height)  # once the splitter has its new height

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        QTimer.singleShot(0, self.share_height)

    def share_height(self) -> None:
        """Until the nurse moves the divider, the readings table shows six readings (four in large type) where
        the chart keeps every panel whole beside them (large type on a laptop's screen leaves room for three),
        and the chart gets all the rest."""
        if self.divider_moved:
            return
        total = sum(self.left_split.sizes())
        least = self.left_split.widget(1).minimumSizeHint().height()
        wanted = least + self.row_height * (self.rows_wanted - ROWS_LEAST)
        table = max(least, min(wanted, total - self.chart.minimumHeight()))
        if total > table:
            self.left_split.setSizes([total - table, table])

    # ------------------------------------------------------------------------------------------ keyboard
    def place_cursor(self) -> None:
        """The keyboard contract: whenever this screen is shown, or a dialog or confirmation closes, the cursor
        is in BP (in the readings table once nothing more can be entered)."""
        window = self.window()
        if window is not None and window.isVisible() and not window.isActiveWindow() \
                and QApplication.activeModalWidget() is None and self.isVisible():
            window.activateWindow()
        if self.live and self.record.phase != Phase.DISCHARGED:
            self.entry.focus_bp()
        elif self.live and self.late_open:
            self.entry.edits["time"].setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        """A digit typed while the cursor is on this screen outside a text field starts a reading in BP."""
        if event.type() != QEvent.Type.KeyPress or not self.isVisible():
            return False
        focus = QApplication.focusWidget()
        if obj is not focus or focus is None or not self.isAncestorOf(focus) or isinstance(focus, TEXT_INPUTS):
            return False  # each key is seen once, where it is sent; a text field keeps its own keys
        text = event.text()
        if not text or not text.isdigit() or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if not self.live or self.record.phase == Phase.DISCHARGED:
            return False
        bp = self.entry.edits["bp"]
        self.entry.focus_bp()
        bp.end(False)
        bp.insert(text)
        return True

    # ------------------------------------------------------------------------------------------ state
    @property
    def live(self) -> bool:
        """The record can still be documented here (not read-only, not signed)."""
        return not self.read_only and self.record is not None and not self.record.locked

    def refresh(self) -> None:
        """Reload the record from the services and update every part."""
        marker = queries.change_marker(self.ctx.db)
        try:
            record = queries.get_record(self.ctx.db, self.ctx.signed_in, self.session_id, with_hash=False)
        except ChairsideError as exc:
            show_refusal(self, "Session record", exc)
            return
        self.marker = marker
        first = self.record is None
        self.record = record
        now = self.ctx.now()
        self._apply_mode(record)
        self.header.set_record(record, now)
        self.due.update_due(record, now)
        self.model.set_record(record)
        if first:  # opened: the latest readings in view (a later reload keeps where the nurse scrolled to)
            QTimer.singleShot(0, self.table.scrollToBottom)
        self.chart.set_record(record, now)
        self.flags.set_record(record)
        self.events.set_record(record)
        self.signatures.set_record(record)

    def _apply_mode(self, record: SessionRecord) -> None:
        live = self.live
        actor = self.ctx.signed_in
        entering = live and record.phase != Phase.DISCHARGED
        self.entry_box.setVisible(live)
        closed = live and record.phase == Phase.DISCHARGED
        if not closed:
            self.late_open = False
        self.entry.setEnabled(live and (not closed or self.late_open))
        self.closed_note.setVisible(closed)
        self.late_button.setVisible(closed and not self.late_open)
        if closed:
            self.closed_note.setText(
                "Late entry: type the time the reading was measured, then the values. (Esc closes the line.)"
                if self.late_open else
                f"\u2713 Discharged {fmt_time(record.discharged_at, self.ctx.zone)}: the entry line is closed.")
        self.due.setVisible(entering)
        self.header.editable = live
        self.header.actions.setVisible(live)
        self.flags.editable = live
        self.flags.ack_button.setVisible(live)
        self.events.editable = live
        self.events.quick.setVisible(entering)
        self.events.error_button.setVisible(live)
        self.table.editable = live
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu if live
                                        else Qt.ContextMenuPolicy.NoContextMenu)
        self.amend_button.setVisible(live)
        self.error_button.setVisible(live)
        self.limits_button.setVisible(entering)
        self.schedule_button.setVisible(entering)
        self.sign_button.setVisible(not self.read_only and not record.locked
                                    and record.primary_nurse_id == actor.user_id)
        self.sign_button.setEnabled(record.phase == Phase.DISCHARGED)
        self.sign_button.setToolTip("Sign the record as its author; it then locks" if record.phase == Phase.DISCHARGED
                                    else "Sign after the discharge assessment")
        self.cosign_button.setVisible(not self.read_only and record.status.value == "signed"
                                      and actor.can("review") and record.primary_nurse_id != actor.user_id)
        self.addendum_button.setVisible(not self.read_only and record.locked)
        self.read_only_note.setVisible(self.read_only or record.locked)
        self.read_only_note.setText("Read-only record" if self.read_only else
                                    f"Signed record ({record.status.value}): locked")

    def tick(self) -> None:
        if self.record is None:
            return
        try:
            if queries.change_marker(self.ctx.db) != self.marker:
                self.refresh()  # this workstation's last save, or another workstation's change
                return
        except ChairsideError:
            return
        now = self.ctx.now()
        self.header.update_time(self.record, now)
        self.due.update_due(self.record, now)
        self.chart.update_now(now)

    def reading_saved(self, shown) -> None:
        """The cheap update after a save: insert the one reading in the table and redraw the chart."""
        if self.late_open:  # one late reading, then the line closes again
            self.late_open = False
            self.refresh()
            self.place_cursor()
            return
        record = self.record
        view, version = shown
        keys = [(r.measured_at, r.id) for r in record.readings]
        record.readings.insert(bisect.bisect(keys, (view.measured_at, view.id)), view)
        record.version = version
        now = self.ctx.now()
        row = self.model.add_reading(view)
        if row == self.model.rowCount() - 1:
            self.table.scrollToBottom()
        else:
            self.table.scrollTo(self.model.index(row, 0))
        self.chart.set_record(record, now)
        self.flags.add_reading(view)
        self.entry.show_saved(view)
        self.header.show_critical(record)
        self.due.update_due(record, now)
        self.header.update_time(record, now)

    # -------------------------------------------------------------------------------- infusion actions
    def done_action(self) -> None:
        """After an action or a dialog: show the record as it now is, keyboard back on the entry."""
        self.refresh()
        self.place_cursor()

    def _act(self, title: str, action) -> None:
        attempt(self, title, action)
        self.done_action()

    def start(self) -> None:
        """Start infusion: first the review of what the record holds (checklist, medicines, allergies, dose,
        baseline and its age), which starts it on confirmation."""
        r = self.record
        if not self.live or r.phase != Phase.PRE_INFUSION:
            return
        self.confirm_bar.cancel()
        from monitor_app.ui.session.start_review import StartReviewDialog
        StartReviewDialog(self.ctx, r, self).exec()
        self.done_action()

    def toggle_side(self) -> None:
        shown = not self.side.isVisible()
        self.side.setVisible(shown)
        self.side_button.setText("Hide panel \u25b8" if shown else "\u25c2 Flags and events")
        self.place_cursor()

    def open_late_entry(self) -> None:
        """Open the closed entry line for one reading measured before the discharge."""
        if not self.live or self.record.phase != Phase.DISCHARGED:
            return
        self.late_open = True
        self._apply_mode(self.record)
        self.place_cursor()

    def close_late_entry(self) -> None:
        if self.late_open:
            self.late_open = False
            self._apply_mode(self.record)
            self.place_cursor()

    def escape(self) -> None:
        self.confirm_bar.cancel() if self.confirm_bar.pending else self.close_late_entry()

    def pause_or_resume(self) -> None:
        if self.record is not None and self.record.phase == Phase.PAUSED:
            self.resume()
        else:
            self.pause()

    def _confirm(self, name: str, text: str, label: str, key: str, action) -> None:
        """Ask in the bar; the same key again (or the bar's button) confirms."""
        if self.confirm_bar.pending == name:
            self.confirm_bar.confirm()
            return
        self.confirm_bar.ask(name, text, label, key, action)
        self.place_cursor()

    def pause(self) -> None:
        r = self.record
        if not self.live or r.phase != Phase.INFUSION:
            return
        self._confirm("pause", f"Pause the infusion at {fmt_time(self.ctx.now(), self.ctx.zone)}? "
                      "It is documented as paused until you resume it.", "Pause infusion", "F6",
                      lambda: self._act("Pause infusion", lambda: clinical.pause_infusion(
                          self.ctx.db, self.ctx.signed_in, r.id, expected_version=self.record.version,
                          now=self.ctx.now())))

    def resume(self) -> None:
        r = self.record
        if not self.live or r.phase != Phase.PAUSED:
            return
        self._confirm("resume", f"Resume the infusion at {fmt_time(self.ctx.now(), self.ctx.zone)}?",
                      "Resume infusion", "F6",
                      lambda: self._act("Resume infusion", lambda: clinical.resume_infusion(
                          self.ctx.db, self.ctx.signed_in, r.id, expected_version=self.record.version,
                          now=self.ctx.now())))

    def stop(self) -> None:
        r = self.record
        if not self.live or r.phase not in (Phase.INFUSION, Phase.PAUSED):
            return
        now = self.ctx.now()
        minutes = int((now - r.infusion_start_at).total_seconds() // 60)
        if minutes < r.planned_minutes:
            self.confirm_bar.cancel()
            StopEarlyDialog(self.ctx, r, minutes, self).exec()
            self.done_action()
            return
        self._confirm("stop", f"Stop the infusion at {fmt_time(now, self.ctx.zone)} after {minutes} minutes? "
                      "Recovery observation starts.", "Stop infusion", "F7",
                      lambda: self._act("Stop infusion", lambda: clinical.stop_infusion(
                          self.ctx.db, self.ctx.signed_in, r.id, expected_version=self.record.version,
                          now=self.ctx.now())))

    def discharge(self) -> None:
        r = self.record
        if not self.live or r.phase != Phase.RECOVERY:
            return
        self.confirm_bar.cancel()
        from monitor_app.ui.session.discharge_dialog import DischargeDialog
        DischargeDialog(self.ctx, r, self).exec()
        self.done_action()

    # -------------------------------------------------------------------------------- corrections
    def _reading(self, reading_id):
        return next((x for x in self.record.readings if x.id == reading_id), None) if reading_id else None

    def amend(self, reading_id: int | None) -> None:
        r = self._reading(reading_id)
        if not self.live or r is None or r.entered_in_error:
            return
        AmendDialog(self.ctx, r, r.version, self).exec()
        self.done_action()

    def mark_error(self, reading_id: int | None) -> None:
        r = self._reading(reading_id)
        if not self.live or r is None or r.entered_in_error:
            return
        EnteredInErrorDialog(self.ctx, "reading", r.id, reading_summary(r, self.ctx.zone), r.version,
                             self).exec()
        self.done_action()

    # -------------------------------------------------------------------------------- orders, print, signing
    def change_limits(self) -> None:
        from monitor_app.ui.session.order_dialog import OrderLimitsDialog
        OrderLimitsDialog(self.ctx, self.record, self).exec()
        self.done_action()

    def change_schedule(self) -> None:
        from monitor_app.ui.session.order_dialog import OrderScheduleDialog
        OrderScheduleDialog(self.ctx, self.record, self).exec()
        self.done_action()

    def print_record(self) -> None:
        from monitor_app.ui.pdf_preview import PdfPreviewDialog
        PdfPreviewDialog(self.ctx, self.session_id, self).exec()

    def sign(self) -> None:
        from monitor_app.ui.session.signing import SignDialog
        SignDialog(self.ctx, self.record, self).exec()
        self.done_action()

    def cosign(self) -> None:
        from monitor_app.ui.session.signing import CosignDialog
        CosignDialog(self.ctx, self.record, self).exec()
        self.done_action()

    def addendum(self) -> None:
        from monitor_app.ui.session.signing import AddendumDialog
        AddendumDialog(self.ctx, self.record, self).exec()
        self.done_action()
