"""Both renderers draw the chart model: the plotted pyqtgraph items on the session screen, the PDF's shapes."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from reportlab.graphics.shapes import Drawing, Group, PolyLine, Polygon, String

from monitor_app.domain.thresholds import Level
from monitor_app.domain.vitals import Vitals
from monitor_app.reports.pdf_chart import LEVEL_INK, VALUE_FONT, minimum_height, session_chart
from monitor_app.services import clinical, queries, settings
from monitor_app.services.access import SYSTEM
from monitor_app.ui.session.chart import BackgroundLayer, SessionChart
from monitor_app.ui.session.screen import SessionScreen
from tests.driver import User
from tests.session_flow import TICKED
from tests.test_chart_model import M, T0, build_scenario

NEW_YORK = ZoneInfo("America/New_York")


def set_zone(db, zone: str) -> None:
    current = settings.read_settings(db)
    settings.update_clinic(db, SYSTEM, settings.ClinicDetails(
        name=current.name, address=current.address, page_size=current.page_size, timezone=zone,
        inactivity_lock_min=current.inactivity_lock_min, discharge_scale=current.discharge_scale,
        checklist_items=tuple(current.checklist_items or ())))


def open_chart(qtbot, db, nurse, folder, now) -> tuple[User, SessionChart]:
    """The session screen as a nurse opens it from the floor (Enter on the chair's card), its chart shown."""
    user = User.at_main_window(qtbot, db, nurse, folder, clock=lambda: now, size=(1280, 800))
    for _ in range(12):  # Tab to the chair's card, as a nurse does from the floor
        if type(user.focus).__name__ == "SessionCard":
            break
        user.press("Tab")
    user.press("Return")
    user.wait_until(lambda: isinstance(user.page, SessionScreen))
    [chart] = [w for w in user.page.findChildren(SessionChart) if w.isVisible()]
    return user, chart


@pytest.fixture
def shown_chart(qtbot, db, actors, tmp_path):
    set_zone(db, "America/New_York")
    nurse = actors["nurse"]
    sid = build_scenario(db, nurse)
    user, chart = open_chart(qtbot, db, nurse, tmp_path / "workstation", T0 + 55 * M)
    yield chart, queries.get_record(db, nurse, sid)
    user.close()


def painted_texts(axis: pg.AxisItem) -> list[tuple[QRectF, str]]:
    """The texts an axis paints, with their places in the scene: pyqtgraph leaves out a tick's text that would
    fall outside the axis, so a text is on screen only if it is here."""
    painter = QPainter(image := QImage(1, 1, QImage.Format.Format_ARGB32))  # noqa: F841 (painted on by no one)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(axis.mapRectToScene(rect), text) for rect, _flags, text in specs[2]] if specs else []


def plotted(plot: pg.PlotItem, kind):
    return [item for item in plot.items if isinstance(item, kind) and item.isVisible()]


def scatter_points(item: pg.ScatterPlotItem) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in zip(*item.getData())]


def marks_of(plot: pg.PlotItem) -> dict[str, list[tuple[float, float]]]:
    """The filled marks plotted on a panel, by symbol, in time order (a series may span several items)."""
    marks: dict[str, list] = {}
    for item in plotted(plot, pg.ScatterPlotItem):
        if item.opts["brush"].style() != Qt.BrushStyle.NoBrush:
            marks.setdefault(item.opts["symbol"], []).extend(scatter_points(item))
    return {symbol: sorted(points) for symbol, points in marks.items() if points}


def line_points(plot: pg.PlotItem) -> list[tuple[float, float]]:
    """The points of the line plotted on a panel; it may be drawn in pieces, but each starts where the one
    before it ends."""
    pieces = sorted([(float(x), float(y)) for x, y in zip(*item.getData())]
                    for item in plotted(plot, pg.PlotCurveItem) if item.zValue() == 9)
    for before, after in zip(pieces, pieces[1:]):
        assert before[-1] == after[0], "the line is broken between two pieces"
    return [p for i, piece in enumerate(pieces) for p in (piece if i == 0 else piece[1:])]


