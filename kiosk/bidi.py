"""Unicode bidi (UAX #9) for text that is broken into lines before it is drawn: the base
direction of a whole paragraph, and for each line the string and direction to hand to a
line-at-a-time shaper (raqm) so that it orders the line as part of its paragraph.

No Kivy and no Pillow here: the screens' labels and the printer's raster lines both use it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

LTR, RTL = "ltr", "rtl"
_STRONG = {"L": LTR, "R": RTL, "AL": RTL}
_ISOLATES = {"LRI": LTR, "RLI": RTL, "FSI": None}
_EMBEDDINGS = {"LRE", "RLE", "LRO", "RLO"}
# Zero-width characters of one strong type: they stand in for the paragraph's text on the
# other side of a line break (ALM keeps European digits after Arabic letters Arabic, W2).
_MARKS = {"L": "\u200e", "R": "\u200f", "AL": "\u061c"}
_LRI, _RLI = "\u2066", "\u2067"
# Paragraph separators (bidi class B): each paragraph gets its own base direction.
_SEPARATORS = "\n\r\x1c\x1d\x1e\x85\u2029"


def _type(ch: str) -> str:
    return unicodedata.bidirectional(ch)


def first_strong(text: str) -> str | None:
    """P2/P3: the direction of the first L, R or AL character outside isolates, or None."""
    depth = 0
    for ch in text:
        kind = _type(ch)
        if kind in _ISOLATES:
            depth += 1
        elif kind == "PDI":
            if depth == 0:
                return None  # the end of the isolate whose direction is being asked
            depth -= 1
        elif depth == 0 and kind in _STRONG:
            return _STRONG[kind]
    return None


def has_strong(text: str, direction: str) -> bool:
    return any(_STRONG.get(_type(ch)) == direction for ch in text)


def paragraph_direction(paragraph: str, preferred: str | None = None) -> str:
    """The base direction of one paragraph.

    `preferred` is the visitor's language's direction: a paragraph with any letter of
    that direction takes it, even when it starts with a Latin ticket number; a paragraph
    wholly in the other direction (an office name on an Arabic screen) keeps its own.
    Without a preference: the first strong character (UAX #9 P2/P3), else left to right.
    'weak_rtl'/'weak_ltr' (Kivy's names): the first strong character, else that direction.
    """
    if preferred in (LTR, RTL) and has_strong(paragraph, preferred):
        return preferred
    found = first_strong(paragraph)
    if found:
        return found
    return RTL if preferred in (RTL, "weak_rtl") else LTR


def _before(paragraph: str, upto: int) -> tuple[str, str]:
    """(explicit initiators still open at `upto`, the mark of the last strong type at
    that level): what a line starting at `upto` must repeat."""
    stack: list[tuple[str, str | None]] = []  # (initiator, last strong type outside it)
    last: str | None = None
    for i, ch in enumerate(paragraph[:upto]):
        kind = _type(ch)
        if kind in _ISOLATES or kind in _EMBEDDINGS:
            stack.append((_resolve_fsi(paragraph, ch, i), last))
            last = None
        elif kind in ("PDI", "PDF") and stack:
            last = stack.pop()[1]
        elif kind in _STRONG:
            last = kind
    opened = "".join(initiator for initiator, _ in stack)
    return opened, _MARKS[last] if last else ""


def _after(text: str, last_strong: str | None) -> str:
    """The mark standing for what follows a line at its level, as neutrals at the line's
    end see it (N1: numbers count as R unless W7 made them L)."""
    depth = 0
    for ch in text:
        kind = _type(ch)
        if kind in _ISOLATES or kind in _EMBEDDINGS:
            depth += 1
        elif kind in ("PDI", "PDF"):
            if depth == 0:
                return ""  # the line's isolate ends first: its end decides (eos)
            depth -= 1
        elif depth:
            continue
        elif kind in _STRONG:
            return _MARKS["L" if kind == "L" else "R"]
        elif kind == "EN":
            return _MARKS["L" if last_strong == "L" else "R"]
        elif kind == "AN":
            return _MARKS["R"]
    return ""


def _last_strong(text: str) -> str | None:
    for ch in reversed(text):
        if _type(ch) in _STRONG:
            return _type(ch)
    return None


def _resolve_fsi(paragraph: str, line: str, at: int) -> str:
    """An FSI takes its direction from its whole content, which may run on to the next
    line: replace it by LRI/RLI as resolved on the paragraph (same length)."""
    if "\u2068" not in line:
        return line
    chars = list(line)
    for i, ch in enumerate(chars):
        if ch == "\u2068":
            chars[i] = _RLI if first_strong(paragraph[at + i + 1:]) == RTL else _LRI
    return "".join(chars)


def _paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    first = max(text.rfind(sep, 0, start) for sep in _SEPARATORS) + 1
    ends = [i for i in (text.find(sep, end) for sep in _SEPARATORS) if i >= 0]
    return first, min(ends, default=len(text))


def shape_lines(text: str, lines: Sequence[str], preferred: str | None = None
                ) -> list[tuple[str, str]]:
    """For each line of `text` (in logical order, as a line breaker cut it): the string
    to shape and the base direction to shape it with.

    The direction is the paragraph's, not the line's; invisible marks before and after
    the line and re-opened isolates let a shaper that sees one line at a time resolve it
    as the whole paragraph would (UAX #9 over the paragraph, then line breaking). A line
    that is not a piece of `text` (shortened with an ellipsis) is taken on its own.
    """
    out: list[tuple[str, str]] = []
    cursor = 0
    for line in lines:
        at = text.find(line, cursor) if line else -1
        if at < 0:
            out.append((line, paragraph_direction(line, preferred)))
            continue
        end = at + len(line)
        cursor = end
        first, last = _paragraph_bounds(text, at, end)
        paragraph = text[first:last]
        opened, lead = _before(paragraph, at - first)
        body = _resolve_fsi(paragraph, line, at - first)
        core = body.rstrip()
        # the trailing mark goes before trailing spaces: those stay at the paragraph level (L1)
        trail = _after(text[end:last], _last_strong(text[first:end]))
        out.append((opened + lead + core + trail + body[len(core):],
                    paragraph_direction(paragraph, preferred)))
    return out
