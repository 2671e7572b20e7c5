"""Threshold evaluation at the edges of both shipped presets, baseline-relative limits, validation, monotonicity."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings, strategies as st

from monitor_app.domain.errors import FieldError
from monitor_app.domain.vitals import PLAUSIBLE
from monitor_app.domain.thresholds import (KETAMINE_DEFAULT, LIMIT_LABELS, LIMIT_NAMES, NEWS2, PARAMETER_LABELS,
                                           PARAMETERS, PRESET_NOTE, Level, ParameterLimits, Thresholds, evaluate,
                                           evaluate_value)

N, W, C = None, Level.WARNING, Level.CRITICAL
PRESETS = {"ketamine": KETAMINE_DEFAULT, "news2": NEWS2}

# preset, parameter, limit name, limit value, then the level expected at the limit, one step inside it and one
# step beyond it. Written out by hand from SPEC 4, not computed, so the table checks the code.
EDGES = [
    ("ketamine", "systolic", "low_critical", 80, W, W, C),
    ("ketamine", "systolic", "low_warning", 90, N, N, W),
    ("ketamine", "systolic", "high_warning", 160, N, N, W),
    ("ketamine", "systolic", "high_critical", 180, W, W, C),
    ("ketamine", "diastolic", "low_critical", 40, W, W, C),
    ("ketamine", "diastolic", "low_warning", 50, N, N, W),
    ("ketamine", "diastolic", "high_warning", 100, N, N, W),
    ("ketamine", "diastolic", "high_critical", 110, W, W, C),
    ("ketamine", "heart_rate", "low_critical", 40, W, W, C),
    ("ketamine", "heart_rate", "low_warning", 50, N, N, W),
    ("ketamine", "heart_rate", "high_warning", 110, N, N, W),
    ("ketamine", "heart_rate", "high_critical", 130, W, W, C),
    ("ketamine", "spo2", "low_critical", 92, W, W, C),
    ("ketamine", "spo2", "low_warning", 94, N, N, W),
    ("ketamine", "resp_rate", "low_critical", 9, W, W, C),
    ("ketamine", "resp_rate", "low_warning", 12, N, N, W),
    ("ketamine", "resp_rate", "high_warning", 20, N, N, W),
    ("ketamine", "resp_rate", "high_critical", 24, W, W, C),
    ("news2", "systolic", "low_critical", 91, W, W, C),
    ("news2", "systolic", "low_warning", 111, N, N, W),
    # NEWS2 has no warning band above 219: one step beyond is critical at once.
    ("news2", "systolic", "high_warning", 219, N, N, C),
    ("news2", "systolic", "high_critical", 219, N, N, C),
    ("news2", "heart_rate", "low_critical", 41, W, W, C),
    ("news2", "heart_rate", "low_warning", 51, N, N, W),
    ("news2", "heart_rate", "high_warning", 90, N, N, W),
    ("news2", "heart_rate", "high_critical", 130, W, W, C),
    ("news2", "spo2", "low_critical", 92, W, W, C),
    ("news2", "spo2", "low_warning", 96, N, N, W),
    ("news2", "resp_rate", "low_critical", 9, W, W, C),
    ("news2", "resp_rate", "low_warning", 12, N, N, W),
    ("news2", "resp_rate", "high_warning", 20, N, N, W),
    ("news2", "resp_rate", "high_critical", 24, W, W, C),
]


def level_of(values: dict, thresholds: Thresholds, baseline: dict | None = None) -> Level | None:
    found = evaluate(values, thresholds, baseline)
    assert len(found) <= len([v for v in values.values() if v is not None])
    return found[0].level if found else None


def test_the_table_covers_every_limit_of_both_presets():
    listed = {(p, par, lim) for p, par, lim, *_ in EDGES}
    present = {(p, par, lim) for p, t in PRESETS.items() for par, limits in t.limits.items()
               for lim in LIMIT_NAMES if getattr(limits, lim) is not None}
    assert listed == present
    for p, par, lim, value, *_ in EDGES:
        assert getattr(PRESETS[p].for_parameter(par), lim) == value


@pytest.mark.parametrize("preset, parameter, limit, value, at, inside, beyond", EDGES,
                         ids=[f"{e[0]}-{e[1]}-{e[2]}" for e in EDGES])
def test_levels_at_inside_and_beyond_each_limit(preset, parameter, limit, value, at, inside, beyond):
    thresholds = PRESETS[preset]
    outward = -1 if limit.startswith("low") else 1
    assert level_of({parameter: value}, thresholds) == at
    assert level_of({parameter: value - outward}, thresholds) == inside
    assert level_of({parameter: value + outward}, thresholds) == beyond
    # The finding names the limit that was crossed and its side.
    finding = evaluate({parameter: value + outward}, thresholds)[0]
    assert finding.parameter == parameter
    assert finding.kind == ("low" if outward < 0 else "high")
    if beyond == Level.CRITICAL:
        assert finding.limit == getattr(thresholds.for_parameter(parameter), limit.replace("warning", "critical"))
    else:
        assert finding.limit == value
    assert PARAMETER_LABELS[parameter] in finding.description


@pytest.mark.parametrize("parameter", ["diastolic"])
def test_news2_has_no_diastolic_limits_and_never_flags_it(parameter):
    for value in (20, 40, 110, 200):
        assert level_of({parameter: value}, NEWS2) is None


def test_a_parameter_with_no_limits_never_flags():
    empty = Thresholds(name="Empty")
    for parameter in PARAMETERS:
        for value in (1, 50, 100, 300):
            assert evaluate({parameter: value}, empty, {parameter: 100}) == []
    # Absolute limits only: a baseline change, however large, does not flag.
    absolute = Thresholds(name="A", limits={"heart_rate": ParameterLimits(40, 50, 110, 130)})
    assert evaluate({"heart_rate": 100}, absolute, {"heart_rate": 50}) == []


def test_missing_values_are_not_flagged():
    assert evaluate({p: None for p in PARAMETERS}, KETAMINE_DEFAULT) == []


def test_presets_are_valid_and_say_they_are_not_advice():
    for t in PRESETS.values():
        assert t.validate() is t
        assert t.preinfusion_systolic_max is None and t.preinfusion_diastolic_max is None  # off by default
    assert "not clinical advice" in PRESET_NOTE


BASELINE_ONLY = Thresholds(name="Baseline", limits={"heart_rate": ParameterLimits(baseline_warning_pct=20,
                                                                                  baseline_critical_pct=40)})


@pytest.mark.parametrize("baseline, value, expected", [
    (100, 120, N), (100, 121, W), (100, 80, N), (100, 79, W),      # exactly 20 % is inside
    (100, 140, W), (100, 141, C), (100, 60, W), (100, 59, C),      # exactly 40 % is inside the critical limit
    (75, 90, N), (75, 91, W), (75, 105, W), (75, 106, C), (75, 45, W), (75, 44, C),
    (130, 156, N), (130, 157, W), (130, 182, W), (130, 183, C),
])
def test_baseline_relative_limits(baseline, value, expected):
    assert level_of({"heart_rate": value}, BASELINE_ONLY, {"heart_rate": baseline}) == expected
    if expected is not None:
        f = evaluate({"heart_rate": value}, BASELINE_ONLY, {"heart_rate": baseline})[0]
        assert f.kind == "baseline" and f.limit == (20 if expected == W else 40)
        assert "baseline" in f.description


def test_baseline_relative_limits_combine_with_absolute_ones():
    # Ketamine default systolic: 90-160 warning, 80-180 critical, 20 % / 40 % from baseline.
    k = KETAMINE_DEFAULT
    assert level_of({"systolic": 130}, k, {"systolic": 100}) == W           # 30 % up, inside absolute limits
    assert evaluate({"systolic": 130}, k, {"systolic": 100})[0].kind == "baseline"
    assert level_of({"systolic": 141}, k, {"systolic": 100}) == C           # 41 % up, inside absolute limits
    assert level_of({"systolic": 170}, k, {"systolic": 150}) == W           # absolute warning, 13 % up
    assert evaluate({"systolic": 170}, k, {"systolic": 150})[0].kind == "high"
    assert level_of({"systolic": 175}, k, {"systolic": 120}) == C           # absolute warning, 46 % up: critical
    assert level_of({"systolic": 185}, k, {"systolic": 180}) == C           # absolute critical wins
    assert evaluate({"systolic": 185}, k, {"systolic": 180})[0].kind == "high"
    assert level_of({"systolic": 120}, k, None) is None                      # no baseline yet: absolute only


PAIRS = list(itertools.combinations(LIMIT_NAMES, 2))  # every pair, in the required order (a <= b)


@pytest.mark.parametrize("parameter", PARAMETERS)
@pytest.mark.parametrize("lower, upper", PAIRS, ids=[f"{a}>{b}" for a, b in PAIRS])
def test_validation_refuses_every_out_of_order_pair(parameter, lower, upper):
    limits = ParameterLimits(**{lower: 120, upper: 100})
    with pytest.raises(FieldError) as err:
        limits.validate(parameter)
    message = err.value.message
    assert PARAMETER_LABELS[parameter] in message
    assert f"{LIMIT_LABELS[lower]} (120)" in message and f"{LIMIT_LABELS[upper]} (100)" in message
    assert err.value.field == f"{parameter}.{upper}"
    # The same pair in order, or equal, is accepted.
    ParameterLimits(**{lower: 100, upper: 120}).validate(parameter)
    ParameterLimits(**{lower: 100, upper: 100}).validate(parameter)


def test_validation_names_the_conflict_among_all_four_limits():
    with pytest.raises(FieldError) as err:
        Thresholds(name="X", limits={"systolic": ParameterLimits(80, 90, 190, 180)}).validate()
    assert err.value.field == "systolic.high_critical"
    assert err.value.message == "Systolic BP: high warning (190) must not be above high critical (180)."


@pytest.mark.parametrize("warning, critical, field", [
    (0, 40, "baseline_warning_pct"), (-5, 40, "baseline_warning_pct"), (20, 501, "baseline_critical_pct"),
    (50, 40, "baseline_critical_pct"),
])
def test_validation_of_baseline_percentages(warning, critical, field):
    with pytest.raises(FieldError) as err:
        ParameterLimits(baseline_warning_pct=warning, baseline_critical_pct=critical).validate("heart_rate")
    assert err.value.field == f"heart_rate.{field}"
    assert "Heart rate" in err.value.message


def test_validation_of_profile_name_and_parameters():
    with pytest.raises(FieldError) as err:
        Thresholds(name="  ").validate()
    assert err.value.field == "name"
    with pytest.raises(FieldError):
        Thresholds(name="X", limits={"temperature": ParameterLimits(1, 2, 3, 4)}).validate()


def test_round_trip_through_dict_keeps_every_limit():
    for t in PRESETS.values():
        again = Thresholds.from_dict(t.to_dict())
        assert again == t
    t = Thresholds(name="P", limits=KETAMINE_DEFAULT.with_parameter("spo2", ParameterLimits(90, 93)).limits,
                   preinfusion_systolic_max=180, preinfusion_diastolic_max=110)
    assert Thresholds.from_dict(t.to_dict()) == t


# ------------------------------------------------------------------------------------------ monotone severity

RANK = {None: 0, Level.WARNING: 1, Level.CRITICAL: 2}


# Every parameter, each over its own plausible range (SPEC 3 rule 1), not heart rate alone.
RANGES = {p: PLAUSIBLE[p][1:3] for p in PARAMETERS}


@st.composite
def consistent_limits(draw, parameter):
    lo, hi = RANGES[parameter]
    # sorted draws give equal neighbours too (a warning limit equal to its critical one)
    values = sorted(draw(st.lists(st.integers(lo, hi), min_size=4, max_size=4)))
    chosen = [v if draw(st.booleans()) else None for v in values]
    w = draw(st.one_of(st.none(), st.integers(1, 100)))
    c = draw(st.one_of(st.none(), st.integers(w or 1, 200)))
    return ParameterLimits(*chosen, baseline_warning_pct=w, baseline_critical_pct=c).validate(parameter)


@st.composite
def parameter_case(draw):
    """A parameter, limits for it, and values around its plausible range (a little beyond, too)."""
    parameter = draw(st.sampled_from(PARAMETERS))
    lo, hi = RANGES[parameter]
    limits = draw(consistent_limits(parameter))
    value = st.integers(max(1, lo - 10), hi + 10)
    return parameter, limits, value, st.one_of(st.none(), st.integers(lo, hi))


def spec_level(value, limits: ParameterLimits, baseline=None):
    """SPEC 4 written out: outside the critical band is critical, outside the warning band a warning, a value
    equal to a limit is inside; a change from the baseline above a percentage is a warning or critical too."""
    L, level = limits, None
    if (L.low_critical is not None and value < L.low_critical) or \
            (L.high_critical is not None and value > L.high_critical):
        return Level.CRITICAL
    if (L.low_warning is not None and value < L.low_warning) or \
            (L.high_warning is not None and value > L.high_warning):
        level = Level.WARNING
    if baseline:
        change = abs(value - baseline) / baseline * 100
        if L.baseline_critical_pct is not None and change > L.baseline_critical_pct:
            return Level.CRITICAL
        if L.baseline_warning_pct is not None and change > L.baseline_warning_pct:
            level = Level.WARNING
    return level


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_parameter_of_a_reading_is_judged_against_its_own_limits(data):
    """A whole reading against a profile with limits for every parameter: each value gets the level SPEC 4 gives,
    named with its own parameter, and no parameter borrows another's limits or baseline."""
    limits, values, baselines = {}, {}, {}
    for p in PARAMETERS:
        lo, hi = RANGES[p]
        limits[p] = data.draw(consistent_limits(p), label=f"{p} limits")
        values[p] = data.draw(st.one_of(st.none(), st.integers(max(1, lo - 10), hi + 10)), label=p)
        baselines[p] = data.draw(st.one_of(st.none(), st.integers(lo, hi)), label=f"{p} baseline")
    found = evaluate(values, Thresholds(name="P", limits=limits), baselines)
    expected = {p: spec_level(values[p], limits[p], baselines[p]) for p in PARAMETERS if values[p] is not None}
    assert {f.parameter: f.level for f in found} == {p: lv for p, lv in expected.items() if lv is not None}
    assert len(found) == len({f.parameter for f in found})  # one finding per parameter, the worst
    for f in found:
        assert f.value == values[f.parameter]