def test_the_screen_rings_each_flagged_value_on_its_mark(shown_chart):
    chart, record = shown_chart
    bp = chart.plots["bp"]
    marks = marks_of(bp)
    # ▼ on systolic values, ▲ on diastolic ones, at minutes from the infusion start (10:10).
    assert marks["t"] == [(-5, 128), (10, 150), (20, 186), (30, 178)]
    assert marks["t1"] == [(-5, 82), (10, 92), (20, 96), (30, 104)]
    rings = {}
    for item in plotted(bp, pg.ScatterPlotItem):
        if item.opts["brush"].style() == Qt.BrushStyle.NoBrush:
            for point in scatter_points(item):
                rings.setdefault(item.opts["symbol"], []).append(point)
    # SPEC 4: systolic 186 > 180 critical (a diamond), 178 > 175 after the order and diastolic 104 > 100: warnings.
    assert rings["d"] == [(20, 186)]
    assert sorted(rings["t1"]) == [(30, 104), (30, 178)]
    hr_rings = [p for item in plotted(chart.plots["hr"], pg.ScatterPlotItem)
                if item.opts["brush"].style() == Qt.BrushStyle.NoBrush for p in scatter_points(item)]
    assert sorted(hr_rings) == [(20, 96), (30, 112)]  # 33 % and 56 % above the baseline's 72


def test_the_screen_hatches_critical_bands_shades_the_pause_and_names_limits_in_the_margin(shown_chart):
    chart, record = shown_chart
    bp = chart.plots["bp"]
    top = bp.viewRange()[1][1]
    [layer] = [item for item in plotted(bp, BackgroundLayer)]  # the panel's background, painted as one picture
    hatched = sorted((s.x0, s.x1, s.y0, s.y1) for s in layer.shapes
                     if s.kind == "fill" and s.style.style() == Qt.BrushStyle.BDiagPattern)
    # Critical above 180 until the order (x = 25), above 195 after it; hatched up to the top of the panel.
    assert [(lo, hi) for _a, _b, lo, hi in hatched] == [(180, top), (195, top)]
    assert hatched[0][1] == hatched[1][0] == 25
    paused = [(s.x0, s.x1) for s in layer.shapes if s.kind == "fill"
              and s.style.style() == Qt.BrushStyle.FDiagPattern]
    assert paused == [(32, 37)]
    dotted = {(s.y0, s.style.style()) for s in layer.shapes if s.kind == "line" and s.y0 == s.y1}
    assert (40, Qt.PenStyle.DotLine) in dotted and (175, Qt.PenStyle.DashLine) in dotted  # Dia 40, Sys 175
    shown = [text for _rect, text in painted_texts(bp.getAxis("right"))]
    # Every critical limit is named; at 1280x800 the panel holds five of its eight labels, so the warnings
    # farthest from its middle give way (their dashed lines stay).
    assert {"\u25c6 Dia 40", "\u25c6 Sys 80", "\u25c6 Dia 110", "\u25c6 Sys 195"} <= set(shown)
    assert any(text.startswith("\u25b2") for text in shown)
    # The next reading was due at 10:50 (every 10 minutes): a line through the panels at x = 40.
    assert chart.due_lines["bp"].isVisible() and chart.due_lines["bp"].value() == 40


def _shapes(node):
    if isinstance(node, (Group, Drawing)):
        for child in node.contents:
            yield from _shapes(child)
    else:
        yield node


def test_the_paper_draws_a_flag_around_the_value_it_flags(db, actors):
    nurse = actors["nurse"]
    record = queries.get_record(db, nurse, build_scenario(db, nurse))
    drawing = session_chart(record, NEW_YORK, 500)
    shapes = list(_shapes(drawing))
    # The BP axis labels give the scale (200 and 160 appear on no other panel).
    axis = {s.text: s.y + 2.3 for s in shapes if isinstance(s, String) and s.text in ("200", "160")
            and s.textAnchor == "end"}
    per_mmhg = (axis["200"] - axis["160"]) / 40

    def y_of(value):
        return axis["160"] + (value - 160) * per_mmhg

    legend_top = next(s.y for s in shapes if isinstance(s, String) and s.text == "time")  # the legend is below

    def in_plot(shape):
        return min(shape.points[1::2]) > legend_top

    diamonds = [s for s in shapes if isinstance(s, Polygon) and len(s.points) == 8 and in_plot(s)
                and s.strokeColor == LEVEL_INK[Level.CRITICAL] and s.fillColor is None]
    assert len(diamonds) == 2  # systolic 186 and heart rate 112 (56 % above its baseline)
    centres = [(sum(d.points[0::2]) / 4, sum(d.points[1::2]) / 4) for d in diamonds]
    bp_centre = next(c for c in centres if abs(c[1] - y_of(186)) < 0.5)
    assert bp_centre[1] == pytest.approx(y_of(186), abs=0.05)
    # ... and on the systolic mark of that reading: the tip of its ∨.
    tips = [(s.points[2], s.points[3]) for s in shapes if isinstance(s, PolyLine) and len(s.points) == 6]
    assert any(abs(x - bp_centre[0]) < 0.01 and abs(y - bp_centre[1]) < 0.01 for x, y in tips)
    triangles = [s for s in shapes if isinstance(s, Polygon) and len(s.points) == 6 and in_plot(s)
                 and s.strokeColor == LEVEL_INK[Level.WARNING]]
    assert len(triangles) == 4  # systolic 178, diastolic 104, SpO2 93, heart rate 96 (33 % above baseline)


