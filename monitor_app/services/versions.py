"""The version check of SPEC 3 rule 7: a change is made to the record its author saw, or refused."""
from __future__ import annotations

from monitor_app.domain.errors import ConcurrentEdit


def check(obj, expected_version: int | None, what: str) -> None:
    """Refuse a change made to an older version than the archive holds (None: the caller saw no version).

    Every write transaction holds the archive's write lock (SQLite BEGIN IMMEDIATE, PostgreSQL's advisory lock),
    so the version read here cannot change before this transaction commits.
    """
    if expected_version is not None and obj.version != expected_version:
        raise ConcurrentEdit(f"This {what} was changed at another workstation; it has been reloaded. "
                             "Check it and try again.")


def bump(obj) -> None:
    """A record that changed without a mapper-managed version (corrections, acknowledgements, edits)."""
    obj.version = (obj.version or 1) + 1
