"""Passwords: Argon2id hashes (argon2-cffi's defaults, RFC 9106: 64 MiB, 3 passes) and their check.

The check costs a tenth of a second or more, by design, and runs outside Python's lock. A password typed while
the archive is still opening can be checked at once against the hash the archive holds (`check_early`); the
sign-in then takes that answer if the archive still holds that very hash for it, and checks afresh otherwise.
An answer is kept only until the next check asks for it.
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
        _early.clear()  # one sign-in at a time: only the newest typing counts
        _early[stored] = (password, answer)
    answer.set_result(_verify(stored, password))


def matches(stored: str, password: str) -> bool:
    """Does `password` match the hash `stored`? An early answer for exactly this hash and password is used once
    (waiting for it if it is still being worked out); every other answer is worked out here."""
    with _lock:
        early = _early.pop(stored, None)
        _early.clear()
    if early is not None and hmac.compare_digest(early[0].encode(), password.encode()):
        return early[1].result()
    return _verify(stored, password)
