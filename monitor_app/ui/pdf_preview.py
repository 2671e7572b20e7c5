"""The PDF session record previewed inside Chairside (QtPdf), with Print and Save; every print and save is audited."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QKeySequence, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (QCheckBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout)

from monitor_app.reports.pdf import session_pdf
from monitor_app.reports.pdf_export import file_name, write_atomically
from monitor_app.services.integrity import record_export
from monitor_app.services.queries import get_record
from monitor_app.ui.context import UiContext
from monitor_app.ui.widgets import MessageLine, call_service

ZOOM_STEP = 1.25
PRINT_DPI_MAX = 300  # enough for text and the QR code; a 1200 dpi printer would otherwise get huge images


class PdfPreviewDialog(QDialog):
    """Builds the record's PDF in memory and shows it page by page; Print and Save write an audit row."""

    def __init__(self, ctx: UiContext, session_id: int, parent=None):
        super().__init__(parent)
        self.ctx, self.session_id = ctx, session_id
        self.data = b""
        self.setWindowTitle("Session record (PDF)")
        self.resize(900, 1000)

        self.document = QPdfDocument(self)
        self._buffer = QBuffer(self)
        self.view = QPdfView(self)
        self.view.setAccessibleName("PDF pages")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)

        self.pages_label = QLabel()
        self.pages_label.setAccessibleName("Page count")
        self.appendix = QCheckBox("Audit trail appendix")
        self.appendix.setAccessibleName("Include the audit trail appendix")
        self.appendix.toggled.connect(lambda _checked: self.rebuild())
        self.zoom_out_button = QPushButton("\u2212")
        self.zoom_out_button.setAccessibleName("Zoom out")
        self.zoom_out_button.setShortcut(QKeySequence.ZoomOut)
        self.zoom_in_button = QPushButton("+")
        self.zoom_in_button.setAccessibleName("Zoom in")
        self.zoom_in_button.setShortcut(QKeySequence.ZoomIn)
        self.fit_button = QPushButton("Fit width")
        self.fit_button.setAccessibleName("Fit page width")
        self.print_button = QPushButton("Print\u2026")
        self.print_button.setShortcut(QKeySequence.Print)
        self.save_button = QPushButton("Save\u2026")
        self.save_button.setShortcut(QKeySequence.Save)
        self.close_button = QPushButton("Close")
        self.zoom_out_button.clicked.connect(lambda: self.zoom(1 / ZOOM_STEP))
        self.zoom_in_button.clicked.connect(lambda: self.zoom(ZOOM_STEP))
        self.fit_button.clicked.connect(lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth))
        self.print_button.clicked.connect(self.print_record)
        self.save_button.clicked.connect(self.save_record)
        self.close_button.clicked.connect(self.accept)

        bar = QHBoxLayout()
        for w in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            bar.addWidget(w)
        bar.addSpacing(12)
        bar.addWidget(self.pages_label)
        bar.addStretch(1)
        bar.addWidget(self.appendix)
        for w in (self.print_button, self.save_button, self.close_button):
            bar.addWidget(w)
        self.message = MessageLine()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)
        self.rebuild()

    # ------------------------------------------------------------------------------------------ document
    def build(self) -> tuple[bool, bytes]:
        return call_service(self.message, session_pdf, self.ctx.db, self.ctx.signed_in, self.session_id,
                            self.appendix.isChecked(), self.ctx.now())

    def audit(self, action: str, detail: str) -> bool:
        ok, _ = call_service(self.message, record_export, self.ctx.db, self.ctx.signed_in, self.session_id,
                             action, self._detail(detail))
        return ok

    def rebuild(self) -> None:
        ok, data = self.build()
        if not ok:
            return
        self.data = data
        self.document.close()
        self._buffer.close()
        self._buffer.setData(QByteArray(data))
        self._buffer.open(QIODevice.ReadOnly)
        self.document.load(self._buffer)
        n = self.document.pageCount()
        self.pages_label.setText(f"{n} page{'s' if n != 1 else ''}")
        for button in (self.print_button, self.save_button):
            button.setEnabled(n > 0)

    @property
    def page_count(self) -> int:
        return self.document.pageCount()

    def zoom(self, factor: float) -> None:
        current = self.view.zoomFactor()
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(current * factor, 6.0)))

    def _detail(self, what: str) -> str:
        return what + (" with audit trail appendix" if self.appendix.isChecked() else "")

    # ------------------------------------------------------------------------------------------ save
    def suggested_name(self) -> str:
        ok, record = call_service(self.message, get_record, self.ctx.db, self.ctx.signed_in, self.session_id,
                                  False)
        return file_name(record, self.ctx.zone) if ok else f"session-{self.session_id}.pdf"

    def ask_save_path(self) -> str:
        path, _filter = QFileDialog.getSaveFileName(self, "Save session record", str(Path.home() /
                                                    self.suggested_name()), "PDF files (*.pdf)")
        return path

    def save_record(self) -> Path | None:
        path = self.ask_save_path()
        if not path:
            return None
        target = Path(path)
        if target.suffix.lower() != ".pdf":
            target = target.with_name(target.name + ".pdf")
        try:
            write_atomically(target, self.data)
        except OSError as exc:
            self.message.show_error(f"Could not save {target}: {exc.strerror or exc}.")
            return None
        ok = self.audit("export", f"pdf {target.name} (saved from the preview)")
        if ok:
            self.message.show_info(f"Saved to {target}.")
        return target if ok else None

    # ------------------------------------------------------------------------------------------ print
    def ask_printer(self) -> QPrinter | None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.windowTitle())
        dialog = QPrintDialog(printer, self)
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    def print_record(self) -> bool:
        printer = self.ask_printer()
        if printer is None:
            return False
        self.render_to(printer)
        ok = self.audit("print", f"pdf printed on {printer.printerName() or 'a file'}")
        if ok:
            self.message.show_info(f"Sent {self.page_count} page(s) to the printer.")
        return ok

    def render_to(self, printer: QPrinter) -> None:
        """Each page rendered by QtPdf at up to 300 dpi and drawn into the printer's page, aspect kept."""
        painter = QPainter()
        if not painter.begin(printer):
            self.message.show_error("The printer could not be started.")
            return
        try:
            dpi = min(printer.resolution(), PRINT_DPI_MAX)
            for index in range(self.page_count):
                if index:
                    printer.newPage()
                points = self.document.pagePointSize(index)
                size = QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72))
                image = self.document.render(index, size)
                area = QRectF(printer.pageLayout().paintRectPixels(printer.resolution()))
                area.moveTo(0, 0)
                scale = min(area.width() / size.width(), area.height() / size.height())
                target = QRectF(0, 0, size.width() * scale, size.height() * scale)
                target.moveCenter(area.center())
                painter.drawImage(target, image)
        finally:
            painter.end()

    def keyPressEvent(self, event):  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key_Escape:
            self.accept()
            return
        super().keyPressEvent(event)


class DailyLogPreview(PdfPreviewDialog):
    """Today's daily clinic log in the same preview; its print and save are audited as prints of the log."""

    def __init__(self, ctx: UiContext, day, parent=None):
        self.day, self.anchor = day, None
        super().__init__(ctx, 0, parent)
        self.setWindowTitle(f"Daily clinic log {day.isoformat()} (PDF)")
        self.appendix.hide()

    def build(self) -> tuple[bool, bytes]:
        from monitor_app.reports.daily_log import daily_log_pdf
        ok, result = call_service(self.message, daily_log_pdf, self.ctx.db, self.ctx.signed_in, self.day,
                                  self.ctx.now())
        if not ok:
            return False, b""
        data, self.anchor = result
        return True, data

    def audit(self, action: str, detail: str) -> bool:
        from monitor_app.reports.daily_log import record_print
        ok, _ = call_service(self.message, record_print, self.ctx.db, self.ctx.signed_in, self.day, action,
                             f"daily log {detail}; {self.anchor.text if self.anchor else ''}")
        return ok

    def suggested_name(self) -> str:
        return f"daily-log_{self.day.isoformat()}.pdf"
