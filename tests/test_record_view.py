"""The record view as an auditor and a charge nurse meet it: from the sign-in, through the archive, to the checks."""
from __future__ import annotations

import re
import shutil
import sqlite3

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QTableView

from monitor_app.domain.errors import PermissionDenied
from monitor_app.services import clinical, users
from monitor_app.services.demo import create_demo
from monitor_app.services.integrity import check_record
from monitor_app.services.queries import get_record, search_archive, ArchiveQuery
from monitor_app.storage.db import open_database
from monitor_app.ui import errors


@pytest.fixture(autouse=True)
def quiet(monkeypatch, tmp_path):
    errors.set_error_dialog_enabled(False)
    import monitor_app.ui.main_window as mw
    monkeypatch.setattr(mw, "app_settings", lambda: QSettings(str(tmp_path / "qt.ini"), QSettings.IniFormat))
    yield
    errors.set_error_dialog_enabled(True)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    db = open_database(None, folder, create=True)
    create_demo(db)
    db.dispose()
    return folder


def typed(qtbot, text: str) -> None:
    """Keys go where the cursor is, as on the user's screen."""
    for ch in text:
        qtbot.keyClicks(QApplication.focusWidget(), ch)


def enter(qtbot) -> None:
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Return)


def sign_in(qtbot, data_dir, username: str):
    from monitor_app.ui.application import Shell
    shell = Shell(None, str(data_dir))
    qtbot.addWidget(shell.signin)
    shell.start()
    qtbot.waitUntil(lambda: shell.signin.db is not None, timeout=15000)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=3000)
    typed(qtbot, username)
    enter(qtbot)
    typed(qtbot, f"{username}-demo-pass")
    enter(qtbot)
    qtbot.waitUntil(lambda: shell.main_window is not None and shell.main_window.isVisible(), timeout=10000)
    window = shell.main_window
    return shell, window


def button(widget, text: str) -> QPushButton | None:
    """The visible button with this text (a hidden one is absent for the user)."""
    found = [b for b in widget.findChildren(QPushButton) if b.text() == text and b.isVisibleTo(widget)]
    return found[0] if found else None


def click(qtbot, widget, text: str) -> None:
    b = button(widget, text)
    assert b is not None and b.isEnabled(), f"no button {text!r}"
    qtbot.mouseClick(b, Qt.LeftButton)


def open_from_archive(qtbot, window, prefix: str, pick) -> object:
    """Type a name prefix into the archive search, pick a result row by its text, open it with Enter."""
    archive = window.workspace.currentWidget()
    assert QApplication.focusWidget() is archive.search_field
    typed(qtbot, prefix)
    enter(qtbot)
    table = archive.findChild(QTableView)
    model = table.model()
    texts = [" | ".join(str(model.index(r, c).data()) for c in range(model.columnCount()))
             for r in range(model.rowCount())]
    row = next(i for i, t in enumerate(texts) if pick(t))
    rect = table.visualRect(model.index(row, 2))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.keyClick(table, Qt.Key_Return)
    view = window.workspace.currentWidget()
    assert type(view).__name__ == "RecordView"
    return view


