"""The first-run wizard: a new clinic's details, its first administrator and its starting limits and schedule.

Shown instead of the sign-in on a workstation where no archive ever was. Nothing is written until Finish: the
archive, the clinic details, the administrator (with the password they chose) and the defaults are made then,
together (services.first_run).
"""
from __future__ import annotations

import logging
from zoneinfo import available_timezones

from PySide6.QtCore import QTimeZone, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QComboBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout,
                               QWizard, QWizardPage)

from monitor_app import DISCLAIMER
from monitor_app.domain import schedule as schedules, thresholds as profiles
from monitor_app.domain.errors import ChairsideError, FieldError
from monitor_app.domain.session import DEFAULT_CHECKLIST
from monitor_app.services import settings as clinic
from monitor_app.services.users import MIN_DISTINCT, MIN_PASSWORD
from monitor_app.ui import theme
from monitor_app.ui.widgets import FieldMessages, MessageLine, icon

log = logging.getLogger(__name__)

PASSWORD_RULES = (f"At least {MIN_PASSWORD} characters and {MIN_DISTINCT} different ones; not the user name; "
                  f"not a common password. A short sentence is easy to remember and hard to guess.")


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {theme.MUTED};")
    return label


def _machine_zone() -> str:
    """The workstation's time zone as a starting suggestion; the clinic confirms or changes it."""
    zone = bytes(QTimeZone.systemTimeZoneId()).decode(errors="ignore")
    return zone if zone in available_timezones() else ""


class _Page(QWizardPage):
    """A page whose answers are checked when Next (or Finish) is pressed; a refusal is shown at its field."""

    def __init__(self, title: str, subtitle: str):
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.fields = FieldMessages()
        self.message = MessageLine()
        self.form = QFormLayout()
        self.form.setVerticalSpacing(8)
        box = QVBoxLayout(self)
        box.addLayout(self.form)
        box.addStretch(1)
        box.addWidget(self.message)

    def add_row(self, label: str, field: str, widget, note: str = "") -> None:
        widget.setAccessibleName(label)
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addWidget(widget)
        if note:
            column.addWidget(_note(note))
        column.addWidget(self.fields.label_for(field, widget))
        self.form.addRow(label, column)

    def check(self) -> None:  # raise FieldError for a refused answer
        pass

    def validatePage(self) -> bool:  # noqa: N802 (Qt's name)
        self.fields.clear()
        self.message.clear_message()
        try:
            self.check()
        except FieldError as exc:
            if not self.fields.show(exc):
                self.message.show_error(str(exc))
            return False
        except ChairsideError as exc:
            self.message.show_error(str(exc))
            return False
        return True


class ClinicPage(_Page):
    def __init__(self):
        super().__init__("Your clinic", "Printed at the top of every record. All of it can be changed later in "
                                        "Settings.")
        self.name = QLineEdit()
        self.name.setObjectName("clinicName")
        self.name.setMaxLength(200)
        self.address = QPlainTextEdit()
        self.address.setObjectName("clinicAddress")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.address.fontMetrics().lineSpacing() * 3 + 14)
        self.timezone = QComboBox()
        self.timezone.setObjectName("timezone")
        self.timezone.setEditable(True)
        self.timezone.setInsertPolicy(QComboBox.NoInsert)
        zones = sorted(available_timezones())
        self.timezone.addItems(zones)
        self.timezone.completer().setCaseSensitivity(Qt.CaseInsensitive)  # the list's own completer
        self.timezone.setEditText(_machine_zone())
        self.page_size = QComboBox()
        self.page_size.setObjectName("pageSize")
        self.page_size.addItems(list(clinic.PAGE_SIZES))
        self.add_row("Clinic name", "name", self.name)
        self.add_row("Address", "address", self.address)
        self.add_row("Time zone", "timezone", self.timezone, "Every time is shown in it, e.g. Europe/London.")
        self.add_row("Page size", "page_size", self.page_size, "For printed records: A4 or Letter.")

    def details(self) -> clinic.ClinicDetails:
        return clinic.ClinicDetails(
            name=self.name.text(), address=self.address.toPlainText(), page_size=self.page_size.currentText(),
            timezone=self.timezone.currentText().strip(), inactivity_lock_min=10, discharge_scale="aldrete",
            checklist_items=tuple(DEFAULT_CHECKLIST))

    def check(self) -> None:
        from monitor_app.services.first_run import check_clinic
        check_clinic(self.details())


class AdministratorPage(_Page):
    def __init__(self):
        super().__init__("The first administrator", "This account manages users and the clinic's details. "
                         "Choose the password yourself: Chairside has no default password.")
        self.username = QLineEdit()
        self.username.setObjectName("adminUsername")
        self.full_name = QLineEdit()
        self.full_name.setObjectName("adminFullName")
        self.credentials = QLineEdit()
        self.credentials.setObjectName("adminCredentials")
        self.password = QLineEdit()
        self.password.setObjectName("adminPassword")
        self.password.setEchoMode(QLineEdit.Password)
        self.confirmation = QLineEdit()
        self.confirmation.setObjectName("adminConfirmation")
        self.confirmation.setEchoMode(QLineEdit.Password)
        self.add_row("User name", "username", self.username, "Used to sign in, e.g. a first name.")
        self.add_row("Full name", "full_name", self.full_name, "As printed on signatures.")
        self.add_row("Credentials", "credentials", self.credentials, "Optional, e.g. RN, BSN.")
        self.add_row("Password", "password", self.password, PASSWORD_RULES)
        self.add_row("Password again", "confirmation", self.confirmation)

    def administrator(self):
        from monitor_app.services.first_run import FirstAdministrator
        return FirstAdministrator(self.username.text().strip(), self.full_name.text().strip(),
                                  self.credentials.text().strip(), self.password.text(), self.confirmation.text())

    def check(self) -> None:
        from monitor_app.services.first_run import check_administrator
        check_administrator(self.administrator())


