"""Two costs of a cold start that the desktop application does not need to pay (the commands never do this).

- Python's cycle collector sweeps every object made so far whenever enough new ones pile up. A start makes
  hundreds of thousands that live as long as the application (modules, classes, mapped tables), and each full
  sweep walks them all. From `begin()` until `settled()` (the archive open and the main screens loaded) it does
  not run; then what exists is set aside for good (`gc.freeze`) and collection resumes over what is made after.
- PySide6 asks of every module imported after it whether its source mentions "PySide6" (for its `__feature__`
  switches), by way of `inspect.getsource`, which decodes and splits each file into lines. The same question is
  answered here from the file's bytes, or by PySide's own check where there is no source file to read.
"""
from __future__ import annotations

import gc
import sys

_begun = False


def begin() -> None:
    """At the start of the desktop application, before Qt is imported."""
    global _begun
    if _begun:
        return
    _begun = True
    gc.disable()
    import PySide6.QtCore  # noqa: F401  (installs the import hook changed below)
    feature = sys.modules.get("shibokensupport.feature")
    pyside_check = getattr(feature, "_mod_uses_pyside", None)
    if pyside_check is None:  # another PySide6 release: its own check stands
        return

    def uses_pyside(module) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return pyside_check(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return pyside_check(module)

    feature._mod_uses_pyside = uses_pyside


def settled() -> None:
    """The start's long-lived objects are made: keep them out of every later sweep, and sweep again."""
    if not _begun or gc.isenabled():
        return
    gc.freeze()
    gc.enable()
