"""The pinned Qt stack: the versions pyproject.toml names, and none of the known faults that abort the application."""
from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

import pyqtgraph
import PySide6
import shiboken6


def test_the_installed_qt_stack_is_the_pinned_one():
    assert (PySide6.__version__, shiboken6.__version__) == ("6.11.3", "6.11.3")
    assert pyqtgraph.__version__ == "0.14.0"
    assert version("PySide6-Addons") == "6.11.3"  # QtPdf, for the preview
    from PySide6 import QtPdf, QtPdfWidgets  # noqa: F401


def test_qt_calls_that_return_nothing_leave_none_alive():
    """A binding that hands out None without a reference aborts the interpreter after enough repaints.

    Run apart, so a regression fails this test with its numbers instead of aborting the whole run.
    """
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([])\n"
        "label = QLabel()\n"
        "before = sys.getrefcount(None)\n"
        "for _ in range(2000):\n"
        "    label.setText('x')\n"
        "    label.isVisible()\n"
        "print(before - sys.getrefcount(None))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert abs(int(done.stdout.strip())) < 100, f"None lost {done.stdout.strip()} references in 4000 Qt calls"
