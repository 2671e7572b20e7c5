"""A change made at another workstation while the nurse was typing: the screen says so, shows the record as it now
stands, keeps what was typed, and the retry is saved against the fresh record (SPEC 3 rule 7)."""
from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from monitor_app.domain.vitals import Vitals
from monitor_app.services import clinical, queries
from monitor_app.ui.session.readings_model import COLUMN_INDEX
from test_ui_session import Clock, on_next_dialog, open_screen, session  # noqa: F401 (fixture)


def test_an_amendment_made_meanwhile_elsewhere_is_shown_and_the_typed_one_kept(qtbot, db, actors, t0, session):
    nurse, colleague = actors["nurse"], actors["nurse2"]
    rid = clinical.record_reading(db, nurse, session, Vitals(128, 82, 98, 97), measured_at=t0 + timedelta(minutes=3),
                                  now=t0 + timedelta(minutes=3))
    screen = open_screen(qtbot, db, nurse, session, Clock(t0 + timedelta(minutes=10)))
    loaded = queries.get_reading(db, nurse, rid)[0]
    # Another workstation corrects the heart rate after this screen loaded the reading.
    clinical.amend_reading(db, colleague, rid, {"heart_rate": 96}, "recounted", expected_version=loaded.version,
                           now=t0 + timedelta(minutes=9))
    rect = screen.table.visualRect(screen.model.index(0, COLUMN_INDEX["bp"]))
    qtbot.mouseClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    seen = {}

    def amend(d):
        d.fields["heart_rate"].selectAll()
        qtbot.keyClicks(d.fields["heart_rate"], "97")
        d.reason.setFocus()
        qtbot.keyClicks(d.reason, "Misread the monitor")
        d.ok_button.click()
        seen["refusal"] = d.error.text() if d.error.isVisible() else ""
        seen["intro"] = d.intro.text()
        seen["typed"] = (d.fields["heart_rate"].text(), d.reason.toPlainText())
        d.ok_button.click()  # the nurse checks the fresh value and confirms the correction
        seen["retry"] = d.error.text() if d.error.isVisible() else ""
    on_next_dialog(amend)
    qtbot.mouseClick(screen.amend_button, Qt.MouseButton.LeftButton)
    assert "changed at another workstation" in seen["refusal"]
    assert "HR 96" in seen["intro"]  # the reading as it now stands
    assert seen["typed"] == ("97", "Misread the monitor")
    assert seen["retry"] == ""
    amendments = queries.get_reading(db, nurse, rid)[0].amendments
    assert [(a.changes, a.reason) for a in amendments] == [({"heart_rate": [98, 96]}, "recounted"),
                                                            ({"heart_rate": [96, 97]}, "Misread the monitor")]