class MonitoringPage(_Page):
    """The last page: Finish creates the archive with everything answered."""

    def __init__(self, create):
        super().__init__("Alert limits and schedule to start from",
                         f"Presets: {profiles.PRESET_NOTE} Both can be edited, or others added, in Settings.")
        self._create = create
        self.profile = QComboBox()
        self.profile.setObjectName("thresholdPreset")
        self.profile.addItems([p.name for p in profiles.PRESETS])
        self.schedule = QComboBox()
        self.schedule.setObjectName("schedulePreset")
        self.schedule.addItems([s.name for s in schedules.PRESETS])
        self.profile_text = _note("")
        self.schedule_text = _note("")
        self.add_row("Threshold profile", "profile", self.profile)
        self.form.addRow("", self.profile_text)
        self.add_row("Monitoring schedule", "schedule", self.schedule)
        self.form.addRow("", self.schedule_text)
        self.form.addRow("", _note("Finish creates the archive. Then sign in as the administrator to add the "
                                   "nurses and other users."))
        self.profile.currentIndexChanged.connect(self._describe)
        self.schedule.currentIndexChanged.connect(self._describe)
        self._describe()

    def _describe(self, *_args) -> None:
        t = profiles.PRESETS[self.profile.currentIndex()]
        parts = []
        for p in profiles.PARAMETERS:
            lim = t.for_parameter(p)
            if lim.low_warning is None and lim.high_warning is None:
                continue
            warn = "\u2013".join(str(v) for v in (lim.low_warning, lim.high_warning) if v is not None)
            crit = "\u2013".join(str(v) for v in (lim.low_critical, lim.high_critical) if v is not None)
            parts.append(f"{profiles.PARAMETER_LABELS[p]} {warn} (critical outside {crit})")
        self.profile_text.setText("Warning outside: " + "; ".join(parts) + ".")
        s = schedules.PRESETS[self.schedule.currentIndex()]
        self.schedule_text.setText(
            f"Baseline within {s.baseline_window_min} min before the start; a reading every "
            f"{s.infusion_interval_min} min during the infusion and every {s.recovery_interval_min} min in "
            f"recovery; at least {s.min_observation_min} min of observation.")

    def check(self) -> None:
        self._create(self.profile.currentText(), self.schedule.currentText())


class FirstRunWizard(QWizard):
    """Set-up of a new clinic; `completed(username)` once the archive exists with its administrator."""

    completed = Signal(str)

    def __init__(self, database_url: str | None, data_dir: str | None, parent=None):
        super().__init__(parent)
        self.database_url, self.data_dir = database_url, data_dir
        self.setWindowTitle("Chairside: set up a new clinic")
        self.setWindowIcon(icon("chairside"))
        self.setObjectName("firstRun")
        self.setWizardStyle(QWizard.ClassicStyle)
        self.setOption(QWizard.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.FinishButton, "Create the archive")
        self.clinic = ClinicPage()
        self.administrator = AdministratorPage()
        self.monitoring = MonitoringPage(self._create)
        for page in (self.clinic, self.administrator, self.monitoring):
            self.addPage(page)
        foot = QLabel(DISCLAIMER)
        foot.setStyleSheet(f"color: {theme.MUTED};")
        self.setSideWidget(None)
        self.setButtonLayout([QWizard.Stretch, QWizard.BackButton, QWizard.NextButton, QWizard.FinishButton,
                              QWizard.CancelButton])
        self.resize(760, 600)
        self.clinic.layout().addWidget(foot)

    def _create(self, profile_name: str, schedule_name: str) -> None:
        from monitor_app.services.first_run import set_up_clinic
        admin = self.administrator.administrator()
        QGuiApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            db = set_up_clinic(self.database_url, self.data_dir, self.clinic.details(), admin, profile_name,
                               schedule_name)
        except ChairsideError:
            raise
        except OSError as exc:
            log.error("first-run set-up failed: %s", exc)
            raise ChairsideError(f"The archive cannot be created ({exc.strerror or exc}); nothing was kept. "
                                 f"Check the data folder and try again.") from None
        except Exception as exc:
            log.exception("first-run set-up failed")
            raise ChairsideError(f"The archive cannot be created ({type(exc).__name__}); nothing was kept. The "
                                 f"details are in the log.") from None
        finally:
            QGuiApplication.restoreOverrideCursor()
        db.dispose()
        self._username = admin.username

    def done(self, result: int) -> None:
        super().done(result)
        if result == QWizard.Accepted:
            self.completed.emit(self._username)
