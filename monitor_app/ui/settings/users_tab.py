"""User accounts (administrator): the list, adding with role and credentials, disabling, resetting a password."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QInputDialog, QLabel, QLineEdit, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from monitor_app.domain.errors import ChairsideError, FieldError
from monitor_app.domain.session import Role
from monitor_app.services import users
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import FieldMessages, MessageLine


@dataclass(frozen=True)
class UserRow:
    username: str
    full_name: str
    credentials: str
    role: Role
    active: bool


class UsersModel(QAbstractTableModel):
    HEADERS = ("User name", "Full name", "Credentials", "Role", "Account")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[UserRow] = []

    def set_rows(self, rows: list[UserRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.DisplayRole:
            return (r.username, r.full_name, r.credentials, r.role.label,
                    "active" if r.active else "disabled")[index.column()]
        if role == Qt.ForegroundRole and not r.active:
            return QColor(theme.MUTED)
        return None


class UsersTab(QWidget):
    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.can_edit = ctx.actor is not None and ctx.actor.can("manage_users")
        self.model = UsersModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("User accounts")
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message = MessageLine()
        self.disable_button = QPushButton("Disable\u2026")
        self.reset_button = QPushButton("Reset password\u2026")
        self.disable_button.clicked.connect(self.disable_selected)
        self.reset_button.clicked.connect(self.reset_selected)
        row_actions = QHBoxLayout()
        row_actions.addWidget(self.disable_button)
        row_actions.addWidget(self.reset_button)
        row_actions.addStretch(1)

        # Adding an account.
        self.add_box = QGroupBox("Add a user")
        self.fields = FieldMessages()
        self.new_username = QLineEdit()
        self.new_full_name = QLineEdit()
        self.new_credentials = QLineEdit()
        self.new_credentials.setPlaceholderText("e.g. RN, BSN")
        self.new_role = QComboBox()
        for role in Role:
            self.new_role.addItem(role.label, role.value)
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.Password)
        self.new_password.setPlaceholderText(f"at least {users.MIN_PASSWORD} characters")
        form = QFormLayout(self.add_box)
        for key, label, widget in (("username", "User name:", self.new_username),
                                   ("full_name", "Full name:", self.new_full_name),
                                   ("credentials", "Credentials:", self.new_credentials),
                                   ("role", "Role:", self.new_role), ("password", "Password:", self.new_password)):
            widget.setAccessibleName(f"New user {label.rstrip(':').lower()}")
            form.addRow(label, widget)
            form.addRow("", self.fields.label_for(key, widget))
        self.add_button = QPushButton("Add user")
        self.add_button.clicked.connect(self.add)
        form.addRow("", self.add_button)

        note = QLabel("Only an administrator manages user accounts. Shown read-only.")
        note.setStyleSheet(f"background: {theme.PANEL}; padding: 6px;")
        note.setVisible(not self.can_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addLayout(row_actions)
        layout.addWidget(self.message)
        layout.addWidget(self.add_box)
        for w in (self.disable_button, self.reset_button, self.add_box):
            w.setVisible(self.can_edit)
        self.reload()

    def reload(self) -> None:
        self.versions: dict[str, int] = {}
        try:
            found = users.list_users(self.ctx.db, self.ctx.signed_in)
            self.versions = {u.username: u.version for u in found}  # passed back with a change of the user
            rows = [UserRow(u.username, u.full_name, u.credentials, Role(u.role), u.active) for u in found]
        except ChairsideError as exc:
            self.message.show_error(str(exc))
            rows = []
        self.model.set_rows(rows)

    def selected(self) -> UserRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _attempt(self, action, done: str) -> bool:
        try:
            action()
        except ChairsideError as exc:
            self.message.show_error(str(exc))
            return False
        self.reload()
        self.message.show_info(done)
        return True

    def add(self) -> bool:
        self.fields.clear()
        self.message.clear_message()
        try:
            users.add_user(self.ctx.db, self.ctx.signed_in, self.new_username.text(), self.new_full_name.text(),
                           self.new_role.currentData(), self.new_password.text(), self.new_credentials.text())
        except FieldError as exc:
            if not self.fields.show(exc):
                self.message.show_error(exc.message)
            return False
        except ChairsideError as exc:
            self.message.show_error(str(exc))
            return False
        name = self.new_username.text().strip()
        for w in (self.new_username, self.new_full_name, self.new_credentials, self.new_password):
            w.clear()
        self.reload()
        self.message.show_info(f"User {name!r} added.")
        return True

    def disable_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.message.show_error("Select a user in the list first.")
            return
        if row.username == self.ctx.signed_in.username:
            self.message.show_error("You cannot disable your own account.")
            return
        reason, ok = QInputDialog.getText(self, "Disable user", f"Disable {row.full_name} ({row.username})? "
                                                              "Reason (kept in the audit trail):")
        if ok:
            self._attempt(lambda: users.disable_user(self.ctx.db, self.ctx.signed_in, row.username, reason.strip(),
                                                             expected_version=self.versions.get(row.username)),
                          f"User {row.username!r} disabled.")

    def reset_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.message.show_error("Select a user in the list first.")
            return
        dialog = ResetPasswordDialog(row, self)
        if dialog.exec() == QDialog.Accepted:
            self._attempt(lambda: users.reset_password(self.ctx.db, self.ctx.signed_in, row.username,
                                                       dialog.password.text(),
                                                       expected_version=self.versions.get(row.username)),
                          f"Password of {row.username!r} reset; the account is unlocked.")


class ResetPasswordDialog(QDialog):
    """The new password twice, so a typing slip does not lock a colleague out."""

    def __init__(self, row: UserRow, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Reset password")
        self.password = QLineEdit()
        self.again = QLineEdit()
        for w, name in ((self.password, "New password"), (self.again, "New password again")):
            w.setEchoMode(QLineEdit.Password)
            w.setAccessibleName(name)
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {theme.VERMILION}; font-weight: 600;")
        self.error.hide()
        form = QFormLayout()
        form.addRow(QLabel(f"New password for {row.full_name} ({row.username}):"))
        form.addRow("New password:", self.password)
        form.addRow("Again:", self.again)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _ok(self) -> None:
        if len(self.password.text()) < users.MIN_PASSWORD:
            self.error.setText(f"Password must be at least {users.MIN_PASSWORD} characters.")
        elif self.password.text() != self.again.text():
            self.error.setText("The two passwords differ; type them again.")
        else:
            self.accept()
            return
        self.error.show()