@settings(max_examples=300, deadline=None)
@given(case=parameter_case(), data=st.data())
def test_severity_is_monotone_away_from_the_normal_band(case, data):
    """For a <= b <= c, b is never more severe than both a and c: a value further out is never less severe."""
    parameter, limits, value, baseline_st = case
    values = data.draw(st.lists(value, min_size=3, max_size=3))
    baseline = data.draw(baseline_st)
    a, b, c = sorted(values)
    rank = {v: RANK[getattr(evaluate_value(parameter, v, limits, baseline), "level", None)] for v in (a, b, c)}
    assert rank[b] <= max(rank[a], rank[c])


@settings(max_examples=200, deadline=None)
@given(case=parameter_case(), data=st.data(), step=st.integers(1, 50))
def test_moving_past_a_limit_outward_never_lowers_the_level(case, data, step):
    parameter, limits, value_st, _ = case
    value = data.draw(value_st)
    inner = [v for v in (limits.low_warning, limits.high_warning, limits.low_critical, limits.high_critical)
             if v is not None]
    if not inner:
        assert evaluate_value(parameter, value, limits) is None
        return
    level = RANK[getattr(evaluate_value(parameter, value, limits), "level", None)]
    if value >= max(inner):
        further = value + step
    elif value <= min(inner):
        further = value - step
    else:
        return
    assert RANK[getattr(evaluate_value(parameter, further, limits), "level", None)] >= level