def test_the_paper_numbers_events_in_a_lane_above_the_plot(db, actors):
    nurse = actors["nurse"]
    record = queries.get_record(db, nurse, build_scenario(db, nurse))
    drawing = session_chart(record, NEW_YORK, 500)
    shapes = list(_shapes(drawing))
    numbers = [s for s in shapes if isinstance(s, String) and s.text.isdigit() and s.fontName.endswith("Bold")
               and len(s.text) == 1]
    top_of_plot = max(s.y for s in shapes if isinstance(s, String) and s.text == "200")
    lane = sorted((s.x, s.text) for s in numbers if s.y > top_of_plot)
    assert [t for _x, t in lane] == [str(n) for n in range(1, 10)]
    assert all(b[0] - a[0] >= 10 for a, b in zip(lane, lane[1:]))  # side by side, never on top of each other
    assert drawing.height <= session_chart(record, NEW_YORK, 500, height=500).height
    later = queries.get_record(db, nurse, record.id)
    assert later.events and timedelta(0) < later.events[-1].at - T0


def test_neighbouring_panels_never_print_their_values_on_one_another(shown_chart):
    """BP's lowest value label and HR's highest are painted apart (BP's 40 was printed over HR's 140), and so
    are any two values of one panel."""
    chart, _record = shown_chart
    painted = [rect for p in chart.plots.values() for rect, _text in painted_texts(p.getAxis("left"))]
    assert len(painted) >= 9
    for i, a in enumerate(painted):
        assert not any(a.intersects(b) for b in painted[i + 1:]), a


def test_readings_typed_one_after_another_are_all_plotted(qtbot, db, actors, tmp_path):
    """After a save only the new reading is handed to the chart; whatever it is drawn with, every reading typed
    is on the panels, before and after the chart is drawn whole again."""
    set_zone(db, "America/New_York")
    nurse = actors["nurse"]
    build_scenario(db, nurse)
    clock = {"now": T0 + 55 * M}
    user = User.at_main_window(qtbot, db, nurse, tmp_path / "workstation", clock=lambda: clock["now"],
                               size=(1280, 800))
    for _ in range(12):
        if type(user.focus).__name__ == "SessionCard":
            break
        user.press("Tab")
    user.press("Return")
    user.wait_until(lambda: isinstance(user.page, SessionScreen))
    chart = user.page.chart
    typed = []
    for i in range(16):  # more than a chart adds before it draws every series whole again
        clock["now"] = T0 + (56 + i) * M
        systolic, hr = 140 + i, 80 + i
        user.type(f"{systolic}/85\t{hr}\t97\n")
        user.wait_until(lambda: user.page.entry.confirmation.text().startswith("\u2713 Saved"))
        typed.append((float(46 + i), systolic, hr))
        marks = marks_of(chart.plots["bp"])
        assert [p for p in marks["t"] if p[0] > 45] == [(x, s) for x, s, _h in typed]
        assert [p for p in marks_of(chart.plots["hr"])["o"] if p[0] > 45] == [(x, h) for x, _s, h in typed]
        # The heart-rate line runs through every reading, old and new, unbroken.
        assert [p for p in line_points(chart.plots["hr"]) if p[0] >= 30] == [(30, 112)] + [(x, h) for x, _s, h
                                                                                        in typed]
    user.close()


