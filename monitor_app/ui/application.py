"""Starting the desktop application: sign-in window first, then the archive, then the main window.

The sign-in window is on screen before the database, Alembic or any screen module is imported, so the nurse
can start typing while the archive opens in the background.
"""
from __future__ import annotations

import logging
import sys
from typing import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from monitor_app import __version__
from monitor_app.ui import quick_start

log = logging.getLogger(__name__)

# Calm and readable: light surfaces, generous padding, one accent colour (theme.BLUE) for focus.
STYLE = """
QMainWindow, QStackedWidget#workspace { background: #f4f6f8; }
QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox, QDateEdit, QPlainTextEdit, QTextEdit {
    padding: 4px 6px; border: 1px solid #b9c2cc; border-radius: 4px; background: #ffffff; }
QLineEdit:focus, QComboBox:focus, QSpinBox:focus, QDoubleSpinBox:focus, QDateEdit:focus, QPlainTextEdit:focus {
    border: 2px solid #0072B2; }
QPushButton { padding: 5px 14px; border: 1px solid #9aa6b2; border-radius: 5px; background: #ffffff; }
QPushButton:hover { background: #eef3f7; }
QPushButton:focus { border: 2px solid #0072B2; }
QPushButton:default { background: #0072B2; color: #ffffff; border: 1px solid #005a8c; }
QPushButton:default:hover { background: #005f94; }
QPushButton:disabled { color: #9aa6b2; background: #f1f3f5; border-color: #d5dbe1; }
QGroupBox { font-weight: 600; border: 1px solid #d5dbe1; border-radius: 8px; margin-top: 14px;
    background: #ffffff; padding: 14px 12px 10px 12px; }
QGroupBox::title { subcontrol-origin: margin; left: 12px; padding: 0 4px; color: #1b1f24; }
QTableView { background: #ffffff; alternate-background-color: #f7f9fb; gridline-color: #e3e8ed;
    selection-background-color: #cfe3f3; selection-color: #1b1f24; }
QHeaderView::section { background: #eef1f4; padding: 5px 6px; border: none; border-bottom: 1px solid #d5dbe1;
    font-weight: 600; }
QStatusBar { background: #eef1f4; }
QToolBar { background: #ffffff; border-bottom: 1px solid #d5dbe1; }
"""


def make_application() -> QApplication:
    """The QApplication with Chairside's names, icon search path, icon, type size, style and error hook."""
    app = QApplication.instance()
    if app is None:
        # Fractional scale factors (125 %, 150 %) are kept as they are: crisp text on high-DPI screens.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Chairside")
    app.setOrganizationName("Chairside")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("chairside")
    from monitor_app.ui.widgets import icon
    app.setWindowIcon(icon("chairside"))  # also registers the "icons:" search path
    app.setStyle("Fusion")
    app.setStyleSheet(STYLE)
    from monitor_app.ui.preferences import large_type_saved
    from monitor_app.ui.widgets import apply_type_size
    apply_type_size(large_type_saved())
    from monitor_app.ui import errors
    errors.install()
    return app


def open_archive(database_url: str | None, data_dir: str | None):
    """Open (migrating after a backup if needed) the archive and read its settings; returns (db, settings).

    The day's first copy of the archive is made afterwards (`daily_copy`), while the nurse signs in: a large
    archive's copy must not hold the sign-in up."""
    from monitor_app.logs import setup_logging
    from monitor_app.services import users  # noqa: F401  (Argon2, loaded here rather than at the first sign-in)
    from monitor_app.domain.errors import RuleViolation
    from monitor_app.services.settings import bootstrap, read_settings
    from monitor_app.storage.db import open_database, resolve_url
    _url, directory = resolve_url(database_url, data_dir)
    try:
        setup_logging(directory)
    except OSError as exc:  # an unwritable data folder must not stop the clinic; the archive check follows
        print(f"Chairside: cannot write the log in {directory}: {exc.strerror}", file=sys.stderr)
    # Never a new archive here (only the first-run set-up makes one): a missing one is an error that names the
    # file and the newest backup.
    db = open_database(database_url, data_dir, create=False)
    try:
        settings = read_settings(db)  # a read: no write lock taken at every start, at every workstation
    except RuleViolation:  # an archive made without its clinic settings gets them, audited, as a new one does
        bootstrap(db)
        settings = read_settings(db)
    return db, settings


