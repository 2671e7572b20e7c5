"""The desktop start as `monitor-app` runs it (a process of its own): what it pauses to open faster comes back.

The start pauses Python's cycle collector and answers PySide6's per-module question ("does it use PySide6?")
from the file's bytes (monitor_app/ui/quick_start.py). The collector must run again once the archive is open,
also where the nurse never signs in or the first-run wizard comes up, and PySide must get the answers its own
check gives.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import new_demo_archive

# argv: data folder. Starts the real application and, once the sign-in window has its archive (or the first-run
# wizard is up) and the events queued then have run, prints what the start left behind.
PROBE = r'''
import gc, inspect, json, os, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

def pyside_own_answer(module):
    try:
        return 0 if "PySide6" in inspect.getsource(module) else -1
    except (TypeError, OSError, SyntaxError):
        return -1

def report():
    try:
        registered = sys.modules["shibokensupport.feature"].pyside_feature_dict
        answers = {name: registered[name] for name in sorted(registered) if name in sys.modules}
        pyside_own = {name: pyside_own_answer(sys.modules[name]) for name in answers}
        print(json.dumps(dict(collecting=gc.isenabled(), frozen=gc.get_freeze_count(), answers=answers,
                              pyside_own=pyside_own, windows=sorted(type(w).__name__ for w in
                                                                    QApplication.topLevelWidgets() if w.isVisible()))))
    except BaseException as exc:
        print(json.dumps(dict(error=repr(exc))))
    sys.stdout.flush()
    os._exit(0)

def poll():
    shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    if any(type(w).__name__ == "FirstRunWizard" for w in shown) or any(
            type(w).__name__ == "SignInWindow" and w.db is not None for w in shown):
        QTimer.singleShot(50, report)  # after the events queued when the archive arrived
    else:
        QTimer.singleShot(20, poll)

import monitor_app.ui.application as application
_make = application.make_application
def make_application():
    app = _make()
    QTimer.singleShot(0, poll)
    return app
application.make_application = make_application
from monitor_app.app import main
main(["--data-dir", sys.argv[1]])
'''


def start(folder) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, str(folder)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(folder) + "-config"})
    assert done.returncode == 0 and done.stdout, done.stderr[-2000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert "error" not in seen, seen
    return seen


def test_a_start_on_the_demo_collects_again_and_tells_pyside_which_modules_use_it(tmp_path):
    new_demo_archive(tmp_path / "clinic").dispose()
    seen = start(tmp_path / "clinic")
    assert seen["windows"] == ["SignInWindow"]
    assert seen["collecting"] is True
    assert seen["frozen"] > 10_000  # what the start made is set aside, not swept at every collection
    assert seen["answers"] == seen["pyside_own"]
    assert seen["answers"]["monitor_app.ui.widgets"] == 0  # it uses PySide6
    assert seen["answers"]["monitor_app.storage.db"] == -1  # imported after PySide6, does not use it


def test_a_first_start_collects_again_once_the_wizard_is_up(tmp_path):
    seen = start(tmp_path / "clinic")
    assert seen["windows"] == ["FirstRunWizard"]
    assert seen["collecting"] is True
