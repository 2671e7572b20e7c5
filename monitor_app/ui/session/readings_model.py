"""The readings table: a model over record.readings with flags, late entries, amendments and entries in error."""
from __future__ import annotations

import bisect
from html import escape

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QFontMetrics, QPainter, QTextDocument
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHeaderView, QMenu, QStyle, QStyledItemDelegate,
                               QTableView)

from monitor_app.domain.clock import fmt_time
from monitor_app.domain.record import ReadingView, SessionRecord
from monitor_app.domain.thresholds import Level
from monitor_app.domain.vitals import format_bp, mean_arterial_pressure
from monitor_app.ui import theme
from monitor_app.ui.context import UiContext
from monitor_app.ui.session.common import sized_font

# (key, header, parameters whose flags mark the cell)
COLUMNS = (
    ("time", "Time", ()),  # as the entry line names it
    ("minutes", "Min", ()),
    ("phase", "Phase", ()),
    ("bp", "BP", ("systolic", "diastolic")),
    ("map", "MAP", ()),
    ("heart_rate", "HR", ("heart_rate",)),
    ("spo2", "SpO2", ("spo2",)),
    ("resp_rate", "RR", ("resp_rate",)),
    ("moaas", "MOAA/S", ()),
    ("pain_nrs", "NRS", ()),
    ("comment", "Comment", ()),
    ("by", "By", ()),
)
COLUMN_INDEX = {key: i for i, (key, _h, _p) in enumerate(COLUMNS)}
HtmlRole = Qt.ItemDataRole.UserRole + 1  # rich text of a cell: the new value with the original struck through
ReadingIdRole = Qt.ItemDataRole.UserRole + 2
GREY = QColor("#8a94a0")


def _value_text(key: str, v) -> str:
    if key == "bp":
        return format_bp(v.systolic, v.diastolic)
    if key == "map":
        m = mean_arterial_pressure(v.systolic, v.diastolic)
        return "" if m is None else str(m)
    if key == "comment":
        return v.comment
    value = getattr(v, key)
    return "" if value is None else str(value)


def _fields_of(key: str) -> set[str]:
    return {"bp": {"systolic", "diastolic"}, "map": {"systolic", "diastolic"}}.get(key, {key})


