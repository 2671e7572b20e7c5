"""The limits editor (one row per parameter; used by the profiles tab and the clinician's order) and that tab."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from monitor_app.domain.errors import FieldError
from monitor_app.domain.thresholds import LIMIT_NAMES, PARAMETER_LABELS, PARAMETERS, Level, ParameterLimits, Thresholds
from monitor_app.domain.vitals import PLAUSIBLE
from monitor_app.services import settings as clinic
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.settings.band_preview import BandPreview
from monitor_app.ui.settings.catalogue import CatalogueTab, Entry
from monitor_app.ui.widgets import ERROR_STYLE

COLUMNS = (("low_critical", "Low critical"), ("low_warning", "Low warning"), ("high_warning", "High warning"),
           ("high_critical", "High critical"), ("baseline_warning_pct", "Baseline warning %"),
           ("baseline_critical_pct", "Baseline critical %"))
COLUMN_LABELS = dict(COLUMNS)
PREINFUSION = (("preinfusion_systolic_max", "systolic", "Systolic max"),
               ("preinfusion_diastolic_max", "diastolic", "Diastolic max"))
CELL_ERROR = (f"QLineEdit {{ background: {theme.LEVEL_BACKGROUND[Level.CRITICAL]};"
              f" border: 2px solid {theme.VERMILION}; }}")


def _as_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def parse_limit(text: str, field: str, what: str, lo: float, hi: float, unit: str) -> float | None:
    """A typed limit: blank is no limit; anything else must be a number in the allowed range."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    allowed = f"type a number from {lo:g} to {hi:g}{unit}, or leave it blank for no limit"
    try:
        value = float(text)
    except ValueError:
        raise FieldError(field, f"{what}: {text!r} is not a number; {allowed}.") from None
    if not lo <= value <= hi:
        raise FieldError(field, f"{what}: {value:g} is outside {lo:g}-{hi:g}{unit}; {allowed}.")
    return int(value) if value.is_integer() else value


