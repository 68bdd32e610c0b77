"""What a call-up display shows (recent calls) and the interface every sign framing implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

ARROW = "->"


@dataclass(frozen=True)
class Call:
    """One visitor called to one counter, e.g. number "A017" to counter "Schalter 3"."""

    number: str
    counter: str

    def text(self) -> str:
        return f"{self.number} {ARROW} {self.counter}"


class DisplayCodec(Protocol):
    def frame(self, calls: Sequence[Call]) -> bytes:
        """Bytes that make the sign show these recent calls, newest first, newest highlighted.

        One complete packet: the supervisor sends it in a single write and resends
        it unchanged after the sign comes back.
        """
        ...
