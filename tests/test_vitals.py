"""What a nurse types for a reading: plausibility edges, parsing of any text, and clock times around DST."""
from __future__ import annotations

import string
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from monitor_app.domain.clock import parse_clock_time
from monitor_app.domain.errors import FieldError
from monitor_app.domain.vitals import (PLAUSIBLE, Vitals, check_measured_at, format_bp, is_late_entry,
                                       mean_arterial_pressure, parse_bp, parse_vitals, parse_whole_number)

UTC = timezone.utc

# field, label in messages, low, high (SPEC 3 rule 1)
RANGES = [
    ("heart_rate", "Heart rate", 20, 250),
    ("spo2", "SpO2", 50, 100),
    ("resp_rate", "Respiratory rate", 2, 60),
    ("moaas", "MOAA/S", 0, 5),
    ("pain_nrs", "Pain NRS", 0, 10),
]


@pytest.mark.parametrize("field,label,lo,hi", RANGES)
def test_single_values_accepted_at_both_limits(field, label, lo, hi):
    assert parse_vitals(**{field: str(lo)}).as_dict()[field] == lo
    assert parse_vitals(**{field: str(hi)}).as_dict()[field] == hi


@pytest.mark.parametrize("field,label,lo,hi", RANGES)
@pytest.mark.parametrize("side", ["below", "above"])
def test_single_values_refused_one_beyond_with_field_and_range(field, label, lo, hi, side):
    value = lo - 1 if side == "below" else hi + 1
    if value < 0:
        text = "-1"  # a minus sign is not a digit: refused as not a whole number
    else:
        text = str(value)
    with pytest.raises(FieldError) as info:
        parse_vitals(**{field: text})
    assert info.value.field == field
    assert label in info.value.message
    assert f"{lo}-{hi}" in info.value.message
    # the same limit holds for a value that did not come from text (an amendment, an import)
    if value >= 0:
        with pytest.raises(FieldError) as info:
            Vitals(**{field: value}).validate()
        assert label in info.value.message and f"{lo}-{hi}" in info.value.message


@pytest.mark.parametrize("bp", ["40/20", "300/200", "201/200", "41/40", "128/82"])
def test_blood_pressure_accepted_inside_limits(bp):
    s, d = (int(x) for x in bp.split("/"))
    v = parse_vitals(bp=bp)
    assert (v.systolic, v.diastolic) == (s, d)


@pytest.mark.parametrize("bp,named", [
    ("39/20", ("Systolic BP", "40-300")),
    ("301/80", ("Systolic BP", "40-300")),
    ("120/19", ("Diastolic BP", "20-200")),
    ("250/201", ("Diastolic BP", "20-200")),
    ("120/120", ("Diastolic", "below systolic")),   # equal is refused: diastolic must be BELOW systolic
    ("100/120", ("Diastolic", "below systolic")),
    ("40/40", ("Diastolic", "below systolic")),
])
def test_blood_pressure_refused_names_the_field_and_range(bp, named):
    with pytest.raises(FieldError) as info:
        parse_vitals(bp=bp)
    assert info.value.field == "bp"
    for words in named:
        assert words in info.value.message


def test_diastolic_equal_to_systolic_refused_also_when_built_directly():
    with pytest.raises(FieldError, match="below systolic"):
        Vitals(systolic=120, diastolic=120).validate()


def test_bp_with_one_part_only_is_refused():
    with pytest.raises(FieldError, match="both systolic and diastolic"):
        Vitals(systolic=120).validate()
    for text in ("120/", "/80", "120", "120/80/60", "/"):
        with pytest.raises(FieldError) as info:
            parse_bp(text)
        assert "128/82" in info.value.message  # the message shows how to type it


def test_an_empty_line_is_refused_and_blank_fields_mean_not_measured():
    with pytest.raises(FieldError, match="at least one value"):
        parse_vitals()
    v = parse_vitals(bp=" 128 / 82 ", heart_rate=" 72 ", spo2="")
    assert (v.systolic, v.diastolic, v.heart_rate, v.spo2) == (128, 82, 72, None)
    assert v.map == mean_arterial_pressure(128, 82) == 97


@pytest.mark.parametrize("text", ["72.5", "7,2", "seventy", "0x48", "+72", "-72", "1e2", "72 bpm", "٧٢", "７２"])
def test_whole_numbers_only(text):
    with pytest.raises(FieldError) as info:
        parse_whole_number("heart_rate", text)
    assert info.value.field == "heart_rate"
    assert "whole number" in info.value.message and "20-250" in info.value.message


def test_huge_numbers_are_refused_without_overflow():
    for text in ("9" * 7, "9" * 400):
        with pytest.raises(FieldError):
            parse_whole_number("spo2", text)
        with pytest.raises(FieldError):
            parse_bp(f"{text}/80")


# ------------------------------------------------------------------------------------- property tests

_TYPING = st.text(alphabet=st.sampled_from(list(string.digits + " /,.-+eE\t") + ["\u0667", "\uff12", "\u00a0",
                                                                               "\u2044", "x", "\n"]),
                  max_size=12)
