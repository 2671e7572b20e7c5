"""Where the archive is (data folder, database URL), and the one read made before the database layer is loaded.

Standard library only: the sign-in window uses it while SQLAlchemy is still being loaded in the background.
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

APP_NAME = "Chairside"
DB_FILENAME = "chairside.sqlite"


def default_data_dir() -> Path:
    import platformdirs
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_url(database_url: str | None, data_dir: str | os.PathLike | None) -> tuple[str, Path]:
    """The URL to open, and the data directory (logs, backups) that goes with it."""
    directory = Path(data_dir) if data_dir else default_data_dir()
    url = database_url or os.environ.get("MONITOR_APP_DATABASE_URL") or ""
    if not url:
        url = f"sqlite:///{directory / DB_FILENAME}"
    return url, directory


def stored_password_hash(database_url: str | None, data_dir: str | os.PathLike | None,
                         username: str) -> str | None:
    """The password hash an SQLite archive holds for `username`, read from its file without changing anything
    (read-only, no migration); None when that is not simply possible (a server archive, no file, another
    layout, any error). A head start for the password check only: the sign-in reads the user again, in its
    own transaction, and trusts nothing read here."""
    url, _directory = resolve_url(database_url, data_dir)
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    if not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)) as conn:
            row = conn.execute("SELECT password_hash FROM users WHERE username = ?", (username.strip(),)).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row and isinstance(row[0], str) else None
