"""Start budgets (SPEC 10, "Start"): first window and floor view with data, each against a reference; memory.

Every measurement is a fresh process (cold interpreter, cold imports), started as `python -c DRIVER ARGS` from
the checkout. The variants are run interleaved (one of each per round, the order rotated each round) so that
the machine's noise hits them alike; one untimed round first warms the disk cache and the bytecode.

- first window: `app` starts the real application (`monitor_app.app.main([--data-dir D])`: command line,
  `run_gui`, `make_application`, `Shell`) on a demo archive and stops when the sign-in window is on screen;
  `minimal` is a QApplication and one 900x620 QLabel (the sign-in window's size). Budget: app / minimal
  (medians) within 2.0.
- floor view: `app` signs in as the demo nurse through the real sign-in window (user name and password set in
  its fields and `submit()` called, as Enter does, at once when it is first on screen: the archive opens in
  the background meanwhile) and stops when the main window, whose home is the floor, is on screen with its
  cards read from the archive (the demo has 3 active sessions; checked), without pyqtgraph imported (checked: the
  charting library is loaded when a chart is first shown). `bare stack` imports PySide6,
  pyqtgraph and SQLAlchemy with its ORM (what the application's storage is built on), runs one query through
  an ORM session on the same SQLite file (every systolic value) and shows one pyqtgraph plot of it, maximised
  like the main window. Budget: app / bare stack (medians) within 1.2. The same stack with SQLAlchemy core
  only (an engine connection, no ORM) is measured too and its ratio printed, for comparison.
- memory: the peak resident size (VmHWM in /proc/self/status) of the application at the floor view, on the
  demo, and on `--archive-dir DIR` if given (a data directory holding chairside.sqlite, e.g. the one
  bench_archive.py builds in /tmp/chairside-bench-archive/full/clinic; skipped, saying why, when no user can
  sign in to it; not timed). Budget: 250 MB.

"On screen": the driver installs an event filter on the QApplication before any window is shown (for the
application, by wrapping `make_application`); at the first QEvent.Paint of any widget of a top-level window
it schedules a zero-timer, which runs once that paint pass (and the flush of the window's backing store) is
done. The timer callback prints one line on stdout and leaves with os._exit. The time is measured by this
process: from just before the child is spawned until that line arrives (spawn, interpreter start, imports,
everything up to the painted window); the child's teardown is not counted.

With no display, the children run on Qt's offscreen platform, which paints into memory and exposes a window
as soon as it is shown. For a real windowing system run the whole script under X, e.g. `xvfb-run -a python
benchmarks/bench_startup.py` (then xcb: connection to the server, and Expose from the server).

Run: python benchmarks/bench_startup.py [--runs 15] [--archive-dir DIR] [--user nina --password nina-demo-pass]
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common
from _common import p95, report

FIRST_WINDOW_RATIO = 2.0
FLOOR_RATIO = 1.2
MEMORY_BUDGET_MB = 250.0
DEMO_USER, DEMO_PASSWORD, DEMO_ACTIVE = "nina", "nina-demo-pass", 3
TIMEOUT_S = 120

# Shared by every driver: the event filter that finds "on screen", and the one line printed for the parent.
PROBE = r'''
import json, os, sys
from PySide6.QtCore import QEvent, QObject, QTimer

def finish(**info):
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f)
    info.update(hwm_kb=int(status["VmHWM"].split()[0]), rss_kb=int(status["VmRSS"].split()[0]))
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    os._exit(0)

def guarded(window):
    try:
        on_screen(window)
    except BaseException as exc:
        finish(error=f"{type(exc).__name__}: {exc}")

class Probe(QObject):
    """Calls on_screen(window) once per top-level window, on a zero-timer after its first paint."""
    seen = set()
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj.isWidgetType() and id(obj.window()) not in self.seen:
            window = obj.window()
            self.seen.add(id(window))
            QTimer.singleShot(0, lambda: guarded(window))
        return False

probe = Probe()
'''

# argv: data directory [user password]. The real start, with the probe installed on the application it makes.
APP = PROBE + r'''
import monitor_app.ui.application as application
_make_application = application.make_application

def make_application():
    app = _make_application()
    app.installEventFilter(probe)
    return app

application.make_application = make_application

def on_screen(window):
    name = type(window).__name__
    if name == "SignInWindow" and len(sys.argv) == 2:
        finish(window=name)
    elif name == "SignInWindow":
        window.username.setText(sys.argv[2])
        window.password.setText(sys.argv[3])
        window.submit()  # as Enter does; signs in as soon as the archive is open
        refused = QTimer(window)
        refused.timeout.connect(lambda: window.message.text().startswith("\u26a0")
                                and finish(error="sign-in: " + window.message.text()))
        refused.start(100)
    elif name == "MainWindow":
        floor = window.floor
        finish(window=name, cards=len(floor.cards) if floor else -1,
               floor_shown=floor is not None and floor.isVisible() and window.workspace.currentWidget() is floor,
               charting_loaded="pyqtgraph" in sys.modules)

from monitor_app.app import main
main(["--data-dir", sys.argv[1]])
'''

MINIMAL = PROBE + r'''
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
app.installEventFilter(probe)
label = QLabel("Chairside")
label.resize(900, 620)
label.show()
on_screen = lambda window: finish(window="QLabel")
app.exec()
'''

# argv: data directory.
# argv: data dir, "orm" or "core". The application's storage is SQLAlchemy's ORM (typed models, sessions), so
# the reference reads through an ORM session; "core" (an engine connection only) is printed alongside.
BARE_STACK = PROBE + r'''
from PySide6.QtWidgets import QApplication
import pyqtgraph as pg
import sqlalchemy as sa
app = QApplication(sys.argv[:1])
app.installEventFilter(probe)
engine = sa.create_engine("sqlite:///" + os.path.join(sys.argv[1], "chairside.sqlite"))
query = sa.text("SELECT systolic FROM readings WHERE systolic IS NOT NULL ORDER BY id")
if sys.argv[2] == "orm":
    from sqlalchemy.orm import Session
    with Session(engine) as session:
        values = session.execute(query).scalars().all()
else:
    with engine.connect() as conn:
        values = conn.execute(query).scalars().all()
plot = pg.PlotWidget(title="Systolic")
plot.plot(values)
plot.setGeometry(app.primaryScreen().availableGeometry())
plot.showMaximized()
on_screen = lambda window: finish(window="PlotWidget", points=len(values))
app.exec()
'''


def spawn(code: str, args: list[str], env: dict, refused_ok: bool = False) -> tuple[float, dict]:
    """Seconds from just before the spawn to the child's line on stdout, and what the line says."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=err,
                                 env=env, cwd=_common.ROOT, text=True)
        line = child.stdout.readline()
        elapsed = time.perf_counter() - start
        try:
            child.wait(TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        err.seek(0)
        stderr = err.read().decode(errors="replace").strip()
    if not line:
        raise SystemExit(f"the child printed nothing (exit status {child.returncode}):\n{stderr}")
    info = json.loads(line)
    if "error" in info and not (refused_ok and info["error"].startswith("sign-in")):
        raise SystemExit(f"the child failed: {info['error']}\n{stderr}")
    return elapsed, info


def user_exists(data_dir: Path, username: str) -> bool:
    with sqlite3.connect(f"file:{data_dir / 'chairside.sqlite'}?mode=ro", uri=True) as con:
        return con.execute("SELECT count(*) FROM users WHERE username = ? AND active", (username,)).fetchone()[0] > 0


def memory_line(name: str, kb: list[int], budget_mb: float | None = None) -> None:
    mb = [k / 1024 for k in kb]
    med = statistics.median(mb)
    line = f"{name:<46} median {med:8.1f} MB   p95 {p95(mb):8.1f} MB   n={len(mb)}"
    if budget_mb:
        ratio = med / budget_mb
        line += f"   budget {budget_mb:g} MB  ratio {ratio:5.2f}  {'ok' if ratio <= 1.0 else 'OVER BUDGET'}"
    print(line, flush=True)


def start_budgets(runs: int, demo: Path, env: dict) -> None:
    """The four variants, interleaved, on the demo archive; the two ratios; the memory at the floor view."""
    variants = {
        "first window: application (sign-in window)": (APP, [str(demo)]),
        "first window: minimal PySide6 window": (MINIMAL, []),
        "floor view: application (signed in, 3 cards)": (APP, [str(demo), DEMO_USER, DEMO_PASSWORD]),
        "floor view: bare stack (Qt, pyqtgraph, ORM)": (BARE_STACK, [str(demo), "orm"]),
        "  bare stack, SQLAlchemy core only": (BARE_STACK, [str(demo), "core"]),
    }
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    infos: dict[str, list[dict]] = {name: [] for name in names}
    for run in range(-1, runs):  # run -1: warm-up, not counted
        for name in names[run % len(names):] + names[:run % len(names)]:
            elapsed, info = spawn(*variants[name], env)
            if run >= 0:
                times[name].append(elapsed)
                infos[name].append(info)
    floor = infos[names[2]]
    bad = [i for i in floor if i.get("cards") != DEMO_ACTIVE or not i.get("floor_shown")]
    if bad:
        raise SystemExit(f"the floor view was not shown with {DEMO_ACTIVE} cards: {bad[0]}")
    if any(i.get("charting_loaded") for i in floor):
        raise SystemExit("pyqtgraph was imported on the way to the floor view: it belongs to the first chart")

    print()
    med = {name: report(name, times[name])["median_ms"] for name in names}
    for app, ref, budget in ((names[0], names[1], FIRST_WINDOW_RATIO), (names[2], names[3], FLOOR_RATIO)):
        ratio = med[app] / med[ref]
        print(f"ratio {app.split(':')[0]} (medians): application / reference = {ratio:.2f}   budget "
              f"{budget:g}   {'ok' if ratio <= budget else 'OVER BUDGET'}")
    print(f"  (against the core-only stack: {med[names[2]] / med[names[4]]:.2f})")
    print()
    memory_line("memory at the floor view (VmHWM), demo", [i["hwm_kb"] for i in floor], MEMORY_BUDGET_MB)
    memory_line("  resident then (VmRSS)", [i["rss_kb"] for i in floor])
    memory_line("  bare stack (VmHWM)", [i["hwm_kb"] for i in infos[names[3]]])
    memory_line("  minimal PySide6 window (VmHWM)", [i["hwm_kb"] for i in infos[names[1]]])


def archive_memory(data_dir: Path, user: str, password: str, runs: int, env: dict) -> None:
    """The memory at the floor view on a large archive, if a user can sign in to it (no timing there)."""
    path = data_dir / "chairside.sqlite"
    if not path.is_file():
        print(f"\nskipped the memory on --archive-dir: no {path}")
        return
    if not user_exists(data_dir, user):
        print(f"\nskipped the memory on --archive-dir: {path} has no active user {user!r} to sign in with (give "
              f"--user and --password; the archives of bench_archive.py have no user with a usable password)")
        return
    start = [str(data_dir), user, password]
    large = [spawn(APP, start, env, refused_ok=True)[1]]
    if "error" in large[0]:  # tried once only: a refused sign-in counts towards the user's lock-out
        print(f"\nskipped the memory on --archive-dir: {large[0]['error']}")
        return
    large += [spawn(APP, start, env)[1] for _ in range(runs - 1)]
    print(f"\n{path} ({path.stat().st_size / 2**20:.0f} MB), floor view with {large[0]['cards']} cards:")
    memory_line("memory at the floor view (VmHWM), archive", [i["hwm_kb"] for i in large], MEMORY_BUDGET_MB)
    memory_line("  resident then (VmRSS)", [i["rss_kb"] for i in large])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed starts of each variant (default 15)")
    parser.add_argument("--archive-dir", type=Path, help="data directory with a large chairside.sqlite: "
                                                         "measure the memory at the floor view on it too")
    parser.add_argument("--user", default=DEMO_USER, help="user to sign in with on --archive-dir")
    parser.add_argument("--password", default=DEMO_PASSWORD, help="that user's password")
    args = parser.parse_args()

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # cold imports, but from bytecode, as an installed application
    if not env.get("QT_QPA_PLATFORM") and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    platform = env.get("QT_QPA_PLATFORM") or f"default (DISPLAY={env.get('DISPLAY', '')})"
    with tempfile.TemporaryDirectory(prefix="chairside-bench-startup-") as work:
        env["XDG_CONFIG_HOME"] = str(Path(work, "config"))  # no saved window geometry or type size: a first start
        demo = Path(work, "demo")
        made = subprocess.run([sys.executable, str(_common.ROOT / "main.py"), "--data-dir", str(demo), "demo"],
                              check=False, capture_output=True, text=True, env=env)
        if made.returncode:
            raise SystemExit(f"monitor-app demo failed:\n{made.stderr}")
        print(f"Demo archive in {demo}; Qt platform {platform}; {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.1f}; {args.runs} starts of each variant, interleaved", flush=True)
        start_budgets(args.runs, demo, env)
        if args.archive_dir:
            archive_memory(args.archive_dir, args.user, args.password, min(3, args.runs), env)


if __name__ == "__main__":
    main()
