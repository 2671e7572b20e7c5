"""The core knows nothing of Qt and the layers point one way: import-linter's contracts, and an AST scan besides."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ("domain", "storage", "services", "reports")
QT = ("PySide6", "pyqtgraph", "shiboken6")


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.fail(f"import-linter is not installed in {lint.parent}: pip install -e '.[test]'")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "BROKEN" not in report and "0 broken" in report, report
    assert "knows nothing of Qt KEPT" in report and "Layers: ui over services over storage and domain KEPT" in report


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):  # every import, at the top or inside a function
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def test_no_core_module_imports_qt_or_the_screens():
    found = []
    files = 0
    for part in CORE:
        for path in sorted((ROOT / "monitor_app" / part).rglob("*.py")):
            files += 1
            for line, name in _imports(path):
                top = name.split(".")[0]
                if top in QT or name.startswith("monitor_app.ui") or name == "monitor_app.cli":
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert files > 20
    assert not found, "\n".join(found)


def test_the_core_imports_without_qt():
    code = ("import sys\n"
            "import monitor_app.services.clinical, monitor_app.services.queries, monitor_app.services.integrity\n"
            "import monitor_app.storage.migrate, monitor_app.domain.record\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r} or m.startswith('monitor_app.ui')]\n"
            "print(bad)\n"
            "sys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------------------------------ tests act as users

UI = ROOT / "monitor_app" / "ui"
HANDED_FOCUS = {"setFocus", "activateWindow", "focus_bp", "setActiveWindow", "raise_"}


def _private_ui_methods() -> set[str]:
    names = set()
    for path in UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("_") \
                    and not node.name.startswith("__"):
                names.add(node.name)
    return names


def handed_focus(source: str, name: str, private: set[str]) -> list[str]:
    """The calls in `source` that hand focus to a test or reach into a screen's private methods."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr, owner = node.func.attr, node.func.value
        on_itself = isinstance(owner, ast.Name) and owner.id in ("self", "cls")
        if attr in HANDED_FOCUS or (attr in private and not on_itself):
            found.append(f"{name}:{node.lineno}: {attr}()")
    return found


def test_no_test_hands_focus_to_itself_or_calls_a_private_method_of_a_screen():
    """TESTING.md: keys go where the product put the cursor. No test or helper calls setFocus, activateWindow or
    focus_bp, nor a private method of a screen (a method of monitor_app/ui whose name starts with '_'); the
    driver's own helpers on itself (self._...) are its business."""
    private = _private_ui_methods()
    found = [line for path in sorted((ROOT / "tests").glob("*.py"))
             for line in handed_focus(path.read_text(encoding="utf-8"), path.name, private)]
    assert found == [], "\n".join(found)


def test_the_check_above_sees_a_handed_focus():
    """The scan is not blind: the calls it forbids are found in a sample written the forbidden way."""
    sample = ("def test_x(window):\n    window.entry.focus_bp()\n    window.activateWindow()\n"
              "    window.floor._show_cards([])\n    self._show_cards([])\n    window.setFocus()\n")
    assert handed_focus(sample, "sample.py", _private_ui_methods()) == [
        "sample.py:2: focus_bp()", "sample.py:3: activateWindow()", "sample.py:4: _show_cards()",
        "sample.py:6: setFocus()"]


# Picking a row, a tab or an item by calling the widget: the selection a click or a key would make, made without
# them (a list whose rows cannot be clicked, a tab that cannot be reached would pass).
PICKED = {"setCurrentRow", "setCurrentIndex", "setCurrentItem", "setCurrentCell", "setCurrentWidget",
          "setCurrentText", "selectRow", "selectColumn", "setChecked", "setCheckState"}
PATCHING = {"setattr", "delattr", "patch", "object", "multiple", "dict"}  # monkeypatch.*, mock.patch(.object)


def _mentions_message_box(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "QMessageBox"
               or isinstance(n, ast.Attribute) and n.attr == "QMessageBox"
               or isinstance(n, ast.Constant) and isinstance(n.value, str) and "QMessageBox" in n.value
               for n in ast.walk(node))


def answered_without_the_dialog(source: str, name: str) -> list[str]:
    """The places in `source` that patch QMessageBox (so a question is answered without being shown) or select a
    row, tab or item by calling the widget instead of clicking it or pressing its keys."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in PATCHING and any(_mentions_message_box(a) for a in [*node.args, *node.keywords]):
                found.append((node.lineno, f"{called}() on QMessageBox"))
            elif called in PICKED:
                found.append((node.lineno, f"{called}()"))
            elif called == "select" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and \
                    isinstance(func.value.func, ast.Attribute) and func.value.func.attr == "selectionModel":
                found.append((node.lineno, "selectionModel().select()"))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and _mentions_message_box(t.value) for t in targets):
                found.append((node.lineno, "assignment to QMessageBox"))
    return [f"{name}:{line}: {what}" for line, what in sorted(found)]


def test_no_test_patches_message_boxes_or_picks_rows_without_a_click():
    """TESTING.md: a question is answered through its own buttons (the driver's expect_dialog), and a row, tab
    or item is picked by clicking it where it is drawn (click_item, click_tab, choose, tick), never by calling
    the widget. No exception, the driver included."""
    found = [line for path in sorted((ROOT / "tests").glob("*.py"))
             for line in answered_without_the_dialog(path.read_text(encoding="utf-8"), path.name)]
    assert found == [], "\n".join(found)


def test_the_check_above_sees_a_patched_message_box_and_a_picked_row():
    """The scan is not blind: each way of patching a question or picking without a click is found."""
    sample = ("from unittest import mock\n"
              "from PySide6.QtWidgets import QMessageBox\n"
              "def test_x(window, monkeypatch, mocker):\n"
              "    monkeypatch.setattr(QMessageBox, 'question', lambda *a: QMessageBox.Yes)\n"
              "    monkeypatch.setattr('monitor_app.ui.settings.catalogue.QMessageBox.question', lambda *a: 0)\n"
              "    with mock.patch.object(QMessageBox, 'warning'):\n"
              "        pass\n"
              "    mocker.patch('PySide6.QtWidgets.QMessageBox.question')\n"
              "    QMessageBox.question = staticmethod(lambda *a: 0)\n"
              "    window.profiles.list.setCurrentRow(2)\n"
              "    window.tabs.setCurrentWidget(window.clinic)\n"
              "    window.table.selectionModel().select(index, flags)\n"
              "    window.combo.setCurrentIndex(1)\n"
              "    monkeypatch.setattr(time, 'monotonic', lambda: 0)\n"  # not a question: allowed
              "    window.table.selectionModel().selectedRows()\n")  # reading the selection: allowed
    assert answered_without_the_dialog(sample, "sample.py") == [
        "sample.py:4: setattr() on QMessageBox", "sample.py:5: setattr() on QMessageBox",
        "sample.py:6: object() on QMessageBox", "sample.py:8: patch() on QMessageBox",
        "sample.py:9: assignment to QMessageBox", "sample.py:10: setCurrentRow()", "sample.py:11: setCurrentWidget()",
        "sample.py:12: selectionModel().select()", "sample.py:13: setCurrentIndex()"]