class ReadingsModel(QAbstractTableModel):
    def __init__(self, ctx: UiContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.readings: list[ReadingView] = []
        self._cache: dict[tuple[int, int, int], object] = {}  # (reading id, column, role) -> value

    # -- filling
    def set_record(self, record: SessionRecord) -> None:
        new = list(record.readings)
        self._cache.clear()
        if [r.id for r in new] == [r.id for r in self.readings]:
            self.readings = new  # same rows: values, flags or corrections changed
            if new:
                self.dataChanged.emit(self.index(0, 0), self.index(len(new) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self.readings = new
        self.endResetModel()

    def add_reading(self, view: ReadingView) -> int:
        """Insert one new reading in measured-at order (a late entry lands among the earlier ones)."""
        keys = [(r.measured_at, r.id) for r in self.readings]
        row = bisect.bisect(keys, (view.measured_at, view.id))
        self.beginInsertRows(QModelIndex(), row, row)
        self.readings.insert(row, view)
        self.endInsertRows()
        return row

    def reading_at(self, row: int) -> ReadingView:
        return self.readings[row]

    def row_of(self, reading_id: int) -> int | None:
        return next((i for i, r in enumerate(self.readings) if r.id == reading_id), None)

    # -- Qt model
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.readings)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flag_of(self, r: ReadingView, key: str):
        flags = [f for p in COLUMNS[COLUMN_INDEX[key]][2] if (f := r.flag_for(p)) is not None]
        if not flags:
            return None
        return max(flags, key=lambda f: f.level == Level.CRITICAL)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        # Views ask for every role of every visible cell on each repaint; each answer is worked out once.
        return self.cell(index.row(), index.column(), role) if index.isValid() else None

    def cell(self, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
        """data() without a model index, for the table's own measuring."""
        r = self.readings[row]
        k = (r.id, column, int(role))
        try:
            return self._cache[k]
        except KeyError:
            value = self._cache[k] = self._data(r, COLUMNS[column][0], role)
            return value

    def _data(self, r: ReadingView, key: str, role):
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(r, key)
        if role == HtmlRole:
            return self.html(r, key)
        if role == ReadingIdRole:
            return r.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(r, key)
        if role == Qt.ItemDataRole.BackgroundRole and not r.entered_in_error:
            flag = self.flag_of(r, key)
            if flag is not None:
                return QBrush(QColor(theme.LEVEL_BACKGROUND[flag.level]))
            if key == "time" and r.late:
                return QBrush(QColor(theme.PANEL))
        if role == Qt.ItemDataRole.ForegroundRole:
            if r.entered_in_error:
                return QBrush(GREY)
            flag = self.flag_of(r, key)
            if flag is not None:
                return QBrush(QColor(theme.INK))
        if role == Qt.ItemDataRole.FontRole:
            struck = r.entered_in_error and key != "comment"
            bold = self.flag_of(r, key) is not None and not r.entered_in_error
            if not (struck or bold):
                return None
            f = sized_font(self.ctx, bold=bold)
            f.setStrikeOut(struck)
            return f
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if key in ("comment", "by", "phase", "time"):
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.display(r, key)
        return None

    def display(self, r: ReadingView, key: str) -> str:
        zone = self.ctx.zone
        if key == "time":
            text = fmt_time(r.measured_at, zone)
            if r.late:
                text = f"{theme.LATE_SYMBOL} {text} (entered {fmt_time(r.recorded_at, zone)})"
            return text
        if key == "minutes":
            return "" if r.minutes is None else f"{r.minutes:+.0f}" if round(r.minutes) != 0 else "0"
        if key == "phase":
            return r.phase.label
        if key == "by":
            return r.recorded_by
        if key == "comment" and r.entered_in_error:
            return f"\u2717 Entered in error: {r.error.reason}" + (f" ({r.current.comment})" if r.current.comment
                                                                   else "")
        text = _value_text(key, r.current)
        flag = self.flag_of(r, key)
        if flag is not None and not r.entered_in_error:
            text = f"{flag.symbol} {text}"
        if self.amended(r, key):
            text = f"{theme.AMENDED_SYMBOL} {text} (was {_value_text(key, r.original) or 'blank'})"
        return text

    def amended(self, r: ReadingView, key: str) -> bool:
        return bool(_fields_of(key) & r.amended_fields())

    def html(self, r: ReadingView, key: str) -> str | None:
        """Amended cells: the new value, then the original struck through."""
        if not self.amended(r, key) or r.entered_in_error:
            return None
        new = _value_text(key, r.current) or "blank"
        flag = self.flag_of(r, key)
        symbol = f"{flag.symbol} " if flag is not None else ""
        old = _value_text(key, r.original) or "blank"
        return (f"{theme.AMENDED_SYMBOL} {symbol}<b>{escape(new)}</b> "
                f"<s style='color:{theme.MUTED}'>{escape(old)}</s>")

    def tooltip(self, r: ReadingView, key: str) -> str:
        zone = self.ctx.zone
        lines = []
        if r.entered_in_error:
            lines.append(f"Entered in error by {r.error.by} at {fmt_time(r.error.at, zone)}: {r.error.reason}")
        if key == "comment" and r.current.comment:
            lines.append(r.current.comment)
        if key == "by":
            lines.append(f"Recorded by {r.recorded_by}")
        if key == "time":
            lines.append(f"Measured {fmt_time(r.measured_at, zone)}, recorded {fmt_time(r.recorded_at, zone)} "
                         f"by {r.recorded_by}")
            if r.late:
                lines.append(f"{theme.LATE_SYMBOL} Late entry: recorded more than 10 minutes after it was measured")
        flag = self.flag_of(r, key)
        if flag is not None:
            for p in COLUMNS[COLUMN_INDEX[key]][2]:
                f = r.flag_for(p)
                if f is not None:
                    state = (f"acknowledged ({f.ack.action_text or f.ack.action}) by {f.ack.by}" if f.ack
                             else "not acknowledged")
                    lines.append(f"{f.symbol} {f.level.value.capitalize()}: {f.description}; {state}")
        if self.amended(r, key):
            for a in r.amendments:
                changed = [f for f in a.changes if f in _fields_of(key)]
                if changed:
                    detail = ", ".join(f"{f} {a.changes[f][0]} \u2192 {a.changes[f][1]}" for f in changed)
                    lines.append(f"{theme.AMENDED_SYMBOL} Amended by {a.by} at {fmt_time(a.at, zone)}: {detail}. "
                                 f"Reason: {a.reason}")
        return "\n".join(lines)


class RichCellDelegate(QStyledItemDelegate):
    """Paints cells that carry rich text (amended values) with the original struck through."""

    def paint(self, painter, option, index):
        html = index.data(HtmlRole)
        if not html:
            return super().paint(painter, option, index)
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setHtml(html)
        doc.setDocumentMargin(2)
        painter.save()
        rect = option.rect
        y = rect.top() + max(0, (rect.height() - doc.size().height()) / 2)
        x = rect.right() - doc.idealWidth() - 2
        painter.translate(max(rect.left(), x), y)
        doc.drawContents(painter, QRectF(0, 0, rect.width(), rect.height()))
        painter.restore()


class RowNumbers(QHeaderView):
    """The row numbers down the left of the table, as wide as Qt sizes them.

    Qt measures up to 200 row numbers for the header's width after every inserted row; the width only changes
    when the numbers gain a digit (or the type or style changes), so it is measured again only then.
    """

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setSectionsClickable(True)  # as the header QTableView makes itself: a click selects the row
        self.setHighlightSections(True)
        self._hint = None  # (digits, font, style) the width was measured for, and the size

    def sizeHint(self):  # noqa: N802 (Qt's name)
        count = self.count()
        key = (len(str(count)) if count else 0, self.font().key(), self.style().name())
        if self._hint is None or self._hint[0] != key:
            self._hint = (key, super().sizeHint())
        return self._hint[1]


def initials(name: str) -> str:
    """"Nina Okafor, RN" -> "NO": who recorded a reading, where the table has no room for the whole name."""
    words = name.split(",")[0].split()
    return "".join(w[0] for w in words[:3]).upper() if words else ""


class NameDelegate(QStyledItemDelegate):
    """By: the whole name where the column holds it, else the initials (the tooltip keeps the whole name)."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 (Qt's name)
        super().initStyleOption(option, index)
        # The room the style leaves for text: the cell less its text margin a side (as QCommonStyle lays it out).
        style = option.widget.style() if option.widget else QApplication.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, option.widget) + 1
        if option.fontMetrics.horizontalAdvance(option.text) > option.rect.width() - 2 * margin:
            option.text = initials(option.text)


class ReadingsTable(QTableView):
    """The table view: fixed column widths (no measuring of every row), context menu with the corrections."""

    amend_requested = Signal(int)
    error_requested = Signal(int)

    def __init__(self, model: ReadingsModel, editable: bool, parent=None):
        super().__init__(parent)
        self.setVerticalHeader(RowNumbers(self))
        self.setModel(model)
        self.editable = editable
        self.rich = RichCellDelegate(self)
        self.setItemDelegateForColumn(COLUMN_INDEX["by"], NameDelegate(self))
        self.rich_columns = False
        model.modelReset.connect(self.use_rich_cells)
        model.dataChanged.connect(self.use_rich_cells)
        model.modelReset.connect(self.set_column_widths)
        model.dataChanged.connect(self.set_column_widths)
        model.rowsInserted.connect(self._rows_added)
        self._appended_from = None  # the first new row while only rows at the end were added
        # A new reading at the end moves the rows above it by whole pixels: Qt copies what is drawn and paints
        # only the new row, instead of every cell in view (SPEC 10: saved to painted within a frame). That needs
        # pixel scrolling and a viewport that paints its own background.
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(False)
        self.setWordWrap(False)
        self.setAccessibleName("Readings")
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().lineSpacing() + 10)
        self.set_column_widths()
        if editable:
            self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            self.customContextMenuRequested.connect(self._menu)

    def _rows_added(self, _parent, first: int, last: int) -> None:
        self.fit_rows(first, last)
        at_end = last == self.model().rowCount() - 1
        self._appended_from = (first if self._appended_from is None else self._appended_from) if at_end else -1

    def doItemsLayout(self) -> None:  # noqa: N802 (Qt's name)
        """After rows added at the end, only they need painting: the scroll range grows and the rows above stay
        as drawn (Qt would repaint every cell in view). Anything else lays the table out and paints it whole."""
        first, self._appended_from = self._appended_from, None
        if first is None or first < 0:
            super().doItemsLayout()
            return
        self.updateGeometries()
        top = max(self.rowViewportPosition(first), 0)
        self.viewport().update(0, top, self.viewport().width(), self.viewport().height() - top)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # The viewport is opaque (so scrolling copies pixels): its background is painted here, under the cells.
        painter = QPainter(self.viewport())
        painter.fillRect(event.rect(), self.palette().base())
        painter.end()
        super().paintEvent(event)

    def use_rich_cells(self, *_args) -> None:
        """The struck-through originals need a painting delegate; a record without amendments does without it."""
        wanted = any(r.amended for r in self.model().readings)
        if wanted == self.rich_columns:
            return
        self.rich_columns = wanted
        for key in ("bp", "map", "heart_rate", "spo2", "resp_rate", "moaas", "pain_nrs", "comment"):
            self.setItemDelegateForColumn(COLUMN_INDEX[key], self.rich if wanted else None)

    def set_column_widths(self) -> None:
        """Every column as wide as its header and the widest value it holds, the comment taking what is left: a
        laptop's screen shows every column without scrolling sideways. Measured again only for what changed."""
        self._widths = {}  # (text, bold) -> width
        self._fitted = [0] * len(COLUMNS)
        self.horizontalHeader().setStretchLastSection(False)
        bold = QFont(self.font())
        bold.setBold(True)
        self._metrics = {False: self.fontMetrics(), True: QFontMetrics(bold)}  # a flagged value is set in bold
        for i, (key, title, _p) in enumerate(COLUMNS):
            self._fitted[i] = self._metrics[True].horizontalAdvance(title) + 13  # headings: bold, 6 px a side
            self.setColumnWidth(i, self._fitted[i])
        self._heading = list(self._fitted)
        self._comment_text = self._initials = 0  # the widest comment, the widest initials in By
        self.fit_rows(0, self.model().rowCount() - 1)
        self._fill_comment()

    def fit_rows(self, first: int, last: int) -> None:
        """Widen the columns for the values of rows `first` to `last` (new readings, or all of them)."""
        model = self.model()
        before = (list(self._fitted), self._comment_text, self._initials)
        for column, (key, _title, _p) in enumerate(COLUMNS):
            for row in range(first, last + 1):
                text = model.cell(row, column)
                if not text:
                    continue
                if key == "comment":  # takes what the others leave (below); its own width is only what it asks
                    self._comment_text = max(self._comment_text, self._width(text, False))
                    continue
                if key == "by":
                    self._initials = max(self._initials, self._width(initials(text), False))
                font = model.cell(row, column, Qt.ItemDataRole.FontRole)
                self._fitted[column] = max(self._fitted[column], self._width(text, font is not None and font.bold()))
        if (self._fitted, self._comment_text, self._initials) != before:
            for column, width in enumerate(self._fitted):
                if width != before[0][column]:
                    self.setColumnWidth(column, width)
            self._fill_comment()

    def _width(self, text: str, bold: bool) -> int:
        """A value's width in its cell (3 px margins a side), measured once per text."""
        width = self._widths.get((text, bold))
        if width is None:
            width = self._widths[(text, bold)] = self._metrics[bold].horizontalAdvance(text) + 8
        return width

    def _fill_comment(self) -> None:
        """The comment takes the width the other columns leave, never less than its heading. Where that is short,
        the name in By gives way first: to the initials (the cell's tooltip has the whole name), so the comments
        are read whole; large type on a laptop's screen may then scroll sideways rather than cut a heading."""
        comment, by = COLUMN_INDEX["comment"], COLUMN_INDEX["by"]
        room = self.viewport().width() - sum(w for c, w in enumerate(self._fitted) if c not in (comment, by))
        by_least = max(self._heading[by], self._initials)
        comment_wants = max(self._fitted[comment], min(self._comment_text, room - by_least))
        by_width = max(by_least, min(self._fitted[by], room - comment_wants))
        self.setColumnWidth(by, by_width)
        self.setColumnWidth(comment, max(self._fitted[comment], room - by_width))

    def viewportEvent(self, event) -> bool:  # noqa: N802 (Qt's name)
        # The viewport narrows when the table grows a scroll bar, not only when the window is resized.
        if event.type() == QEvent.Type.Resize and hasattr(self, "_fitted"):
            self._fill_comment()
        return super().viewportEvent(event)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "_fitted"):  # large type on or off
            self.set_column_widths()

    def selected_reading_id(self) -> int | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        if not rows:
            return None
        return self.model().reading_at(rows[0].row()).id

    def _menu(self, pos) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            return
        self.selectRow(index.row())
        r = self.model().reading_at(index.row())
        menu = QMenu(self)
        amend = QAction("Amend\u2026", menu)
        error = QAction("Entered in error\u2026", menu)
        amend.setEnabled(not r.entered_in_error)
        error.setEnabled(not r.entered_in_error)
        amend.triggered.connect(lambda: self.amend_requested.emit(r.id))
        error.triggered.connect(lambda: self.error_requested.emit(r.id))
        menu.addAction(amend)
        menu.addAction(error)
        menu.exec(self.viewport().mapToGlobal(pos))