@pytest.mark.parametrize("minutes", [-1, 2])
def test_the_now_and_next_due_labels_never_cover_each_other(qtbot, db, actors, tmp_path, minutes):
    """Just before a reading is due and just after it turns overdue: the lines side by side, both labels legible."""
    set_zone(db, "America/New_York")
    nurse = actors["nurse"]
    sid = build_scenario(db, nurse)
    due = queries.get_record(db, nurse, sid).next_due(T0 + 55 * M).at
    user, chart = open_chart(qtbot, db, nurse, tmp_path / "workstation", due + minutes * M)
    now_label, due_label = chart.now_label, chart.due_label
    assert now_label.isVisible() and due_label.isVisible()
    assert ("OVERDUE" in due_label.textItem.toPlainText()) == (minutes > 0)
    assert not now_label.sceneBoundingRect().intersects(due_label.sceneBoundingRect())
    # "now" lies in the phase strip, over none of the panels' readings (a low SpO2 sat under it at the foot).
    assert not any(now_label.sceneBoundingRect().intersects(p.vb.sceneBoundingRect()) for p in chart.plots.values())
    strip, now_rect = chart.lane.vb.sceneBoundingRect(), now_label.sceneBoundingRect()
    assert strip.left() <= now_rect.left() and now_rect.right() <= strip.right()
    # The due label lies right of its line, whole inside the plot: clear of every reading (all left of the line).
    label, view = due_label.sceneBoundingRect(), chart.plots["bp"].vb.sceneBoundingRect()
    line_x = chart.plots["bp"].vb.mapViewToScene(QPointF(chart.model.next_due.x, 0)).x()
    assert line_x <= label.left() + 0.5 and label.right() <= view.right() + 0.5 and view.top() <= label.top() + 0.5
    user.close()


def test_a_phase_is_named_only_where_its_part_of_the_strip_holds_the_name(qtbot, db, actors, tmp_path):
    """The infusion started two minutes after arrival, and 100 minutes of it on the chart: "Pre-infusion" would
    run under the infusion's part of the strip, so that part is left unnamed; "Infusion" is named in its own."""
    nurse = actors["nurse"]
    pid = clinical.create_patient(db, nurse, mrn="C-2", family_name="Strip", given_name="Pat", weight_kg=70)
    cid = clinical.create_course(db, nurse, patient_id=pid, indication="depression")
    sid = clinical.create_session(db, nurse, course_id=cid, arrival_at=T0, now=T0, checklist=TICKED)
    clinical.record_reading(db, nurse, sid, Vitals(128, 82, 72, 98), measured_at=T0 + M, now=T0 + M)
    clinical.start_infusion(db, nurse, sid, at=T0 + 2 * M, now=T0 + 2 * M)
    for minutes in range(12, 103, 10):
        clinical.record_reading(db, nurse, sid, Vitals(130, 84, 74, 98), measured_at=T0 + minutes * M,
                                now=T0 + minutes * M)
    user, chart = open_chart(qtbot, db, nurse, tmp_path / "workstation", T0 + 103 * M)
    named = {item.textItem.toPlainText(): item for item in plotted(chart.lane, pg.TextItem)}
    assert "Infusion" in named and "Pre-infusion" not in named
    span = next(s for s in chart.model.phases if s.name == "Infusion")
    left, right = (chart.lane.vb.mapViewToScene(QPointF(x, 0)).x() for x in (span.x_from, span.x_to))
    shown = named["Infusion"].sceneBoundingRect()
    assert left <= shown.left() and shown.right() <= right
    user.close()


@pytest.mark.parametrize("height", ["readable minimum", "default"])
def test_the_paper_never_prints_a_value_on_another(db, actors, height):
    """The value axes of the three panels, at the chart's default height and at its lowest readable one: every
    printed value at least a line of its type from the next (SpO2's 100 to 88 ran into one another)."""
    nurse = actors["nurse"]
    record = queries.get_record(db, nurse, build_scenario(db, nurse))
    drawing = session_chart(record, NEW_YORK, 500, height=minimum_height(500, record) if height != "default"
                            else None)
    values = sorted(s.y for s in _shapes(drawing) if isinstance(s, String) and s.textAnchor == "end"
                    and s.text.isdigit())
    assert len(values) >= 9
    assert min(b - a for a, b in zip(values, values[1:])) >= VALUE_FONT
