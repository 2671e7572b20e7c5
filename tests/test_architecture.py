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