class LimitsEditor(QWidget):
    """Per-parameter limits as typed text: nothing typed is lost, a refusal marks its cells and says why."""

    edited = Signal()

    def __init__(self, parent=None, show_preinfusion: bool = True):
        super().__init__(parent)
        self.cells: dict[tuple[str, str], QLineEdit] = {}
        self.preinfusion: dict[str, QLineEdit] = {}
        self.last_edited: tuple[str, str] | None = None
        self._marked: list[QLineEdit] = []
        self._read_only = False

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        for col, (_key, label) in enumerate(COLUMNS, start=1):
            head = QLabel(label.replace(" ", "\n", 1))
            head.setAlignment(Qt.AlignCenter)
            head.setStyleSheet("font-weight: 600;")
            grid.addWidget(head, 0, col)
        for row, parameter in enumerate(PARAMETERS, start=1):
            unit = PLAUSIBLE[parameter][3]
            name = QLabel(f"{PARAMETER_LABELS[parameter]} <span style='color:{theme.MUTED}'>{unit}</span>")
            grid.addWidget(name, row, 0)
            for col, (key, label) in enumerate(COLUMNS, start=1):
                cell = QLineEdit()
                cell.setAlignment(Qt.AlignRight)
                cell.setMinimumWidth(64)
                cell.setPlaceholderText("none")
                cell.setAccessibleName(f"{PARAMETER_LABELS[parameter]} {label.lower()}")
                cell.textEdited.connect(lambda _t, p=parameter, k=key: self._typed(p, k))
                grid.addWidget(cell, row, col)
                self.cells[(parameter, key)] = cell
        grid.setColumnStretch(len(COLUMNS) + 1, 1)
        hint = QLabel("Blank = no limit. A value equal to a limit is inside it. Baseline % flags a change from the "
                      "session's baseline by more than that percentage.")
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {theme.MUTED};")

        self.preinfusion_box = QGroupBox("Pre-infusion limit (blank = off)")
        box = QHBoxLayout(self.preinfusion_box)
        for key, parameter, label in PREINFUSION:
            edit = QLineEdit()
            edit.setAlignment(Qt.AlignRight)
            edit.setMaximumWidth(80)
            edit.setPlaceholderText("off")
            edit.setAccessibleName(f"Pre-infusion {label.lower()}")
            edit.textEdited.connect(lambda _t, k=key: self._typed("preinfusion", k))
            box.addWidget(QLabel(f"{label}:"))
            box.addWidget(edit)
            self.preinfusion[key] = edit
        explain = QLabel("A baseline above this needs an authorising clinician and a note to start the infusion.")
        explain.setWordWrap(True)
        explain.setStyleSheet(f"color: {theme.MUTED};")
        box.addWidget(explain, 1)
        self.preinfusion_box.setVisible(show_preinfusion)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setAccessibleName("Limits message")
        self.error.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(hint)
        layout.addWidget(self.preinfusion_box)
        layout.addWidget(self.error)

    # -- filling and reading
    def set_thresholds(self, thresholds: Thresholds) -> None:
        for (parameter, key), cell in self.cells.items():
            cell.setText(_as_text(getattr(thresholds.for_parameter(parameter), key)))
        for key, edit in self.preinfusion.items():
            edit.setText(_as_text(getattr(thresholds, key)))
        self.last_edited = None
        self._show_problems([])

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for edit in (*self.cells.values(), *self.preinfusion.values()):
            edit.setReadOnly(read_only)
            edit.setFocusPolicy(Qt.ClickFocus if read_only else Qt.StrongFocus)

    def texts(self) -> dict:
        return {**{f"{p}.{k}": c.text() for (p, k), c in self.cells.items()},
                **{k: e.text() for k, e in self.preinfusion.items()}}

    def thresholds(self, name: str) -> Thresholds:
        """The typed limits, validated; on a refusal the cells concerned are marked and FieldError is raised."""
        result, problems = self._read(name)
        self._show_problems(problems)
        if problems:
            raise problems[0]
        return result

    def check(self) -> FieldError | None:
        """Validate what is typed now (as the user types) and show the problem, if any."""
        try:
            self.thresholds("check")
        except FieldError as exc:
            return exc
        return None

    def consistent(self, name: str) -> Thresholds | None:
        """The typed limits if they are all valid, without showing anything (for the preview)."""
        result, problems = self._read(name)
        return None if problems else result

    def _read(self, name: str) -> tuple[Thresholds, list[FieldError]]:
        """The typed limits and every problem in them, the one of the row last typed into first."""
        problems: list[FieldError] = []
        limits = {}
        for parameter in PARAMETERS:
            label, lo, hi, unit = PLAUSIBLE[parameter]
            unit = f" {unit}" if unit and unit != "%" else unit
            values = {}
            try:
                for key, column in COLUMNS:
                    field = f"{parameter}.{key}"
                    what = f"{label}, {column.lower()}"
                    if key.startswith("baseline"):
                        values[key] = parse_limit(self.cells[(parameter, key)].text(), field, what, 1, 500, " %")
                    else:
                        values[key] = parse_limit(self.cells[(parameter, key)].text(), field, what, lo, hi, unit)
                parameter_limits = ParameterLimits(**values)
                if parameter_limits.to_dict():
                    limits[parameter] = parameter_limits.validate(parameter)
            except FieldError as exc:
                problems.append(exc)
        pre = {}
        for key, parameter, label in PREINFUSION:
            _l, lo, hi, unit = PLAUSIBLE[parameter]
            try:
                pre[key] = parse_limit(self.preinfusion[key].text(), key, f"Pre-infusion {label.lower()}", lo, hi,
                                       f" {unit}")
            except FieldError as exc:
                problems.append(exc)
        edited = self.last_edited
        # The nurse is looking at the row she just typed in: its problem is the one to explain first.
        problems.sort(key=lambda e: edited is None or not (e.field == edited[1] or
                                                           e.field.partition(".")[0] == edited[0]))
        return Thresholds(name=name, limits=limits, **pre), problems

    # -- what the user sees
    def _typed(self, parameter: str, key: str) -> None:
        self.last_edited = (parameter, key)
        self.check()
        self.edited.emit()

    def _cells_of(self, exc: FieldError) -> list[QLineEdit]:
        if exc.field in self.preinfusion:
            return [self.preinfusion[exc.field]]
        parameter, _, key = exc.field.partition(".")
        if (parameter, key) not in self.cells:
            return []
        cells = [self.cells[(parameter, key)]]
        # An order conflict involves two limits: mark the one below it that it conflicts with as well.
        if key in LIMIT_NAMES:
            before = [k for k in LIMIT_NAMES[:LIMIT_NAMES.index(key)] if self.cells[(parameter, k)].text().strip()]
            if before:
                cells.insert(0, self.cells[(parameter, before[-1])])
        elif key == "baseline_critical_pct":
            cells.insert(0, self.cells[(parameter, "baseline_warning_pct")])
        return cells

    def _show_problems(self, problems: list[FieldError]) -> None:
        for cell in self._marked:
            cell.setStyleSheet("")
            cell.setToolTip("")
        self._marked = []
        if not problems:
            self.error.clear()
            self.error.hide()
            return
        for exc in problems:
            for cell in self._cells_of(exc):
                cell.setStyleSheet(CELL_ERROR)
                cell.setToolTip(exc.message)
                self._marked.append(cell)
        more = len(problems) - 1
        also = f" (and {more} more marked in red)" if more else ""
        self.error.setText(f"{theme.CRITICAL_SYMBOL} {problems[0].message}{also}")
        self.error.show()

    @property
    def marked(self) -> list[QLineEdit]:
        """The cells marked as in conflict or refused (for the screen reader and tests)."""
        return list(self._marked)


