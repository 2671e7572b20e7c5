"""Passwords: Argon2id hashes (argon2-cffi's defaults, RFC 9106: 64 MiB, 3 passes) and their check.

The check costs a tenth of a second or more, by design, and runs outside Python's lock. It can be started
ahead of the sign-in (`check_early`): while the archive is still opening, against the hash in the archive's
file, and by the sign-in itself before it takes the write lock (other workstations keep saving meanwhile). The
sign-in's own check then takes that answer if the archive still holds that very hash and the same password was
typed, and checks afresh otherwise. An answer is kept only until the next check asks for it.
"""
from __future__ import annotations

import hmac
import threading
from concurrent.futures import Future

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
_lock = threading.Lock()
_early: dict[str, tuple[str, Future]] = {}  # stored hash -> (the password checked, its answer)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError, UnicodeEncodeError):
        return False


def check_early(stored: str | None, password: str) -> None:
    """Check `password` against `stored` now (off the GUI thread), for the sign-in that follows."""
    if not stored:
        return
    answer: Future = Future()
    with _lock:
        known = _early.get(stored)
        if known is not None and _same(known[0], password):
            return  # checked already (or being checked): its answer stands
        _early.clear()  # one sign-in at a time: only the newest typing counts
        _early[stored] = (password, answer)
    try:
        result = _verify(stored, password)
    except BaseException as exc:  # whoever waits for this answer gets the error, never a wait without end
        answer.set_exception(exc)
        raise
    answer.set_result(result)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def matches(stored: str, password: str) -> bool:
    """Does `password` match the hash `stored`? An early answer for exactly this hash and password is used once
    (waiting for it if it is still being worked out); every other answer is worked out here."""
    with _lock:
        early = _early.pop(stored, None)
        _early.clear()
    if early is not None and _same(early[0], password):
        return early[1].result()
    return _verify(stored, password)
