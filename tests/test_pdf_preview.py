"""The PDF preview dialog: pages shown, Save and Print write the file or the pages and an audit row."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog
from sqlalchemy import select

from monitor_app.domain.vitals import Vitals
from monitor_app.reports.pdf import session_pdf
from monitor_app.services import clinical as c
from monitor_app.storage.models import AuditEvent
from monitor_app.ui.context import UiContext
from monitor_app.ui.pdf_preview import PdfPreviewDialog
from tests.session_flow import TICKED


@pytest.fixture
def session_id(db, actors):
    nurse = actors["nurse"]
    arrival = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
    pid = c.create_patient(db, nurse, mrn="Q-7", family_name="Nguyễn", given_name="Zoë")
    cid = c.create_course(db, nurse, patient_id=pid, indication="depression")
    sid = c.create_session(db, nurse, course_id=cid, chair="1", arrival_at=arrival, now=arrival,
                           checklist=TICKED)
    for m, bp in ((5, (128, 82)), (20, (186, 104)), (30, (150, 90))):
        if m == 20:
            c.start_infusion(db, nurse, sid, at=arrival + timedelta(minutes=10), now=arrival + timedelta(minutes=10))
        at = arrival + timedelta(minutes=m)
        c.record_reading(db, nurse, sid, Vitals(*bp, 80, 97), measured_at=at, now=at)
    return sid


@pytest.fixture
def dialog(qtbot, db, actors, session_id):
    ctx = UiContext(db=db, actor=actors["charge"])
    ctx.reload_settings()
    dlg = PdfPreviewDialog(ctx, session_id)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.document.status() == QPdfDocument.Status.Ready)
    return dlg


def audit_rows(db, session_id, action):
    with db.reader() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.session_id == session_id,
                                                       AuditEvent.action == action)))


def test_preview_shows_every_page_of_the_record(dialog, db, actors, session_id):
    expected = len(PdfReader(io.BytesIO(session_pdf(db, actors["charge"], session_id))).pages)
    assert dialog.page_count == expected
    assert dialog.pages_label.text() == f"{expected} page{'s' if expected != 1 else ''}"
    assert dialog.view.document() is dialog.document
    assert "Zoë Nguyễn" in dialog.document.getAllText(0).text()


def test_zoom_buttons_change_the_zoom(qtbot, dialog):
    qtbot.mouseClick(dialog.zoom_in_button, Qt.LeftButton)
    bigger = dialog.view.zoomFactor()
    qtbot.mouseClick(dialog.zoom_out_button, Qt.LeftButton)
    qtbot.mouseClick(dialog.zoom_out_button, Qt.LeftButton)
    assert dialog.view.zoomFactor() < bigger
    qtbot.mouseClick(dialog.fit_button, Qt.LeftButton)
    assert dialog.view.zoomMode() == dialog.view.ZoomMode.FitToWidth


def test_appendix_adds_the_audit_trail(qtbot, dialog):
    before = dialog.data
    assert "Appendix: audit trail" not in " ".join(dialog.document.getAllText(i).text()
                                                   for i in range(dialog.page_count))
    qtbot.mouseClick(dialog.appendix, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.document.status() == QPdfDocument.Status.Ready)
    assert dialog.appendix.isChecked() and dialog.data != before
    assert "Appendix: audit trail" in " ".join(dialog.document.getAllText(i).text()
                                               for i in range(dialog.page_count))


def test_save_writes_the_file_and_an_audit_row(qtbot, dialog, db, session_id, tmp_path, monkeypatch):
    chosen = tmp_path / "record"
    offered = []

    def fake_dialog(parent, caption, start, filters):
        offered.append(start)
        return str(chosen), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    qtbot.mouseClick(dialog.save_button, Qt.LeftButton)
    saved = tmp_path / "record.pdf"
    assert saved.read_bytes() == dialog.data
    assert len(PdfReader(saved).pages) == dialog.page_count
    assert offered and offered[0].endswith(f"_Q-7_infusion-1_{session_id}.pdf")
    rows = audit_rows(db, session_id, "export")
    assert len(rows) == 1 and rows[0].username == "charge"
    assert rows[0].reason == "pdf record.pdf (saved from the preview)"
    assert "Saved to" in dialog.message.text()


def test_cancelled_save_writes_nothing(qtbot, dialog, db, session_id, tmp_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: ("", "")))
    qtbot.mouseClick(dialog.save_button, Qt.LeftButton)
    assert audit_rows(db, session_id, "export") == []
    assert not list(tmp_path.glob("*.pdf"))


def test_print_renders_every_page_and_is_audited(qtbot, dialog, db, session_id, tmp_path, monkeypatch):
    out = tmp_path / "printed.pdf"

    def printer_to_file():
        printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        return printer

    monkeypatch.setattr(dialog, "ask_printer", printer_to_file)  # the print dialog needs a real printer
    qtbot.mouseClick(dialog.print_button, Qt.LeftButton)
    assert len(PdfReader(out).pages) == dialog.page_count
    rows = audit_rows(db, session_id, "print")
    assert len(rows) == 1 and rows[0].username == "charge" and rows[0].reason.startswith("pdf printed")