class ProfilesTab(CatalogueTab):
    noun = "profile"

    def __init__(self, ctx: UiContext, parent=None):
        self.limits = LimitsEditor()
        self.preview = BandPreview()
        super().__init__(ctx, self.limits, parent)
        self.limits.edited.connect(self._edited)
        caption = QLabel("Preview of the bands: warning shaded, critical hatched. It follows your edits.")
        caption.setStyleSheet(f"color: {theme.MUTED};")
        self.extra.addWidget(caption)
        self.extra.addWidget(self.preview, 1)
        if self.current is not None:
            self.preview.set_thresholds(self.current.value)

    def _edited(self) -> None:
        typed = self.limits.consistent("preview")
        if typed is not None:  # while something is wrong the preview keeps the last consistent limits
            self.preview.set_thresholds(typed)
        self.state_changed()

    def load_entries(self) -> list[Entry]:
        self.versions = clinic.versions_of(self.ctx.db, "profile")  # loaded with the entries, passed back
        return [Entry(pid, t.name, t, preset, retired)
                for pid, t, preset, retired in clinic.list_profiles(self.ctx.db, include_retired=True)]

    def default_id(self) -> int | None:
        return clinic.read_settings(self.ctx.db).default_profile_id

    def show_value(self, value: Thresholds, editable: bool) -> None:
        self.limits.set_thresholds(value)
        self.limits.set_read_only(not editable)
        if hasattr(self, "preview"):
            self.preview.set_thresholds(value)

    def read_value(self, name: str) -> Thresholds:
        return self.limits.thresholds(name)

    def editor_state(self):
        return self.limits.texts()

    def renamed(self, value: Thresholds, name: str) -> Thresholds:
        return Thresholds(name=name, limits=value.limits, preinfusion_systolic_max=value.preinfusion_systolic_max,
                          preinfusion_diastolic_max=value.preinfusion_diastolic_max)

    def service_save(self, value: Thresholds, entry_id: int | None, reason: str) -> int:
        return clinic.save_profile(self.ctx.db, self.ctx.signed_in, value, entry_id, reason=reason,
                                   expected_version=self.versions.get(entry_id))

    def service_retire(self, entry_id: int) -> None:
        clinic.retire_profile(self.ctx.db, self.ctx.signed_in, entry_id,
                              expected_version=self.versions.get(entry_id))

    def service_default(self, entry_id: int) -> None:
        clinic.set_default_profile(self.ctx.db, self.ctx.signed_in, entry_id)

    def in_use(self, entry_id: int) -> bool:
        return clinic.profile_in_use(self.ctx.db, entry_id)