_ANY = st.one_of(_TYPING, st.text(max_size=12), st.integers(-10**30, 10**30).map(str))


def _inside(v: Vitals) -> None:
    for field, (_, lo, hi, _) in PLAUSIBLE.items():
        value = getattr(v, field)
        assert value is None or (type(value) is int and lo <= value <= hi), (field, value)
    if v.systolic is not None:
        assert v.diastolic is not None and v.diastolic < v.systolic


@settings(max_examples=400, deadline=None)
@given(bp=_ANY, hr=_ANY, spo2=_ANY, rr=_ANY, moaas=_ANY, nrs=_ANY)
def test_parse_vitals_returns_plausible_values_or_a_field_error(bp, hr, spo2, rr, moaas, nrs):
    try:
        v = parse_vitals(bp=bp, heart_rate=hr, spo2=spo2, resp_rate=rr, moaas=moaas, pain_nrs=nrs)
    except FieldError as exc:
        assert exc.field in ("bp", "heart_rate", "spo2", "resp_rate", "moaas", "pain_nrs")
        assert exc.message.strip()
    else:
        _inside(v)


def _spec_number(field: str, text: str):
    """SPEC 3 rule 1 for one typed field: blank is not measured; digits (spaces allowed) inside the range are the
    value (at most six digits: 0000072 is a typing slip); anything else is refused. Returns the value, None, or
    "refused"."""
    cleaned = text.strip().replace(" ", "")
    if not cleaned:
        return None
    _, lo, hi, _ = PLAUSIBLE[field]
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 6 or not lo <= int(cleaned) <= hi:
        return "refused"
    return int(cleaned)


@settings(max_examples=400, deadline=None)
@given(field=st.sampled_from(["heart_rate", "spo2", "resp_rate", "moaas", "pain_nrs"]), data=st.data())
def test_one_typed_field_is_accepted_exactly_when_the_spec_allows_it(field, data):
    """Whatever is typed, the field holds the typed whole number inside its range, nothing, or is refused naming
    the field: a parser that refused everything, or accepted anything, fails here."""
    _, lo, hi, _ = PLAUSIBLE[field]
    text = data.draw(st.one_of(
        _ANY,
        st.integers(lo - 3, hi + 3).map(str),  # the edges of the range, and just beyond
        st.tuples(st.sampled_from(["", " ", "  "]), st.integers(lo, hi), st.sampled_from(["", " ", "\t"]))
        .map(lambda t: f"{t[0]}{t[1]}{t[2]}")), label="typed")
    expected = _spec_number(field, text)
    try:
        got = parse_vitals(**{field: text}).as_dict()[field] if expected is not None else \
            parse_whole_number(field, text)
    except FieldError as exc:
        assert expected == "refused", (text, exc.message)
        assert exc.field == field and PLAUSIBLE[field][0] in exc.message
    else:
        assert got == expected, text


@settings(max_examples=300, deadline=None)
@given(bp=st.one_of(st.none(), st.tuples(st.integers(40, 300), st.integers(20, 200)).filter(lambda p: p[1] < p[0])),
       hr=st.one_of(st.none(), st.integers(20, 250)), spo2=st.one_of(st.none(), st.integers(50, 100)),
       rr=st.one_of(st.none(), st.integers(2, 60)), moaas=st.one_of(st.none(), st.integers(0, 5)),
       nrs=st.one_of(st.none(), st.integers(0, 10)), pad=st.sampled_from(["", " ", "  "]))
def test_every_plausible_reading_is_accepted_as_typed(bp, hr, spo2, rr, moaas, nrs, pad):
    """The converse of the refusals: any plausible reading, typed with or without spaces, is kept exactly."""
    if bp is None and hr is None and spo2 is None and rr is None and moaas is None and nrs is None:
        with pytest.raises(FieldError):
            parse_vitals()
        return
    typed = lambda n: "" if n is None else f"{pad}{n}{pad}"  # noqa: E731
    v = parse_vitals(bp="" if bp is None else f"{pad}{bp[0]}{pad}/{pad}{bp[1]}{pad}", heart_rate=typed(hr),
                     spo2=typed(spo2), resp_rate=typed(rr), moaas=typed(moaas), pain_nrs=typed(nrs))
    assert (v.systolic, v.diastolic) == (bp or (None, None))
    assert (v.heart_rate, v.spo2, v.resp_rate, v.moaas, v.pain_nrs) == (hr, spo2, rr, moaas, nrs)


@settings(max_examples=300, deadline=None)
@given(s=st.integers(-5, 400), d=st.integers(-5, 400), sep=st.sampled_from(["/", " / ", "/ ", " /"]))
def test_parse_bp_of_any_pair(s, d, sep):
    text = f"{s}{sep}{d}"
    try:
        got = parse_bp(text)
    except FieldError as exc:
        assert exc.field == "bp" and exc.message
        assert not (40 <= s <= 300 and 20 <= d <= 200 and d < s)
    else:
        assert got == (s, d)
        assert 40 <= s <= 300 and 20 <= d <= 200 and d < s