def test_auditor_lands_on_the_archive_opens_a_record_read_only_and_checks_it(qtbot, demo_dir):
    shell, window = sign_in(qtbot, demo_dir, "audrey")
    try:
        # The auditor's home is the archive: no floor, no chairs, no way to the floor.
        assert type(window.workspace.currentWidget()).__name__ == "ArchivePage"
        assert window.floor is None and not window.act_floor.isVisible() and not window.act_new.isVisible()
        assert not any("Floor" in b.text() for b in window.findChildren(QPushButton) if b.isVisibleTo(window))

        view = open_from_archive(qtbot, window, "Zo", lambda t: "Zoë Nguyễn" in t and "2 of 6" in t)
        assert "Infusion 2 of 6" in view.title.text()
        assert "Signed" in view.status.text() and "Reviewed" not in view.status.text()
        # Read-only: every write control is absent.
        for text in ("Co-sign\u2026", "Addendum\u2026", "\u25c0 Floor", "Sign\u2026", "Start infusion"):
            assert button(view, text) is None, text
        editable = [e for e in view.findChildren(QLineEdit) if e.isVisibleTo(view) and not e.isReadOnly()]
        assert [e.accessibleName() for e in editable] == ["Text of the printed code"]
        # ... and a write is refused by the service, not only by a hidden button.
        auditor = window.ctx.signed_in
        with pytest.raises(PermissionDenied, match="auditor may not document"):
            clinical.add_addendum(window.ctx.db, auditor, view.session_id, "changed by an auditor",
                                  "audrey-demo-pass")

        # What the record says, on screen: late entry, amendment with reason, entered in error, addendum.
        readings = view.sections["readings"].text()
        assert "late entry" in readings and "Transcribed 48 instead of 84" in readings
        assert "<s>48</s>" in readings and "Entered for the wrong chair" in readings
        assert "Patient phoned the next morning" in view.sections["addenda"].text()
        history = re.sub(r"<[^>]+>", " ", view.history.text())
        assert "Nina Okafor amended heart rate 48 \u2192 84" in history and "Transcribed 48 instead of 84" in history
        assert "heart_rate" not in history and "=" not in history

        # Check this record.
        click(qtbot, view, "Check this record")
        verdict = view.check_verdict.text()
        assert "Intact" in verdict and "signature of Nina Okafor" in verdict and "matches" in verdict

        # Check a paper copy: the code's text typed into the field, a good one and a bad one.
        record = get_record(window.ctx.db, auditor, view.session_id)
        qtbot.mouseClick(view.paper_code, Qt.LeftButton)
        assert QApplication.focusWidget() is view.paper_code
        typed(qtbot, f"chairside:{record.record_uid}:{record.content_hash}")
        enter(qtbot)
        assert "Matches" in view.paper_verdict.text()
        qtbot.mouseClick(view.paper_code, Qt.LeftButton)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_A, Qt.ControlModifier)
        typed(qtbot, f"chairside:{record.record_uid}:{'0' * 64}")
        click(qtbot, view, "Check copy")
        assert "Does NOT match" in view.paper_verdict.text()
        qtbot.mouseClick(view.paper_code, Qt.LeftButton)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_A, Qt.ControlModifier)
        typed(qtbot, "not a code at all")
        enter(qtbot)
        assert "not the text of a Chairside record code" in view.paper_verdict.text()

        click(qtbot, view, "\u2190 Back")
        assert type(window.workspace.currentWidget()).__name__ == "ArchivePage"
    finally:
        window.close()
        shell.db.dispose()


def test_charge_nurse_sees_acknowledgements_discharge_and_amendment_reasons(qtbot, demo_dir):
    shell, window = sign_in(qtbot, demo_dir, "carla")
    try:
        assert type(window.workspace.currentWidget()).__name__ == "FloorView"
        window.act_archive.trigger()
        view = open_from_archive(qtbot, window, "Nguy", lambda t: "1 of 6" in t)
        assert "Reviewed" in view.status.text()
        flags = view.sections["flags"].text()
        assert "Acknowledged" in flags and "Rechecked" in flags and "Nina Okafor" in flags
        discharge = view.sections["discharge"].text()
        assert "Modified Aldrete" in discharge and "9 / 10" in discharge and "Partner" in discharge
        summary = view.sections["summary"].text()
        assert "KX2291" in summary and "Consent current" in summary and "0.5 mg/kg" in summary
        signatures = view.sections["signatures"].text()
        assert "Carla Jensen" in signatures and "RN, BSN" in signatures and "Reviewed" in signatures
        assert view.chart is not None and view.chart.series_points("systolic")

        # The signed, not yet reviewed record: amendment reasons, and the charge nurse may co-sign it.
        click(qtbot, view, "\u2190 Back")
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_A, Qt.ControlModifier)  # the search typed before
        view = open_from_archive(qtbot, window, "Nguy", lambda t: "2 of 6" in t)
        assert "Transcribed 48 instead of 84" in view.sections["readings"].text()
        assert button(view, "Co-sign\u2026") is not None and button(view, "Addendum\u2026") is not None
    finally:
        window.close()
        shell.db.dispose()


def test_check_this_record_names_a_reading_changed_outside_chairside(tmp_path, demo_dir):
    folder = tmp_path / "copy"
    shutil.copytree(demo_dir, folder)
    db = open_database(None, folder, create=False)
    try:
        auditor = users.sign_in(db, "audrey", "audrey-demo-pass")
        sid = next(r.session_id for r in search_archive(db, auditor, ArchiveQuery(text="Nguy"))
                   if r.number == 1)
        assert check_record(db, auditor, sid).intact
        reading = get_record(db, auditor, sid).readings[0].id
        with sqlite3.connect(folder / "chairside.sqlite") as raw:
            raw.execute("UPDATE readings SET systolic = 120 WHERE id = ?", (reading,))
        result = check_record(db, auditor, sid)
        assert not result.intact
        assert any(f"Reading {reading} differs from the audit trail" in p for p in result.problems)
        assert any("authored signature of Nina Okafor" in p and "no longer matches" in p for p in result.problems)
    finally:
        db.dispose()
