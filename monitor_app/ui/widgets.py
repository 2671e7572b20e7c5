"""Small shared pieces of the shell: icons, the message line, field messages, service calls, background work."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QDir, QEvent, QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QLayout, QMessageBox, QWidget

from monitor_app.domain.errors import ChairsideError, FieldError
from monitor_app.domain.thresholds import Level
from monitor_app.ui import theme

log = logging.getLogger(__name__)

ERROR_STYLE = f"color: {theme.VERMILION}; font-weight: 600;"
_CRITICAL_BG = theme.LEVEL_BACKGROUND[Level.CRITICAL]


def resources_dir() -> Path:
    """resources/ next to the package, or inside the PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def register_icon_path() -> None:
    if not QDir.searchPaths("icons"):
        QDir.addSearchPath("icons", str(resources_dir() / "icons"))


def icon(name: str) -> QIcon:
    """An icon from resources/icons, found through the "icons:" search path."""
    register_icon_path()
    return QIcon(f"icons:{name}.svg")


def apply_type_size(large: bool) -> None:
    """Chairside large mode: every widget takes its size from the application font."""
    app = QApplication.instance()
    font = QFont(app.font())
    font.setPointSize(theme.LARGE_POINT_SIZE if large else theme.BASE_POINT_SIZE)
    app.setFont(font)


def scaled(points: float) -> int:
    """A point size relative to the current application font (headings stay in proportion in large mode)."""
    base = QApplication.instance().font().pointSizeF() or theme.BASE_POINT_SIZE
    return round(base * points / theme.BASE_POINT_SIZE)


def hold_size(label: QLabel, longest: str) -> None:
    """Fix a label whose text changes at every save to the size of its longest text: a new text then repaints
    the label alone, instead of re-laying out (and repainting) the screen around it."""
    text = label.text()
    label.setText(longest)
    hint = label.sizeHint()
    label.setText(text)
    label.setFixedSize(hint.width() + 8, hint.height())


class Heading(QLabel):
    """A title whose size follows the application font, so large mode enlarges it too."""

    def __init__(self, text: str = "", points: float = 16, parent=None):
        super().__init__(text, parent)
        self._points = points
        self._apply()

    def _apply(self) -> None:
        font = QFont(QApplication.instance().font())
        font.setPointSize(scaled(self._points))
        font.setWeight(QFont.DemiBold)
        self.setFont(font)

    def changeEvent(self, event):  # noqa: N802 (Qt's name)
        if event.type() == QEvent.ApplicationFontChange:
            self._apply()
        super().changeEvent(event)


def heading(text: str, points: float = 16) -> QLabel:
    return Heading(text, points)


def clear_layout(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.HLine)
    line.setStyleSheet(f"color: {theme.PANEL};")
    return line


class MessageLine(QLabel):
    """One line that says what happened (saved, refused and why); never a modal box over the nurse's typing."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.setAccessibleName("Message")
        self.hide()

    def show_error(self, text: str) -> None:
        self.setStyleSheet(f"QLabel {{ color: {theme.INK}; background: {_CRITICAL_BG};"
                           f" border-left: 4px solid {theme.VERMILION}; padding: 6px 10px; }}")
        self.setText("\u26a0 " + text)
        self.show()

    def show_info(self, text: str) -> None:
        self.setStyleSheet(f"QLabel {{ color: {theme.INK}; background: #e3f1ea;"
                           f" border-left: 4px solid {theme.GREEN}; padding: 6px 10px; }}")
        self.setText("\u2713 " + text)
        self.show()

    def clear_message(self) -> None:
        self.clear()
        self.hide()


class FieldMessages:
    """The message under each field: a refused value is explained where it was typed, the text stays."""

    def __init__(self):
        self._labels: dict[str, QLabel] = {}
        self._fields: dict[str, QWidget] = {}

    def label_for(self, field: str, widget: QWidget) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setStyleSheet(ERROR_STYLE)
        label.setAccessibleName(f"Message for {field}")
        label.hide()
        self._labels[field] = label
        self._fields[field] = widget
        return label

    def show(self, exc: FieldError) -> bool:
        label = self._labels.get(exc.field)
        if label is None:
            return False
        label.setText("\u26a0 " + exc.message)
        label.show()
        widget = self._fields[exc.field]
        widget.setFocus(Qt.OtherFocusReason)
        return True

    def text(self, field: str) -> str:
        label = self._labels.get(field)
        return label.text() if label is not None and not label.isHidden() else ""

    def clear(self) -> None:
        for label in self._labels.values():
            label.clear()
            label.hide()


def call_service(message: MessageLine | None, fn: Callable, *args, fields: FieldMessages | None = None,
                 **kwargs) -> tuple[bool, Any]:
    """Run a service call; a ChairsideError becomes a message (next to its field when there is one)."""
    try:
        return True, fn(*args, **kwargs)
    except FieldError as exc:
        if fields is not None and fields.show(exc):
            if message is not None:
                message.clear_message()
            return False, exc
        _say(message, str(exc))
        return False, exc
    except ChairsideError as exc:
        _say(message, str(exc))
        return False, exc


def _say(message: MessageLine | None, text: str) -> None:
    if message is not None:
        message.show_error(text)
    else:
        QMessageBox.warning(QApplication.activeWindow(), "Chairside", text)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals):
        super().__init__()
        self.fn, self.signals = fn, signals

    def run(self) -> None:
        try:
            result = self.fn()
        except ChairsideError as exc:
            self.signals.failed.emit(exc)
        except Exception as exc:  # handed to the GUI thread, which reports it
            log.exception("background work failed")
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


_running: set[_Signals] = set()


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_failed: Callable[[Exception], None]) -> None:
    """Long work (verify, export) off the GUI thread; results come back through queued signals."""
    signals = _Signals()
    _running.add(signals)  # kept alive until the result is delivered

    def finish(callback, value):
        _running.discard(signals)
        callback(value)

    signals.done.connect(lambda r: finish(on_done, r), Qt.QueuedConnection)
    signals.failed.connect(lambda e: finish(on_failed, e), Qt.QueuedConnection)
    QThreadPool.globalInstance().start(_Job(fn, signals))
