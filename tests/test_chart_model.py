"""The chart model: what the screen and the paper draw, computed from a session built through the services."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from monitor_app.domain.thresholds import Level, ParameterLimits, Thresholds
from monitor_app.domain.vitals import Vitals
from monitor_app.reports.chart_model import PANELS, FlagMark, Span, chart_model, clock_ticks, event_lane
from monitor_app.services import clinical, queries
from tests.session_flow import TICKED

NEW_YORK = ZoneInfo("America/New_York")
M = timedelta(minutes=1)
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # 10:00 EST
CLUSTER = [("nausea", {"severity": "moderate"}), ("dizziness", {"severity": "mild"}),
           ("medication_given", {"details": {"medication": "Ondansetron", "dose": "4 mg", "route": "IV"}}),
           ("clinician_notified", {"details": {"clinician": "Dr Reyes"}}), ("dissociation", {"severity": "mild"}),
           ("oxygen_applied", {})]


def build_scenario(db, nurse, t0=T0) -> int:
    """Mid-infusion: a critical systolic, an order raising the systolic limits, a pause, 6 events in 2 minutes."""
    pid = clinical.create_patient(db, nurse, mrn="C-1", family_name="Chart", given_name="Pat", weight_kg=70)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="depression")
    sid = clinical.create_session(db, nurse, course_id=cid, arrival_at=t0, now=t0, checklist=TICKED)
    at = lambda m: t0 + m * M  # noqa: E731
    clinical.record_reading(db, nurse, sid, Vitals(128, 82, 72, 98), measured_at=at(5), now=at(5))
    clinical.start_infusion(db, nurse, sid, at=at(10), now=at(10))
    clinical.record_reading(db, nurse, sid, Vitals(150, 92, 84, 97), measured_at=at(20), now=at(20))
    clinical.record_reading(db, nurse, sid, Vitals(186, 96, 96, 95), measured_at=at(30), now=at(30))
    record = queries.get_record(db, nurse, sid)
    limits = dict(record.thresholds.limits)
    limits["systolic"] = ParameterLimits(80, 90, 175, 195)
    clinical.order_limits(db, nurse, sid, Thresholds("Order", limits), clinician="Dr Okafor",
                          reason="Known hypertension", at=at(35), now=at(35))
    clinical.record_reading(db, nurse, sid, Vitals(178, 104, 112, 93), measured_at=at(40), now=at(40))
    clinical.pause_infusion(db, nurse, sid, at=at(42), now=at(42))
    clinical.resume_infusion(db, nurse, sid, at=at(47), now=at(47))
    for i, (kind, kw) in enumerate(CLUSTER):
        clinical.record_event(db, nurse, sid, kind, at=at(50) + timedelta(seconds=20 * i), now=at(53), **kw)
    return sid


@pytest.fixture
def scenario(db, actors):
    nurse = actors["nurse"]
    sid = build_scenario(db, nurse)
    return queries.get_record(db, nurse, sid)


def test_points_and_flags_sit_on_the_values_at_minutes_from_the_start(scenario):
    m = chart_model(scenario, NEW_YORK, T0 + 55 * M)
    assert m.points["systolic"] == [(-5, 128), (10, 150), (20, 186), (30, 178)]
    assert m.points["diastolic"] == [(-5, 82), (10, 92), (20, 96), (30, 104)]
    assert m.bp_bars == [(-5, 128, 82), (10, 150, 92), (20, 186, 96), (30, 178, 104)]
    # SPEC 4: systolic > 180 critical; after the order, > 175 warning; diastolic > 100, SpO2 < 94 warning; HR 112
    # is 56 % above the baseline's 72, over the 40 % baseline change: critical.
    assert FlagMark("systolic", Level.CRITICAL, 20, 186, True) in m.flags
    assert {(f.parameter, f.level, f.x, f.y) for f in m.flags if f.x == 30} == {
        ("systolic", Level.WARNING, 30, 178), ("diastolic", Level.WARNING, 30, 104),
        ("heart_rate", Level.CRITICAL, 30, 112), ("spo2", Level.WARNING, 30, 93)}
    # Every value shown lies inside its panel.
    for p, panel in (("systolic", "bp"), ("heart_rate", "hr"), ("spo2", "spo2")):
        for _x, y in m.points[p]:
            assert m.panels[panel].lo <= y <= m.panels[panel].hi


def test_bands_follow_the_limits_in_force_and_an_acknowledged_flag_is_no_longer_open(db, actors, scenario):
    m = chart_model(scenario, NEW_YORK, T0 + 55 * M)
    left, right = m.x_range
    high_warning = sorted((b.x_from, b.x_to, b.low) for b in m.bands
                          if b.parameter == "systolic" and b.level == Level.WARNING and b.side == "high")
    assert high_warning == [(left, 25, 160), (25, right, 175)]  # the order at +35 min is x = 25
    assert [b.low for b in m.bands if b.parameter == "systolic" and b.level == Level.CRITICAL
            and b.side == "high"] == [180, 195]
    critical = next(f for f in scenario.flags if f.level == Level.CRITICAL)
    clinical.acknowledge_flag(db, actors["nurse"], critical.id, "rechecked", now=T0 + 54 * M)
    again = chart_model(queries.get_record(db, actors["nurse"], scenario.id), NEW_YORK, T0 + 55 * M)
    assert FlagMark("systolic", Level.CRITICAL, 20, 186, False) in again.flags


def test_phases_pauses_and_the_next_due_reading(scenario):
    m = chart_model(scenario, NEW_YORK, T0 + 55 * M)
    left, right = m.x_range
    assert m.phases == [Span("Pre-infusion", left, 0), Span("Infusion", 0, right)]
    assert m.pauses == [Span("Paused", 32, 37)]
    assert m.infusion_marks == [0]
    # SPEC 4: every 10 minutes during the infusion: the last reading at 10:40 EST, so due at 10:50, and overdue
    # after a minute of grace (now 10:55).
    assert m.next_due.x == 40 and m.next_due.label == "due 10:50 OVERDUE" and m.next_due.overdue
    assert m.now_x == 45
    # The range leaves the labels room right of the due and now lines, however wide a character is on the plot,
    # also half an hour after the reading was due.
    for char_width in (0.004, 0.008, 0.012, 0.016):  # 6 px characters on plots of 1500 to 375 px
        for minutes in (55, 85):
            later = chart_model(scenario, NEW_YORK, T0 + minutes * M, char_width=char_width)
            left, right = later.x_range
            assert right - 40 >= (len(later.next_due.label) + 2) * char_width * (right - left)
            assert right - later.now_x >= (len("now") + 3) * char_width * (right - left)
    # The paper copy of a finished record has neither.
    paper = chart_model(scenario, NEW_YORK)
    assert paper.now_x is None and paper.next_due is None


def test_six_events_within_two_minutes_are_numbered_side_by_side_in_the_lane(scenario):
    width = 0.03
    m = chart_model(scenario, NEW_YORK, T0 + 55 * M, event_width=width)
    left, right = m.x_range
    cluster = [e for e in m.events if e.number >= 4]
    assert [e.x for e in sorted(cluster, key=lambda e: e.number)] == pytest.approx([40 + i / 3 for i in range(6)])
    lane = sorted(m.events, key=lambda e: e.lane_x)
    assert [e.number for e in lane] == list(range(1, 10))  # in time order
    step = (right - left) * width
    for a, b in zip(lane, lane[1:]):
        assert b.lane_x - a.lane_x >= step - 1e-9
    assert all(left + step / 2 - 1e-9 <= e.lane_x <= right - step / 2 + 1e-9 for e in m.events)
    # Spread around their time, not pushed aside: the six numbers' middle within one number of the events' middle.
    assert abs(sum(e.lane_x for e in cluster) / 6 - sum(e.x for e in cluster) / 6) <= step


def test_ticks_fall_on_round_clock_minutes_with_minutes_from_the_start(scenario):
    m = chart_model(scenario, NEW_YORK, T0 + 55 * M, max_ticks=12)
    assert m.ticks, "no ticks"
    step = m.ticks[1].x - m.ticks[0].x
    assert step in (5, 10, 15)
    start_local = datetime(2026, 3, 2, 10, 10)  # the infusion started at 10:10 EST
    for t in m.ticks:
        clock = datetime.strptime(t.clock, "%H:%M").replace(year=2026, month=3, day=2)
        assert clock.minute % step == 0
        assert int(t.elapsed) == round((clock - start_local).total_seconds() / 60) == round(t.x)


def test_the_repeated_hour_of_a_dst_fall_back_reads_with_its_zone():
    origin = datetime(2026, 11, 1, 5, 10, tzinfo=timezone.utc)  # 01:10 EDT; at 06:00 UTC clocks go back to 01:00
    ticks = clock_ticks(origin, -10, 120, NEW_YORK, 12)
    labels = [t.clock for t in ticks]
    assert "01:30 EDT" in labels and "01:30 EST" in labels
    assert len(set(labels)) == len(labels)
    assert [t.x for t in ticks] == sorted(t.x for t in ticks)
    assert "00:00" not in labels and labels[-1] == "02:00"  # after the repeated hour: plain again
    spring = clock_ticks(datetime(2026, 3, 8, 6, 30, tzinfo=timezone.utc), 0, 60, NEW_YORK, 6)
    # Either side of the skipped hour the zone is named, as everywhere a clock time is shown (domain.clock).
    assert [t.clock for t in spring][:4] == ["01:30 EST", "01:40 EST", "01:50 EST", "03:00 EDT"]


def test_limit_labels_name_each_limit_in_force_and_never_overlap(scenario):
    m = chart_model(scenario, NEW_YORK, T0 + 55 * M)
    gap = 0.07
    labels = m.limit_labels("bp", gap)
    texts = [label.text for label in labels]
    assert {"\u25c6 Sys 195", "\u25b2 Sys 175", "\u25b2 Sys 90", "\u25c6 Sys 80", "\u25c6 Dia 110",
            "\u25b2 Dia 100", "\u25b2 Dia 50", "\u25c6 Dia 40"} == set(texts)
    bp = m.panels["bp"]
    ats = [label.at for label in labels]
    assert ats == sorted(ats)
    assert all(b - a >= (bp.hi - bp.lo) * gap - 1e-9 for a, b in zip(ats, ats[1:]))
    # Never below the panel's bottom, and clear of the next panel's top labels (which may reach half a label
    # above that panel): a whole label above the bottom at least, half a label in the lowest panel.
    for panel in PANELS:
        p = m.panels[panel]
        least = (p.hi - p.lo) * gap * (0.5 if panel == PANELS[-1] else 1)
        assert all(p.lo + least - 1e-9 <= label.at <= p.hi + 1e-9 for label in m.limit_labels(panel, gap))


def test_a_low_panel_names_its_critical_limits_and_keeps_its_labels_beside_it(scenario):
    """Room for five of the eight labels: every critical limit is named, warnings give way, and none reaches below
    the panel (where the next panel's labels are)."""
    m = chart_model(scenario, NEW_YORK, T0 + 55 * M)
    gap = 0.2
    labels = m.limit_labels("bp", gap)
    bp = m.panels["bp"]
    criticals = {"\u25c6 Sys 195", "\u25c6 Sys 80", "\u25c6 Dia 110", "\u25c6 Dia 40"}
    assert criticals <= {label.text for label in labels} and len(labels) == 5
    ats = [label.at for label in labels]
    whole = (bp.hi - bp.lo) * gap
    assert all(b - a >= whole - 1e-9 for a, b in zip(ats, ats[1:]))
    assert all(bp.lo + whole - 1e-9 <= a <= bp.hi + 1e-9 for a in ats)


@hsettings(max_examples=200, deadline=None)
@given(xs=st.lists(st.floats(0, 100), min_size=0, max_size=25),
       width=st.floats(0.5, 8))
def test_event_numbers_never_overlap_and_keep_their_order(xs, width):
    events = [(i + 1, x, "intervention", "") for i, x in enumerate(sorted(xs))]
    if len(events) * width > 100:
        return  # more numbers than the lane holds side by side
    lane = event_lane(events, 0, 100, width)
    by_time = sorted(lane, key=lambda e: (e.x, e.number))
    assert [e.number for e in sorted(lane, key=lambda e: e.lane_x)] == [e.number for e in by_time]
    positions = sorted(e.lane_x for e in lane)
    assert all(b - a >= width - 1e-6 for a, b in zip(positions, positions[1:]))
    assert all(width / 2 - 1e-6 <= p <= 100 - width / 2 + 1e-6 for p in positions)
