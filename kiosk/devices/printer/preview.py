"""Render captured ESC/POS bytes as a picture of the printed ticket, or as its text lines.

Understands what our tickets and python-escpos send (text, code pages, sizes, alignment,
smoothing, GS v 0 raster images, native QR codes, cuts) and skips every other command by its length
(ESC * and GS ( L pictures, barcodes, ...), so no input makes it crash.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from dataclasses import dataclass, field, replace

import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFont
from qrcode.exceptions import DataOverflowError

log = logging.getLogger(__name__)

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, HT = 0x0A, 0x09

# ESC t n -> Python codec, from the Epson numbering (python-escpos capabilities.json).
CODE_PAGES = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 13: "cp857", 14: "cp737",
    15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 21: "cp874",
    32: "cp720", 33: "cp775", 34: "cp855", 35: "cp861", 36: "cp862", 37: "cp864",
    38: "cp869", 39: "iso8859_2", 40: "iso8859_15", 44: "cp1125", 45: "cp1250",
    46: "cp1251", 47: "cp1253", 48: "cp1254", 49: "cp1255", 50: "cp1256", 51: "cp1257",
    52: "cp1258", 53: "kz1048",
}
DEFAULT_CODE_PAGE = "cp437"
# ESC R 2 (Germany) swaps these ASCII positions for German letters.
_GERMAN_CHARS = str.maketrans("@[\\]{|}~", "§ÄÖÜäöüß")

FONT_CELLS = ((12, 24), (9, 17))  # font A, font B in dots
DEFAULT_LINE_SPACING = 30
MAX_HEIGHT_PX = 32768  # about 4 m of paper: bounds memory for absurd feeds
FINAL_FEED_PX = 48
_QR_LEVELS = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
              50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}

# Argument bytes after ESC x / GS x / FS x; unknown commands take none (skip two bytes).
_ESC_ARGS = {**dict.fromkeys(b"!%-3=?EGJKMRTUVadeprtu{ ", 1), **dict.fromkeys(b"$\\c", 2),
             ord("W"): 8}
_GS_ARGS = {**dict.fromkeys(b"!BEHITabfhrw/", 1), **dict.fromkeys(b"$LPW\\", 2), ord("^"): 3}
_FS_ARGS = {**dict.fromkeys(b"!-CW", 1), **dict.fromkeys(b"Sp", 2)}
_NUL_TERMINATED_MAX = 256


def command_span(data: bytes | bytearray, i: int = 0) -> tuple[int, int] | None:
    """Length of the command at data[i] as (header bytes, payload bytes).

    None while the header is still incomplete. The payload length is the declared one and
    may run past the end of data. Plain text and control bytes are (1, 0).
    """
    avail = len(data) - i
    b = data[i]
    if b not in (ESC, GS, FS, DLE):
        return 1, 0
    if avail < 2:
        return None
    c = data[i + 1]
    if b == DLE:
        size = {0x04: 3, 0x05: 3, 0x14: 5}.get(c, 1)  # EOT, ENQ, DC4; else a lone DLE
        return (size, 0) if avail >= size else None
    if c == 0x28:  # ESC ( / GS ( / FS (: fn pL pH, then pL + 256 pH bytes
        return (5, data[i + 3] | data[i + 4] << 8) if avail >= 5 else None
    if b == GS and c == 0x76:  # GS v 0 m xL xH yL yH raster
        if avail < 8:
            return None
        return 8, (data[i + 4] | data[i + 5] << 8) * (data[i + 6] | data[i + 7] << 8)
    if b == GS and c == 0x56:  # GS V m [n]
        if avail < 3:
            return None
        size = 4 if data[i + 2] in (65, 66, 97, 98, 103, 104) else 3
        return (size, 0) if avail >= size else None
    if b == GS and c == 0x6B:  # GS k m: n counted bytes (m >= 65) or NUL-terminated data
        if avail < 4:
            return None
        return (4, data[i + 3]) if data[i + 2] >= 65 else _nul_terminated(data, i, 3)
    if b == ESC and c == 0x44:  # ESC D tab stops, NUL-terminated
        return _nul_terminated(data, i, 2)
    if b == GS and c == 0x2A:  # GS * x y: x * y * 8 bytes
        return (4, data[i + 2] * data[i + 3] * 8) if avail >= 4 else None
    if b == GS and c == 0x38:  # GS 8 L p1..p4: 32-bit length
        if avail < 7:
            return None
        return 7, int.from_bytes(data[i + 3:i + 7], "little")
    if b == ESC and c == 0x2A:  # ESC * m nL nH: 1 or 3 bytes per column
        if avail < 5:
            return None
        return 5, (data[i + 3] | data[i + 4] << 8) * (3 if data[i + 2] in (32, 33) else 1)
    table = {ESC: _ESC_ARGS, GS: _GS_ARGS, FS: _FS_ARGS}[b]
    size = 2 + table.get(c, 0)
    return (size, 0) if avail >= size else None


def _nul_terminated(data: bytes | bytearray, i: int, start: int) -> tuple[int, int] | None:
    end = bytes(data[i + start:i + start + _NUL_TERMINATED_MAX]).find(0)
    if end >= 0:
        return start + end + 1, 0
    # No terminator within the limit: give up on it rather than swallow the ticket.
    size = start + _NUL_TERMINATED_MAX
    return (size, 0) if len(data) - i >= size else None


def render_preview(data: bytes, width_px: int = 576) -> Image.Image:
    """Draw the ticket as the printer would: an "L" image, white paper, black dots."""
    ticket = _Ticket(width_px, draw=True)
    ticket.run(data)
    return ticket.image()


def decode_text(data: bytes) -> list[str]:
    """The text lines as printed (one per LF, automatic wrap or print-and-feed)."""
    ticket = _Ticket(576, draw=False)
    ticket.run(data)
    return ticket.lines


@dataclass(frozen=True)
class _Style:
    codec: str = DEFAULT_CODE_PAGE
    german: bool = False
    font_b: bool = False
    bold: bool = False
    underline: int = 0
    invert: bool = False
    smooth: bool = False
    width: int = 1
    height: int = 1

    def cell(self) -> tuple[int, int]:
        w, h = FONT_CELLS[self.font_b]
        return w * self.width, h * self.height


@dataclass
class _State:
    style: _Style = field(default_factory=_Style)
    align: int = 0
    line_spacing: int = DEFAULT_LINE_SPACING
    left_px: int = 0
    area_px: int | None = None
    qr_module: int = 3
    qr_level: int = qrcode.constants.ERROR_CORRECT_L
    qr_data: bytes = b""


# Commands that only change how characters look: (prefix, command) -> style fields from n.
_STYLE_COMMANDS = {
    (ESC, 0x74): lambda n: {"codec": CODE_PAGES.get(n, DEFAULT_CODE_PAGE)},  # ESC t
    (ESC, 0x52): lambda n: {"german": n == 2},  # ESC R
    (ESC, 0x45): lambda n: {"bold": bool(n & 1)},  # ESC E
    (ESC, 0x2D): lambda n: {"underline": (n & 3) % 3},  # ESC -
    (ESC, 0x4D): lambda n: {"font_b": bool(n & 1)},  # ESC M
    (ESC, 0x21): lambda n: {"font_b": bool(n & 1), "bold": bool(n & 8), "underline": n >> 7,
                            "height": 1 + (n >> 4 & 1), "width": 1 + (n >> 5 & 1)},  # ESC !
    (GS, 0x21): lambda n: {"width": (n >> 4 & 7) + 1, "height": (n & 7) + 1},  # GS !
    (GS, 0x42): lambda n: {"invert": bool(n & 1)},  # GS B
    (GS, 0x62): lambda n: {"smooth": bool(n & 1)},  # GS b
}


class _Ticket:
    """Interpreter: parses commands, lays out lines and (optionally) draws them."""

    def __init__(self, width_px: int, draw: bool) -> None:
        self.width_px = max(8, width_px)
        self.draw = draw
        self.state = _State()
        self.lines: list[str] = []
        self.items: list[tuple[int, str, _Style]] = []  # x, character, style
        self.x = 0
        self.y = 8
        self.canvas = Image.new("L", (self.width_px, 1024 if draw else 1), 255)

    # -- parsing -----------------------------------------------------------------------
    def run(self, data: bytes) -> None:
        i = 0
        while i < len(data):
            span = command_span(data, i)
            if span is None:
                break  # a command cut off at the end of the data
            head, size = span
            try:
                self.command(bytes(data[i:i + head]), bytes(data[i + head:i + head + size]))
            except Exception:  # noqa: BLE001 - a preview must never take the caller down
                log.warning("preview: skipped command %r", data[i:i + min(head, 4)], exc_info=True)
            i += head + size
        self.flush(force=False)

    def command(self, cmd: bytes, payload: bytes) -> None:
        st = self.state
        if len(cmd) == 1:
            self.byte(cmd[0])
            return
        b, c, args = cmd[0], cmd[1], cmd[2:]
        n = args[0] if args else 0
        if (b, c) in _STYLE_COMMANDS:
            self.state.style = replace(self.state.style, **_STYLE_COMMANDS[b, c](n))
        elif b == ESC:
            if c == 0x40:  # ESC @ init also clears the print buffer
                self.items, self.x = [], 0
                self.state = _State()
            elif c == 0x61:
                st.align = (n & 3) % 3
            elif c == 0x64:
                self.feed_lines(n)
            elif c == 0x4A:
                self.flush(force=False)
                self.advance(n)
            elif c in (0x32, 0x33):
                st.line_spacing = n if c == 0x33 else DEFAULT_LINE_SPACING
            elif c == 0x24:
                self.x = n | args[1] << 8
        elif b == GS:
            if c == 0x4C:
                st.left_px = n | args[1] << 8
            elif c == 0x57:
                st.area_px = n | args[1] << 8
            elif c == 0x56:
                self.cut(args[1] if len(args) > 1 else 0)
            elif c == 0x76:
                self.raster(args[2] | args[3] << 8, args[4] | args[5] << 8, payload, args[1])
            elif c == 0x28 and args[0] == 0x6B:
                self.qr_command(payload)
        # DLE EOT/ENQ/DC4, GS a, GS ( L graphics, ESC * column images, FS ... and unknown
        # commands: nothing printed (our tickets use GS v 0 for pictures).

    def byte(self, b: int) -> None:
        if b == LF:
            self.flush(force=True)
        elif b == HT:
            tab = FONT_CELLS[self.state.style.font_b][0] * self.state.style.width * 8
            self.x = (self.x // tab + 1) * tab
        elif b >= 0x20:
            style = self.state.style
            ch = _code_page_table(style.codec)[b]
            if style.german and b < 0x80:
                ch = ch.translate(_GERMAN_CHARS)
            if unicodedata.category(ch) != "Cc":
                self.add(ch, style)

    # -- layout ------------------------------------------------------------------------
    def area(self) -> tuple[int, int]:
        left = min(self.state.left_px, self.width_px - 8)
        width = self.state.area_px or self.width_px
        return left, max(8, min(width, self.width_px - left))

    def add(self, ch: str, style: _Style) -> None:
        w, _ = style.cell()
        if self.x + w > self.area()[1] and self.items:
            self.flush(force=False)  # automatic wrap, as the printer does
        self.items.append((self.x, ch, style))
        self.x += w

    def flush(self, force: bool) -> None:
        """Print the line buffer; with force (LF) an empty buffer prints an empty line."""
        if not self.items and not force:
            self.x = 0
            return
        self.lines.append("".join(ch for _, ch, _ in self.items))
        # Characters of different heights share their baseline: the bottom of the line.
        content_h = max((style.cell()[1] for _, _, style in self.items), default=0)
        if self.draw and self.items:
            self.draw_line(content_h)
        self.items, self.x = [], 0
        self.advance(max(self.state.line_spacing, content_h))

    def aligned_x(self, content_w: int) -> int:
        left, width = self.area()
        spare = max(0, width - content_w)
        return left + (0, spare // 2, spare)[self.state.align]

    def draw_line(self, content_h: int) -> None:
        offset = self.aligned_x(max(x + style.cell()[0] for x, _, style in self.items))
        self.ensure(self.y + content_h)
        for x, ch, style in self.items:
            mask = _glyph(ch, style.font_b, style.width, style.height, style.bold,
                          style.smooth and max(style.width, style.height) > 1)
            box = (offset + x, self.y + content_h - mask.height)
            box += (box[0] + mask.width, box[1] + mask.height)
            if style.invert:
                self.canvas.paste(0, box)
            self.canvas.paste(255 if style.invert else 0, box[:2], mask)
            if style.underline:
                self.canvas.paste(0, (box[0], box[3] - style.underline, box[2], box[3]))

    def advance(self, dots: int) -> None:
        self.y += dots
        self.ensure(self.y)

    def ensure(self, height: int) -> None:
        if not self.draw or height <= self.canvas.height:
            return
        if height > MAX_HEIGHT_PX:
            log.warning("preview: ticket longer than %d dots, cut off", MAX_HEIGHT_PX)
            self.draw = False  # the last drawing; parsing goes on
        new_height = min(MAX_HEIGHT_PX, max(height, self.canvas.height * 2))
        bigger = Image.new("L", (self.width_px, new_height), 255)
        bigger.paste(self.canvas, (0, 0))
        self.canvas = bigger

    def feed_lines(self, n: int) -> None:
        printed = bool(self.items)
        self.flush(force=False)
        self.advance(self.state.line_spacing * max(0, n - printed))

    def block(self, img: Image.Image) -> None:
        """Print a picture (raster image, QR code) on its own, honouring the alignment."""
        self.flush(force=False)
        if self.draw:
            img = img.crop((0, 0, min(img.width, self.area()[1]), img.height))
            self.ensure(self.y + img.height)
            if self.draw:  # still, unless the paper just ran over MAX_HEIGHT_PX
                self.canvas.paste(0, (self.aligned_x(img.width), self.y), img)
        self.advance(img.height)

    def cut(self, feed_dots: int) -> None:
        self.flush(force=False)
        self.advance(feed_dots)
        if self.draw:
            self.ensure(self.y + 24)
            y = self.y + 12
            for x in range(0, self.width_px, 16):
                self.canvas.paste(0, (x, y, min(x + 8, self.width_px), y + 2))
        self.advance(24)

    # -- pictures ----------------------------------------------------------------------
    def raster(self, width_bytes: int, rows: int, payload: bytes, mode: int) -> None:
        img = _bits_image(payload, width_bytes, rows)
        if img is not None:
            self.block(_scaled(img, 1 + (mode & 1), 1 + (mode >> 1 & 1)))

    def qr_command(self, payload: bytes) -> None:
        if len(payload) < 3 or payload[0] != 0x31:  # cn 49 = QR; others (PDF417...) skipped
            return
        fn, arg = payload[1], payload[2]
        if fn == 67 and 1 <= arg <= 16:
            self.state.qr_module = arg
        elif fn == 69 and arg in _QR_LEVELS:
            self.state.qr_level = _QR_LEVELS[arg]
        elif fn == 80:
            self.state.qr_data = payload[3:]
        elif fn == 81 and self.state.qr_data:
            code = qrcode.QRCode(error_correction=self.state.qr_level, box_size=1, border=0)
            code.add_data(self.state.qr_data)
            try:
                code.make(fit=True)
            except (ValueError, DataOverflowError):  # beyond version 40: nothing printed
                log.info("preview: QR data of %d bytes does not fit", len(self.state.qr_data))
                return
            matrix = code.get_matrix()
            img = Image.new("L", (len(matrix), len(matrix)), 0)
            img.putdata([255 if dark else 0 for row in matrix for dark in row])
            self.block(_scaled(img, self.state.qr_module, self.state.qr_module))

    def image(self) -> Image.Image:
        self.flush(force=False)
        self.ensure(self.y + FINAL_FEED_PX)
        height = min(self.y + FINAL_FEED_PX, self.canvas.height)
        return self.canvas.crop((0, 0, self.width_px, height))


def _bits_image(data: bytes, width_bytes: int, rows: int) -> Image.Image | None:
    """A mask (255 = black dot) from MSB-first rows; missing data prints white."""
    if width_bytes == 0 or rows == 0 or not data:
        return None
    rows = min(rows, -(-len(data) // width_bytes), MAX_HEIGHT_PX)
    raw = bytes(data[:width_bytes * rows]).ljust(width_bytes * rows, b"\0")
    # A set bit is a black dot in ESC/POS and 255 in PIL's "1" mode: exactly a paste mask.
    return Image.frombytes("1", (width_bytes * 8, rows), raw).convert("L")


def _scaled(img: Image.Image, x: int, y: int) -> Image.Image:
    if x == 1 and y == 1:
        return img
    return img.resize((img.width * x, img.height * y), Image.Resampling.NEAREST)


@functools.cache
def _code_page_table(codec: str) -> str:
    return bytes(range(256)).decode(codec, errors="replace")


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # A monospace face matches the printer's fixed character grid best.
    try:
        return ImageFont.truetype("DejaVuSansMono.ttf", size)
    except OSError:
        pass
    try:
        import fontpkg

        return ImageFont.truetype(str(fontpkg.path("Noto Sans")), size)
    except Exception:  # noqa: BLE001 - any missing font package means: fall back
        log.warning("preview: no DejaVu Sans Mono or Noto Sans, using Pillow's default font")
        return ImageFont.load_default(size)


@functools.lru_cache(maxsize=4096)
def _glyph(ch: str, font_b: bool, width: int, height: int, bold: bool,
           smooth: bool = False) -> Image.Image:
    """A black-dot mask of one character cell, scaled dot by dot as the printer does;
    with smoothing (GS b) an enlarged character is drawn at its size, without steps."""
    cell_w, cell_h = FONT_CELLS[font_b]
    scale = (width, height) if smooth else (1, 1)
    cell_w, cell_h = cell_w * scale[0], cell_h * scale[1]
    wide = Image.new("L", (cell_w * 3, cell_h), 0)
    ImageDraw.Draw(wide).text((cell_w * 1.5, round(cell_h * 0.8)), ch, fill=255,
                              font=_font(round(cell_h * 0.8)), anchor="ms")
    wide = wide.point(lambda v: 255 if v >= 96 else 0)
    ink = wide.getbbox()
    if ink and ink[2] - ink[0] > cell_w:
        # Wider than the cell (proportional fonts: W, M, €): squeeze it in.
        glyph = wide.crop((ink[0], 0, ink[2], cell_h)).resize((cell_w, cell_h))
        glyph = glyph.point(lambda v: 255 if v >= 128 else 0)
    elif ink and smooth:
        # drawn at full size the letter may sit off the cell's middle: centre its ink
        left = (ink[0] + ink[2] - cell_w) // 2
        glyph = wide.crop((left, 0, left + cell_w, cell_h))
    else:
        glyph = wide.crop((cell_w, 0, cell_w * 2, cell_h))
    if bold:
        # Emphasized mode on the printer strikes every dot twice, one dot to the right.
        shifted = Image.new("L", glyph.size, 0)  # not ImageChops.offset: it wraps around
        shifted.paste(glyph.crop((0, 0, glyph.width - scale[0], glyph.height)), (scale[0], 0))
        glyph = ImageChops.lighter(glyph, shifted)
    return glyph if smooth else _scaled(glyph, width, height)
