"""What the session chart shows, worked out once from a record for the screen and the paper alike.

x is minutes from the origin (the infusion start; before it, the time now or the arrival); y is the value in the
parameter's own unit. Renderers (ui/session/chart.py, reports/pdf_chart.py) only place what is here: panels and
their ranges, the limit bands in force over time, the limit labels of the margin axis, phases and pauses, the
points and BP bars, flag marks on the exact value they flag, the event lane, clock ticks, the next-due time and
the legend.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.record import SessionRecord
from monitor_app.domain.thresholds import LEVEL_SYMBOL, Level, Thresholds

CHARTED = ("systolic", "diastolic", "heart_rate", "spo2")
PANELS = ("bp", "hr", "spo2")
PANEL_OF = {"systolic": "bp", "diastolic": "bp", "heart_rate": "hr", "spo2": "spo2"}
PANEL_TITLE = {"bp": "BP mmHg", "hr": "HR /min", "spo2": "SpO2 %"}
# The usual scale of each panel (low, high, grid step); values or limits beyond it widen it.
USUAL_RANGE = {"bp": (40, 200, 20), "hr": (40, 140, 20), "spo2": (88, 100, 2)}
SHORT = {"systolic": "Sys", "diastolic": "Dia", "heart_rate": "HR", "spo2": "SpO2"}
# Bands drawn as filled areas; the others as limit lines only: on the shared BP panel the diastolic bands and the
# low systolic bands would cover the other series' normal values and mislead.
FILLED = {("systolic", "high"), ("heart_rate", "low"), ("heart_rate", "high"), ("spo2", "low")}
TICK_STEPS = (5, 10, 15, 20, 30, 60, 120, 240, 480)
EVENT_WIDTH = 0.03  # an event number's width in the lane, as a share of the time axis, unless a renderer says


@dataclass(frozen=True)
class Panel:
    name: str
    title: str
    lo: float
    hi: float
    ticks: tuple[float, ...]


@dataclass(frozen=True)
class Band:
    """Values of `parameter` at `level` on one side of normal, from x_from to x_to; None is open-ended."""

    parameter: str
    level: Level
    x_from: float
    x_to: float
    low: float | None
    high: float | None
    side: str  # "low" or "high"

    @property
    def panel(self) -> str:
        return PANEL_OF[self.parameter]

    @property
    def filled(self) -> bool:
        return (self.parameter, self.side) in FILLED

    @property
    def edge(self) -> float | None:
        """The limit itself: where this band meets the band nearer normal."""
        return self.high if self.side == "low" else self.low


@dataclass(frozen=True)
class MarginLabel:
    """A limit in force at the right edge, named in the margin axis at `at` (moved off its neighbours)."""

    panel: str
    parameter: str
    level: Level
    value: float
    at: float
    text: str


@dataclass(frozen=True)
class Span:
    name: str
    x_from: float
    x_to: float


@dataclass(frozen=True)
class FlagMark:
    parameter: str
    level: Level
    x: float
    y: float
    open: bool

    @property
    def panel(self) -> str:
        return PANEL_OF[self.parameter]


@dataclass(frozen=True)
class EventMark:
    """An event's number in the lane above the plot at lane_x, with a thin line down to its time x."""

    number: int
    x: float
    lane_x: float
    category: str
    summary: str


@dataclass(frozen=True)
class Tick:
    x: float
    clock: str
    elapsed: str


@dataclass(frozen=True)
class NextDue:
    x: float
    label: str
    overdue: bool


