"""The main window: floor, open session screens, archive and course views in one stacked area, with the lock."""
from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QLabel, QMainWindow, QMessageBox, QSizePolicy, QStackedWidget,
                               QToolBar, QVBoxLayout, QWidget)

from monitor_app import DISCLAIMER
from monitor_app.domain.errors import ChairsideError
from monitor_app.domain.session import Role
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.preferences import app_settings, large_type_saved
from monitor_app.ui.signin import InactivityWatcher, LockScreen
from monitor_app.ui.widgets import apply_type_size, heading, icon

log = logging.getLogger(__name__)

DEFAULT_LOCK_MIN = 10


class Unavailable(QWidget):
    """Shown in place of a screen this installation cannot open, with the reason in words."""

    def __init__(self, title: str, text: str, parent=None):
        super().__init__(parent)
        box = QVBoxLayout(self)
        box.setContentsMargins(32, 28, 32, 28)
        box.addWidget(heading(title, 18))
        label = QLabel(text)
        label.setWordWrap(True)
        box.addWidget(label)
        box.addStretch(1)


class MainWindow(QMainWindow):
    signed_out = Signal()

    def __init__(self, ctx: UiContext, qsettings: QSettings | None = None, lock_after_ms: int | None = None,
                 parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.qsettings = qsettings or app_settings()
        actor = ctx.signed_in
        self.setWindowIcon(icon("chairside"))
        clinic = ctx.settings.name if ctx.settings else "Chairside"
        self.setWindowTitle(f"Chairside \u2014 {clinic}")
        self.setMinimumSize(900, 600)

        self.workspace = QStackedWidget()
        self.workspace.setObjectName("workspace")
        self.outer = QStackedWidget()
        self.outer.addWidget(self.workspace)
        self.setCentralWidget(self.outer)
        self.lock_screen: LockScreen | None = None
        self._focus_before_lock = None
        self._covers: list[QWidget] = []
        self.sessions: dict[tuple[int, bool], QWidget] = {}
        self.new_session_page = None
        self.course_pages: dict[int, QWidget] = {}
        self.record_views: dict[int, QWidget] = {}
        self.archive = None
        self.settings_window = None
        self._shown_once = False
        self._focus_window = None
        QApplication.instance().focusWindowChanged.connect(self._focus_window_changed)

        self.floor = None
        if actor.role != Role.AUDITOR:
            from monitor_app.ui.floor import FloorView
            self.floor = FloorView(ctx)
            self.floor.open_session.connect(lambda sid: self.open_session(sid))
            self.workspace.addWidget(self.floor)

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()

        self._mark_demo()
        if self.floor is None:
            self.show_archive()  # an auditor's home is the archive

        minutes = ctx.settings.inactivity_lock_min if ctx.settings else DEFAULT_LOCK_MIN
        self.inactivity = InactivityWatcher(lock_after_ms if lock_after_ms is not None else minutes * 60_000, self)
        self.inactivity.idle.connect(self.lock)
        if lock_after_ms is not None or minutes > 0:
            self.inactivity.start()
        self._restore_geometry()

    # ------------------------------------------------------------------ actions, menus, toolbar, status bar
    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None, tip: str = "") -> QAction:
        act = QAction(text, self)
        if icon_name:
            act.setIcon(icon(icon_name))
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        return act

    def _build_actions(self) -> None:
        actor = self.ctx.signed_in
        self.act_new = self._action("New session", self.show_new_session, "Ctrl+N", "new-session",
                                    "Start documenting a patient's infusion session (Ctrl+N)")
        self.act_new.setVisible(actor.can("document"))
        self.act_floor = self._action("Floor", self.show_floor, "Ctrl+1", "floor", "Every active chair (Ctrl+1)")
        self.act_floor.setVisible(self.floor is not None)
        self.act_archive = self._action("Archive", self.show_archive, "Ctrl+F", "archive",
                                        "Find, open, export and verify records (Ctrl+F)")
        self.act_settings = self._action("Settings", self.show_settings, "Ctrl+,", "settings",
                                         "Threshold profiles, schedules, clinic details, users (Ctrl+,)")
        self.act_settings.setVisible(actor.can("configure_monitoring") or actor.can("clinic_settings")
                                     or actor.can("manage_users"))
        self.act_verify = self._action("Verify archive integrity\u2026", self.verify_archive, None, None,
                                       "Recompute the audit chain and every signature")
        self.act_verify.setVisible(actor.can("verify"))
        self.act_lock = self._action("Lock screen", self.lock, "Ctrl+L", "lock", "Hide the screen until you "
                                     "re-enter your password (Ctrl+L)")
        self.act_sign_out = self._action("Sign out", self.sign_out, None, "sign-out", "Sign out so another "
                                         "user can sign in")
        self.act_quit = self._action("Quit", self.close, "Ctrl+Q")
        self.act_large = self._action("Large type", self.set_large_type, "Ctrl+Shift+L", None,
                                      "Bigger type everywhere, for reading at the chair")
        self.act_large.setCheckable(True)
        self.act_large.setChecked(large_type_saved(self.qsettings))
        self.act_about = self._action("About Chairside", self.show_about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(self.act_new)
        m.addSeparator()
        m.addAction(self.act_lock)
        m.addAction(self.act_sign_out)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = bar.addMenu("&View")
        m.addAction(self.act_floor)
        m.addAction(self.act_archive)
        m.addSeparator()
        m.addAction(self.act_large)
        m = bar.addMenu("&Tools")
        m.addAction(self.act_verify)
        m.addAction(self.act_settings)
        m = bar.addMenu("&Help")
        m.addAction(self.act_about)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        tb.setStyleSheet("QToolBar { spacing: 6px; padding: 4px 8px; } QToolButton { padding: 4px 10px; }")
        for act in (self.act_new, self.act_floor, self.act_archive, self.act_settings):
            tb.addAction(act)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.toolbar_spacer = tb.addWidget(spacer)
        actor = self.ctx.signed_in
        # The whole name where the toolbar has room for it, else the role alone, else nothing (_fit_toolbar).
        self.user_texts = (f"{actor.display} \u00b7 {actor.role.label}", actor.role.label, "")
        self.user_label = QLabel(self.user_texts[0])
        self.user_label.setToolTip(self.user_texts[0])
        self.user_label.setObjectName("signedInUser")
        self.user_label.setAccessibleName("Signed-in user")
        self.user_label.setStyleSheet(f"color: {theme.MUTED}; padding-right: 8px;")
        tb.addWidget(self.user_label)
        tb.addAction(self.act_lock)
        tb.addAction(self.act_sign_out)
        self.addToolBar(Qt.TopToolBarArea, tb)
        self.toolbar = tb

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.disclaimer = QLabel(DISCLAIMER)
        self.disclaimer.setObjectName("disclaimer")
        self.disclaimer.setStyleSheet(f"color: {theme.MUTED}; padding: 0 6px;")
        sb.addWidget(self.disclaimer)  # always visible: status tips are shown in the right-hand part
        self.status_user = QLabel(f"Signed in: {self.ctx.signed_in.display}")
        self.status_user.setObjectName("signedInStatus")
        self.status_user.setStyleSheet(f"color: {theme.MUTED}; padding: 0 6px;")
        sb.addPermanentWidget(self.status_user)

    def _mark_demo(self) -> None:
        """A demo archive says so on every screen: in the window title and in the main toolbar (not a row of its
        own, which would take the chart's height on a laptop's screen)."""
        from monitor_app.ui.application import DEMO_MARK, is_demo_clinic
        if not is_demo_clinic(self.ctx.settings):
            return
        self.setWindowTitle(f"{self.windowTitle()} \u2014 {DEMO_MARK}")
        label = QLabel(f"\u26a0 {DEMO_MARK}")
        label.setObjectName("demoMark")
        label.setToolTip("Invented patients and users for a look around. For a clinic, start Chairside with a new "
                         "data folder to set up your own archive.")
        label.setStyleSheet("background: #fde9c4; color: #6b4700; font-weight: 600; padding: 4px 10px;")
        self.demo_banner = self.toolbar.insertWidget(self.toolbar_spacer, label)
        self._fit_toolbar()

    # ------------------------------------------------------------------------------------------ navigation
    def show_page(self, page: QWidget) -> None:
        if self.workspace.indexOf(page) < 0:
            self.workspace.addWidget(page)
        self.workspace.setCurrentWidget(page)
        self.focus_page()

    def focus_page(self) -> None:
        """The keyboard cursor where the shown page wants it (a session screen: BP; the floor: a card)."""
        page = self.workspace.currentWidget()
        if page is None or self.locked:
            return
        place = getattr(page, "place_cursor", None)
        if callable(place):
            place()
        else:
            page.setFocus()

    def _focus_window_changed(self, window) -> None:
        """A dialog of this window closed: take the keyboard back, with the cursor where the page wants it.

        A desktop's window manager usually re-activates the window under a closed dialog, but not every one
        does (nor the offscreen platform): without this, the nurse's next keys would go nowhere.
        """
        closed, self._focus_window = self._focus_window, window
        modal = QApplication.activeModalWidget()
        if window is self.windowHandle() and modal is not None and modal.isVisible():
            # This window was activated under an open dialog (a closing drop-down can do that): the keyboard
            # belongs to the dialog, which blocks this window anyway.
            QTimer.singleShot(0, modal.activateWindow)
            return
        if closed is None or window is not None and window is not self.windowHandle():
            return
        if closed is self.windowHandle() or not self.isVisible():
            return
        QTimer.singleShot(0, self._back_from_dialog)

    def _back_from_dialog(self) -> None:
        if not self.isVisible() or QApplication.activeModalWidget() is not None:
            return
        if any(w.isVisible() and w.isWindow() and w is not self and w.windowType() == Qt.Dialog
               for w in QApplication.topLevelWidgets()):
            return  # another of our dialogs is still open
        if QApplication.activeWindow() not in (None, self):
            return  # another window of ours (settings) has the keyboard
        self.activateWindow()
        self.focus_page()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_toolbar()

    def _fit_toolbar(self) -> None:
        """The signed-in name gives way where the toolbar is short of room (the status bar names the user too, the
        tooltip the role): Lock screen and Sign out never fold away behind the toolbar's » button."""
        tb = self.toolbar
        for text in self.user_texts:
            self.user_label.setText(text)
            if tb.layout().sizeHint().width() <= tb.width():
                return

    def showEvent(self, event):  # noqa: N802
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(0, self.focus_page)  # after sign-in: the first floor card has the cursor

    def show_floor(self) -> None:
        if self.floor is None:
            self.show_archive()
            return
        self.show_page(self.floor)
        self.floor.poll()

    def show_archive(self) -> None:
        if self.archive is None:
            from monitor_app.ui.archive import ArchivePage
            self.archive = ArchivePage(self.ctx)
            self.archive.open_record.connect(self.open_record)
            self.archive.open_course.connect(self.open_course)
            self.workspace.addWidget(self.archive)
        self.show_page(self.archive)
        if not callable(getattr(self.archive, "place_cursor", None)):
            self.archive.search_field.setFocus()

    def show_new_session(self) -> None:
        if not self.ctx.signed_in.can("document"):
            return
        if self.new_session_page is None:  # an unfinished form is kept until it is used or cancelled
            from monitor_app.ui.new_session import NewSessionPage
            self.new_session_page = NewSessionPage(self.ctx)
            self.new_session_page.created.connect(self._session_created)
            self.new_session_page.cancelled.connect(self._new_session_cancelled)
        self.show_page(self.new_session_page)
        self.new_session_page.start()

    def _drop_new_session_page(self) -> None:
        page, self.new_session_page = self.new_session_page, None
        if page is not None:
            self.workspace.removeWidget(page)
            page.deleteLater()

    def _session_created(self, session_id: int) -> None:
        self._drop_new_session_page()
        self.open_session(session_id)
        if self.floor is not None:
            self.floor.reload()

    def _new_session_cancelled(self) -> None:
        self._drop_new_session_page()
        self.show_floor()

    def open_session(self, session_id: int, read_only: bool = False) -> QWidget:
        read_only = read_only or not self.ctx.signed_in.can("document")
        if read_only or self._is_locked(session_id):  # reading a record, or a signed one: the record view
            return self.open_record(session_id)
        key = (session_id, read_only)
        screen = self.sessions.get(key)
        if screen is None:
            try:
                from monitor_app.ui.session.screen import SessionScreen
            except ImportError as exc:
                log.error("session screen unavailable: %s", exc)
                screen = Unavailable("Session screen unavailable",
                                     "This installation cannot open session screens. The record itself is "
                                     "safe; use the archive's PDF export to read it.")
            else:
                try:
                    screen = SessionScreen(self.ctx, session_id, read_only=read_only)
                except ChairsideError as exc:
                    QMessageBox.warning(self, "Chairside", str(exc))
                    return None
                screen.closed.connect(lambda k=key: self.close_session(k))
            self.sessions[key] = screen
            self.workspace.addWidget(screen)
        elif hasattr(screen, "refresh"):
            screen.refresh()
        self.show_page(screen)
        return screen

    def _is_locked(self, session_id: int) -> bool:
        from monitor_app.services.queries import get_record
        try:
            return get_record(self.ctx.db, self.ctx.signed_in, session_id, with_hash=False).locked
        except ChairsideError:
            return False  # the session screen says what is wrong

    def open_record(self, session_id: int) -> QWidget | None:
        """The read-only record view, for every role: what the PDF shows, the audit history and the checks."""
        view = self.record_views.get(session_id)
        if view is None:
            from monitor_app.ui.record_view import RecordView
            try:
                view = RecordView(self.ctx, session_id)
            except ChairsideError as exc:
                QMessageBox.warning(self, "Chairside", str(exc))
                return None
            view.back.connect(lambda sid=session_id: self.close_record(sid))
            view.open_course.connect(self.open_course)
            self.record_views[session_id] = view
            self.workspace.addWidget(view)
        else:
            view.reload()
        self.show_page(view)
        return view

    def close_record(self, session_id: int) -> None:
        view = self.record_views.pop(session_id, None)
        if view is not None:
            self.workspace.removeWidget(view)
            view.deleteLater()
        if self.archive is not None:
            self.show_archive()
        else:
            self.show_floor()

    def close_session(self, key: tuple[int, bool]) -> None:
        screen = self.sessions.pop(key, None)
        if screen is not None:
            self.workspace.removeWidget(screen)
            screen.deleteLater()
        if key[1] and self.archive is not None:
            self.show_archive()
        else:
            self.show_floor()

    def open_course(self, course_id: int) -> None:
        page = self.course_pages.get(course_id)
        if page is None:
            from monitor_app.ui.course_view import CourseView
            try:
                page = CourseView(self.ctx, course_id)
            except ChairsideError as exc:
                QMessageBox.warning(self, "Chairside", str(exc))
                return
            page.open_session.connect(self.open_record)
            page.back.connect(lambda cid=course_id: self._close_course(cid))
            self.course_pages[course_id] = page
        else:
            page.reload()
        self.show_page(page)

    def _close_course(self, course_id: int) -> None:
        page = self.course_pages.pop(course_id, None)
        if page is not None:
            self.workspace.removeWidget(page)
            page.deleteLater()
        if self.archive is not None:
            self.show_archive()
        else:
            self.show_floor()

    def show_settings(self) -> None:
        if self.settings_window is not None:
            self.settings_window.show()
            self.settings_window.raise_()
            self.settings_window.activateWindow()
            return
        try:
            from monitor_app.ui.settings.settings_window import SettingsWindow
        except ImportError as exc:
            log.error("settings window unavailable: %s", exc)
            QMessageBox.information(self, "Chairside", "Settings cannot be opened in this installation.")
            return
        win = SettingsWindow(self.ctx, parent=self)
        win.setWindowFlag(Qt.Window, True)
        win.setAttribute(Qt.WA_DeleteOnClose, True)
        win.destroyed.connect(self._settings_closed)
        self.settings_window = win
        win.show()

    def _settings_closed(self, *_args) -> None:
        self.settings_window = None
        try:
            self.ctx.reload_settings()
        except Exception:
            log.exception("reloading the clinic settings failed")
            return
        minutes = self.ctx.settings.inactivity_lock_min
        if minutes > 0:
            self.inactivity.set_timeout_ms(minutes * 60_000)
            if not self.inactivity.active and self.lock_screen is None:
                self.inactivity.start()
        else:
            self.inactivity.stop()
        if self.floor is not None:
            self.floor.reload()

    def verify_archive(self) -> None:
        self.show_archive()
        self.archive.verify()

    def set_large_type(self, large: bool) -> None:
        self.ctx.large_type = bool(large)
        self.qsettings.setValue("view/large_type", bool(large))
        apply_type_size(bool(large))
        # Widgets styled by a style sheet keep the font they were polished with: the menus and the toolbar are
        # polished again in the new size (the pages follow the application's font; session screens are built
        # anew, below).
        for bar in [self.menuBar()] + self.findChildren(QToolBar):
            for widget in [bar] + bar.findChildren(QWidget):
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        self._fit_toolbar()
        self._rebuild_session_screens()

    def _rebuild_session_screens(self) -> None:
        """Large type on or off applies at once: open session screens are built again in the new size, with what
        was typed in their entry kept and the one in front still in front."""
        from monitor_app.ui.session.screen import SessionScreen
        current = self.workspace.currentWidget()
        front = None
        for key, old in list(self.sessions.items()):
            if not isinstance(old, SessionScreen):
                continue
            typed = old.entry.texts()
            try:
                new = SessionScreen(self.ctx, key[0], read_only=key[1])
            except ChairsideError as exc:
                log.warning("session screen not rebuilt: %s", exc)
                continue
            new.closed.connect(lambda k=key: self.close_session(k))
            for field, text in typed.items():
                new.entry.edits[field].setText(text)
            self.workspace.insertWidget(self.workspace.indexOf(old), new)
            self.sessions[key] = new
            if old is current:
                front = new
                self.workspace.setCurrentWidget(new)
            self.workspace.removeWidget(old)
            old.deleteLater()
        if front is not None:
            self.focus_page()

    def show_about(self) -> None:
        from monitor_app.ui.about import AboutDialog
        dialog = AboutDialog(self.ctx.db, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose, True)
        dialog.open()

    # ---------------------------------------------------------------------------------------- lock, sign out
    @property
    def locked(self) -> bool:
        return self.lock_screen is not None

    def lock(self) -> None:
        """Hide every patient detail but keep each screen exactly as it is (half-typed entries included)."""
        if self.locked:
            return
        self.inactivity.stop()
        self._focus_before_lock = QApplication.focusWidget()
        self.lock_screen = LockScreen(self.ctx.db, self.ctx.signed_in, self.ctx.clock)
        self.lock_screen.unlocked.connect(self.unlock)
        self.lock_screen.sign_out_requested.connect(self.sign_out)
        self.outer.addWidget(self.lock_screen)
        self.outer.setCurrentWidget(self.lock_screen)
        self.menuBar().setEnabled(False)
        self.toolbar.setVisible(False)
        self._cover_other_windows()
        self.activateWindow()
        self.lock_screen.prepare()
        log.info("screen locked after inactivity or on request")

    def unlock(self) -> None:
        if not self.locked:
            return
        screen, self.lock_screen = self.lock_screen, None
        self.outer.setCurrentWidget(self.workspace)
        self.outer.removeWidget(screen)
        screen.deleteLater()
        self.menuBar().setEnabled(True)
        self.toolbar.setVisible(True)
        self._uncover_other_windows()
        focus, self._focus_before_lock = self._focus_before_lock, None
        restored = False
        if focus is not None:
            try:  # a half-typed field gets its cursor back; otherwise the page decides (BP on a session)
                if focus.isVisible() and focus.window() is self and self.workspace.isAncestorOf(focus) \
                        and getattr(focus, "text", None) is not None and callable(focus.text) and focus.text():
                    focus.setFocus(Qt.OtherFocusReason)
                    restored = True
            except RuntimeError:  # the widget went away meanwhile
                pass
        if not restored:
            self.focus_page()
        self.inactivity.start()

    def _cover_other_windows(self) -> None:
        """Windows of this application other than the main one (settings, preview) are covered too."""
        for w in QApplication.topLevelWidgets():
            if w is self or not w.isVisible() or w.windowType() in (Qt.Popup, Qt.ToolTip):
                continue
            cover = QLabel("\U0001f512 Locked \u2014 unlock in the Chairside main window.", w)
            cover.setAlignment(Qt.AlignCenter)
            cover.setAutoFillBackground(True)
            cover.setStyleSheet(f"background: {theme.PANEL}; color: {theme.INK};")
            cover.setGeometry(w.rect())
            cover.show()
            cover.raise_()
            w.setEnabled(False)
            self._covers.append(cover)

    def _uncover_other_windows(self) -> None:
        for cover in self._covers:
            try:
                parent = cover.parentWidget()
                if parent is not None:
                    parent.setEnabled(True)
                cover.deleteLater()
            except RuntimeError:
                pass
        self._covers = []

    def sign_out(self) -> None:
        self._uncover_other_windows()
        self.inactivity.uninstall()
        if self.settings_window is not None:
            self.settings_window.close()
        log.info("user signed out")
        self.signed_out.emit()
        self.close()

    # -------------------------------------------------------------------------------------------- geometry
    def _restore_geometry(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:  # first start on this workstation: the whole screen, as a chairside workstation is used
            area = self.screen().availableGeometry()
            self.setGeometry(area)
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        state = self.qsettings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def closeEvent(self, event):  # noqa: N802
        try:
            QApplication.instance().focusWindowChanged.disconnect(self._focus_window_changed)
        except (RuntimeError, TypeError):
            pass
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/state", self.saveState())
        self.inactivity.uninstall()
        if self.floor is not None:
            self.floor.poll_timer.stop()
            self.floor.retime_timer.stop()
        super().closeEvent(event)
