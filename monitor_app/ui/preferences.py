"""This workstation's own preferences (window geometry, large type): Qt settings, no archive needed.

Apart from the screens so that the sign-in window can read them without importing the archive's stack.
"""
from __future__ import annotations

from PySide6.QtCore import QSettings


def app_settings() -> QSettings:
    return QSettings("Chairside", "Chairside")


def large_type_saved(qsettings: QSettings | None = None) -> bool:
    value = (qsettings or app_settings()).value("view/large_type", False)
    return value in (True, "true", "1", 1)
