"""The one place that catches what nothing else caught: log it, then show the details with "Copy details"."""
from __future__ import annotations

import logging
import os
import sys
import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout)

from monitor_app import __version__
from monitor_app.logs import safe_error_text, safe_traceback

log = logging.getLogger("monitor_app.ui.errors")

ENV_SWITCH = "CHAIRSIDE_NO_ERROR_DIALOG"
_dialog_enabled = os.environ.get(ENV_SWITCH, "") not in ("1", "true", "yes")
_installed = False


def set_error_dialog_enabled(enabled: bool) -> None:
    """Tests switch the dialog off so an unexpected error fails the test instead of waiting for a click."""
    global _dialog_enabled
    _dialog_enabled = enabled


def error_dialog_enabled() -> bool:
    return _dialog_enabled and os.environ.get(ENV_SWITCH, "") not in ("1", "true", "yes")


class ErrorDialog(QDialog):
    """What went wrong, in one sentence, with the technical details folded below for the administrator."""

    def __init__(self, summary: str, details: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Chairside: unexpected error")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        head = QLabel("Something went wrong that Chairside did not expect. What you saved before is kept; "
                      "the details below are also in the log file.")
        head.setWordWrap(True)
        layout.addWidget(head)
        what = QLabel(summary)
        what.setWordWrap(True)
        what.setTextInteractionFlags(Qt.TextSelectableByMouse)
        what.setStyleSheet("font-weight: 600;")
        layout.addWidget(what)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setMinimumHeight(180)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        copy = QPushButton("Copy details")
        copy.setAccessibleName("Copy error details")
        buttons.addButton(copy, QDialogButtonBox.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class _Bridge(QObject):
    """Carries errors from any thread to the GUI thread (widgets are only touched there)."""

    raised = Signal(str, str)

    def __init__(self):
        super().__init__()
        self.raised.connect(self._show, Qt.QueuedConnection)
        self._showing = False

    def _show(self, summary: str, details: str) -> None:
        if not error_dialog_enabled() or self._showing:
            return
        self._showing = True  # one dialog at a time: a repeating error must not stack windows
        try:
            ErrorDialog(summary, details, QApplication.activeWindow()).exec()
        finally:
            self._showing = False


_bridge: _Bridge | None = None


def report(exc_type, exc, tb, where: str = "") -> None:
    """Log an uncaught error (no patient data: types and stack only) and show the dialog when enabled.

    An error's message may hold what was typed or the SQL with its values, so neither the log nor the dialog
    shows it: logs.safe_traceback keeps the stack and the error's type and cause.
    """
    details = f"Chairside {__version__}, Python {sys.version.split()[0]}\n{where}\n" + \
        safe_traceback(exc_type, exc, tb)
    log.error("uncaught error%s:\n%s", f" in {where}" if where else "", details)
    summary = safe_error_text(exc)
    if _bridge is not None and QApplication.instance() is not None:
        _bridge.raised.emit(summary, details)
    else:
        sys.__stderr__.write(details)


def _excepthook(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    report(exc_type, exc, tb)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    report(args.exc_type, args.exc_value, args.exc_traceback,
           f"thread {args.thread.name if args.thread else '?'}")


def install() -> None:
    """Called once the QApplication exists."""
    global _installed, _bridge
    if _bridge is None:
        _bridge = _Bridge()
    if not _installed:
        sys.excepthook = _excepthook
        threading.excepthook = _thread_excepthook
        _installed = True
