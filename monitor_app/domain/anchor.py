"""The text of a printed anchor (the QR code of a record or of a daily log): what it carries and how it is read.

Formats (docs/anchors.md):
  chairside:<record id>:<content hash>:<chain position>:<chain head hash>   a session record printed or exported
  chairside:<record id>:<content hash>                                     a record printed before anchors
  chairside-day:<YYYY-MM-DD>:<chain position>:<chain head hash>            a daily clinic log
  chairside-course:<course id>:<course digest>:<chain position>:<chain head hash>   a course summary
  chairside-course:<course id>:<course digest>                             a course summary printed before anchors
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from monitor_app.domain.errors import ChairsideError

RECORD_PREFIX = "chairside"
DAY_PREFIX = "chairside-day"
COURSE_PREFIX = "chairside-course"
_HEX = re.compile(r"[0-9a-f]{12,64}")
_FULL_HEX = re.compile(r"[0-9a-f]{64}")


class AnchorError(ChairsideError, ValueError):
    """The text is not the text of a Chairside QR code."""


@dataclass(frozen=True)
class ChainHead:
    """A position in the audit chain and the hash of its row there (0 and the genesis hash when empty)."""

    seq: int
    row_hash: str

    @property
    def words(self) -> str:
        return f"audit chain row {self.seq}, hash {self.row_hash}"


@dataclass(frozen=True)
class Anchor:
    chain: ChainHead | None = None
    record_uid: str | None = None
    content_hash: str | None = None  # a record's content hash, or a course's digest (course_digest)
    day: date | None = None
    course_id: int | None = None

    @property
    def text(self) -> str:
        if self.day is not None:
            return f"{DAY_PREFIX}:{self.day.isoformat()}:{self.chain.seq}:{self.chain.row_hash}"
        if self.course_id is not None:
            parts = [COURSE_PREFIX, str(self.course_id), self.content_hash]
        else:
            parts = [RECORD_PREFIX, self.record_uid, self.content_hash]
        if self.chain is not None:
            parts += [str(self.chain.seq), self.chain.row_hash]
        return ":".join(parts)


def record_anchor(record_uid: str, content_hash: str, chain: ChainHead | None) -> Anchor:
    return Anchor(chain, record_uid, content_hash)


def day_anchor(day: date, chain: ChainHead) -> Anchor:
    return Anchor(chain, day=day)


def course_digest(record_hashes: list[str]) -> str:
    """One hash over the content hashes of a course's records, in series order: what a course summary prints."""
    return hashlib.sha256("\n".join(record_hashes).encode()).hexdigest()


def course_anchor(course_id: int, digest: str, chain: ChainHead | None) -> Anchor:
    return Anchor(chain, content_hash=digest, course_id=course_id)


def parse_anchor(text: str) -> Anchor:
    """Read the text of any Chairside QR code, earlier prints (record id and hash only) included."""
    parts = text.strip().split(":")
    try:
        if parts[0] == DAY_PREFIX and len(parts) == 4:
            return Anchor(_chain(parts[2], parts[3]), day=date.fromisoformat(parts[1]))
        if parts[0] == RECORD_PREFIX and len(parts) in (3, 5):
            uid, digest = parts[1], parts[2].lower()
            if not uid or not _HEX.fullmatch(digest):
                raise ValueError
            return Anchor(_chain(parts[3], parts[4]) if len(parts) == 5 else None, uid, digest)
        if parts[0] == COURSE_PREFIX and len(parts) in (3, 5):
            digest = parts[2].lower()
            if not parts[1].isdigit() or not _FULL_HEX.fullmatch(digest):
                raise ValueError
            return course_anchor(int(parts[1]), digest, _chain(parts[3], parts[4]) if len(parts) == 5 else None)
    except ValueError:
        pass
    raise AnchorError("not the text of a Chairside QR code (chairside:RECORD:HASH[:ROW:CHAIN-HASH], "
                      "chairside-day:DATE:ROW:CHAIN-HASH or chairside-course:COURSE:DIGEST[:ROW:CHAIN-HASH])")


def _chain(seq: str, row_hash: str) -> ChainHead:
    row_hash = row_hash.lower()
    if not seq.isdigit() or not _FULL_HEX.fullmatch(row_hash):
        raise ValueError
    return ChainHead(int(seq), row_hash)