def daily_copy(db) -> None:
    """The day's first copy of the archive; a failure is shown on the floor and in settings, and logged."""
    from monitor_app.services.backup_status import run_daily
    run_daily(db)


def open_unless_fresh(database_url: str | None, data_dir: str | None):
    """(db, settings) as open_archive gives; None where no archive ever was (the first run)."""
    from monitor_app.storage.db import archive_state
    if archive_state(database_url, data_dir) == "fresh":
        return None
    return open_archive(database_url, data_dir)


def load_home_screens() -> None:
    import monitor_app.services.queries  # noqa: F401
    import monitor_app.ui.floor  # noqa: F401
    import monitor_app.ui.main_window  # noqa: F401
    quick_start.settled()


def is_demo_clinic(settings) -> bool:
    from monitor_app.services.settings import DEMO_CLINIC_NAME
    return settings is not None and settings.name == DEMO_CLINIC_NAME


DEMO_MARK = "DEMO CLINIC \u2014 not for patient data"


def describe_open_error(exc: BaseException) -> str:
    """The archive could not be opened: one sentence for the nurse, the details in the log."""
    from monitor_app.domain.errors import ChairsideError
    if isinstance(exc, ChairsideError):
        return f"{exc} Ask your administrator; nothing was changed."
    if isinstance(exc, OSError):
        return f"The data folder cannot be used ({exc.strerror or exc}). Ask your administrator."
    return (f"The archive cannot be opened ({type(exc).__name__}). The details are in the log; "
            f"ask your administrator.")


