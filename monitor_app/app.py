"""Entry point: `monitor-app`, `python main.py` and `python -m monitor_app`. Commands run without Qt."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    # In the packaged program a worker process (export-pdf --all, verify) starts this same executable: this
    # turns it into the worker instead of a second Chairside. A no-op when run from Python.
    import multiprocessing
    multiprocessing.freeze_support()
    from monitor_app.cli import run
    sys.exit(run(sys.argv[1:] if argv is None else argv))
