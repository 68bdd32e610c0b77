"""Deliberate ASCII stand-ins for characters a sign cannot show, shared by the sign codecs.

Signs have small character sets; sending Latin-1 or UTF-8 raw shows garbage, so each
codec keeps what it can show, replaces the rest from this table and only then
falls back to "?" (counted, so the table can grow from real use).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable

UNMAPPED = "?"

# Explicit entries come first: letters without a Unicode decomposition (ß, ı, đ, ł,
# ø, æ) and German umlauts, which read better as "ae" than as a bare "a".
_TABLE: dict[str, str] = {
    "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ä": "ae", "ö": "oe", "ü": "ue",
    "ß": "ss", "ẞ": "SS",
    "ı": "i", "İ": "I",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
    "ł": "l", "Ł": "L",
    "ø": "o", "Ø": "O",
    "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe",
    "þ": "th", "Þ": "Th",
    "ħ": "h", "Ħ": "H",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\t": " ",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "´": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "«": '"', "»": '"', "\u2033": '"',
    "\u2039": "<", "\u203a": ">",
    "\u2026": "...",
    "\u2022": "*", "·": ".",
    "→": "->", "←": "<-", "⇒": "=>",
    "€": "EUR",
    "×": "x",
    "№": "Nr.",
}


def ascii_fallback(ch: str) -> str | None:
    """ASCII replacement for one character, or None when there is no sensible one."""
    if " " <= ch <= "~":
        return ch
    if ch in _TABLE:
        return _TABLE[ch]
    # Remaining Latin letters with diacritics (é, ç, ğ, ş, č, ć, š, ž, ñ, ...) lose
    # their marks; anything whose base is not printable ASCII is not guessed at.
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and all(" " <= c <= "~" for c in base) and unicodedata.category(ch).startswith("L"):
        return base
    return None


def to_charset(
    text: str,
    can_show: Callable[[str], bool],
    unmapped: Counter[str] | None = None,
) -> str:
    """Keep characters the sign can show, transliterate the rest, "?" as last resort."""
    out: list[str] = []
    for ch in text:
        if can_show(ch):
            out.append(ch)
            continue
        replacement = ascii_fallback(ch)
        if replacement is not None and all(can_show(c) for c in replacement):
            out.append(replacement)
            continue
        if unmapped is not None:
            unmapped[ch] += 1
        out.append(UNMAPPED)
    return "".join(out)
