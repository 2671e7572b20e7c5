"""The bar that asks before a header action acts: what will happen, a confirm button and Cancel, in the screen.

Not a dialog: the entry stays visible and keeps the cursor, so a reading being typed is never hidden or sent to
the bar. The same function key pressed again confirms; Esc or Cancel withdraws.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy

from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import sized_font


class ConfirmBar(QFrame):
    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.setObjectName("confirmBar")
        self.setStyleSheet(f"QFrame#confirmBar {{ background: #fff4d6; border: 2px solid {theme.ORANGE}; "
                           "border-radius: 6px; }")
        self.text = QLabel()
        self.text.setObjectName("confirmText")
        self.text.setFont(sized_font(ctx, 0, bold=True))
        self.text.setWordWrap(True)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.confirm_button = QPushButton()
        self.confirm_button.setFont(sized_font(ctx, 0, bold=True))
        self.cancel_button = QPushButton("Cancel  Esc")
        self.cancel_button.setAccessibleName("Cancel")
        for b in (self.confirm_button, self.cancel_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the cursor stays in the entry
            b.setAutoDefault(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 10, 4)
        row.addWidget(self.text, 1)
        row.addWidget(self.confirm_button)
        row.addWidget(self.cancel_button)
        self.confirm_button.clicked.connect(self.confirm)
        self.cancel_button.clicked.connect(self.cancel)
        self.pending: str | None = None
        self._action: Callable[[], None] | None = None
        self.on_closed: Callable[[], None] | None = None
        self.hide()

    def ask(self, name: str, text: str, confirm_label: str, key: str, action: Callable[[], None]) -> None:
        """Show what `name` will do; `action` runs on confirmation (the key again or the button)."""
        self.pending, self._action = name, action
        self.text.setText(f"{text}  Press {key} again or click {confirm_label} to confirm.")
        self.confirm_button.setText(f"{confirm_label}  {key}")
        self.confirm_button.setAccessibleName(confirm_label)
        self.show()

    def confirm(self) -> None:
        action = self._action
        self._close()
        if action is not None:
            action()
        if self.on_closed is not None:
            self.on_closed()

    def cancel(self) -> None:
        self._close()
        if self.on_closed is not None:
            self.on_closed()

    def _close(self) -> None:
        self.pending, self._action = None, None
        self.hide()
