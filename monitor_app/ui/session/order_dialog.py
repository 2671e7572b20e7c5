"""A clinician's order for this patient: other limits or another schedule, documented as an event, from now on."""
from __future__ import annotations

from monitor_app.domain.errors import FieldError
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.schedule import Schedule
from monitor_app.domain.thresholds import Thresholds
from monitor_app.services import clinical
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import FormDialog, clock, text_of
from monitor_app.ui.settings.band_preview import BandPreview
from monitor_app.ui.settings.profile_editor import LimitsEditor
from monitor_app.ui.settings.schedule_editor import ScheduleEditor

ORDER_SUFFIX = " (order)"


def ordered_name(name: str) -> str:
    return name if name.endswith(ORDER_SUFFIX) else f"{name}{ORDER_SUFFIX}"[:120]


class _OrderDialog(FormDialog):
    """The editor prefilled with what is in force now, then who ordered it and why (both required)."""

    what = "limits"

    def __init__(self, ctx: UiContext, record: SessionRecord, title: str, editor, parent=None):
        super().__init__(ctx, title, parent)
        self.record = record
        self.opened_at = ctx.now()
        self.editor = editor
        self.set_intro(f"<b>{record.patient.name}</b> ({record.patient.mrn}), {record.infusion_label}. "
                       f"A clinician's order of other {self.what} for this patient. It is documented as an event "
                       f"and applies from the time you save it (now, {clock(self.opened_at, ctx)}) on; readings "
                       f"measured before keep their flags.")
        self.layout_.insertWidget(1, editor)
        self.clinician = self.add_line("clinician", "Authorising clinician (required):",
                                       placeholder=record.supervising_clinician or "name of the clinician")
        self.reason = self.add_text("reason", "Reason (required):", "for example: known hypertension, "
                                                                    "ordered by phone")
        self.ok_button.setText("Save order")
        self.ok_button.setAutoDefault(False)
        self.editor.setFocus()


class OrderLimitsDialog(_OrderDialog):
    what = "limits"

    def __init__(self, ctx: UiContext, record: SessionRecord, parent=None):
        self.limits = LimitsEditor(show_preinfusion=False)
        super().__init__(ctx, record, "Order other limits", self.limits, parent)
        self.in_force = record.thresholds_at(self.opened_at)
        self.limits.set_thresholds(self.in_force)
        self.preview = BandPreview()
        self.preview.setMinimumHeight(200)
        self.preview.set_thresholds(self.in_force)
        self.layout_.insertWidget(2, self.preview)
        self.limits.edited.connect(self._edited)
        self.resize(900, 760)

    def _edited(self) -> None:
        typed = self.limits.consistent("preview")
        if typed is not None:
            self.preview.set_thresholds(typed)

    def submit(self) -> None:
        thresholds = self.limits.thresholds(ordered_name(self.in_force.name))
        # The pre-infusion limit only matters before the start; an order keeps the one in force.
        thresholds = Thresholds(name=thresholds.name, limits=thresholds.limits,
                                preinfusion_systolic_max=self.in_force.preinfusion_systolic_max,
                                preinfusion_diastolic_max=self.in_force.preinfusion_diastolic_max)
        if thresholds.to_dict()["limits"] == self.in_force.to_dict()["limits"]:
            raise FieldError("limits", "Nothing was changed: type the limits the clinician ordered.")
        clinical.order_limits(self.ctx.db, self.ctx.signed_in, self.record.id, thresholds,
                              clinician=text_of(self.clinician), reason=text_of(self.reason), now=self.ctx.now())


class OrderScheduleDialog(_OrderDialog):
    what = "monitoring intervals"

    def __init__(self, ctx: UiContext, record: SessionRecord, parent=None):
        self.schedule_editor = ScheduleEditor()
        super().__init__(ctx, record, "Order another schedule", self.schedule_editor, parent)
        self.in_force: Schedule = record.schedule_at(self.opened_at)
        self.schedule_editor.set_schedule(self.in_force)
        self.resize(720, 520)

    def submit(self) -> None:
        schedule = self.schedule_editor.schedule(ordered_name(self.in_force.name))
        if schedule.with_changes(name=self.in_force.name) == self.in_force:
            raise FieldError("schedule", "Nothing was changed: type the intervals the clinician ordered.")
        clinical.order_schedule(self.ctx.db, self.ctx.signed_in, self.record.id, schedule,
                                clinician=text_of(self.clinician), reason=text_of(self.reason), now=self.ctx.now())