@dataclass
class ChartModel:
    origin: datetime
    origin_label: str
    x_range: tuple[float, float]
    panels: dict[str, Panel]
    bands: list[Band]
    phases: list[Span]
    pauses: list[Span]
    points: dict[str, list[tuple[float, float]]]
    bp_bars: list[tuple[float, float, float]]
    flags: list[FlagMark]
    events: list[EventMark]
    ticks: list[Tick]
    infusion_marks: list[float]
    now_x: float | None
    next_due: NextDue | None
    legend: list[tuple[str, str]]
    final_limits: Thresholds = field(repr=False, default=None)

    def limit_labels(self, panel: str, min_gap: float) -> list[MarginLabel]:
        """The limits in force at the right edge, for the margin axis of `panel`.

        `min_gap` is the height of one label as a share of the panel's height: labels closer than that are moved
        apart (upwards, then back down from the top) so none covers another, each keeping its order. A label
        may reach half its height above the panel's top; a panel with another below it keeps its lowest half
        label's height free for that panel's top label, so neighbouring panels' labels never cover each other.
        A panel too low for all its labels names its critical limits first: warning labels give way, those
        farthest from the middle first (their lines stay, dashed). Only where the critical labels alone do not
        fit do they reach below the bottom.
        """
        p = self.panels[panel]
        found = []
        for parameter in CHARTED:
            if PANEL_OF[parameter] != panel:
                continue
            L = self.final_limits.for_parameter(parameter)
            for value, level in ((L.low_critical, Level.CRITICAL), (L.low_warning, Level.WARNING),
                                 (L.high_warning, Level.WARNING), (L.high_critical, Level.CRITICAL)):
                if value is not None and p.lo <= value <= p.hi:
                    name = f"{SHORT[parameter]} " if panel == "bp" else ""
                    found.append((value, parameter, level, f"{LEVEL_SYMBOL[level]} {name}{value:g}"))
        found.sort(key=lambda f: (f[0], f[1] != "diastolic"))
        gap = (p.hi - p.lo) * min_gap
        low, high = p.lo + (gap / 2 if panel == PANELS[-1] else gap), p.hi
        middle = (p.lo + p.hi) / 2
        while (len(found) - 1) * gap > high - low and any(f[2] == Level.WARNING for f in found):
            found.remove(max((f for f in found if f[2] == Level.WARNING), key=lambda f: abs(f[0] - middle)))
        if (len(found) - 1) * gap > high - low:
            low, high = p.lo, p.hi
        at = [f[0] for f in found]
        for i in range(len(at)):
            at[i] = max(at[i], at[i - 1] + gap if i else low)
        if at and at[-1] > high:
            at[-1] = high
            for i in range(len(at) - 2, -1, -1):
                at[i] = min(at[i], at[i + 1] - gap)
        return [MarginLabel(panel, parameter, level, value, y, text)
                for (value, parameter, level, text), y in zip(found, at)]

    def x_of(self, moment: datetime) -> float:
        return (moment - self.origin).total_seconds() / 60.0


def _reading_marks(r, x: float) -> tuple:
    """One reading's points, flag marks and BP bar at x."""
    v = r.current
    values, marks = [], []
    for p in CHARTED:
        value = getattr(v, p)
        if value is None:
            continue
        values.append((p, float(value)))
        f = r.flag_for(p) if r.flags else None
        if f is not None:
            marks.append(FlagMark(p, f.level, x, float(value), f.is_open))
    bar = (x, float(v.systolic), float(v.diastolic)) if v.systolic is not None and v.diastolic is not None else None
    return x, values, marks, bar


NOW_LABEL = "now"


