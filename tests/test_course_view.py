"""The course view as a charge nurse opens it from the archive: every planned infusion, the trend, the outcome."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QTableView

from tests.driver import chairside  # noqa: F401 (fixture)
from tests.test_record_view import demo_dir, signed_in  # noqa: F401 (fixture)


def test_course_view_lists_planned_infusions_and_charts_the_series(chairside, demo_dir):  # noqa: F811
    user = signed_in(chairside, demo_dir, "carla")
    user.press("Ctrl+F")
    assert user.focus is user.find("MRN or name", QLineEdit)
    user.type("Nguy\n")
    user.click_cell(user.find("Archive search results", QTableView), 0, 2)
    user.click("Course view", QPushButton)
    page = user.page
    assert type(page).__name__ == "CourseView"
    table = user.find("Infusions of the course", QTableView)
    model = table.model()
    head = [model.headerData(c, Qt.Horizontal) for c in range(model.columnCount())]
    rows = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]
    by = lambda r, name: rows[r][head.index(name)]  # noqa: E731
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5", "6"]  # every planned infusion, done or not
    assert by(4, "Status") == "Planned" and by(5, "Status") == "Planned" and by(4, "Date") == "planned"
    assert by(0, "Peak BP") == "186/104 \u25c6" and by(0, "Baseline BP") == "132/84"
    assert by(0, "Last BP") == "134/84" and by(0, "Nurse") == "Nina Okafor"
    assert "1 critical" in by(0, "Flags") and by(0, "Discharge") == "Modified Aldrete 9/10"
    assert by(0, "Status") == "Reviewed" and by(1, "Status") == "Signed"
    assert by(0, "PHQ-9 before") == "19" and by(3, "PHQ-9 before") == "11"
    assert "latest 11 (moderate)" in user.visible_text()

    # The trend: what pyqtgraph actually plots.
    import pyqtgraph as pg
    plotted = {item.name(): item for plot in (page.trend.vitals, page.trend.outcome)
               for item in plot.listDataItems() if isinstance(item, (pg.PlotDataItem, pg.ScatterPlotItem))
               and item.name()}
    xs, ys = plotted["PHQ-9 before"].getData()
    assert list(xs) == [1, 2, 3, 4] and list(ys) == [19, 16, 13, 11]
    px, py = plotted["critical flag"].getData()
    assert list(px) == [1, 4] and list(py) == [186, 184]
    hx, hy = plotted["peak HR"].getData()
    assert list(hx) == [1, 2, 3, 4] and list(hy)[0] == 98

    # The cursor is in the list of infusions: Enter opens the record of the one chosen.
    assert user.focus is table
    user.press("Return")
    assert type(user.page).__name__ == "RecordView"
    assert "Infusion 1 of 6" in user.visible_text()


def test_course_summary_saved_from_the_view_is_written_and_audited(chairside, demo_dir, tmp_path):  # noqa: F811
    from sqlalchemy import select

    from monitor_app.storage.models import AuditEvent
    user = signed_in(chairside, demo_dir, "audrey")
    user.type("Nguy\n")
    user.click_cell(user.find("Archive search results", QTableView), 0, 2)
    user.click("Course view", QPushButton)
    target = tmp_path / "summary.pdf"

    def save_as(dialog):
        dialog.press("Ctrl+A")
        dialog.type(f"{target}\n")

    with user.expect_dialog(save_as):
        user.click("Course summary PDF", QPushButton)
    assert target.read_bytes().startswith(b"%PDF")
    assert f"Course summary saved to {target}" in user.visible_text()
    with user.main.ctx.db.reader() as s:
        row = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (row.action, row.entity, row.username) == ("export", "course", "audrey")
    assert row.reason == "course summary pdf summary.pdf"
