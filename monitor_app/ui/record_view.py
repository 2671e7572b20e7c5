"""The record view: a session record read as it was signed, with every change visible, for every role.

Everything the PDF shows, on screen; the record's audit history in sentences; "Check this record" and
"Check a paper copy" with the verdict in words. Nothing here writes to the record except the dialogs a role may
open (co-sign, addendum), which go through the services like everywhere else.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QScrollArea, QSizePolicy, QSplitter, QVBoxLayout, QWidget)

from monitor_app.domain.clock import fmt_datetime, fmt_time
from monitor_app.domain.discharge import DISCHARGE_AT, SCALES
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.session import ACK_ACTIONS, Status
from monitor_app.domain.vitals import VITAL_FIELDS, format_bp, label as vital_label
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import MessageLine, call_service, heading

STATUS_WORDS = {Status.IN_PROGRESS: "In progress", Status.AWAITING_SIGNATURE: "Awaiting signature",
                Status.SIGNED: "Signed", Status.REVIEWED: "Reviewed"}
STATUS_NOTE = {Status.IN_PROGRESS: "not signed; still being documented",
               Status.AWAITING_SIGNATURE: "discharged; the primary nurse has not signed yet",
               Status.SIGNED: "signed and locked; not yet co-signed by a reviewer",
               Status.REVIEWED: "signed, locked and co-signed by a reviewer"}
VERDICT_OK = f"color: {theme.GREEN}; font-weight: bold;"
VERDICT_BAD = f"color: {theme.VERMILION}; font-weight: bold;"
CELL = "padding: 2px 8px 2px 0;"
BOX_DONE, BOX_OPEN = "\u2611", "\u2610"


def _e(text) -> str:
    return escape(str(text)) if text is not None else ""


def _n(v) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _label(field: str) -> str:
    return vital_label(field) if field in VITAL_FIELDS else field.replace("_", " ").capitalize()


def _value(v) -> str:
    if v is None or v == "":
        return "\u2014"
    return f"\u201c{v}\u201d" if isinstance(v, str) else _n(v)


def _table(head: list[str], rows: list[list[str]]) -> str:
    out = ["<table cellspacing='0' cellpadding='3' width='100%'>",
           "<tr>" + "".join(f"<th align='left' style='background:{theme.PANEL}'>{_e(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td valign='top'>{c}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


class Section(QLabel):
    """One part of the record as rich text (struck-through originals need it), selectable for copying."""

    NAMES = {"summary": "Session summary details", "readings": "Readings of the session",
             "flags": "Flags and their acknowledgements", "events": "Events and interventions list",
             "discharge": "Discharge assessment details", "signatures": "Signatures of the record",
             "addenda": "Addenda of the record", "audit_history": "Audit history sentences"}

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(f"section_{name}")
        self.setAccessibleName(self.NAMES[name])
        self.setWordWrap(True)
        self.setTextFormat(Qt.RichText)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.TextSelectableByKeyboard)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)


class RecordView(QWidget):
    back = Signal()
    open_course = Signal(int)

    def __init__(self, ctx: UiContext, session_id: int, parent=None):
        super().__init__(parent)
        self.ctx, self.session_id = ctx, session_id
        self.record: SessionRecord | None = None
        actor = ctx.signed_in
        self.setFocusPolicy(Qt.StrongFocus)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 12, 20, 8)
        top = QHBoxLayout()
        self.back_button = QPushButton("\u2190 Back")
        self.back_button.setAccessibleName("Back to where the record was opened from")
        self.back_button.clicked.connect(self.back)
        top.addWidget(self.back_button)
        top.addSpacing(10)
        self.title = heading("", 18)
        self.title.setObjectName("record_title")
        top.addWidget(self.title, 1)
        self.status = QLabel()
        self.status.setObjectName("record_status")
        self.status.setAccessibleName("Record status")
        top.addWidget(self.status)
        outer.addLayout(top)
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet(f"color: {theme.MUTED};")
        self.subtitle.setWordWrap(True)
        outer.addWidget(self.subtitle)

        actions = QHBoxLayout()
        self.print_button = QPushButton("Print or export\u2026")
        self.print_button.setToolTip("The PDF record, with Print and Save (Ctrl+P)")
        self.print_button.setShortcut("Ctrl+P")
        self.print_button.clicked.connect(self.print_record)
        self.course_button = QPushButton("Course")
        self.course_button.setToolTip("Every infusion of this patient's course")
        self.course_button.clicked.connect(lambda: self.open_course.emit(self.record.course.id) if self.record else None)
        self.cosign_button = QPushButton("Co-sign\u2026")
        self.cosign_button.setToolTip("Co-sign the signed record as reviewer")
        self.cosign_button.clicked.connect(self.cosign)
        self.addendum_button = QPushButton("Addendum\u2026")
        self.addendum_button.setToolTip("Add a signed addendum (text, and corrections kept as amendments)")
        self.addendum_button.clicked.connect(self.addendum)
        for b in (self.print_button, self.course_button, self.cosign_button, self.addendum_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.read_only_note = QLabel("Read-only record")
        self.read_only_note.setStyleSheet(f"color: {theme.MUTED}; font-weight: bold;")
        actions.addWidget(self.read_only_note)
        outer.addLayout(actions)
        self.message = MessageLine()
        outer.addWidget(self.message)

        split = QSplitter(Qt.Horizontal)
        split.setChildrenCollapsible(False)
        outer.addWidget(split, 1)

        # Left: the record itself, top to bottom in the PDF's order.
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(0, 0, 12, 0)
        self.sections: dict[str, Section] = {}
        self.chart = None
        for name, title in (("summary", "Session summary"), ("chart", "Chart"), ("readings", "Readings"),
                            ("flags", "Flags and acknowledgements"), ("events", "Events and interventions"),
                            ("discharge", "Discharge assessment"), ("signatures", "Signatures"),
                            ("addenda", "Addenda")):
            self.body.addWidget(heading(title, 13))
            if name == "chart":
                self.chart_box = QVBoxLayout()
                self.body.addLayout(self.chart_box)
                continue
            section = Section(name)
            self.sections[name] = section
            self.body.addWidget(section)
        self.body.addStretch(1)
        self.scroll.setWidget(body)
        split.addWidget(self.scroll)

        # Right: checking the record, and its audit history.
        side = QWidget()
        side_box = QVBoxLayout(side)
        side_box.setContentsMargins(12, 0, 0, 0)
        self.check_group = QGroupBox("Check this record")
        g = QVBoxLayout(self.check_group)
        hint = QLabel("Content hash and signatures against the audit trail.")
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {theme.MUTED};")
        g.addWidget(hint)
        self.check_button = QPushButton("Check this record")
        self.check_button.clicked.connect(self.check_record)
        g.addWidget(self.check_button, 0, Qt.AlignLeft)
        self.check_verdict = QLabel()
        self.check_verdict.setObjectName("record_check_verdict")
        self.check_verdict.setAccessibleName("Verdict of the record check")
        self.check_verdict.setWordWrap(True)
        self.check_verdict.setTextInteractionFlags(Qt.TextSelectableByMouse)
        g.addWidget(self.check_verdict)
        side_box.addWidget(self.check_group)

        self.paper_group = QGroupBox("Check a paper copy")
        p = QGridLayout(self.paper_group)
        paper_hint = QLabel("Type or paste the text of the code printed on page 1 (it starts with "
                            "\u201cchairside:\u201d).")
        paper_hint.setWordWrap(True)
        paper_hint.setStyleSheet(f"color: {theme.MUTED};")
        p.addWidget(paper_hint, 0, 0, 1, 2)
        self.paper_code = QLineEdit()
        self.paper_code.setAccessibleName("Text of the printed code")
        self.paper_code.setPlaceholderText("chairside:\u2026")
        self.paper_code.returnPressed.connect(self.check_paper)
        p.addWidget(self.paper_code, 1, 0)
        self.paper_button = QPushButton("Check copy")
        self.paper_button.clicked.connect(self.check_paper)
        p.addWidget(self.paper_button, 1, 1)
        self.paper_verdict = QLabel()
        self.paper_verdict.setObjectName("paper_check_verdict")
        self.paper_verdict.setAccessibleName("Verdict of the paper copy check")
        self.paper_verdict.setWordWrap(True)
        self.paper_verdict.setTextInteractionFlags(Qt.TextSelectableByMouse)
        p.addWidget(self.paper_verdict, 2, 0, 1, 2)
        side_box.addWidget(self.paper_group)
        can_verify = actor.can("verify")
        self.check_group.setVisible(can_verify)
        self.paper_group.setVisible(can_verify)

        side_box.addWidget(heading("Audit history", 13))
        self.history_scroll = QScrollArea()
        self.history_scroll.setWidgetResizable(True)
        self.history_scroll.setFrameShape(QFrame.NoFrame)
        self.history = Section("audit_history")
        self.history.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.history_scroll.setWidget(self.history)
        side_box.addWidget(self.history_scroll, 1)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        self.reload()

    # ------------------------------------------------------------------------------------------ loading
    def reload(self) -> None:
        from monitor_app.services.exports import audit_trail_of
        from monitor_app.services.queries import full_names, get_record
        from monitor_app.reports.audit_sentences import audit_sentences
        db, actor = self.ctx.db, self.ctx.signed_in
        record = get_record(db, actor, self.session_id, with_hash=True)  # a missing record raises to the caller
        self.record = record
        zone = self.ctx.zone
        p = record.patient
        self.title.setText(f"{p.name} \u2014 {record.infusion_label}")
        self.subtitle.setText(
            f"MRN {p.mrn} \u00b7 born {p.date_of_birth.isoformat() if p.date_of_birth else 'not recorded'} \u00b7 "
            f"{record.course.indication_label} \u00b7 session {fmt_datetime(record.arrival_at, zone)} \u00b7 "
            f"record {record.record_uid} \u00b7 content hash {record.content_hash[:12]}")
        words = STATUS_WORDS[record.status]
        self.status.setText(f"<span style='font-size:15pt; font-weight:bold'>{words}</span>"
                            f"<br><span style='color:{theme.MUTED}'>{STATUS_NOTE[record.status]}</span>")
        self.status.setAlignment(Qt.AlignRight)
        self.cosign_button.setVisible(actor.can("review") and record.status == Status.SIGNED)
        self.addendum_button.setVisible(actor.can("document") and record.locked)

        self.sections["summary"].setText(self._summary(record))
        self._draw_chart(record)
        self.sections["readings"].setText(self._readings(record))
        self.sections["flags"].setText(self._flags(record))
        self.sections["events"].setText(self._events(record))
        self.sections["discharge"].setText(self._discharge(record))
        self.sections["signatures"].setText(self._signatures(record))
        self.sections["addenda"].setText(self._addenda(record))

        ok, trail = call_service(self.message, audit_trail_of, db, actor, self.session_id)
        if ok:
            names = full_names(db, actor)
            day = record.arrival_at.astimezone(zone).date()
            lines = audit_sentences(trail, names, zone, day)
            self.history.setText("<br>".join(f"<span style='color:{theme.MUTED}'>{s.seq}</span>&nbsp; {_e(s.text)}"
                                             for s in lines) or "No audit rows.")

    def _draw_chart(self, record: SessionRecord) -> None:
        try:
            from monitor_app.ui.session.chart import SessionChart
        except ImportError:  # the charting library is missing: the tables still say everything
            return
        if self.chart is None:
            self.chart = SessionChart(self.ctx)
            self.chart.setMinimumHeight(320)
            self.chart_box.addWidget(self.chart)
        end = record.discharged_at or record.infusion_end_at or self.ctx.now()
        self.chart.set_record(record, end)

    # ------------------------------------------------------------------------------------------ sections
    def t(self, moment) -> str:
        return fmt_time(moment, self.ctx.zone)

    def dt(self, moment) -> str:
        return fmt_datetime(moment, self.ctx.zone)

    def _summary(self, r: SessionRecord) -> str:
        c, pt = r.course, r.patient
        dose = " \u00b7 ".join(x for x in (f"{_n(r.dose_mg_per_kg)} mg/kg" if r.dose_mg_per_kg is not None else "",
                                           f"{_n(r.dose_mg_total)} mg" if r.dose_mg_total is not None else "") if x)
        score = "not recorded" if r.outcome_score_before is None else str(r.outcome_score_before)
        pairs = [("Indication", c.indication_label),
                 ("Outcome score before", f"{c.outcome_label}: {score}" if c.outcome_measure != "none" else "None"),
                 ("Medication", r.medication), ("Dose", dose or "not recorded"), ("Route", r.route),
                 ("Lot number", r.lot_number or "not recorded"), ("Planned duration", f"{r.planned_minutes} min"),
                 ("Weight", f"{_n(pt.weight_kg)} kg" if pt.weight_kg else "not recorded"),
                 ("Chair", r.chair or "\u2014"), ("Primary nurse", r.primary_nurse),
                 ("Supervising clinician", r.supervising_clinician or "\u2014"),
                 ("Prescriber", c.prescriber or "\u2014"), ("Allergies", pt.allergies or "none recorded"),
                 ("Threshold profile", r.thresholds.name),
                 ("Arrival", self.dt(r.arrival_at)), ("Infusion start", self.t(r.infusion_start_at) or "\u2014"),
                 ("Infusion end", self.t(r.infusion_end_at) or "\u2014"),
                 ("Discharge", self.t(r.discharged_at) or "\u2014")]
        rows = []
        for i in range(0, len(pairs), 2):
            row = []
            for k, v in pairs[i:i + 2]:
                row += [f"<b style='color:{theme.MUTED}'>{_e(k)}</b>", _e(v)]
            rows.append("<tr>" + "".join(f"<td style='{CELL}'>{x}</td>" for x in row) + "</tr>")
        checklist = "<br>".join(f"{BOX_DONE if done else BOX_OPEN} {_e(item)} ({'yes' if done else '<b>no</b>'})"
                                for item, done in r.checklist.items()) or "No checklist recorded."
        meds = ", ".join(_e(m) for m in r.concomitant_medicines) or "None recorded"
        return ("<table cellspacing='0' cellpadding='2'>" + "".join(rows) + "</table>"
                f"<p><b>Pre-infusion checklist</b><br>{checklist}</p>"
                f"<p><b>Concomitant medicines (sedating, BP-raising):</b> {meds}</p>")

    def _readings(self, r: SessionRecord) -> str:
        if not r.readings:
            return "No readings recorded."
        head = ["Measured", "Phase", "Min", "BP", "HR", "SpO2", "RR", "MOAA/S", "NRS", "Notes"]
        rows = []
        for x in r.readings:
            cur, orig, error = x.current, x.original, x.entered_in_error
            amended = x.amended_fields()

            def cell(fields, cur_text, orig_text):
                marks = "".join(f.symbol for f in (x.flag_for(k) for k in fields) if f is not None)
                if error:
                    return f"<s>{_e(orig_text)}</s>" if orig_text else ""
                if any(k in amended for k in fields) and cur_text != orig_text:
                    return (f"<s>{_e(orig_text)}</s> " if orig_text else "") + f"<b>{_e(cur_text)}</b>{marks}"
                return f"{_e(cur_text)}{marks}"

            measured = self.t(x.measured_at)
            if x.late:
                measured += f"<br><i>rec. {self.t(x.recorded_at)}</i><br>{theme.LATE_SYMBOL} late entry"
            notes = []
            if error:
                if orig.comment:
                    notes.append(f"<s>{_e(orig.comment)}</s>")
            else:
                if "comment" in amended and orig.comment and orig.comment != cur.comment:
                    notes.append(f"<s>{_e(orig.comment)}</s>")
                if cur.comment:
                    notes.append(_e(cur.comment))
            for a in x.amendments:
                changes = "; ".join(f"{_e(_label(k))} {_e(_value(o))} \u2192 {_e(_value(nw))}"
                                    for k, (o, nw) in a.changes.items())
                notes.append(f"{theme.AMENDED_SYMBOL} <i>Amended</i> {changes} \u2014 reason: {_e(a.reason)} "
                             f"({_e(a.by)}, {self.dt(a.at)})")
            if error:
                notes.append(f"<b>Entered in error</b> \u2014 reason: {_e(x.error.reason)} "
                             f"({_e(x.error.by)}, {self.dt(x.error.at)})")
            if x.late:
                notes.append(f"<i>Late entry: measured {self.t(x.measured_at)}, recorded "
                             f"{self.t(x.recorded_at)} by {_e(x.recorded_by)}</i>")
            minutes = "" if x.minutes is None else (f"{x.minutes:+.0f}" if round(x.minutes) else "0")
            row = [measured, _e(x.phase.label), minutes,
                   cell(("systolic", "diastolic"), format_bp(cur.systolic, cur.diastolic),
                        format_bp(orig.systolic, orig.diastolic)),
                   cell(("heart_rate",), _n(cur.heart_rate), _n(orig.heart_rate)),
                   cell(("spo2",), _n(cur.spo2), _n(orig.spo2)),
                   cell(("resp_rate",), _n(cur.resp_rate), _n(orig.resp_rate)),
                   cell(("moaas",), _n(cur.moaas), _n(orig.moaas)),
                   cell(("pain_nrs",), _n(cur.pain_nrs), _n(orig.pain_nrs)),
                   "<br>".join(n for n in notes if n)]
            if error:
                row = [f"<span style='color:{theme.MUTED}'>{c}</span>" for c in row]
                row[0] = f"<s>{row[0]}</s>"
            rows.append(row)
        legend = (f"<p style='color:{theme.MUTED}'>{theme.WARNING_SYMBOL} warning &nbsp; {theme.CRITICAL_SYMBOL} "
                  "critical &nbsp;\u00b7&nbsp; struck through: original value or entered in error &nbsp;\u00b7&nbsp; "
                  "Min: minutes from infusion start</p>")
        return legend + _table(head, rows)

    def _flags(self, r: SessionRecord) -> str:
        flags = r.flags
        if not flags:
            return "No reading was outside the limits."
        times = {x.id: x.measured_at for x in r.readings}
        rows = []
        for f in flags:
            colour = theme.LEVEL_COLOUR[f.level]
            if f.ack is not None:
                action = ACK_ACTIONS.get(f.ack.action, f.ack.action)
                if f.ack.action_text:
                    action += f": {f.ack.action_text}"
                ack = f"Acknowledged \u2014 {_e(action)} \u2014 {_e(f.ack.by)}, {self.dt(f.ack.at)}"
            elif f.cleared:
                ack = "<i>Cleared: the value was corrected by an amendment</i>"
            else:
                ack = f"<b style='color:{theme.VERMILION}'>Not acknowledged</b>"
            rows.append([self.t(times.get(f.reading_id)),
                         f"<b style='color:{colour}'>{f.symbol}</b> {_e(f.level.value)}", _e(f.description), ack])
        return _table(["Reading", "Flag", "Finding", "Acknowledgement (action, by, when)"], rows)

    def _events(self, r: SessionRecord) -> str:
        if not r.events:
            return "No events recorded."
        rows = []
        for e in r.events:
            summary = _e(e.summary)
            recorded = _e(e.recorded_by)
            if e.recorded_at and abs((e.recorded_at - e.at).total_seconds()) > 600:
                recorded += f", recorded {self.t(e.recorded_at)} (late entry)"
            if e.error is not None:
                rows.append([str(e.number), f"<s>{self.t(e.at)}</s>", _e(e.category),
                             f"<s>{summary}</s><br><b>Entered in error</b> \u2014 reason: {_e(e.error.reason)} "
                             f"({_e(e.error.by)}, {self.dt(e.error.at)})", recorded])
            else:
                rows.append([str(e.number), self.t(e.at), _e(e.category), summary, recorded])
        return _table(["No.", "Time", "Type", "Event", "Recorded by"], rows)

    def _discharge(self, r: SessionRecord) -> str:
        d = r.discharge
        if d is None:
            return "No discharge assessment recorded."
        items = SCALES.get(d.scale, (d.scale, {}))[1]
        rows = []
        for key, score in d.items.items():
            label, meanings = items.get(key, (key, ("", "", "")))
            rows.append([_e(label), str(score), _e(meanings[score] if 0 <= score < len(meanings) else "")])
        rows.append(["<b>Total</b>", f"<b>{d.total} / {2 * len(d.items)}</b>",
                     f"<b>{'meets' if d.meets_threshold else 'below'} the discharge score of {DISCHARGE_AT}</b>"])
        escort = ("Present" + (f": {d.escort_name}" if d.escort_name else "")) if d.escort_present else "Not present"
        obs = "Minimum observation met" if d.observation_met else \
            f"Discharged before the minimum observation \u2014 reason: {d.early_reason or 'not given'}"
        return (f"<p><b>Scale:</b> {_e(d.scale_label)} \u00b7 <b>Escort:</b> {_e(escort)} \u00b7 "
                f"<b>Discharge instructions given:</b> {'yes' if d.instructions_given else 'no'}<br>"
                f"<b>Observation:</b> {_e(obs)}<br><b>Assessed</b> by {_e(d.by)} at {self.dt(d.at)}</p>"
                + _table(["Item", "Score", "Meaning"], rows))

    def _signatures(self, r: SessionRecord) -> str:
        if not r.signatures:
            return "Not signed yet."
        meaning_text = {"Authored": "documented this session; the record is complete and accurate",
                        "Reviewed": "reviewed this record", "Addendum": "added an addendum to the signed record"}
        rows = [[f"<b>{_e(s.meaning)}</b>", _e(s.printed_name), _e(s.credentials or "\u2014"), self.dt(s.signed_at),
                 _e(meaning_text.get(s.meaning, "")), f"<tt>{_e(s.content_hash[:12])}</tt>"] for s in r.signatures]
        return _table(["Meaning", "Printed name", "Credentials", "Date and time", "What it means", "Signed content"],
                      rows)

    def _addenda(self, r: SessionRecord) -> str:
        if not r.addenda:
            return "No addenda."
        out = []
        for n, a in enumerate(r.addenda, start=1):
            block = [f"<p><b>Addendum {n}</b> \u2014 {_e(a.by)}, {self.dt(a.at)}<br>{_e(a.text)}"]
            for c in a.corrections:
                if c.kind == "entered_in_error":
                    block.append(f"<br>\u2022 Correction: {_e(c.target)} entered in error \u2014 reason: {_e(c.reason)}")
                else:
                    changes = "; ".join(f"{_e(_label(k))} {_e(_value(o))} \u2192 {_e(_value(nw))}"
                                        for k, (o, nw) in c.changes.items())
                    block.append(f"<br>\u2022 Correction: {changes} \u2014 reason: {_e(c.reason)}")
            out.append("".join(block) + "</p>")
        return "".join(out)

    # ------------------------------------------------------------------------------------------ actions
    def print_record(self) -> None:
        from monitor_app.ui.pdf_preview import PdfPreviewDialog
        PdfPreviewDialog(self.ctx, self.session_id, self).exec()
        self.reload()  # a print or export is a row of the audit history

    def cosign(self) -> None:
        from monitor_app.ui.session.signing import CosignDialog
        if CosignDialog(self.ctx, self.record, self).exec():
            self.reload()

    def addendum(self) -> None:
        from monitor_app.ui.session.signing import AddendumDialog
        if AddendumDialog(self.ctx, self.record, self).exec():
            self.reload()

    def check_record(self) -> None:
        from monitor_app.services.integrity import check_record
        self.check_verdict.setText("Checking\u2026")
        ok, result = call_service(self.message, check_record, self.ctx.db, self.ctx.signed_in, self.session_id)
        if not ok:
            self.check_verdict.clear()
            return
        if result.intact:
            head = "\u2713 Intact: this record is exactly as the audit trail wrote it, and every signature matches."
            body = result.findings
            self.check_verdict.setStyleSheet(VERDICT_OK)
        else:
            head = (f"{theme.CRITICAL_SYMBOL} NOT intact: {len(result.problems)} "
                    f"problem{'s' if len(result.problems) != 1 else ''} found.")
            body = result.problems
            self.check_verdict.setStyleSheet(VERDICT_BAD)
        self.check_verdict.setText(head + "<br><span style='font-weight:normal'>" +
                                   "<br>".join(f"\u2022 {_e(x)}" for x in body) + "</span>")

    def check_paper(self) -> None:
        from monitor_app.services.integrity import check_printed_code
        text = self.paper_code.text()
        if not text.strip():
            self.paper_verdict.setStyleSheet(VERDICT_BAD)
            self.paper_verdict.setText("Type or paste the text of the printed code first.")
            return
        ok, result = call_service(self.message, check_printed_code, self.ctx.db, self.ctx.signed_in, text)
        if not ok:
            return
        matches, words = result
        self.paper_verdict.setStyleSheet(VERDICT_OK if matches else VERDICT_BAD)
        self.paper_verdict.setText(("\u2713 " if matches else f"{theme.CRITICAL_SYMBOL} ") + _e(words))

    def place_cursor(self) -> None:
        """A record is read, not typed into: the cursor on Back, one Tab from Print and the checks."""
        self.back_button.setFocus(Qt.OtherFocusReason)
