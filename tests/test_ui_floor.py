"""The floor as a nurse meets it after signing in: every chair of the clinic in chair order, free ones shown,
the loudest card the one with open critical flags, the keyboard on the first card."""
from __future__ import annotations

from datetime import timedelta

from monitor_app.domain.vitals import Vitals
from monitor_app.services import clinical
from monitor_app.ui.floor import FreeChairCard, SessionCard
from tests.conftest import PASSWORDS
from tests.driver import chairside  # noqa: F401  (the fixture)
from tests.session_flow import TICKED


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def session_in(db, nurse, t0, chair, mrn):
    pid = clinical.create_patient(db, nurse, mrn=mrn, family_name="Ngata", given_name="Aroha", weight_kg=70)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="depression")
    return clinical.create_session(db, nurse, course_id=cid, chair=chair, arrival_at=t0, now=t0, checklist=TICKED)


def test_every_chair_in_chair_order_with_free_ones(chairside, db, actors, t0):
    nurse = actors["nurse"]
    for chair, mrn in (("10", "F-10"), ("2", "F-2"), ("1", "F-1")):
        session_in(db, nurse, t0, chair, mrn)
    # Chair 3 was used earlier today and is free now.
    done = session_in(db, nurse, t0 - timedelta(hours=3), "3", "F-3")
    clinical.record_reading(db, nurse, done, Vitals(120, 80, 70, 98), measured_at=t0 - timedelta(hours=3),
                            now=t0 - timedelta(hours=3))
    clinical.start_infusion(db, nurse, done, at=t0 - timedelta(hours=3), now=t0 - timedelta(hours=3))
    clinical.stop_infusion(db, nurse, done, early_reason="test", at=t0 - timedelta(hours=2, minutes=30),
                           now=t0 - timedelta(hours=2, minutes=30))
    from tests.session_flow import ALDRETE_OK
    clinical.discharge(db, nurse, done, scale="aldrete", items=ALDRETE_OK, escort_present=True, escort_name="Sam",
                       instructions_given=True, at=t0 - timedelta(hours=1), now=t0 - timedelta(hours=1))
    user = chairside(db.data_dir, clock=Clock(t0 + timedelta(minutes=5)), size=(1366, 744))
    user.sign_in("nurse", PASSWORDS["nurse"])
    floor = user.page
    order = [(t.record.chair if isinstance(t, SessionCard) else t.chair_name, type(t).__name__) for t in floor.tiles]
    assert order == [("1", "SessionCard"), ("2", "SessionCard"), ("3", "FreeChairCard"), ("10", "SessionCard")]
    free = next(t for t in floor.tiles if isinstance(t, FreeChairCard))
    assert free.isVisible() and "Free" in free.state.text()
    # The keyboard is on the first card; arrows move through the cards, past the free chair.
    assert user.focus.record.chair == "1"
    user.press("Right")
    assert user.focus.record.chair == "2"
    user.press("Right")
    assert user.focus.record.chair == "10"
    user.press("Left")
    assert user.focus.record.chair == "2"


def test_critical_flags_are_louder_than_an_overdue_reading(chairside, db, actors, t0):
    nurse = actors["nurse"]
    overdue = session_in(db, nurse, t0, "1", "C-1")
    critical = session_in(db, nurse, t0, "2", "C-2")
    for sid, bp in ((overdue, (130, 80)), (critical, (192, 114))):
        clinical.record_reading(db, nurse, sid, Vitals(130, 80, 70, 98), measured_at=t0 + timedelta(minutes=2),
                                now=t0 + timedelta(minutes=2))
        clinical.start_infusion(db, nurse, sid, at=t0 + timedelta(minutes=5), now=t0 + timedelta(minutes=5))
        clinical.record_reading(db, nurse, sid, Vitals(*bp, 80, 97), measured_at=t0 + timedelta(minutes=6),
                                now=t0 + timedelta(minutes=6))
    user = chairside(db.data_dir, clock=Clock(t0 + timedelta(minutes=40)), size=(1280, 776))
    user.sign_in("nurse", PASSWORDS["nurse"])
    cards = {c.record.chair: c for c in user.page.cards}
    assert cards["1"].overdue and not cards["1"].critical
    assert cards["2"].critical
    assert cards["2"].banner.isVisible() and "2 CRITICAL FLAGS OPEN" in cards["2"].banner.text()

    def border(card):
        sheet = card.styleSheet()
        return int(sheet.split("border: ")[1].split("px")[0])
    assert border(cards["2"]) > border(cards["1"]) > 1
    assert "critical flags open" in cards["2"].accessibleName()


def test_cards_fill_the_width_and_their_type_grows_with_the_screen(chairside, db, actors, t0):
    nurse = actors["nurse"]
    for chair in ("1", "2", "3"):
        session_in(db, nurse, t0, chair, f"W-{chair}")
    user = chairside(db.data_dir, clock=Clock(t0 + timedelta(minutes=5)), size=(1280, 776))
    user.sign_in("nurse", PASSWORDS["nurse"])
    floor = user.page
    small = (floor.cards[0].width(), floor.cards[0].font().pointSizeF())
    user.resize_window(1920, 1056)
    user.wait_until(lambda: floor.cards[0].width() != small[0])
    large = (floor.cards[0].width(), floor.cards[0].font().pointSizeF())
    from monitor_app.ui import theme
    assert large[1] >= small[1] and large[1] > theme.BASE_POINT_SIZE * 1.2  # a few chairs: big cards, big type
    row = [c for c in floor.cards if c.y() == floor.cards[0].y()]
    used = row[-1].geometry().right() - row[0].geometry().left()
    assert used > floor.width() * 0.8  # the cards fill the width, not a column on the left
