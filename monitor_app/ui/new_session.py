"""New session: find or create the patient, choose or create the course, then open the session."""
from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QFrame, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from monitor_app.domain.errors import FieldError
from monitor_app.domain.names import ORDER_LABELS, full_name
from monitor_app.domain.record import PatientView
from monitor_app.domain.session import CONCOMITANT_MEDICINES, INDICATIONS, OUTCOME_MEASURES
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import FieldMessages, MessageLine, call_service, heading

log = logging.getLogger(__name__)

NEW_COURSE = -1
SEXES = ("", "female", "male", "other")


def _number(field: str, text: str, label: str, lo: float, hi: float, unit: str = "",
            whole: bool = False) -> float | int | None:
    """A typed number, or None when blank; the message names the field and the range, as the services do."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise FieldError(field, f"{label} must be {kind} between {lo:g} and {hi:g}{unit}.") from None
    return value


def _date(field: str, text: str, label: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"{label} must be a date written YYYY-MM-DD, e.g. 1986-04-12.") from None


class NewSessionPage(QWidget):
    created = Signal(int)    # the new session's id
    cancelled = Signal()

    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.patient: PatientView | None = None
        self.courses = []
        self.fields = FieldMessages()
        self._total_edited = False
        self._search_timer = QTimer(self, singleShot=True, interval=150)
        self._search_timer.timeout.connect(self.search)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 12)
        head = QHBoxLayout()
        head.addWidget(heading("New session", 20))
        hint = QLabel("Find the patient first; create one only when the search finds nobody.")
        hint.setStyleSheet(f"color: {theme.MUTED};")
        head.addSpacing(16)
        head.addWidget(hint, 0, Qt.AlignBottom)
        head.addStretch(1)
        outer.addLayout(head)
        self.message = MessageLine()
        outer.addWidget(self.message)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 8, 0)
        grid.setHorizontalSpacing(20)
        left = QVBoxLayout()
        left.addWidget(self._patient_box())
        left.addWidget(self._course_box())
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self._session_box())
        right.addStretch(1)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        buttons = QHBoxLayout()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancelled)
        self.start_button = QPushButton("Open session")
        self.start_button.setObjectName("openSessionButton")
        self.start_button.setDefault(True)
        self.start_button.setMinimumHeight(38)
        self.start_button.setToolTip("Save and open the session screen (Ctrl+Enter)")
        self.start_button.clicked.connect(self.submit)
        buttons.addWidget(QLabel("Ctrl+Enter opens the session."), 0)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        outer.addLayout(buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.submit, context=Qt.WidgetWithChildrenShortcut)
        self._fill_courses()
        self._update_total()

    # ------------------------------------------------------------------------------------------ building
    def _row(self, form: QFormLayout, label: str, field: str, widget: QWidget, name: str | None = None) -> QWidget:
        widget.setObjectName(name or field)
        widget.setAccessibleName(label)
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(self.fields.label_for(field, widget))
        form.addRow(label, holder)
        return widget

    @staticmethod
    def _form() -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(8)
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        return form

    def _patient_box(self) -> QGroupBox:
        box = QGroupBox("1 \u00b7 Patient")
        lay = QVBoxLayout(box)
        self.search_field = QLineEdit()
        self.search_field.setObjectName("patientSearch")
        self.search_field.setAccessibleName("Find patient by MRN or name")
        self.search_field.setPlaceholderText("MRN or name, e.g. 100231 or Ngu")
        self.search_field.textEdited.connect(lambda _t: self._search_timer.start())
        self.search_field.returnPressed.connect(self._choose_first)
        lay.addWidget(self.search_field)
        lay.addWidget(self.fields.label_for("patient", self.search_field))
        self.results = QListWidget()
        self.results.setObjectName("patientResults")
        self.results.setAccessibleName("Patients found")
        self.results.setMaximumHeight(150)
        self.results.itemActivated.connect(lambda item: self.choose_patient(item.data(Qt.UserRole)))
        self.results.itemClicked.connect(lambda item: self.choose_patient(item.data(Qt.UserRole)))
        lay.addWidget(self.results)
        self.chosen = QLabel()
        self.chosen.setObjectName("chosenPatient")
        self.chosen.setWordWrap(True)
        self.chosen.setStyleSheet(f"background: #e3f1ea; border-left: 4px solid {theme.GREEN}; padding: 6px 10px;")
        self.chosen.hide()
        lay.addWidget(self.chosen)
        row = QHBoxLayout()
        self.new_patient_button = QPushButton("New patient\u2026")
        self.new_patient_button.setObjectName("newPatientButton")
        self.new_patient_button.clicked.connect(self.show_patient_form)
        self.change_patient_button = QPushButton("Choose another patient")
        self.change_patient_button.clicked.connect(self.clear_patient)
        self.change_patient_button.hide()
        row.addWidget(self.new_patient_button)
        row.addWidget(self.change_patient_button)
        row.addStretch(1)
        lay.addLayout(row)

        self.patient_form = QWidget()
        form = self._form()
        form.setContentsMargins(0, 6, 0, 0)
        self.patient_form.setLayout(form)
        self.mrn = self._row(form, "MRN", "mrn", QLineEdit())
        self.family_name = self._row(form, "Family name", "family_name", QLineEdit())
        self.given_name = self._row(form, "Given name", "given_name", QLineEdit())
        # How the full name is written: as its script does (李小龙), or family name first (Hungarian) or not.
        self.name_order = self._row(form, "Name order", "family_first", QComboBox())
        for choice, label in ORDER_LABELS.items():
            self.name_order.addItem(label, choice)
        self.name_preview = QLabel()
        self.name_preview.setStyleSheet(f"color: {theme.MUTED};")
        form.addRow("", self.name_preview)
        for w in (self.family_name, self.given_name):
            w.textChanged.connect(lambda _t: self._update_name_preview())
        self.name_order.currentIndexChanged.connect(lambda _i: self._update_name_preview())
        self.dob = self._row(form, "Date of birth", "date_of_birth", QLineEdit())
        self.dob.setPlaceholderText("YYYY-MM-DD")
        self.sex = self._row(form, "Sex", "sex", QComboBox())
        self.sex.addItems(["(not recorded)", "Female", "Male", "Other"])
        self.weight = self._row(form, "Weight (kg)", "weight_kg", QLineEdit())
        self.weight.setPlaceholderText("for the dose, 20-300")
        self.weight.textEdited.connect(lambda _t: self._update_total())
        self.allergies = self._row(form, "Allergies", "allergies", QLineEdit())
        self.notes = self._row(form, "Notes", "notes", QPlainTextEdit())
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(60)
        self.patient_form.hide()
        lay.addWidget(self.patient_form)
        return box

    def _course_box(self) -> QGroupBox:
        box = QGroupBox("2 \u00b7 Course")
        lay = QVBoxLayout(box)
        self.course_combo = QComboBox()
        self.course_combo.setObjectName("course")
        self.course_combo.setAccessibleName("Course")
        self.course_combo.currentIndexChanged.connect(lambda _i: self._update_course_form())
        lay.addWidget(self.course_combo)
        lay.addWidget(self.fields.label_for("course", self.course_combo))
        self.course_form = QWidget()
        form = self._form()
        form.setContentsMargins(0, 4, 0, 0)
        self.course_form.setLayout(form)
        self.indication = self._row(form, "Indication", "indication", QComboBox())
        for key, label in INDICATIONS.items():
            self.indication.addItem(label, key)
        self.indication.currentIndexChanged.connect(lambda _i: self._update_course_form())
        self.indication_other = self._row(form, "Other indication", "indication_other", QLineEdit())
        self.planned = self._row(form, "Planned infusions", "planned_infusions", QSpinBox())
        self.planned.setRange(1, 100)
        self.planned.setValue(6)
        self.prescriber = self._row(form, "Prescriber", "prescriber", QLineEdit())
        self.measure = self._row(form, "Outcome measure", "outcome_measure", QComboBox())
        for key, (label, rng) in OUTCOME_MEASURES.items():
            self.measure.addItem(label if rng is None else f"{label} ({rng[0]}-{rng[1]})", key)
        self.measure.currentIndexChanged.connect(lambda _i: self._update_outcome())
        lay.addWidget(self.course_form)
        return box

    def _session_box(self) -> QGroupBox:
        box = QGroupBox("3 \u00b7 Session")
        lay = QVBoxLayout(box)
        form = self._form()
        lay.addLayout(form)
        self.chair = self._row(form, "Chair", "chair", QLineEdit())
        self.clinician = self._row(form, "Supervising clinician", "supervising_clinician", QLineEdit())
        self.medication = self._row(form, "Medication", "medication", QLineEdit("Ketamine HCl"))
        self.dose = self._row(form, "Dose (mg/kg)", "dose_mg_per_kg", QLineEdit("0.5"))
        self.dose.textEdited.connect(lambda _t: self._update_total())
        self.total = self._row(form, "Total dose (mg)", "dose_mg_total", QLineEdit())
        self.total.textEdited.connect(self._total_typed)
        self.total_hint = QLabel()
        self.total_hint.setStyleSheet(f"color: {theme.MUTED};")
        form.addRow("", self.total_hint)
        self.route = self._row(form, "Route", "route", QLineEdit("IV"))
        self.minutes = self._row(form, "Planned minutes", "planned_minutes", QLineEdit("40"))
        self.lot = self._row(form, "Lot number", "lot_number", QLineEdit())
        self.outcome_label = QLabel("Outcome score")
        self.outcome = QLineEdit()
        self.outcome.setObjectName("outcome_score_before")
        holder = QWidget()
        hb = QVBoxLayout(holder)
        hb.setContentsMargins(0, 0, 0, 0)
        hb.setSpacing(2)
        hb.addWidget(self.outcome)
        hb.addWidget(self.fields.label_for("outcome_score_before", self.outcome))
        form.addRow(self.outcome_label, holder)
        self._outcome_holder = holder

        meds = QGroupBox("Concomitant sedating or BP-raising medicines")
        meds.setStyleSheet("QGroupBox { font-weight: normal; }")
        ml = QGridLayout(meds)
        self.medicine_boxes: dict[str, QCheckBox] = {}
        for i, name in enumerate(CONCOMITANT_MEDICINES):
            cb = QCheckBox(name)
            cb.setObjectName(f"medicine:{name}")
            self.medicine_boxes[name] = cb
            ml.addWidget(cb, i // 3, i % 3)
        lay.addWidget(meds)
        lay.addWidget(self.fields.label_for("concomitant_medicines", meds))

        checks = QGroupBox("Pre-infusion checklist")
        checks.setStyleSheet("QGroupBox { font-weight: normal; }")
        cl = QVBoxLayout(checks)
        self.checklist_boxes: dict[str, QCheckBox] = {}
        items = (self.ctx.settings.checklist_items if self.ctx.settings else None) or []
        for item in items:
            cb = QCheckBox(item)
            cb.setObjectName(f"check:{item}")
            self.checklist_boxes[item] = cb
            cl.addWidget(cb)
        if not items:
            cl.addWidget(QLabel("The clinic has no checklist items."))
        lay.addWidget(checks)
        return box

    # ------------------------------------------------------------------------------------------ patient
    def _update_name_preview(self) -> None:
        name = full_name(self.family_name.text(), self.given_name.text(), self.name_order.currentData())
        self.name_preview.setText(f"Written: {name}" if name else "")

    def start(self) -> None:
        if self.patient is None and not self.patient_form.isVisible():
            self.search_field.setFocus()
            if not self.results.count():
                self.search()

    def search(self) -> None:
        from monitor_app.services.queries import search_patients
        ok, found = call_service(self.message, search_patients, self.ctx.db, self.ctx.signed_in,
                                 self.search_field.text(), 20)
        self.results.clear()
        if not ok:
            return
        for p in found:
            dob = f" \u00b7 born {p.date_of_birth:%Y-%m-%d}" if p.date_of_birth else ""
            item = QListWidgetItem(f"{p.name} \u00b7 MRN {p.mrn}{dob}")
            item.setData(Qt.UserRole, p)
            self.results.addItem(item)
        if not found and self.search_field.text().strip():
            self.results.addItem(QListWidgetItem("Nobody found. Use New patient\u2026 to create the record."))
            self.results.item(0).setFlags(Qt.NoItemFlags)

    def _choose_first(self) -> None:
        self._search_timer.stop()
        self.search()
        item = self.results.item(0)
        if item is not None and item.data(Qt.UserRole) is not None:
            if self.results.count() == 1:
                self.choose_patient(item.data(Qt.UserRole))
            else:
                self.results.setCurrentRow(0)
                self.results.setFocus()

    def choose_patient(self, patient: PatientView | None) -> None:
        if patient is None:
            return
        self.patient = patient
        self.fields.clear()
        self.patient_form.hide()
        self.results.hide()
        self.search_field.hide()
        self.new_patient_button.hide()
        self.change_patient_button.show()
        bits = [f"<b>{patient.name}</b>", f"MRN {patient.mrn}"]
        if patient.date_of_birth:
            bits.append(f"born {patient.date_of_birth:%Y-%m-%d}")
        bits.append(f"{patient.weight_kg:g} kg" if patient.weight_kg else "weight not recorded")
        text = " \u00b7 ".join(bits)
        if patient.allergies:
            text += f"<br>Allergies: <b>{patient.allergies}</b>"
        self.chosen.setText(text)
        self.chosen.show()
        self._fill_courses()
        self._update_total()
        self.course_combo.setFocus()

    def clear_patient(self) -> None:
        self.patient = None
        self.chosen.hide()
        self.change_patient_button.hide()
        self.search_field.show()
        self.results.show()
        self.new_patient_button.show()
        self._fill_courses()
        self._update_total()
        self.search_field.setFocus()

    def show_patient_form(self) -> None:
        self.patient_form.show()
        self.results.hide()
        typed = self.search_field.text().strip()
        if typed and not self.mrn.text() and typed.isdigit():
            self.mrn.setText(typed)
        self.mrn.setFocus() if not self.mrn.text() else self.family_name.setFocus()
        self._fill_courses()

    # ------------------------------------------------------------------------------------------ course
    def _fill_courses(self) -> None:
        from monitor_app.services.queries import courses_of
        self.course_combo.blockSignals(True)
        self.course_combo.clear()
        self.courses = []
        if self.patient is not None:
            ok, found = call_service(self.message, courses_of, self.ctx.db, self.ctx.signed_in, self.patient.id)
            self.courses = found if ok else []
        for c in self.courses:
            indication = INDICATIONS.get(c.indication, c.indication)
            if c.indication == "other" and c.indication_other:
                indication = f"Other: {c.indication_other}"
            measure = OUTCOME_MEASURES.get(c.outcome_measure, ("", None))[0]
            self.course_combo.addItem(f"{indication} \u00b7 {c.sessions_done} of {c.planned_infusions} infusions"
                                      + (f" \u00b7 {measure}" if c.outcome_measure != "none" else ""), c.id)
        self.course_combo.addItem("New course\u2026", NEW_COURSE)
        # The latest course is the likely one for a returning patient.
        self.course_combo.setCurrentIndex(max(0, len(self.courses) - 1) if self.courses else 0)
        self.course_combo.blockSignals(False)
        self._update_course_form()

    def _course(self):
        cid = self.course_combo.currentData()
        return next((c for c in self.courses if c.id == cid), None)

    def _update_course_form(self) -> None:
        new = self.course_combo.currentData() in (NEW_COURSE, None)
        self.course_form.setVisible(new)
        self.indication_other.setEnabled(self.indication.currentData() == "other")
        course = self._course()
        if course is not None and not self.clinician.text().strip() and course.prescriber:
            self.clinician.setText(course.prescriber)  # usually the prescriber supervises; editable
        self._update_outcome()

    def _measure_key(self) -> str:
        course = self._course()
        return course.outcome_measure if course is not None else (self.measure.currentData() or "none")

    def _update_outcome(self) -> None:
        label, rng = OUTCOME_MEASURES.get(self._measure_key(), ("None", None))
        visible = rng is not None
        self.outcome_label.setVisible(visible)
        self._outcome_holder.setVisible(visible)
        if visible:
            self.outcome_label.setText(f"{label} score before")
            self.outcome.setAccessibleName(f"{label} score before this session")
            self.outcome.setPlaceholderText(f"{rng[0]}-{rng[1]}")

    # ------------------------------------------------------------------------------------------ dose
    def _weight(self) -> float | None:
        if self.patient is not None:
            return self.patient.weight_kg
        try:
            return float(self.weight.text().strip().replace(",", ".")) if self.weight.text().strip() else None
        except ValueError:
            return None

    def _total_typed(self, text: str) -> None:
        self._total_edited = bool(text.strip())  # clearing the field returns to the computed total
        if not self._total_edited:
            self._update_total()

    def _update_total(self) -> None:
        weight = self._weight()
        try:
            dose = float(self.dose.text().strip().replace(",", "."))
        except ValueError:
            dose = None
        computed = round(dose * weight, 1) if dose is not None and weight else None
        if computed is not None:
            self.total_hint.setText(f"{dose:g} mg/kg \u00d7 {weight:g} kg = {computed:g} mg")
        else:
            self.total_hint.setText("Computed from the weight when it is known; you can type the total.")
        if not self._total_edited:
            self.total.setText("" if computed is None else f"{computed:g}")

    # ------------------------------------------------------------------------------------------ saving
    def submit(self) -> None:
        self.fields.clear()
        self.message.clear_message()
        try:
            if not self._ensure_patient() or not self._ensure_course():
                return
            values = self._session_values()
        except FieldError as exc:
            if not self.fields.show(exc):
                self.message.show_error(exc.message)
            return
        from monitor_app.services import clinical
        ok, session_id = call_service(self.message, clinical.create_session, self.ctx.db, self.ctx.signed_in,
                                      fields=self.fields, course_id=self.course_combo.currentData(),
                                      now=self.ctx.now(), **values)
        if ok:
            log.info("session %s opened", session_id)
            self.created.emit(session_id)

    def _ensure_patient(self) -> bool:
        if self.patient is not None:
            return True
        if not self.patient_form.isVisible():
            raise FieldError("patient", "Choose the patient from the search, or create a new patient.")
        from monitor_app.services import clinical, queries
        sex_index = self.sex.currentIndex()
        values = dict(mrn=self.mrn.text(), family_name=self.family_name.text(), given_name=self.given_name.text(),
                      date_of_birth=_date("date_of_birth", self.dob.text(), "Date of birth"),
                      sex=SEXES[sex_index] if 0 <= sex_index < len(SEXES) else "",
                      weight_kg=_number("weight_kg", self.weight.text(), "Weight", 20, 300, " kg"),
                      allergies=self.allergies.text(), notes=self.notes.toPlainText(),
                      family_first=self.name_order.currentData())
        ok, patient_id = call_service(self.message, clinical.create_patient, self.ctx.db, self.ctx.signed_in,
                                      fields=self.fields, now=self.ctx.now(), **values)
        if not ok:
            return False
        found = queries.search_patients(self.ctx.db, self.ctx.signed_in, values["mrn"].strip(), 50)
        patient = next((p for p in found if p.id == patient_id), None)
        if patient is None:
            return False
        # From here on the patient exists: a later refusal keeps it chosen instead of creating it twice.
        self.choose_patient(patient)
        self.message.show_info(f"Patient {patient.name} saved.")
        return True

    def _ensure_course(self) -> bool:
        if self.course_combo.currentData() not in (NEW_COURSE, None):
            return True
        from monitor_app.services import clinical
        ok, course_id = call_service(
            self.message, clinical.create_course, self.ctx.db, self.ctx.signed_in, fields=self.fields,
            patient_id=self.patient.id, indication=self.indication.currentData(),
            indication_other=self.indication_other.text() if self.indication.currentData() == "other" else "",
            planned_infusions=self.planned.value(), prescriber=self.prescriber.text(),
            outcome_measure=self.measure.currentData())
        if not ok:
            return False
        self._fill_courses()
        index = self.course_combo.findData(course_id)
        self.course_combo.setCurrentIndex(index)
        return True

    def _session_values(self) -> dict:
        measure = OUTCOME_MEASURES.get(self._measure_key(), ("", None))
        outcome = None
        if measure[1] is not None:
            lo, hi = measure[1]
            outcome = _number("outcome_score_before", self.outcome.text(), f"{measure[0]} score", lo, hi,
                              whole=True)
        minutes = _number("planned_minutes", self.minutes.text(), "Planned minutes", 1, 600, whole=True)
        if minutes is None:
            raise FieldError("planned_minutes", "Planned minutes must be a whole number between 1 and 600.")
        return dict(
            chair=self.chair.text(), supervising_clinician=self.clinician.text(),
            medication=self.medication.text(),
            dose_mg_per_kg=_number("dose_mg_per_kg", self.dose.text(), "Dose", 0.01, 5, " mg/kg"),
            dose_mg_total=_number("dose_mg_total", self.total.text(), "Total dose", 0.1, 1000, " mg"),
            route=self.route.text(), planned_minutes=minutes, lot_number=self.lot.text(),
            concomitant_medicines=[n for n, cb in self.medicine_boxes.items() if cb.isChecked()],
            checklist={item: cb.isChecked() for item, cb in self.checklist_boxes.items()},
            outcome_score_before=outcome)
