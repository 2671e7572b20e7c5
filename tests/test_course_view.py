"""The course view as a charge nurse opens it from the archive: every planned infusion, the trend, the outcome."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView

from tests.test_record_view import click, demo_dir, enter, quiet, sign_in, typed  # noqa: F401 (fixtures)


def test_course_view_lists_planned_infusions_and_charts_the_series(qtbot, demo_dir):  # noqa: F811
    shell, window = sign_in(qtbot, demo_dir, "carla")
    try:
        window.act_archive.trigger()
        archive = window.workspace.currentWidget()
        assert QApplication.focusWidget() is archive.search_field
        typed(qtbot, "Nguy")
        enter(qtbot)
        table = archive.findChild(QTableView)
        qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualRect(table.model().index(0, 2)).center())
        click(qtbot, archive, "Course view")
        page = window.workspace.currentWidget()
        assert type(page).__name__ == "CourseView"
        model = page.table.model()
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
        assert "latest 11 (moderate)" in page.subtitle.text()

        # The trend: what pyqtgraph actually plots.
        items = page.trend.items
        xs, ys = items["outcome"].getData()
        assert list(xs) == [1, 2, 3, 4] and list(ys) == [19, 16, 13, 11]
        px, py = items["critical"].getData()
        assert list(px) == [1, 4] and list(py) == [186, 184]
        hx, hy = items["peak_hr"].getData()
        assert list(hx) == [1, 2, 3, 4] and list(hy)[0] == 98

        # Enter on an infusion opens its record.
        qtbot.mouseClick(page.table.viewport(), Qt.LeftButton,
                         pos=page.table.visualRect(model.index(0, 2)).center())
        qtbot.keyClick(page.table, Qt.Key_Return)
        assert type(window.workspace.currentWidget()).__name__ == "RecordView"
    finally:
        window.close()
        shell.db.dispose()
