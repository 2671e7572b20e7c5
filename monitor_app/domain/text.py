"""The one rule for text in any field: what every database stores faithfully, within the field's length."""
from __future__ import annotations

import re

from monitor_app.domain.errors import FieldError

# NUL cannot be stored by PostgreSQL (nor hashed reliably in the audit trail); a lone UTF-16 surrogate is not a
# character and cannot be encoded as UTF-8 by any database. Both come only from a broken paste or a hostile file.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (an invisible control character)"
    return "contains an invalid character (a lone surrogate, not a letter of any script)"


def label_of(field: str) -> str:
    return field.replace("_", " ").capitalize()


def check_text(field: str, value: str, label: str | None = None, max_len: int | None = None) -> str:
    """Refuse text no database would store faithfully, naming the field; returns the value unchanged."""
    label = label or label_of(field)
    problem = text_problem(value)
    if problem:
        raise FieldError(field, f"{label} {problem}: remove it and try again.")
    if max_len is not None and len(value) > max_len:
        raise FieldError(field, f"{label} must be at most {max_len} characters (it has {len(value)}).")
    return value


def check_nested(field: str, value, label: str | None = None) -> None:
    """The same rule over every string inside a structured value (lists and dicts of details, checklists)."""
    if isinstance(value, str):
        check_text(field, value, label)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_nested(field, k, label) if isinstance(k, str) else None
            check_nested(field, v, label)
    elif isinstance(value, (list, tuple)):
        for v in value:
            check_nested(field, v, label)