@settings(max_examples=300, deadline=None)
@given(s=st.integers(40, 300), d=st.integers(20, 200))
def test_format_and_parse_bp_round_trip(s, d):
    if d >= s:
        with pytest.raises(FieldError):
            parse_bp(format_bp(s, d))
    else:
        assert parse_bp(format_bp(s, d)) == (s, d)
        assert format_bp(*parse_bp(format_bp(s, d))) == f"{s}/{d}"


def test_format_bp_of_a_missing_pair_is_blank_and_parses_back_to_nothing():
    assert format_bp(None, None) == ""
    assert parse_bp(format_bp(None, None)) == (None, None)


# ------------------------------------------------------------------------------- times: future, late, DST

def test_measured_at_future_tolerance_and_session_bounds():
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    opened = now - timedelta(hours=1)
    check_measured_at(now + timedelta(minutes=2), now, opened)
    with pytest.raises(FieldError, match="2 minutes in the future"):
        check_measured_at(now + timedelta(minutes=2, seconds=1), now, opened)
    check_measured_at(opened, now, opened)
    with pytest.raises(FieldError, match="before the patient arrived"):
        check_measured_at(opened - timedelta(seconds=1), now, opened)
    with pytest.raises(FieldError, match="after the patient was discharged"):
        check_measured_at(now - timedelta(minutes=1), now, opened, closed_at=now - timedelta(minutes=2))


def test_late_entry_is_more_than_ten_minutes():
    t = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert not is_late_entry(t, t + timedelta(minutes=10))
    assert is_late_entry(t, t + timedelta(minutes=10, seconds=1))


def _typed_every(zone: str, start_utc: datetime, minutes: int, count: int, delay_min: int = 1):
    """A nurse types the wall-clock time of a reading shortly after each measurement, every `minutes`."""
    tz = ZoneInfo(zone)
    out = []
    for i in range(count):
        measured = start_utc + timedelta(minutes=minutes * i)
        now = measured + timedelta(minutes=delay_min)
        typed = measured.astimezone(tz).strftime("%H:%M")
        out.append((measured, parse_clock_time(typed, now, tz)))
    return out


@pytest.mark.parametrize("zone,start", [
    # the clocks go back: 01:00-02:00 local happens twice
    ("Europe/London", datetime(2025, 10, 25, 23, 30, tzinfo=UTC)),
    ("America/New_York", datetime(2025, 11, 2, 4, 30, tzinfo=UTC)),
    # the clocks go forward: an hour of wall time does not exist
    ("Europe/London", datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 3, 8, 6, 0, tzinfo=UTC)),
])
@pytest.mark.parametrize("every", [5, 15])
def test_typed_times_across_a_dst_change_keep_order_and_are_never_duplicated(zone, start, every):
    typed = _typed_every(zone, start, every, count=(4 * 60) // every)
    parsed = [p for _, p in typed]
    assert parsed == sorted(parsed)
    assert len(set(parsed)) == len(parsed)
    for measured, got in typed:
        assert got == measured, f"{measured.astimezone(ZoneInfo(zone))} typed, read back as {got}"
        assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_typed_time_of_a_moment_ago_in_the_repeated_hour():
    tz = ZoneInfo("Europe/London")
    # 01:20 GMT (the second 01:20 of the night); the nurse types 01:05 for a reading taken 15 minutes ago
    now = datetime(2025, 10, 26, 1, 20, tzinfo=UTC)
    assert parse_clock_time("01:05", now, tz) == datetime(2025, 10, 26, 1, 5, tzinfo=UTC)
    # 01:50 cannot be the second 01:50 (half an hour ahead), so it is the first one, in BST
    assert parse_clock_time("01:50", now, tz) == datetime(2025, 10, 26, 0, 50, tzinfo=UTC)
    # during the first pass (BST), 01:15 is the moment just gone, not an hour ahead
    first = datetime(2025, 10, 26, 0, 20, tzinfo=UTC)
    assert parse_clock_time("01:15", first, tz) == datetime(2025, 10, 26, 0, 15, tzinfo=UTC)


@pytest.mark.parametrize("text", ["24:00", "12:60", "ab:cd", "1", "12345", "-1:00", "12:5x"])
def test_clock_time_typing_errors_name_the_format(text):
    with pytest.raises(FieldError) as info:
        parse_clock_time(text, datetime(2026, 1, 5, 12, tzinfo=UTC), ZoneInfo("Europe/London"))
    assert info.value.field == "time" and "HH:MM" in info.value.message


def test_blank_clock_time_is_now_and_midnight_wraps_to_yesterday():
    tz = ZoneInfo("Europe/London")
    now = datetime(2026, 1, 5, 0, 5, tzinfo=UTC)
    assert parse_clock_time("  ", now, tz) == now
    assert parse_clock_time("23:50", now, tz) == datetime(2026, 1, 4, 23, 50, tzinfo=UTC)
    assert parse_clock_time("0003", now, tz) == datetime(2026, 1, 5, 0, 3, tzinfo=UTC)