class Shell(QObject):
    """Sign-in, main window, lock and sign-out, wired together."""

    def __init__(self, database_url: str | None, data_dir: str | None, clock: Callable | None = None):
        super().__init__()
        from monitor_app.ui.signin import SignInWindow
        self.database_url, self.data_dir = database_url, data_dir
        self.clock = clock  # "now" for every screen; the wall clock unless a caller passes its own
        self.db = None
        self.settings = None
        self.main_window = None
        self.wizard = None
        self.on_first_window: Callable[[], None] | None = None
        from monitor_app.ui.widgets import run_in_background
        # The archive starts opening in the background at once: its imports (Python) share the processor with
        # building and painting the sign-in window (Qt's own work runs outside Python's lock). What it finds
        # arrives once the sign-in window is up; a data folder where no archive ever was gets the first-run
        # wizard instead.
        run_in_background(lambda: open_unless_fresh(self.database_url, self.data_dir), self._archive_opened,
                          self._archive_failed)
        self.signin = SignInWindow()
        self.signin.signed_in.connect(self.enter)
        self.signin.check_early = self._check_password_early

    def start(self) -> None:
        if self.wizard is None:  # (an archive found missing already brought the wizard up instead)
            self.signin.show()
        QTimer.singleShot(0, self._first_window_shown)

    def _first_window_shown(self) -> None:
        if self.on_first_window is not None:
            self.on_first_window()
        install_fonts()  # while the archive opens: no name is shown before the main window

    def _check_password_early(self, username: str, password: str) -> None:
        """Enter pressed while the archive opens: the password check (Argon2, a tenth of a second or more)
        starts now, against the hash in the archive's file, alongside the opening; the sign-in takes its answer
        if the archive still holds that hash once it is open."""
        from monitor_app.ui.widgets import run_in_background
        url, folder = self.database_url, self.data_dir

        def check() -> None:
            from monitor_app.services.passwords import check_early
            from monitor_app.storage.location import stored_password_hash
            check_early(stored_password_hash(url, folder, username), password)
        run_in_background(check, lambda _none: None,
                          lambda exc: log.warning("early password check skipped: %s", type(exc).__name__))

    def _archive_opened(self, result) -> None:
        if result is None:
            self.show_first_run()
            return
        self.db, self.settings = result
        log.info("Chairside %s started", __version__)
        from monitor_app.ui.widgets import run_in_background
        db = self.db
        run_in_background(lambda: daily_copy(db), lambda _done: None,
                          lambda exc: log.error("the daily copy failed: %s: %s", type(exc).__name__, exc))
        self.signin.set_database(self.db, self.settings.name)
        if is_demo_clinic(self.settings):
            self.signin.setWindowTitle(f"Chairside: sign in \u2014 {DEMO_MARK}")
        # The main window and the floor are imported now, while the nurse types the password or while it is
        # checked (Argon2 runs outside Python's lock), not after the password is accepted.
        QTimer.singleShot(0, load_home_screens)

    def show_first_run(self) -> None:
        """No archive was ever here: the set-up wizard instead of a sign-in nobody could pass."""
        from monitor_app.ui.first_run import FirstRunWizard
        log.info("no archive yet: first-run set-up")
        quick_start.settled()
        self.wizard = FirstRunWizard(self.database_url, self.data_dir)
        self.wizard.completed.connect(self._set_up)
        self.wizard.rejected.connect(self._set_up_cancelled)
        self.wizard.show()
        self.signin.hide()

    def _set_up_cancelled(self) -> None:
        """Nothing was made; Chairside ends (the next start offers the wizard again)."""
        log.info("first-run set-up cancelled; no archive made")
        self.wizard.deleteLater()
        self.wizard = None
        QTimer.singleShot(0, lambda: QApplication.instance().exit(0))  # once the wizard is gone

    def _set_up(self, username: str) -> None:
        """The archive exists now: open it as at every start, with the administrator's name already typed."""
        from monitor_app.ui.widgets import run_in_background
        self.wizard.deleteLater()
        self.wizard = None
        self.signin.username.setText(username)
        self.signin.show()
        self.signin.password.setFocus()
        run_in_background(lambda: open_archive(self.database_url, self.data_dir), self._archive_opened,
                          self._archive_failed)

    def _archive_failed(self, exc: Exception) -> None:
        log.error("the archive cannot be opened: %s: %s", type(exc).__name__, exc)
        quick_start.settled()
        self.signin.set_unavailable(describe_open_error(exc))

    def enter(self, actor) -> None:
        from monitor_app.ui.context import UiContext
        from monitor_app.ui.main_window import MainWindow
        from monitor_app.ui.preferences import large_type_saved
        ctx = UiContext(self.db, actor)
        if self.clock is not None:
            ctx.clock = self.clock
        ctx.reload_settings()
        ctx.large_type = large_type_saved()
        self.main_window = MainWindow(ctx)
        self.main_window.setAttribute(Qt.WA_DeleteOnClose, True)
        self.main_window.signed_out.connect(self.leave)
        # The sign-in window goes first, then the main window comes up active: the nurse's next keys go to it.
        self.signin.hide()
        self.main_window.show()
        self.main_window.activateWindow()
        log.info("user id %s signed in", actor.user_id)

    def leave(self) -> None:
        self.signin.reset()
        self.signin.show()  # shown before the main window closes, so the application does not quit
        self.signin.activateWindow()
        self.main_window = None

    def shutdown(self) -> None:
        if self.db is not None:
            self.db.dispose()


def run_gui(args, on_first_window: Callable[[], None] | None = None) -> int:
    """Open the application (no command given); returns the exit status."""
    app = make_application()
    shell = Shell(getattr(args, "database_url", None), getattr(args, "data_dir", None))
    shell.on_first_window = on_first_window
    app.aboutToQuit.connect(shell.shutdown)
    shell.start()
    status = app.exec()
    return status


def install_fonts() -> None:
    """Make the record's fonts (resources/fonts) the screen's too, so every name the PDF prints shows on screen
    (Qt falls back to them for Arabic, Hebrew, CJK and the other scripts the workstation may lack)."""
    from pathlib import Path
    from PySide6.QtGui import QFontDatabase
    folder = Path(__file__).resolve().parents[2] / "resources" / "fonts"
    for path in sorted(folder.glob("*.ttf")):
        if not path.name.startswith("DejaVu") and QFontDatabase.addApplicationFont(str(path)) < 0:
            log.warning("the font %s could not be installed", path.name)