def chart_model(record: SessionRecord, zone: tzinfo, now: datetime | None = None, *, max_ticks: int = 12,
                event_width: float = EVENT_WIDTH, char_width: float = 0.0, cache: dict | None = None) -> ChartModel:
    """Everything the chart of `record` shows. With `now` it is the live chart (now line, next due).

    `event_width` and `char_width` are an event mark's and a label character's width as shares of the plot's width:
    the lane spaces the marks by the one, the time axis leaves the next-due and now labels room right of their
    lines by the other (left of them lie the readings). `cache` (a dict the caller keeps) holds each reading's
    marks between calls, for the same reading object.
    """
    start = record.infusion_start_at
    origin = start or now or record.arrival_at
    origin_label = ("minutes from infusion start" if start else
                    "minutes from now (infusion not started)" if now is not None else "minutes from arrival")

    def x_of(moment: datetime) -> float:
        return (moment - origin).total_seconds() / 60.0

    readings = record.valid_readings
    events = [e for e in record.events if e.error is None]
    points: dict[str, list[tuple[float, float]]] = {p: [] for p in CHARTED}
    bars, flags = [], []
    for r in readings:
        known = cache.get(r.id) if cache is not None else None
        if known is None or known[0] is not r or known[1] != origin:
            known = (r, origin) + _reading_marks(r, x_of(r.measured_at))
            if cache is not None:
                cache[r.id] = known
        _r, _o, x, values, marks, bar = known
        for p, value in values:
            points[p].append((x, value))
        flags.extend(marks)
        if bar is not None:
            bars.append(bar)

    # -- time axis
    live = now is not None and record.discharged_at is None
    xs = [pts[0][0] for pts in points.values() if pts] + [pts[-1][0] for pts in points.values() if pts]
    xs += [x_of(e.at) for e in events]
    moments = [m for m in (record.infusion_start_at, record.infusion_end_at, record.discharged_at) if m]
    xs += [x_of(m) for m in moments]
    end_x = x_of(record.discharged_at) if record.discharged_at else (x_of(now) if now is not None else max(xs or [0]))
    planned_end = x_of(start) + record.planned_minutes if start and not record.infusion_end_at else end_x
    left = min([x_of(record.arrival_at)] + xs) - 3
    right = max([end_x, planned_end] + xs) + 3
    due = record.next_due(now) if live and not record.locked else None
    next_mark = None
    if due is not None and due.at is not None:
        next_mark = NextDue(x_of(due.at), f"due {fmt_time(due.at, zone)}" + (" OVERDUE" if due.overdue else ""),
                            due.overdue)
        right = max(right, next_mark.x + 2)
    if live and record.infusion_end_at:
        obs = record.observation_ends_at
        if obs is not None:
            right = max(right, x_of(obs) + 3)
    if right - left < 30:
        right = left + 30
    # The edges move in whole steps, so a save or a clock tick rarely rescales the chart.
    step = 10 if right - left <= 240 else 30
    left, right = math.floor(left / 5) * 5, math.ceil(right / step) * step
    # Room right of the next-due and now lines for their labels (left of them lie the readings).
    labels = [(next_mark.x, len(next_mark.label) + 2)] if next_mark else []  # + the screen's "◔ " before it
    if live:
        labels.append((x_of(now), len(NOW_LABEL) + 3))  # + the margins of its box
    for x, chars in labels:
        share = chars * char_width
        if 0 < share < 0.5 and right - x < share * (right - left):
            right = math.ceil((x - share * left) / (1 - share) / step) * step

    # -- limits in force over time (a clinician's order changes them from its time on)
    changes = [(left, record.thresholds)] + [(x_of(at), t) for at, t in record.threshold_orders]
    bands = []
    for i, (x_from, limits) in enumerate(changes):
        x_to = changes[i + 1][0] if i + 1 < len(changes) else right
        x_from = max(x_from, left)
        if x_to <= x_from:
            continue
        for p in CHARTED:
            bands.extend(bands_of(limits, p, x_from, min(x_to, right)))
    final = changes[-1][1]

    # -- panels: the usual scale, widened for values and for every limit in force at some time
    panels = {}
    for name in PANELS:
        lo, hi, grid = USUAL_RANGE[name]
        data = [y for p in CHARTED if PANEL_OF[p] == name and points[p] for y in _extremes(points[p])]
        limits = [b.edge for b in bands if b.panel == name and b.edge is not None]
        wanted = [min(data) - grid / 4, max(data) + grid / 4] if data else []  # a mark is never cut
        wanted += limits
        if wanted:
            lo = min(lo, math.floor(min(wanted) / grid) * grid)
            hi = max(hi, math.ceil(max(wanted) / grid) * grid)
        if name == "spo2":
            hi = min(hi, 100)
        lo = max(lo, 0)
        if (hi - lo) / grid > 10:
            grid *= 2
            lo = math.floor(lo / grid) * grid
        ticks = tuple(float(v) for v in range(int(lo), int(hi) + 1, int(grid)))
        # SpO2 of 100 sits on the top edge: a little room above so its mark is whole.
        panels[name] = Panel(name, PANEL_TITLE[name], float(lo), float(hi) + (0.6 if name == "spo2" else 0), ticks)

    # -- phases and pauses
    phases = []
    stop = x_of(record.discharged_at) if record.discharged_at else right
    if start is None:
        phases.append(Span("Pre-infusion", left, stop))
    else:
        phases.append(Span("Pre-infusion", left, x_of(start)))
        end = record.infusion_end_at
        phases.append(Span("Infusion", x_of(start), x_of(end) if end else stop))
        if end is not None:
            phases.append(Span("Recovery", x_of(end), stop))
    if record.discharged_at:
        phases.append(Span("Discharged", stop, right))
    phases = [s for s in phases if s.x_to > s.x_from]
    pauses, paused_at = [], None
    for e in events:
        if e.kind == "infusion_paused" and paused_at is None:
            paused_at = e.at
        elif e.kind == "infusion_resumed" and paused_at is not None:
            pauses.append(Span("Paused", x_of(paused_at), x_of(e.at)))
            paused_at = None
    if paused_at is not None:
        until = record.infusion_end_at or (now if live else None)
        pauses.append(Span("Paused", x_of(paused_at), x_of(until) if until else right))

    marks = event_lane([(e.number, x_of(e.at), e.category, e.summary) for e in events], left, right,
                       (right - left) * event_width)
    ticks = clock_ticks(origin, left, right, zone, max_ticks)
    legend = legend_entries(flags, pauses, marks, next_mark)
    return ChartModel(origin=origin, origin_label=origin_label, x_range=(float(left), float(right)), panels=panels,
                      bands=bands, phases=phases, pauses=pauses, points=points, bp_bars=bars, flags=flags,
                      events=marks, ticks=ticks, infusion_marks=[x_of(m) for m in (start, record.infusion_end_at) if m],
                      now_x=x_of(now) if live else None, next_due=next_mark, legend=legend, final_limits=final)


