"""Device-neutral printed documents (a ticket, later a receipt): lines of text with a
size and alignment, a QR code, a rule and a cut. Printers render them; tests read them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Size(Enum):
    NORMAL = 1
    LARGE = 2  # double width and height
    HUGE = 6  # the queue number: about 20 mm high, readable at arm's length


class Align(Enum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True)
class Text:
    text: str
    size: Size = Size.NORMAL
    align: Align = Align.CENTER
    bold: bool = False
    lang: str = "de"  # decides shaping, direction and font when rendered as an image


@dataclass(frozen=True)
class QrCode:
    data: str


@dataclass(frozen=True)
class Barcode:
    data: str  # CODE128, ASCII only


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class Feed:
    lines: int = 1


Block = Text | QrCode | Barcode | Rule | Feed


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...]
    cut: bool = True

    def texts(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Text)]
