"""The record view as an auditor and a charge nurse meet it: from the sign-in, through the archive, to the checks."""
from __future__ import annotations

import re
import shutil
import sqlite3

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QTableView, QWidget

from monitor_app.domain.errors import PermissionDenied
from monitor_app.services import clinical, users
from monitor_app.services.demo import create_demo
from monitor_app.services.integrity import check_record
from monitor_app.services.queries import get_record, search_archive, ArchiveQuery
from monitor_app.storage.db import open_database
from tests.driver import User, chairside, clipped, visible_widgets  # noqa: F401 (chairside is a fixture)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    db = open_database(None, folder, create=True)
    create_demo(db)
    db.dispose()
    return folder


def signed_in(chairside, data_dir, username: str) -> User:
    user = chairside(data_dir)
    user.sign_in(username, f"{username}-demo-pass")
    return user


def open_from_archive(user: User, prefix: str, pick) -> QWidget:
    """Type a name prefix into the archive search, click the result row that `pick` accepts, press Enter."""
    assert type(user.page).__name__ == "ArchivePage"
    assert user.focus is user.find("MRN or name", QLineEdit)
    user.type(prefix + "\n")
    table = user.find("Archive search results", QTableView)
    model = table.model()
    texts = [" | ".join(str(model.index(r, c).data()) for c in range(model.columnCount()))
             for r in range(model.rowCount())]
    row = next(i for i, t in enumerate(texts) if pick(t))
    user.click_cell(table, row, 2)
    user.press("Return")
    assert type(user.page).__name__ == "RecordView"
    return user.page


def readable(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ").split())


def test_auditor_lands_on_the_archive_opens_a_record_read_only_and_checks_it(chairside, demo_dir):
    user = signed_in(chairside, demo_dir, "audrey")
    # The auditor's home is the archive: no floor, no chairs, no way to the floor.
    assert type(user.page).__name__ == "ArchivePage"
    shown = user.visible_text()
    assert "Floor" not in shown and "Chair" not in shown and "New session" not in shown

    view = open_from_archive(user, "Zo", lambda t: "Zoë Nguyễn" in t and "2 of 6" in t)
    shown = user.visible_text()
    assert "Zoë Nguyễn \u2014 Infusion 2 of 6" in shown
    status = readable(user.find("Record status", QLabel).text())
    assert status.startswith("Signed") and "Reviewed" not in status
    # Read-only: every write control is absent.
    for text in ("Co-sign", "Addendum", "Floor", "Sign", "Start infusion", "Acknowledge", "Amend"):
        assert not user.find_all(text, QPushButton, exact=True), text
    editable = [e for e in visible_widgets(user.main, QLineEdit) if not e.isReadOnly()]
    assert [e.accessibleName() for e in editable] == ["Text of the printed code"]
    # ... and a write is refused by the service, not only by a hidden button.
    auditor = user.main.ctx.signed_in
    with pytest.raises(PermissionDenied, match="auditor may not document"):
        clinical.add_addendum(user.main.ctx.db, auditor, view.session_id, "changed by an auditor",
                              "audrey-demo-pass")

    # What the record says, on screen: late entry, amendment with reason, entered in error, addendum.
    readings = user.find("Readings of the session", QLabel).text()
    assert "late entry" in readings and "Transcribed 48 instead of 84" in readings
    assert "<s>48</s>" in readings and "Entered for the wrong chair" in readings
    assert "Patient phoned the next morning" in user.find("Addenda of the record", QLabel).text()
    history = readable(user.find("Audit history sentences", QLabel).text())
    assert "Nina Okafor amended heart rate 48 \u2192 84 in the reading of" in history
    assert "Transcribed 48 instead of 84" in history
    assert "heart_rate" not in history and "=" not in history

    # Check this record.
    user.click("Check this record", QPushButton)
    verdict = readable(user.find("Verdict of the record check", QLabel).text())
    assert verdict.startswith("\u2713 Intact") and "authored signature of Nina Okafor" in verdict

    # Check a paper copy: the code's text typed into the field, a good one, a wrong hash and not a code.
    record = get_record(user.main.ctx.db, auditor, view.session_id)
    code = user.find("Text of the printed code", QLineEdit)
    user.click(code)
    assert user.focus is code
    user.type(f"chairside:{record.record_uid}:{record.content_hash}\n")
    paper = user.find("Verdict of the paper copy check", QLabel)
    assert "Matches: the paper copy of record" in paper.text()
    user.click(code)
    user.press("Ctrl+A")
    user.type(f"chairside:{record.record_uid}:{'0' * 64}")
    user.click("Check copy", QPushButton)
    assert "Does NOT match" in paper.text()
    user.click(code)
    user.press("Ctrl+A")
    user.type("not a code at all\n")
    assert "not the text of a Chairside QR code" in paper.text()

    user.click("\u2190 Back", QPushButton)
    assert type(user.page).__name__ == "ArchivePage"


def test_charge_nurse_sees_acknowledgements_discharge_and_amendment_reasons(chairside, demo_dir):
    user = signed_in(chairside, demo_dir, "carla")
    assert type(user.page).__name__ == "FloorView"
    user.press("Ctrl+F")
    open_from_archive(user, "Nguy", lambda t: "1 of 6" in t)
    assert readable(user.find("Record status", QLabel).text()).startswith("Reviewed")
    flags = readable(user.find("Flags and their acknowledgements", QLabel).text())
    assert "Acknowledged \u2014 Rechecked \u2014 Nina Okafor, RN" in flags
    discharge = readable(user.find("Discharge assessment details", QLabel).text())
    assert "Modified Aldrete" in discharge and "Total 9 / 10" in discharge and "Escort: Present: Partner" in discharge
    summary = readable(user.find("Session summary details", QLabel).text())
    assert "Lot number KX2291" in summary and "Consent current (yes)" in summary and "0.5 mg/kg" in summary
    signatures = readable(user.find("Signatures of the record", QLabel).text())
    assert "Carla Jensen RN, BSN" in signatures and "Reviewed" in signatures and "Authored" in signatures
    chart = user.page.chart
    assert [round(y) for _x, y in chart.series_points("systolic")][:4] == [132, 141, 152, 186]

    # The signed, not yet reviewed record: the amendment's reason, and the charge nurse may co-sign it.
    user.click("\u2190 Back", QPushButton)
    user.press("Ctrl+A")  # the search typed before
    open_from_archive(user, "Nguy", lambda t: "2 of 6" in t)
    readings = readable(user.find("Readings of the session", QLabel).text())
    assert "Amended Heart rate 48 \u2192 84 \u2014 reason: Transcribed 48 instead of 84 (Nina Okafor, RN" in readings
    assert user.find_all("Co-sign", QPushButton) and user.find_all("Addendum", QPushButton)


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


@pytest.mark.parametrize("large", [False, True])
def test_the_archive_fits_a_laptop_without_clipped_text(chairside, demo_dir, large):
    """An auditor's home at 1280x800, in large type too: every filter's caption, hint and choice, the results'
    headings and the buttons whole, no field over another (in large type the filters ran off in one row)."""
    user = chairside(demo_dir, large_type=large, size=(1280, 768))
    user.sign_in("audrey", "audrey-demo-pass")
    assert type(user.page).__name__ == "ArchivePage"
    problems = clipped(user.main)
    assert not problems, "\n".join(problems)
    table = user.find("Archive search results", QTableView)
    assert table.horizontalHeader().length() <= table.viewport().width()  # every column in view
