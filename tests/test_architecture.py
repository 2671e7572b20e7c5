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
