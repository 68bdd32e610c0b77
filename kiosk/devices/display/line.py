"""Plain line protocol for simple call-up displays: fixed-width text lines ending in CR LF.

Every frame rewrites all lines of the display (blank lines included) so that
nothing of the previous state survives on the sign.
"""

from __future__ import annotations

import codecs
import logging
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from kiosk.devices.display.calls import ARROW, Call
from kiosk.devices.display.translit import UNMAPPED, to_charset

logger = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _charset_test(encoding: str):
    @lru_cache(maxsize=1024)
    def can_show(ch: str) -> bool:
        # Control characters encode fine in most code pages but would drive the
        # display, not show on it.
        if ch < " " or "\x7f" <= ch <= "\x9f":
            return False
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            return False
        return True

    return can_show


def layout_call(number: str, counter: str, width: int) -> str:
    """``number`` left, ``counter`` right, the arrow centred between; exactly ``width`` chars.

    When it does not fit, the counter is shortened first: the number is what the
    visitor is looking for.
    """
    separator = f" {ARROW} "
    room_for_counter = width - len(number) - len(separator)
    if room_for_counter < 1:
        return (number + separator)[:width].ljust(width)
    counter = counter[:room_for_counter]
    gap = width - len(number) - len(counter) - len(ARROW)
    left = (gap + 1) // 2  # odd gaps lean right: arrows of "Schalter 3" / "Schalter 12" line up
    return number + " " * left + ARROW + " " * (gap - left) + counter


class LineCodec:
    """DisplayCodec for line displays: the newest call on the first line.

    A line display has no highlight; ``clear`` (e.g. b"\\x0c" for displays that
    know form feed) is sent before the lines when the display needs it.
    """

    def __init__(
        self,
        width: int = 20,
        lines: int = 2,
        encoding: str = "cp437",
        eol: bytes = b"\r\n",
        max_calls: int | None = None,
        clear: bytes = b"",
    ) -> None:
        if width < 1 or lines < 1:
            raise ValueError("width and lines must be at least 1")
        if max_calls is not None and max_calls < 1:
            raise ValueError("max_calls must be at least 1")
        codecs.lookup(encoding)  # unknown encodings fail at construction, not per call
        self.width = width
        self.lines = lines
        self.encoding = encoding
        self.eol = eol
        self.max_calls = lines if max_calls is None else min(max_calls, lines)
        self.clear = clear
        self.unmapped: Counter[str] = Counter()
        self._can_show = _charset_test(encoding)

    def text_lines(self, calls: Sequence[Call]) -> list[str]:
        """The display's lines as text, each exactly ``width`` characters."""
        before = sum(self.unmapped.values())
        out = []
        for call in list(calls)[: self.max_calls]:
            number = to_charset(call.number, self._can_show, self.unmapped)
            counter = to_charset(call.counter, self._can_show, self.unmapped)
            out.append(layout_call(number, counter, self.width))
        if sum(self.unmapped.values()) > before:
            logger.info("line display: %d character(s) without mapping sent as %r",
                        sum(self.unmapped.values()) - before, UNMAPPED)
        out += [" " * self.width] * (self.lines - len(out))
        return out

    def frame(self, calls: Sequence[Call]) -> bytes:
        body = b"".join(line.encode(self.encoding) + self.eol for line in self.text_lines(calls))
        return self.clear + body
