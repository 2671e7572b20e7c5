"""Logging to a rotating file in the data directory: owner-only files, and never patient data, SQL or its
parameters (only error types, codes and the stack)."""
from __future__ import annotations

import logging
import logging.handlers
import os
import sqlite3
import traceback
from pathlib import Path


def safe_error_text(exc: BaseException) -> str:
    """What an error may say in a log or an error dialog: its type and, where that cannot carry a value, why.

    Database errors carry the statement and its parameters (names, MRNs); PostgreSQL's detail repeats the values;
    a file name may be a patient's. So only SQLite's own sentences, PostgreSQL's SQLSTATE, and an OSError's
    errno text are kept.
    """
    orig = getattr(exc, "orig", None)
    if orig is not None and orig is not exc:
        return f"{type(exc).__name__} ({safe_error_text(orig)})"
    name = type(exc).__name__
    if isinstance(exc, sqlite3.Error):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        # SQLite's sentences name tables and columns, never values ("UNIQUE constraint failed: patients.mrn").
        return f"{name}: {first}" if first else name
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate:
        return f"{name}: SQLSTATE {sqlstate}"
    if isinstance(exc, OSError):
        return f"{name}: {exc.strerror or 'error'}" + (f" (errno {exc.errno})" if exc.errno else "")
    return name


def safe_traceback(exc_type, exc: BaseException, tb) -> str:
    """The stack of an error and of its causes, each error reduced to `safe_error_text`."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    chain: list[BaseException] = []
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    for i, error in enumerate(reversed(chain)):
        if i:
            parts.append("\nwhich led to:\n")
        frames = traceback.extract_tb(error.__traceback__ if error is not exc else tb)
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(frames))
        parts.append(safe_error_text(error) + "\n")
    return "".join(parts)


class _SafeFormatter(logging.Formatter):
    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return safe_traceback(*ei).rstrip("\n")

    def format(self, record: logging.LogRecord) -> str:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            if any(isinstance(a, BaseException) for a in args):
                record.args = tuple(safe_error_text(a) if isinstance(a, BaseException) else a for a in args)
        return super().format(record)


class _OwnerOnlyRotatingFile(logging.handlers.RotatingFileHandler):
    """Log files readable by their owner only (SPEC 9), and a log that cannot be written never interrupts the
    clinic's work nor prints a traceback on the terminal (a full disk)."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.chmod(self.baseFilename, 0o600)  # a file made by an earlier version with the umask's mode
        return os.fdopen(fd, self.mode if "a" in self.mode else "a", encoding=self.encoding)

    def handleError(self, record) -> None:  # noqa: N802 (logging's name)
        pass


def setup_logging(data_dir: Path, level: int = logging.INFO) -> Path:
    folder = data_dir / "logs"
    path = folder / "chairside.log"
    root = logging.getLogger()
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = _OwnerOnlyRotatingFile(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(_SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(level)
    return path


def quiet_terminal() -> None:
    """Without a log file (a read-only or full data folder), warnings are dropped rather than printed."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
