"""Sign-in, the inactivity lock that hides patient data but keeps the screen as it was, and its unlock."""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from monitor_app import DISCLAIMER
from monitor_app.domain.errors import ChairsideError
from monitor_app.services.access import Actor
from monitor_app.ui import theme
from monitor_app.ui.widgets import MessageLine, call_service, heading, icon, run_in_background

log = logging.getLogger(__name__)

# Input that counts as someone at the workstation; timers and repaints do not.
ACTIVITY_EVENTS = frozenset({QEvent.KeyPress, QEvent.MouseButtonPress, QEvent.MouseButtonDblClick,
                             QEvent.MouseMove, QEvent.Wheel, QEvent.TouchBegin, QEvent.TouchUpdate,
                             QEvent.InputMethod})


def _card(layout_owner: QWidget) -> tuple[QFrame, QVBoxLayout]:
    """A calm centred panel on the window background."""
    outer = QVBoxLayout(layout_owner)
    outer.addStretch(1)
    row = QHBoxLayout()
    row.addStretch(1)
    card = QFrame()
    card.setObjectName("panel")
    card.setStyleSheet(f"QFrame#panel {{ background: {theme.PAPER}; border: 1px solid #d5dbe1; "
                       f"border-radius: 10px; }}")
    card.setMinimumWidth(440)
    card.setMaximumWidth(560)
    row.addWidget(card)
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(2)
    foot = QLabel(DISCLAIMER)
    foot.setAlignment(Qt.AlignCenter)
    foot.setStyleSheet(f"color: {theme.MUTED};")
    outer.addWidget(foot)
    inner = QVBoxLayout(card)
    inner.setContentsMargins(36, 30, 36, 30)
    inner.setSpacing(14)
    return card, inner


class SignInWindow(QWidget):
    """The first window: shown before the archive is open, so the nurse can start typing at once."""

    signed_in = Signal(object)  # Actor

    def __init__(self, parent=None):
        super().__init__(parent)
        self.db = None
        self._pending = False
        self._checking = False
        # Set by the application: starts the password check while the archive is still opening.
        self.check_early: Callable[[str, str], None] | None = None
        self.setWindowTitle("Chairside: sign in")
        self.setWindowIcon(icon("chairside"))
        self.setObjectName("signin")
        self.setStyleSheet(f"QWidget#signin {{ background: {theme.PANEL}; }}")
        self.resize(900, 620)
        _panel, box = _card(self)
        title = heading("Chairside", 22)
        title.setStyleSheet(f"color: {theme.BLUE};")
        box.addWidget(title)
        self.clinic = QLabel("Opening the archive\u2026")
        self.clinic.setStyleSheet(f"color: {theme.MUTED};")
        box.addWidget(self.clinic)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setAccessibleName("User name")
        self.username.setMinimumHeight(34)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.Password)
        self.password.setMinimumHeight(34)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        box.addLayout(form)
        self.message = MessageLine()
        box.addWidget(self.message)
        self.button = QPushButton("Sign in")
        self.button.setObjectName("signInButton")
        self.button.setDefault(True)
        self.button.setMinimumHeight(38)
        self.button.setEnabled(False)
        box.addWidget(self.button)
        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.submit)
        self.button.clicked.connect(self.submit)
        self.username.setFocus()

    def set_database(self, db, clinic_name: str = "") -> None:
        self.db = db
        self.clinic.setText(clinic_name or "Sign in to continue")
        self.button.setEnabled(True)
        if self._pending:
            self.submit()

    def set_unavailable(self, text: str) -> None:
        """The archive could not be opened: say why, plainly, and keep the window (no traceback)."""
        self.clinic.setText("The archive cannot be opened")
        self.message.show_error(text)
        self.button.setEnabled(False)
        self.username.setEnabled(False)
        self.password.setEnabled(False)

    def reset(self) -> None:
        self.password.clear()
        self.message.clear_message()
        self.username.selectAll()
        self.username.setFocus()

    def submit(self) -> None:
        if self.db is None:
            self._pending = True  # Enter pressed while the archive is still opening: sign in once it is open
            self.message.show_info("Opening the archive\u2026")
            if self.check_early is not None and self.username.text().strip():
                self.check_early(self.username.text(), self.password.text())
            return
        self._pending = False
        if self._checking:
            return
        if not self.username.text().strip():
            self.message.show_error("Type your user name.")
            self.username.setFocus()
            return
        from monitor_app.services import users
        db, username, password = self.db, self.username.text(), self.password.text()
        self.password.clear()  # a password is never left in the field, right or wrong
        self._checking = True
        self.button.setEnabled(False)
        self.message.show_info("Checking your password\u2026")
        # The password check (Argon2, by design about a tenth of a second) runs off the GUI thread: the window
        # stays responsive meanwhile.
        run_in_background(lambda: users.sign_in(db, username, password), self._accepted, self._refused)

    def _accepted(self, actor) -> None:
        self._checking = False
        self.button.setEnabled(True)
        self.message.clear_message()
        self.signed_in.emit(actor)

    def _refused(self, exc: Exception) -> None:
        self._checking = False
        self.button.setEnabled(True)
        if isinstance(exc, ChairsideError):
            self.message.show_error(str(exc))
        else:  # logged by the worker; the nurse gets one sentence
            self.message.show_error(f"Signing in failed ({type(exc).__name__}); the details are in the log.")
        self.password.setFocus()


