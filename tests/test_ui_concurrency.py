"""A change made at another workstation while the nurse was typing: the screen says so, shows the record as it now
stands, keeps what was typed, and the retry is saved against the fresh record (SPEC 3 rule 7)."""
from __future__ import annotations

from datetime import timedelta

from monitor_app.domain.vitals import Vitals
from monitor_app.services import clinical, queries
from monitor_app.ui.session.readings_model import COLUMN_INDEX
from tests.driver import chairside  # noqa: F401  (the fixture)
from tests.test_ui_session import Clock, new_session, open_from_floor, signed_in


def test_an_amendment_made_meanwhile_elsewhere_is_shown_and_the_typed_one_kept(chairside, db, actors, t0):
    nurse, colleague = actors["nurse"], actors["nurse2"]
    sid = new_session(db, nurse, t0)
    rid = clinical.record_reading(db, nurse, sid, Vitals(128, 82, 98, 97), measured_at=t0 + timedelta(minutes=3),
                                  now=t0 + timedelta(minutes=3))
    user = signed_in(chairside, db, Clock(t0 + timedelta(minutes=10)))
    screen = open_from_floor(user)
    user.click_cell(screen.table, 0, COLUMN_INDEX["bp"])
    seen = {}

    def amend(d):
        # Another workstation corrects the heart rate after this dialog loaded the reading.
        loaded = queries.get_reading(db, colleague, rid)[0]
        clinical.amend_reading(db, colleague, rid, {"heart_rate": 96}, "recounted", expected_version=loaded.version,
                               now=t0 + timedelta(minutes=9))
        d.fill("HR", "97")
        d.fill("Reason", "Misread the monitor")
        d.click("Amend")
        seen["refusal"] = d.widget.error.text() if d.widget.error.isVisible() else ""
        seen["shown"] = d.visible_text()
        seen["typed"] = (d.field("HR").text(), d.field("Reason").toPlainText())
        d.click("Amend")  # the nurse checks the fresh value and confirms the correction
    with user.expect_dialog(amend):
        user.click("Amend")
    assert "changed at another workstation" in seen["refusal"]
    assert "HR 96" in seen["shown"]  # the reading as it now stands
    assert seen["typed"] == ("97", "Misread the monitor")
    amendments = queries.get_reading(db, nurse, rid)[0].amendments
    assert [(a.changes, a.reason) for a in amendments] == [({"heart_rate": [98, 96]}, "recounted"),
                                                            ({"heart_rate": [96, 97]}, "Misread the monitor")]
