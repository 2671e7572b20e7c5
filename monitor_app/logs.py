"""Logging to a rotating file in the data directory; patient data is never logged, only ids."""
from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path


def setup_logging(data_dir: Path, level: int = logging.INFO) -> Path:
    folder = data_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "chairside.log"
    root = logging.getLogger()
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(level)
    return path
