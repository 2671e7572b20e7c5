"""Entry point: `monitor-app`, `python main.py` and `python -m monitor_app`. Commands run without Qt."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from monitor_app.cli import run
    sys.exit(run(sys.argv[1:] if argv is None else argv))
