"""Domain rules without an archive: schedules, discharge scores, phases, record views and clock times.

Expected values are written out from SPEC.md (sections 2 to 4), never computed with the code under test.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from monitor_app.domain.clock import (as_utc, clinic_zone, fmt_datetime, fmt_duration, fmt_time, local,
                                      parse_clock_time)
from monitor_app.domain.discharge import DischargeScore, scale_name
from monitor_app.domain.errors import FieldError
from monitor_app.domain.record import (AmendmentView, CourseView, DischargeView, FlagView, PatientView, ReadingView,
                                       SessionRecord, SignatureView, baseline_of, in_force, parameter_label,
                                       values_of)
from monitor_app.domain.schedule import (ESKETAMINE, IV_KETAMINE, Due, Schedule, baseline_in_window, due_text,
                                         next_due, observation_ends_at)
from monitor_app.domain.session import (Phase, SessionTimes, Status, derive_phase, event_category,
                                        minutes_from_start, phase_at)
from monitor_app.domain.thresholds import KETAMINE_DEFAULT, NEWS2, Level, Thresholds
from monitor_app.domain.vitals import Vitals, check_measured_at

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
T = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)  # 10:00 EDT


def m(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


# ------------------------------------------------------------------------------------------ schedules (SPEC 4)

def test_the_shipped_schedules_are_those_of_the_spec():
    assert (IV_KETAMINE.baseline_window_min, IV_KETAMINE.infusion_interval_min, IV_KETAMINE.recovery_interval_min,
            IV_KETAMINE.min_observation_min, IV_KETAMINE.observation_from) == (30, 10, 15, 30, "infusion_end")
    assert (ESKETAMINE.min_observation_min, ESKETAMINE.observation_from) == (120, "first_dose")
    assert Schedule("X") == Schedule("X", 30, 10, 15, 30, "infusion_end")
    for preset in (IV_KETAMINE, ESKETAMINE):
        assert preset.validate() is preset
        assert Schedule.from_dict(preset.to_dict()) == preset
    assert Schedule.from_dict({**IV_KETAMINE.to_dict(), "unknown": 1}) == IV_KETAMINE
    assert IV_KETAMINE.with_changes(recovery_interval_min=20).recovery_interval_min == 20
    assert IV_KETAMINE.with_changes(recovery_interval_min=20).infusion_interval_min == 10


@pytest.mark.parametrize("field,lo,hi,label", [
    ("baseline_window_min", 1, 240, "Baseline window"),
    ("infusion_interval_min", 1, 120, "Interval during the infusion"),
    ("recovery_interval_min", 1, 120, "Interval in recovery"),
    ("min_observation_min", 0, 480, "Minimum observation"),
])
def test_schedule_limits_are_inclusive_and_refusals_name_the_field(field, lo, hi, label):
    for ok in (lo, hi):
        assert getattr(Schedule("S", **{field: ok}).validate(), field) == ok
    for bad in (lo - 1, hi + 1, 10.5, "10", None):
        with pytest.raises(FieldError) as err:
            Schedule("S", **{field: bad}).validate()
        assert err.value.field == field
        assert err.value.message == f"{label} must be a whole number of minutes between {lo} and {hi}."


def test_schedule_name_and_observation_start_are_checked():
    with pytest.raises(FieldError) as err:
        Schedule("  ").validate()
    assert (err.value.field, err.value.message) == ("name", "Schedule name must not be empty.")
    with pytest.raises(FieldError) as err:
        Schedule("S", observation_from="arrival").validate()
    assert err.value.field == "observation_from" and "infusion end or the first dose" in err.value.message
    assert Schedule("S", observation_from="first_dose").validate().observation_from == "first_dose"


def test_baseline_due_before_the_infusion_and_nothing_after_discharge():
    assert next_due(IV_KETAMINE, Phase.PRE_INFUSION, m(0), None, None, None) == Due(m(0), False, "baseline")
    assert next_due(IV_KETAMINE, Phase.DISCHARGED, m(0), m(-5), m(-60), m(-90)) == Due(None, False, "")


def test_a_baseline_is_good_for_its_window_and_overdue_after_the_grace_minute():
    # baseline at 0: the infusion may start until +30; from +31 (after the grace minute) it is overdue
    assert next_due(IV_KETAMINE, Phase.PRE_INFUSION, m(10), m(0), None, m(0)) == Due(m(30), False, "rebaseline")
    assert next_due(IV_KETAMINE, Phase.PRE_INFUSION, m(31), m(0), None, m(0)) == Due(m(30), False, "rebaseline")
    assert next_due(IV_KETAMINE, Phase.PRE_INFUSION, m(31) + timedelta(seconds=1), m(0), None, m(0)) \
        == Due(m(30), True, "rebaseline")


@pytest.mark.parametrize("phase,interval,reason", [
    (Phase.INFUSION, 10, "infusion"), (Phase.PAUSED, 10, "infusion"), (Phase.RECOVERY, 15, "recovery")])
def test_readings_due_every_interval_of_the_phase(phase, interval, reason):
    sched = Schedule("S", infusion_interval_min=10, recovery_interval_min=15)
    # due `interval` minutes after the last reading, overdue after one more minute of grace
    assert next_due(sched, phase, m(5), m(2), m(0), m(-10)) == Due(m(2 + interval), False, reason)
    assert next_due(sched, phase, m(3 + interval), m(2), m(0), m(-10)) == Due(m(2 + interval), False, reason)
    assert next_due(sched, phase, m(3 + interval) + timedelta(seconds=1), m(2), m(0), m(-10)) \
        == Due(m(2 + interval), True, reason)


def test_a_phase_change_restarts_the_clock_at_the_phase_start():
    # last reading at -3, infusion stopped at 0: the recovery clock runs from 0, not from the older reading
    assert next_due(IV_KETAMINE, Phase.RECOVERY, m(1), m(-3), m(0), m(-60)).at == m(15)
    # a reading after the phase start moves it on
    assert next_due(IV_KETAMINE, Phase.RECOVERY, m(6), m(5), m(0), m(-60)).at == m(20)
    # no reading and no start known: due an interval from now
    assert next_due(IV_KETAMINE, Phase.INFUSION, m(7), None, None, None) == Due(m(17), False, "infusion")
    assert next_due(IV_KETAMINE, Phase.INFUSION, m(7), m(4), None, None).at == m(14)
    assert next_due(IV_KETAMINE, Phase.INFUSION, m(7), None, m(2), None).at == m(12)


@pytest.mark.parametrize("due,now,text", [
    (Due(m(0), False, "baseline"), m(0), "Baseline reading due"),
    (Due(None, False, ""), m(0), "No reading due"),
    (Due(m(10), False, "infusion"), m(0), "Next reading due 10:10 (in 10 min)"),
    (Due(m(10), False, "infusion"), m(9) + timedelta(seconds=1), "Next reading due 10:10 (in 1 min)"),
    (Due(m(10), False, "infusion"), m(10) - timedelta(seconds=30), "Next reading due 10:10 (now)"),
    (Due(m(10), False, "infusion"), m(10) - timedelta(seconds=31), "Next reading due 10:10 (in 1 min)"),
    (Due(m(75), False, "recovery"), m(0), "Next reading due 11:15 (in 1 h 15 min)"),
    (Due(m(10), True, "infusion"), m(17), "OVERDUE: reading due 10:10, 7 min ago"),
    (Due(m(10), True, "infusion"), m(75), "OVERDUE: reading due 10:10, 1 h 05 min ago"),
    (Due(m(30), False, "rebaseline"), m(10), "Start by 10:30 (in 20 min) or repeat the baseline"),
    (Due(m(30), True, "rebaseline"), m(40), "OVERDUE: baseline too old since 10:30, repeat it"),
])
def test_the_due_clock_in_words_in_the_clinic_zone(due, now, text):
    assert due_text(due, now, NY) == text


def test_minimum_observation_counts_from_the_end_or_the_first_dose():
    assert observation_ends_at(IV_KETAMINE, m(0), m(40)) == m(70)
    assert observation_ends_at(IV_KETAMINE, m(0), None) is None
    assert observation_ends_at(ESKETAMINE, m(0), m(40)) == m(120)
    assert observation_ends_at(ESKETAMINE, m(0), None) == m(120)
    assert observation_ends_at(ESKETAMINE, None, None) is None


def test_the_baseline_window_includes_both_ends():
    assert baseline_in_window(IV_KETAMINE, m(0), m(30))
    assert baseline_in_window(IV_KETAMINE, m(0), m(0))
    assert not baseline_in_window(IV_KETAMINE, m(0), m(30) + timedelta(seconds=1))
    assert not baseline_in_window(IV_KETAMINE, m(1), m(0))  # a baseline after the start is no baseline
    assert not baseline_in_window(IV_KETAMINE, None, m(0))


# ------------------------------------------------------------------------------------------ discharge (SPEC 2, 5)

ALDRETE = dict(activity=2, respiration=2, circulation=2, consciousness=2, oxygen=1)
PADSS = dict(vital_signs=2, ambulation=2, nausea_vomiting=2, pain=2, bleeding=0)


def test_discharge_at_a_total_of_nine_or_more_on_both_scales():
    assert DischargeScore("aldrete", ALDRETE).validate().total == 9
    assert DischargeScore("aldrete", ALDRETE).meets_threshold
    assert not DischargeScore("aldrete", {**ALDRETE, "oxygen": 0}).meets_threshold  # 8
    assert DischargeScore("padss", {**PADSS, "bleeding": 1}).validate().meets_threshold  # 9
    assert not DischargeScore("padss", PADSS).meets_threshold  # 8
    assert DischargeScore("padss", {k: 2 for k in PADSS}).total == 10
    assert (scale_name("aldrete"), scale_name("padss")) == ("Modified Aldrete", "PADSS")


@pytest.mark.parametrize("scale,items,field,message", [
    ("aldrete", {**ALDRETE, "oxygen": 3}, "oxygen", "Modified Aldrete: SpO2 must be 0, 1 or 2."),
    ("aldrete", {**ALDRETE, "activity": -1}, "activity", "Modified Aldrete: Activity must be 0, 1 or 2."),
    ("padss", {k: v for k, v in PADSS.items() if k != "pain"}, "pain", "PADSS: score Pain (0-2)."),
    ("aldrete", {**ALDRETE, "consciousness": 1.5}, "consciousness",
     "Modified Aldrete: Consciousness must be 0, 1 or 2."),
    ("aldrete", PADSS, "activity", "Modified Aldrete: score Activity (0-2)."),
])
def test_each_discharge_item_is_scored_zero_to_two(scale, items, field, message):
    with pytest.raises(FieldError) as err:
        DischargeScore(scale, items).validate()
    assert (err.value.field, err.value.message) == (field, message)


def test_an_unknown_discharge_scale_is_refused():
    with pytest.raises(FieldError) as err:
        DischargeScore("apgar", ALDRETE).validate()
    assert err.value.field == "scale" and "apgar" in err.value.message


def test_every_item_at_zero_one_and_two_is_accepted():
    for v in (0, 1, 2):
        assert DischargeScore("aldrete", {k: v for k in ALDRETE}).validate().total == 5 * v


# ------------------------------------------------------------------------------------------ phases (SPEC 3)

def test_the_phase_follows_from_the_recorded_times():
    assert derive_phase(SessionTimes(m(0))) == Phase.PRE_INFUSION
    assert derive_phase(SessionTimes(m(0), m(10))) == Phase.INFUSION
    assert derive_phase(SessionTimes(m(0), m(10), paused=True)) == Phase.PAUSED
    assert derive_phase(SessionTimes(m(0), m(10), m(50))) == Phase.RECOVERY
    assert derive_phase(SessionTimes(m(0), m(10), m(50), m(90))) == Phase.DISCHARGED
    assert derive_phase(SessionTimes(m(0), m(10), m(50), m(90), paused=True)) == Phase.DISCHARGED


def test_a_reading_belongs_to_the_phase_of_its_measured_time():
    t = SessionTimes(m(0), m(10), m(50), m(90), paused=True)
    assert [phase_at(m(x), t) for x in (0, 9.99, 10, 49.99, 50, 89.99, 90)] == [
        Phase.PRE_INFUSION, Phase.PRE_INFUSION, Phase.INFUSION, Phase.INFUSION, Phase.RECOVERY, Phase.RECOVERY,
        Phase.DISCHARGED]
    assert phase_at(m(500), SessionTimes(m(0))) == Phase.PRE_INFUSION
    assert phase_at(m(500), SessionTimes(m(0), m(10))) == Phase.INFUSION


def test_minutes_from_the_start_of_the_infusion():
    assert minutes_from_start(m(25.5), m(10)) == 15.5
    assert minutes_from_start(m(5), m(10)) == -5.0
    assert minutes_from_start(m(5), None) is None


def test_event_categories():
    assert (event_category("nausea"), event_category("oxygen_applied"), event_category("limits_changed")) == (
        "side effect", "intervention", "order")
    assert event_category("seizure") == "side effect" and event_category("stopped_early") == "intervention"


# ------------------------------------------------------------------------------------------ thresholds

def test_the_pre_infusion_limit_is_off_by_default_and_strictly_above_when_set():
    assert not KETAMINE_DEFAULT.baseline_blocks_start(250, 150)  # off by default (SPEC 4)
    t = Thresholds("P", preinfusion_systolic_max=180, preinfusion_diastolic_max=110)
    assert not t.baseline_blocks_start(180, 110)  # equal to the limit is inside it
    assert t.baseline_blocks_start(181, 80)
    assert t.baseline_blocks_start(120, 111)
    assert not t.baseline_blocks_start(None, None)
    assert Thresholds("P", preinfusion_systolic_max=180).baseline_blocks_start(181, None)
    assert not Thresholds("P", preinfusion_systolic_max=180).baseline_blocks_start(None, 200)
    assert Thresholds("P", preinfusion_diastolic_max=100).baseline_blocks_start(None, 101)


def test_the_presets_hold_the_spec_limits_and_baseline_percentages():
    lim = KETAMINE_DEFAULT.limits
    assert (lim["systolic"].low_critical, lim["systolic"].low_warning, lim["systolic"].high_warning,
            lim["systolic"].high_critical) == (80, 90, 160, 180)
    for p in ("systolic", "diastolic", "heart_rate"):  # SPEC 4: defaults 20 % and 40 %
        assert (lim[p].baseline_warning_pct, lim[p].baseline_critical_pct) == (20, 40)
    assert (lim["spo2"].high_warning, lim["spo2"].high_critical) == (None, None)
    assert "diastolic" not in NEWS2.limits
    assert NEWS2.limits["spo2"].low_warning == 96 and NEWS2.limits["heart_rate"].high_warning == 90


# ------------------------------------------------------------------------------------------ measured-at (SPEC 3)

def test_measured_at_bounds_are_inclusive():
    check_measured_at(m(2), m(0), m(-60))  # two minutes ahead is accepted
    check_measured_at(m(-60), m(0), m(-60), m(0))  # at arrival and at discharge are inside
    check_measured_at(m(0), m(0), m(-60), m(0))
    for measured, closed, words in ((m(2) + timedelta(seconds=1), None, "more than 2 minutes in the future"),
                                    (m(-60) - timedelta(seconds=1), None, "before the patient arrived"),
                                    (m(0) + timedelta(seconds=1), m(0), "after the patient was discharged")):
        with pytest.raises(FieldError) as err:
            check_measured_at(measured, m(2) if closed else m(0), m(-60), closed)
        assert err.value.field == "time" and words in err.value.message


# ------------------------------------------------------------------------------------------ clock (SPEC 3 rule 6)

def test_times_are_shown_in_the_clinic_zone_with_the_zone_in_full_dates():
    summer, winter = datetime(2026, 7, 1, 16, 5, tzinfo=UTC), datetime(2026, 1, 1, 16, 5, tzinfo=UTC)
    assert (fmt_time(summer, NY), fmt_time(winter, NY)) == ("12:05", "11:05")
    assert fmt_time(None, NY) == "" and fmt_datetime(None, NY) == ""
    assert fmt_datetime(summer, NY) == "2026-07-01 12:05 EDT"
    assert fmt_datetime(winter, NY) == "2026-01-01 11:05 EST"
    # the repeated hour of 1 November 2026: 01:10 EDT and 01:10 EST are told apart by their zone
    assert fmt_datetime(datetime(2026, 11, 1, 5, 10, tzinfo=UTC), NY) == "2026-11-01 01:10 EDT"
    assert fmt_datetime(datetime(2026, 11, 1, 6, 10, tzinfo=UTC), NY) == "2026-11-01 01:10 EST"
    assert local(winter, NY).hour == 11 and local(None, NY) is None


def test_durations_in_whole_minutes_never_negative():
    assert [fmt_duration(timedelta(seconds=s)) for s in (-30, 0, 59, 60, 3599, 3600, 3660 + 59, 10 * 3600)] == [
        "0 min", "0 min", "0 min", "1 min", "59 min", "1 h 00 min", "1 h 01 min", "10 h 00 min"]


def test_only_aware_times_are_handled_and_kept_in_utc():
    with pytest.raises(ValueError):
        as_utc(datetime(2026, 1, 1, 12, 0))
    moment = as_utc(datetime(2026, 1, 1, 7, 0, tzinfo=NY))
    assert moment == datetime(2026, 1, 1, 12, 0, tzinfo=UTC) and moment.utcoffset() == timedelta(0)


def test_the_clinic_zone_by_name():
    assert clinic_zone("America/New_York") == NY
    assert clinic_zone("Europe/Paris") == ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("typed,expected", [
    ("09:40", datetime(2026, 6, 1, 13, 40, tzinfo=UTC)),
    ("9:40", datetime(2026, 6, 1, 13, 40, tzinfo=UTC)),
    ("0940", datetime(2026, 6, 1, 13, 40, tzinfo=UTC)),
    ("940", datetime(2026, 6, 1, 13, 40, tzinfo=UTC)),
    ("09.40", datetime(2026, 6, 1, 13, 40, tzinfo=UTC)),
    (" 10:00 ", datetime(2026, 6, 1, 14, 0, tzinfo=UTC)),
    ("", T),
    # up to 12 hours ahead is today, more is yesterday
    ("22:00", datetime(2026, 6, 2, 2, 0, tzinfo=UTC)),
    ("22:01", datetime(2026, 6, 1, 2, 1, tzinfo=UTC)),
    ("00:00", datetime(2026, 6, 1, 4, 0, tzinfo=UTC)),
    ("23:59", datetime(2026, 6, 1, 3, 59, tzinfo=UTC)),
])
def test_a_typed_clock_time_is_the_latest_such_time_not_more_than_twelve_hours_ahead(typed, expected):
    assert parse_clock_time(typed, T, NY) == expected  # now is 10:00 EDT


@pytest.mark.parametrize("typed", ["24:00", "12:60", "7", "12345", "ab:cd", "12:", ":30", "-1:30", "1:2:3"])
def test_a_clock_time_out_of_range_is_refused_naming_the_field(typed):
    with pytest.raises(FieldError) as err:
        parse_clock_time(typed, T, NY)
    assert err.value.field == "time" and "HH:MM (00:00-23:59)" in err.value.message


def test_the_repeated_hour_resolves_to_its_second_occurrence_only_once_it_has_come():
    first, second = datetime(2026, 11, 1, 5, 20, tzinfo=UTC), datetime(2026, 11, 1, 6, 20, tzinfo=UTC)  # 01:20
    assert parse_clock_time("01:20", datetime(2026, 11, 1, 5, 25, tzinfo=UTC), NY) == first
    assert parse_clock_time("01:20", datetime(2026, 11, 1, 6, 18, tzinfo=UTC), NY) == second  # 2 minutes ahead
    assert parse_clock_time("01:20", datetime(2026, 11, 1, 6, 17, tzinfo=UTC), NY) == first
    assert parse_clock_time("01:20", datetime(2026, 11, 1, 6, 30, tzinfo=UTC), NY) == second
    # the hour skipped in spring: 02:30 does not exist on 8 March 2026 and is read as 03:30 EDT
    assert parse_clock_time("03:30", datetime(2026, 3, 8, 7, 40, tzinfo=UTC), NY) == \
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


# ------------------------------------------------------------------------------------------ the record view

def reading(id_, minutes, vitals=Vitals(128, 82, 72, 98), flags=(), error=False):
    r = ReadingView(id_, m(minutes), m(minutes), "Nurse", vitals, vitals, Phase.INFUSION, None, flags=list(flags))
    if error:
        r.error = AmendmentView(99, "reading", id_, "entered_in_error", {}, "wrong patient", "Nurse", m(minutes))
    return r


def flag(id_, reading_id, parameter, level, cleared=False):
    return FlagView(id_, reading_id, parameter, level, "high", 190, 180, m(0), cleared=cleared)


def record(readings, *, start=None, end=None, discharged=None, discharge=None, signatures=(),
           threshold_orders=(), schedule_orders=()):
    return SessionRecord(
        1, "uid", 1, PatientView(1, "M1", "Nguyễn", "Zoë", None, "", 64.0, ""),
        CourseView(1, "depression", "", 6, "", "phq9"), 2, "3", 1, "Nurse", "", "ketamine", 0.5, 32.0, "IV", 40, "",
        [], {}, None, m(-30), start, end, discharged, False, Status.IN_PROGRESS, KETAMINE_DEFAULT,
        list(threshold_orders), IV_KETAMINE, list(schedule_orders), readings, [], discharge, list(signatures), [])


def test_the_baseline_is_the_last_valid_reading_before_the_start():
    rs = [reading(1, -20), reading(2, -10), reading(3, -5, error=True), reading(4, 5)]
    assert baseline_of(rs, m(0)).id == 3  # baseline_of sees what it is given: the record passes valid ones
    rec = record(rs, start=m(0))
    assert rec.baseline.id == 2 and rec.latest_reading.id == 4
    assert record(rs[:3]).baseline.id == 2  # not started: the latest valid reading so far
    assert baseline_of([reading(1, 0)], m(0)) is None  # a reading at the start is not before it
    assert baseline_of([], None) is None


def test_an_order_applies_from_its_time_on():
    order = Thresholds("Order", {"systolic": KETAMINE_DEFAULT.limits["heart_rate"]})
    orders = [(m(20), order)]
    assert in_force(KETAMINE_DEFAULT, orders, m(19)) is KETAMINE_DEFAULT
    assert in_force(KETAMINE_DEFAULT, orders, m(20)) is order
    later = Thresholds("Later")
    assert in_force(KETAMINE_DEFAULT, orders + [(m(30), later)], m(31)) is later
    rec = record([], start=m(0), threshold_orders=orders,
                 schedule_orders=[(m(20), IV_KETAMINE.with_changes(infusion_interval_min=5))])
    assert rec.thresholds_at(m(20)) is order and rec.thresholds_at(m(0)) is KETAMINE_DEFAULT
    assert rec.schedule_at(m(25)).infusion_interval_min == 5 and rec.schedule_at(m(5)).infusion_interval_min == 10


def test_the_record_says_when_the_next_reading_is_due():
    rs = [reading(1, -10), reading(2, 5), reading(3, 8, error=True)]
    assert record(rs, start=m(0)).next_due(m(6)) == Due(m(15), False, "infusion")  # from the last valid reading
    # after an order of 5-minute readings, from the order's time on
    rec = record(rs, start=m(0), schedule_orders=[(m(6), IV_KETAMINE.with_changes(infusion_interval_min=5))])
    assert rec.next_due(m(7)).at == m(10)
    assert record(rs, start=m(0), end=m(40)).next_due(m(41)) == Due(m(55), False, "recovery")
    assert record([reading(1, -10)]).next_due(m(0)) == Due(m(20), False, "rebaseline")
    assert record([]).next_due(m(0)) == Due(m(0), False, "baseline")
    assert record(rs, start=m(0), end=m(40), discharged=m(80)).next_due(m(81)) == Due(None, False, "")
    assert record(rs, start=m(0), end=m(40)).observation_ends_at == m(70)
    assert record(rs).observation_ends_at is None


def test_what_is_missing_for_the_signature_in_words():
    discharge = DischargeView(1, "aldrete", ALDRETE, 9, True, "Sam", True, True, "", m(90), "Nurse")
    open_critical = [reading(1, 5, flags=[flag(1, 1, "systolic", Level.CRITICAL)])]
    two_open = [reading(1, 5, flags=[flag(1, 1, "systolic", Level.CRITICAL),
                                     flag(2, 1, "diastolic", Level.CRITICAL), flag(3, 1, "heart_rate", Level.WARNING),
                                     flag(4, 1, "spo2", Level.CRITICAL, cleared=True)])]
    assert record([], discharged=m(90), discharge=discharge).missing_for_signature() == []
    assert record([]).missing_for_signature() == ["the discharge assessment"]
    assert record([], discharge=discharge).missing_for_signature() == ["the discharge assessment"]
    assert record(open_critical, discharged=m(90), discharge=discharge).missing_for_signature() == [
        "acknowledgement of 1 critical flag"]
    assert record(two_open).missing_for_signature() == ["the discharge assessment",
                                                        "acknowledgement of 2 critical flags"]


def test_signatures_by_meaning_and_the_flag_shown_on_a_value():
    author = SignatureView(1, "Authored", "Nurse", "RN", m(100), "h")
    review = SignatureView(2, "Reviewed", "Charge", "RN", m(200), "h")
    addendum = SignatureView(3, "Addendum", "Nurse", "RN", m(300), "h", addendum_id=1)
    rec = record([], signatures=[addendum, author, review])
    assert rec.author_signature() is author and rec.review_signature() is review
    assert record([], signatures=[author]).review_signature() is None
    assert record([]).author_signature() is None
    r = reading(1, 5, flags=[flag(1, 1, "systolic", Level.WARNING), flag(2, 1, "systolic", Level.CRITICAL),
                             flag(3, 1, "spo2", Level.CRITICAL, cleared=True), flag(4, 1, "heart_rate", Level.WARNING)])
    assert r.flag_for("systolic").id == 2  # the worst still in force
    assert r.flag_for("heart_rate").id == 4
    assert r.flag_for("spo2") is None and r.flag_for("resp_rate") is None
    r2 = reading(2, 5, flags=[flag(5, 2, "systolic", Level.CRITICAL), flag(6, 2, "systolic", Level.WARNING)])
    assert r2.flag_for("systolic").id == 5


def test_values_and_labels_of_a_reading():
    assert values_of(Vitals(128, 82, 72, 98, 16, 5, 3)) == dict(
        systolic=128, diastolic=82, heart_rate=72, spo2=98, resp_rate=16, moaas=5, pain_nrs=3)
    assert (parameter_label("spo2"), parameter_label("heart_rate"), parameter_label("moaas")) == (
        "SpO2", "Heart rate", "moaas")


# ------------------------------------------------------------------------------------------ found by mutation testing

def test_a_time_typed_late_in_the_evening_for_after_midnight_is_tomorrow():
    """The latest such time not more than 12 hours ahead: at 22:00, '01:00' is three hours ahead, tomorrow (and
    then refused as in the future), never 21 hours ago."""
    now = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)  # 22:00 EDT on 1 June
    assert parse_clock_time("01:00", now, NY) == datetime(2026, 6, 2, 5, 0, tzinfo=UTC)
    assert parse_clock_time("09:59", now, NY) == datetime(2026, 6, 2, 13, 59, tzinfo=UTC)  # 11 h 59 ahead
    assert parse_clock_time("10:01", now, NY) == datetime(2026, 6, 1, 14, 1, tzinfo=UTC)  # 12 h 01 ahead: today


def test_vitals_built_directly_are_checked_like_typed_ones():
    """Amendments and imports build readings without the entry line: the same plausibility, naming the field."""
    for vitals, field, words in (
            (Vitals(heart_rate=251), "heart_rate", "Heart rate must be between 20-250 /min"),
            (Vitals(spo2=49), "spo2", "SpO2 must be between 50-100%"),
            (Vitals(resp_rate=72.5), "resp_rate", "Respiratory rate must be a whole number between 2-60 /min"),
            (Vitals(moaas=True), "moaas", "MOAA/S must be a whole number between 0-5"),
            (Vitals(systolic=120), "bp", "Blood pressure needs both systolic and diastolic"),
            (Vitals(diastolic=80), "bp", "Blood pressure needs both systolic and diastolic"),
            (Vitals(systolic=301, diastolic=80), "bp", "Systolic BP must be between 40-300 mmHg"),
            (Vitals(heart_rate=72, comment="x" * 501), "comment", "Comment must be at most 500 characters."),
            (Vitals(comment="only a comment"), "bp", "Enter at least one value")):
        with pytest.raises(FieldError) as err:
            vitals.validate()
        assert err.value.field == field and words in err.value.message, vitals
    assert Vitals(heart_rate=72, comment="x" * 500).validate().comment == "x" * 500


def test_a_comment_is_kept_trimmed_and_a_half_blood_pressure_shows_nothing():
    from monitor_app.domain.vitals import format_bp, mean_arterial_pressure, parse_bp, parse_vitals
    assert parse_vitals(heart_rate="72", comment="  dizzy after 20 min ").comment == "dizzy after 20 min"
    assert parse_vitals(heart_rate="72").comment == ""
    assert format_bp(120, None) == "" and format_bp(None, 80) == ""
    assert mean_arterial_pressure(120, None) is None and mean_arterial_pressure(None, 80) is None
    with pytest.raises(FieldError) as err:
        parse_bp("12a/80")
    assert err.value.field == "bp" and err.value.message.startswith("Systolic BP must be a whole number")


def test_profile_validation_names_the_field_and_accepts_the_edges():
    from monitor_app.domain.thresholds import ParameterLimits
    assert ParameterLimits(baseline_warning_pct=500, baseline_critical_pct=500).validate("systolic")
    with pytest.raises(FieldError) as err:
        Thresholds(name="X", limits={"temperature": ParameterLimits(1, 2, 3, 4)}).validate()
    assert (err.value.field, err.value.message) == ("temperature", "Unknown parameter 'temperature'.")
    with pytest.raises(FieldError) as err:
        Thresholds(name=" ").validate()
    assert (err.value.field, err.value.message) == ("name", "Profile name must not be empty.")
    changed = KETAMINE_DEFAULT.with_parameter("spo2", ParameterLimits(90, 93))
    assert changed.limits["spo2"] == ParameterLimits(90, 93)
    assert changed.limits["systolic"] == KETAMINE_DEFAULT.limits["systolic"]
    assert KETAMINE_DEFAULT.limits["spo2"] == ParameterLimits(92, 94)  # the preset itself is not changed
