"""Alpha Sign Communications Protocol (spec 97088061): frame builder, text encoder, decoder, codec.

Pure bytes, no I/O. Written against the summary in DEVICES.md and tested byte for
byte, because the small packages for this protocol get positions, modes, newline
and umlauts wrong.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.devices.display.calls import Call
from kiosk.devices.display.translit import UNMAPPED, to_charset

logger = logging.getLogger(__name__)

NUL = b"\x00"
SOH = b"\x01"
STX = b"\x02"
ETX = b"\x03"
EOT = b"\x04"
ESC = b"\x1b"
SYNC = NUL * 5
NEW_LINE = b"\x0d"
NEW_PAGE = b"\x0c"

_COLOUR = 0x1C
_FONT = 0x1A
_EXTENDED = 0x08
_CALL_STRING = 0x10
_FLASH_ATTR = 0x07

WRITE_TEXT = b"A"


class Position(enum.Enum):
    MIDDLE = b"\x20"
    TOP = b"\x22"
    BOTTOM = b"\x26"
    FILL = b"\x30"


class Mode(enum.Enum):
    ROTATE = b"a"
    HOLD = b"b"
    FLASH = b"c"
    ROLL_UP = b"e"
    ROLL_DOWN = b"f"
    ROLL_LEFT = b"g"
    ROLL_RIGHT = b"h"
    WIPE_UP = b"i"
    WIPE_DOWN = b"j"
    WIPE_LEFT = b"k"
    WIPE_RIGHT = b"l"
    SCROLL = b"m"
    AUTOMODE = b"o"


class Colour(enum.Enum):
    RED = b"1"
    GREEN = b"2"
    AMBER = b"3"
    DIM_RED = b"4"
    DIM_GREEN = b"5"
    BROWN = b"6"
    ORANGE = b"7"
    YELLOW = b"8"
    RAINBOW_1 = b"9"
    RAINBOW_2 = b"A"
    COLOUR_MIX = b"B"
    AUTOCOLOUR = b"C"


# Only the codes confirmed in DEVICES.md. The spec says 0x80-0xA8 follow CP437
# (é, ç, ñ ...), but that is unchecked on hardware, so those go through translit.
# ß (08 59?) is unconfirmed too: translit turns it into "ss".
_EXTENDED_OUT: dict[str, int] = {
    "Ä": 0x2E, "Ö": 0x39, "Ü": 0x3A, "ä": 0x24, "ö": 0x34, "ü": 0x21, "°": 0x49,
}
_EXTENDED_IN: dict[int, str] = {code: ch for ch, code in _EXTENDED_OUT.items()}


class AlphaFrameError(ValueError):
    """Bytes that are not a well-formed Alpha packet."""


def _ascii_field(value: bytes | str, length: int, what: str) -> bytes:
    raw = value.encode("ascii") if isinstance(value, str) else bytes(value)
    if len(raw) != length or not all(0x20 <= b <= 0x7E for b in raw):
        raise ValueError(f"{what} must be {length} printable ASCII character(s), got {value!r}")
    return raw


def frame_checksum(body: bytes) -> int:
    """16-bit sum of all bytes from STX through ETX inclusive."""
    return sum(body) & 0xFFFF


def _address_field(address: str) -> bytes:
    raw = _ascii_field(address, 2, "address")
    if any(c not in b"0123456789ABCDEFabcdef" for c in raw):
        raise ValueError(f"address must be two hex digits, got {address!r}")
    return raw.upper()


def build_frame(
    command: bytes,
    data: bytes,
    type_code: bytes | str = b"Z",
    address: str = "00",
    checksum: bool = True,
) -> bytes:
    """One packet: sync NULs, SOH, type, address, STX, command + data, [ETX, checksum], EOT."""
    type_raw = _ascii_field(type_code, 1, "type code")
    cmd = _ascii_field(command, 1, "command")
    header = SYNC + SOH + type_raw + _address_field(address)
    if not checksum:
        return header + STX + cmd + data + EOT
    body = STX + cmd + data + ETX
    return header + body + b"%04X" % frame_checksum(body) + EOT


def encode_sign_text(text: str, unmapped: Counter[str] | None = None) -> bytes:
    """Text in the sign's own character set; "\\n" becomes the sign's new line (0x0D).

    Umlauts and ° use the sign's 08 xx codes, other characters a deliberate
    transliteration, the rest "?" (counted into ``unmapped`` when given). Control
    characters never pass through raw: they would be read as protocol codes.
    """
    def can_show(ch: str) -> bool:
        return ch == "\n" or ch in _EXTENDED_OUT or " " <= ch <= "~"

    out = bytearray()
    for ch in to_charset(text, can_show, unmapped):
        if ch == "\n":
            out += NEW_LINE
        elif ch in _EXTENDED_OUT:
            out += bytes((_EXTENDED, _EXTENDED_OUT[ch]))
        else:
            out.append(ord(ch))
    return bytes(out)


def mode_field(position: Position, mode: Mode) -> bytes:
    return ESC + position.value + mode.value


def colour_code(colour: Colour) -> bytes:
    return bytes((_COLOUR,)) + colour.value


def write_text(
    label: bytes | str = b"A",
    text: str = "",
    position: Position = Position.MIDDLE,
    mode: Mode = Mode.HOLD,
    colour: Colour | None = None,
    type_code: bytes | str = b"Z",
    address: str = "00",
    checksum: bool = True,
    unmapped: Counter[str] | None = None,
) -> bytes:
    """Complete packet writing ``text`` (lines separated by "\\n") to TEXT file ``label``."""
    data = _ascii_field(label, 1, "file label") + mode_field(position, mode)
    if colour is not None:
        data += colour_code(colour)
    data += encode_sign_text(text, unmapped)
    return build_frame(WRITE_TEXT, data, type_code, address, checksum)


class AlphaCodec:
    """DisplayCodec for Alpha signs: one TEXT file, newest call first in its own colour.

    All calls go into one mode field, separated by the sign's new line, so they
    are shown together; separate mode fields would be shown one after the other.
    A one-colour sign ignores colour codes: there the newest call is the first line.
    """

    def __init__(
        self,
        address: str = "00",
        type_code: str = "Z",
        label: str = "A",
        max_calls: int = 3,
        highlight_colour: Colour | None = Colour.GREEN,
        colour: Colour | None = Colour.AMBER,
        position: Position = Position.FILL,
        mode: Mode = Mode.HOLD,
    ) -> None:
        if max_calls < 1:
            raise ValueError("max_calls must be at least 1")
        self._label = _ascii_field(label, 1, "file label")
        self._type_code = _ascii_field(type_code, 1, "type code")
        self._address = _address_field(address).decode("ascii")
        self.max_calls = max_calls
        self.highlight_colour = highlight_colour
        self.colour = colour
        self.position = position
        self.mode = mode
        self.unmapped: Counter[str] = Counter()

    def frame(self, calls: Sequence[Call]) -> bytes:
        before = sum(self.unmapped.values())
        data = bytearray(self._label + mode_field(self.position, self.mode))
        for index, call in enumerate(list(calls)[: self.max_calls]):
            if index:
                data += NEW_LINE
            line_colour = self.highlight_colour if index == 0 else self.colour
            if line_colour is not None:
                data += colour_code(line_colour)
            data += encode_sign_text(call.text(), self.unmapped)
        if sum(self.unmapped.values()) > before:
            logger.info("alpha sign: %d character(s) without mapping sent as %r",
                        sum(self.unmapped.values()) - before, UNMAPPED)
        return build_frame(WRITE_TEXT, bytes(data), self._type_code, self._address)


# --- decoding (simulator and tests) -------------------------------------------------


@dataclass(frozen=True)
class AlphaFrame:
    type_code: str
    address: str
    command: str
    data: bytes
    checksum: int | None  # as sent; None when the packet had no checksum
    checksum_ok: bool | None


@dataclass(frozen=True)
class SignLine:
    text: str
    colour: Colour | None


@dataclass(frozen=True)
class TextFile:
    label: str
    position: Position | None
    mode: Mode | None
    lines: tuple[SignLine, ...]


def parse_frames(data: bytes) -> list[AlphaFrame]:
    """All packets in ``data``; bytes outside packets (sync NULs) are skipped."""
    frames: list[AlphaFrame] = []
    start = data.find(SOH)
    while start >= 0:
        end = data.find(EOT, start)
        if end < 0:
            raise AlphaFrameError("packet without EOT")
        frames.append(_parse_packet(data[start + 1 : end]))
        start = data.find(SOH, end + 1)
    return frames


def _parse_packet(body: bytes) -> AlphaFrame:
    if len(body) < 5 or body[3:4] != STX:
        raise AlphaFrameError("packet header is not <type><address> STX")
    type_code, address = body[0:1].decode("latin-1"), body[1:3].decode("latin-1")
    rest = body[3:]
    sent: int | None = None
    ok: bool | None = None
    if len(rest) >= 7 and rest[-5:-4] == ETX:
        try:
            sent = int(rest[-4:].decode("ascii"), 16)
        except (UnicodeDecodeError, ValueError) as err:
            raise AlphaFrameError("checksum is not 4 hex digits") from err
        ok = sent == frame_checksum(rest[:-4])
        rest = rest[:-5]
    if len(rest) < 2:
        raise AlphaFrameError("packet without command")
    return AlphaFrame(type_code, address, rest[1:2].decode("latin-1"), bytes(rest[2:]), sent, ok)


def parse_text_file(data: bytes) -> TextFile:
    """Decode the data of a write-TEXT command into lines as the sign would show them."""
    if not data:
        raise AlphaFrameError("TEXT data without file label")
    label = data[0:1].decode("latin-1")
    lines: list[SignLine] = []
    current: list[str] = []
    line_colour: Colour | None = None
    colour: Colour | None = None
    position: Position | None = None
    mode: Mode | None = None

    def end_line() -> None:
        nonlocal current, line_colour
        lines.append(SignLine("".join(current), line_colour))
        current, line_colour = [], None

    i = 1
    while i < len(data):
        byte = data[i]
        nxt = data[i + 1 : i + 2]
        if byte == ESC[0]:
            # A second mode field is a new page on a real sign; here: a new line.
            if current or lines:
                end_line()
            if position is None and mode is None:
                position = _enum_or_none(Position, data[i + 1 : i + 2])
                mode = _enum_or_none(Mode, data[i + 2 : i + 3])
            i += 4 if data[i + 2 : i + 3] == b"n" else 3
            continue
        if byte == _COLOUR:
            if nxt in (b"Z", b"Y"):  # RGB colour: 6 hex digits follow
                i += 8
                continue
            colour = _enum_or_none(Colour, nxt)
            i += 2
            continue
        if byte in (_FONT, _CALL_STRING, _FLASH_ATTR):
            i += 2
            continue
        if byte == _EXTENDED:
            current.append(_EXTENDED_IN.get(nxt[0] if nxt else -1, UNMAPPED))
            line_colour = line_colour or colour
            i += 2
            continue
        if byte in (NEW_LINE[0], NEW_PAGE[0]):
            end_line()
        elif 0x20 <= byte <= 0x7E:
            current.append(chr(byte))
            line_colour = line_colour or colour
        i += 1
    if current:
        end_line()
    return TextFile(label, position, mode, tuple(lines))


def _enum_or_none(enum_cls, raw: bytes):
    try:
        return enum_cls(raw)
    except ValueError:
        return None