class LockScreen(QWidget):
    """Covers the workspace after inactivity; only the same user's password brings the screen back."""

    unlocked = Signal()
    sign_out_requested = Signal()

    def __init__(self, db, actor: Actor, clock: Callable | None = None, parent=None):
        super().__init__(parent)
        self.db, self.actor, self.clock = db, actor, clock
        self.setObjectName("lock")
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"QWidget#lock {{ background: {theme.PANEL}; }}")
        _panel, box = _card(self)
        box.addWidget(heading("\U0001f512 Chairside is locked", 18))
        who = QLabel(f"Signed in: <b>{actor.display}</b>. The screen is kept as you left it; "
                     f"enter your password to continue.")
        who.setWordWrap(True)
        box.addWidget(who)
        self.password = QLineEdit()
        self.password.setObjectName("unlockPassword")
        self.password.setAccessibleName("Password to unlock")
        self.password.setEchoMode(QLineEdit.Password)
        self.password.setPlaceholderText("Password")
        self.password.setMinimumHeight(34)
        box.addWidget(self.password)
        self.message = MessageLine()
        box.addWidget(self.message)
        row = QHBoxLayout()
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setDefault(True)
        self.unlock_button.setMinimumHeight(36)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.setToolTip("End this user's work here so another user can sign in")
        self.sign_out_button.setMinimumHeight(36)
        row.addWidget(self.sign_out_button)
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        box.addLayout(row)
        self.password.returnPressed.connect(self.submit)
        self.unlock_button.clicked.connect(self.submit)
        self.sign_out_button.clicked.connect(self.sign_out_requested)

    def prepare(self) -> None:
        self.password.clear()
        self.message.clear_message()
        self.password.setFocus()

    def submit(self) -> None:
        from monitor_app.services import users
        # Unlocking is a sign-in of the same user: checked, counted towards the lock-out, and audited.
        ok, actor = call_service(self.message, users.sign_in, self.db, self.actor.username, self.password.text())
        self.password.clear()
        if ok and actor.user_id == self.actor.user_id:
            self.message.clear_message()
            self.unlocked.emit()
        elif ok:
            self.message.show_error("Only the signed-in user can unlock; use Sign out to change user.")


class InactivityWatcher(QObject):
    """Emits `idle` after a stretch without keyboard, mouse or touch input anywhere in the application."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent=None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.timer.setInterval(max(1, timeout_ms))
        self.active = False
        app = QApplication.instance()
        app.installEventFilter(self)

    def set_timeout_ms(self, ms: int) -> None:
        self.timer.setInterval(max(1, ms))
        if self.active:
            self.timer.start()

    def start(self) -> None:
        self.active = True
        self.timer.start()

    def stop(self) -> None:
        self.active = False
        self.timer.stop()

    def uninstall(self) -> None:
        self.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if self.active and event.type() in ACTIVITY_EVENTS:
            self.timer.start()
        return False
