"""Small pieces the session screen's parts share: type size, refusal messages, form dialogs, clock text."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMessageBox,
                               QPlainTextEdit, QVBoxLayout, QWidget)

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.errors import ChairsideError, FieldError
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext


def point_size(ctx: UiContext, step: int = 0) -> int:
    return (theme.LARGE_POINT_SIZE if ctx.large_type else theme.BASE_POINT_SIZE) + step


def sized_font(ctx: UiContext, step: int = 0, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(point_size(ctx, step))
    f.setBold(bold)
    return f


def clock(moment: datetime | None, ctx: UiContext) -> str:
    return fmt_time(moment, ctx.zone)


def show_refusal(parent: QWidget | None, title: str, exc: ChairsideError) -> None:
    """A refused action (not a reading being typed): one clear sentence, never a traceback."""
    QMessageBox.warning(parent, title, str(exc))


def attempt(parent: QWidget | None, title: str, action: Callable[[], object]) -> bool:
    """Run a service call; on refusal show why and report False (the screen then reloads)."""
    try:
        action()
    except ChairsideError as exc:
        show_refusal(parent, title, exc)
        return False
    return True


class InlineError(QLabel):
    """The refusal message shown next to what was typed, so nothing is hidden behind a dialog."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(f"color: {theme.VERMILION}; font-weight: bold;")
        self.setAccessibleName("Error message")
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(f"{theme.CRITICAL_SYMBOL} {message}")
        self.show()

    def clear_message(self) -> None:
        self.setText("")
        self.hide()


class FormDialog(QDialog):
    """A small form whose OK runs `submit`; a refusal shows inside the dialog and keeps what was typed."""

    def __init__(self, ctx: UiContext, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.setFont(sized_font(ctx))
        self.layout_ = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.hide()
        self.layout_.addWidget(self.intro)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error = InlineError(self)
        self.layout_.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)
        self.fields: dict[str, QWidget] = {}

    @property
    def ok_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def set_intro(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.show()

    def add_field(self, name: str, label: str, widget: QWidget) -> QWidget:
        widget.setAccessibleName(label.rstrip(":"))
        self.form.addRow(label, widget)
        self.fields[name] = widget
        return widget

    def add_line(self, name: str, label: str, text: str = "", placeholder: str = "") -> QLineEdit:
        w = QLineEdit(text)
        w.setPlaceholderText(placeholder)
        return self.add_field(name, label, w)

    def add_text(self, name: str, label: str, placeholder: str = "") -> QPlainTextEdit:
        w = QPlainTextEdit()
        w.setPlaceholderText(placeholder)
        w.setTabChangesFocus(True)
        w.setFixedHeight(w.fontMetrics().lineSpacing() * 4)
        return self.add_field(name, label, w)

    def submit(self) -> None:  # overridden: call the service; raise ChairsideError to refuse
        raise NotImplementedError

    def _ok(self) -> None:
        try:
            self.submit()
        except FieldError as exc:
            self.error.show_message(exc.message)
            widget = self.fields.get(exc.field)
            if widget is not None:
                widget.setFocus()
            return
        except ChairsideError as exc:
            self.error.show_message(str(exc))
            return
        self.accept()


def text_of(widget: QWidget) -> str:
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    return widget.text()
