"""A patient's name as the patient writes it: the one composition of a full name, and the key search compares.

SPEC 3 rule 8. Chinese, Japanese and Korean names are written family name first and without a space (李小龙);
a per-patient choice covers other family-first names (Hungarian: Nagy István) or overrides the script's rule.
FHIR keeps family and given as they are; everything that shows one string (screen, PDF, archive, exports) calls
`full_name`.
"""
from __future__ import annotations

import unicodedata

# Unicode blocks of the scripts whose names are written family name first, with no space between the parts:
# Hangul Jamo, CJK radicals to CJK unified ideographs (kana included), Hangul syllables, compatibility
# ideographs, and the supplementary ideograph planes.
_FAMILY_FIRST_BLOCKS = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
                        (0xF900, 0xFAFF), (0x20000, 0x3FFFF))

# Name order choices as stored on the patient: None follows the script of the name.
BY_SCRIPT, FAMILY_FIRST, GIVEN_FIRST = None, True, False
ORDER_LABELS = {BY_SCRIPT: "As the script writes it", FAMILY_FIRST: "Family name first",
                GIVEN_FIRST: "Given name first"}

# Letters that carry no decomposable accent but that a user types without it (Łukasz as Lukasz).
_PLAIN = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h",
                        "ı": "i", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th",
                        "ŀ": "l", "Ŀ": "l", "ŧ": "t", "Ŧ": "t",
                        # apostrophes and hyphens as keyboards type them; a comma ("Nguyễn, Zoë") separates
                        ",": " ",
                        "\u2019": "'", "\u02bc": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-"})


def _family_first_script(text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _FAMILY_FIRST_BLOCKS)


def family_first(family_name: str, given_name: str, choice: bool | None = BY_SCRIPT) -> bool:
    """Whether the family name comes first: the patient's choice, else the script of the name."""
    if choice is not None:
        return bool(choice)
    return _family_first_script(family_name) or _family_first_script(given_name)


def full_name(family_name: str, given_name: str, choice: bool | None = BY_SCRIPT) -> str:
    """The full name in the patient's order: 'Zoë Nguyễn', '李小龙', 'Nagy István' (with the family-first choice)."""
    family, given = (family_name or "").strip(), (given_name or "").strip()
    if family_first(family, given, choice):
        # Ideographic and Hangul names join without a space; a family-first Latin name keeps it.
        joined = _family_first_script(family[-1:]) and _family_first_script(given[:1])
        parts, sep = (family, given), ("" if joined else " ")
    else:
        parts, sep = (given, family), " "
    return sep.join(p for p in parts if p)


def initials(family_name: str, given_name: str, choice: bool | None = BY_SCRIPT) -> str:
    family, given = (family_name or "").strip(), (given_name or "").strip()
    first, second = (family, given) if family_first(family, given, choice) else (given, family)
    return f"{first[:1]}{second[:1]}".upper()


def search_key(text: str) -> str:
    """What search compares: case-, accent- and normalisation-insensitive (NFC and NFD give the same key).

    'Nguyễn', 'NGUYEN' and 'Nguye\u0302\u0303n' all give 'nguyen'; ideographs, Arabic and Hebrew letters stay
    themselves; runs of spaces become one.
    """
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_PLAIN))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = unicodedata.normalize("NFKC", bare.translate(_PLAIN).casefold())
    return " ".join(folded.split())


def compact_key(text: str) -> str:
    """The search key without spaces: a whole name typed with or without them, in either order, is a prefix."""
    return search_key(text).replace(" ", "")


def name_keys(family_name: str, given_name: str) -> dict[str, str]:
    """The stored search keys of a patient's name: each name, and the whole name in either order."""
    return dict(family_key=search_key(family_name), given_key=search_key(given_name),
                full_key=compact_key(family_name + given_name), full_key_reversed=compact_key(given_name + family_name))