def _extremes(points: list[tuple[float, float]]) -> tuple[float, float]:
    ys = [y for _x, y in points]
    return min(ys), max(ys)


def bands_of(limits: Thresholds, parameter: str, x_from: float, x_to: float) -> list[Band]:
    """The warning and critical areas of one parameter under one set of limits."""
    L = limits.for_parameter(parameter)
    out = []
    if L.low_critical is not None:
        out.append(Band(parameter, Level.CRITICAL, x_from, x_to, None, L.low_critical, "low"))
    if L.low_warning is not None:
        out.append(Band(parameter, Level.WARNING, x_from, x_to, L.low_critical, L.low_warning, "low"))
    if L.high_warning is not None:
        out.append(Band(parameter, Level.WARNING, x_from, x_to, L.high_warning, L.high_critical, "high"))
    if L.high_critical is not None:
        out.append(Band(parameter, Level.CRITICAL, x_from, x_to, L.high_critical, None, "high"))
    return out


def event_lane(events: list[tuple[int, float, str, str]], left: float, right: float,
               width: float) -> list[EventMark]:
    """Numbers side by side in one lane: a group of events closer than a number's width is spread evenly around
    the group's mean time (groups that then touch merge), and kept inside the axis."""
    ordered = sorted(events, key=lambda e: (e[1], e[0]))
    groups: list[list] = [[e] for e in ordered]

    def placed(group):
        centre = sum(e[1] for e in group) / len(group)
        first = centre - width * (len(group) - 1) / 2
        first = min(max(first, left + width / 2), right - width / 2 - width * (len(group) - 1))
        return first

    merged = True
    while merged:
        merged = False
        for i in range(len(groups) - 1):
            a, b = groups[i], groups[i + 1]
            if placed(a) + width * len(a) > placed(b) - 1e-9:
                groups[i:i + 2] = [a + b]
                merged = True
                break
    out = []
    for group in groups:
        first = placed(group)
        for i, (number, x, category, summary) in enumerate(group):
            out.append(EventMark(number, x, first + i * width, category, summary))
    return out


def clock_ticks(origin: datetime, left: float, right: float, zone: tzinfo, max_ticks: int = 12) -> list[Tick]:
    """Ticks on round clock minutes (:00, :15 ...) of the clinic's zone, with minutes from the origin below.

    Where the clocks change, the ticks keep running in real time; the labels around the change carry the zone
    abbreviation (01:40 EDT, 01:55 EDT, 01:10 EST), so a repeated hour reads as what it is.
    """
    span = right - left
    step = next((s for s in TICK_STEPS if span / s <= max(1, max_ticks)), TICK_STEPS[-1])
    first = origin + timedelta(minutes=left)
    # The first round wall minute at or after the left edge; then real-time steps (offsets change by whole hours
    # or half hours, so round minutes stay round for steps up to 30, and hours stay whole hours in zones on the hour).
    local = first.astimezone(zone)
    minute_of_day = local.hour * 60 + local.minute + (local.second or local.microsecond) / 60
    ahead = (-minute_of_day) % step
    t = (first + timedelta(minutes=ahead)).replace(second=0, microsecond=0)
    if t < first:
        t += timedelta(minutes=step)
    ticks = []
    while (x := (t - origin).total_seconds() / 60.0) <= right + 1e-9:
        m = round(x)
        elapsed = "0" if m == 0 else f"{m:+d}"
        ticks.append(Tick(x, fmt_time(t, zone), elapsed))
        t += timedelta(minutes=step)
    return ticks


def legend_entries(flags, pauses, events, next_due) -> list[tuple[str, str]]:
    """(key, words) of what this chart draws; each renderer draws the key's swatch as it draws the mark."""
    out = [("bp", "BP: systolic \u25bc diastolic \u25b2 joined by a bar"), ("heart_rate", "Heart rate"),
           ("spo2", "SpO2"), ("warning_band", "Warning band"), ("critical_band", "Critical band (hatched)"),
           ("systolic_limit", "Systolic limit"), ("diastolic_limit", "Diastolic limit (dotted)")]
    levels = {f.level for f in flags}
    if Level.WARNING in levels:
        out.append(("warning_flag", f"{LEVEL_SYMBOL[Level.WARNING]} Warning flag"))
    if Level.CRITICAL in levels:
        out.append(("critical_flag", f"{LEVEL_SYMBOL[Level.CRITICAL]} Critical flag"))
    if pauses:
        out.append(("pause", "Infusion paused"))
    if any(e.category == "side effect" for e in events):
        out.append(("side_effect", "Side effect (number)"))
    if any(e.category != "side effect" for e in events):
        out.append(("intervention", "Intervention or order (number)"))
    if next_due is not None:
        out.append(("next_due", "Next reading due"))
    return out
