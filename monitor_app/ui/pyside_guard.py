"""Guard against a PySide6 6.12 reference-count bug on Python 3.11 that would abort the running application.

shiboken6 6.12 returns None from every Qt call that returns nothing (and from Python overrides that return None)
without taking a reference, as if None were immortal, which it is only from Python 3.12. On 3.11 each such call
drops None's count by one, and after some ten thousand calls (a few table repaints) the interpreter aborts with
"Fatal Python error: none_dealloc". Giving None, True and False a count no program can use up is what Python 3.12
does for them; on 3.12 and later, and outside CPython, this does nothing.
"""
from __future__ import annotations

import sys

_UNREACHABLE = 1 << 60  # far below Py_ssize_t's maximum, far above any number of calls in a clinic day


def make_singletons_immortal() -> None:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or hasattr(sys, "gettotalrefcount"):
        return  # immortal already, another interpreter, or a debug build whose object layout differs
    import ctypes
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value = _UNREACHABLE
