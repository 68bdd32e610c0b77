"""Turn a device-neutral Document into ESC/POS bytes for one printer profile.

python-escpos renders images, QR and cut; text bytes, wrapping and the code page are ours
(ESC t n whenever the page changes, never the library's guess), see escpos_compat."""

from __future__ import annotations

import textwrap

from kiosk.bidi import RTL, has_strong
from kiosk.devices.printer.profiles import CODE_PAGE_PREFERENCE, PrinterProfile
from kiosk.devices.printer.raster import LINE_GAP_EM, font_px, render_lines
from kiosk.devices.printer.wrap import glue, unglue
from kiosk.domain.documents import Align, Barcode, Document, Feed, QrCode, Rule, Text
from kiosk.i18n import is_rtl

ESC, GS = b"\x1b", b"\x1d"
FONT_A_WIDTH_DOTS = 12

# Characters outside the code pages that have a plain equivalent: a deliberate mapping
# instead of the "?" an encoder would print.
TYPOGRAPHIC = str.maketrans({
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'",
    "\u201a": ",", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2026": "...",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2192": "->",
    # Romanian s/t with comma below are in no printer code page; the cedilla forms of
    # CP852 are the established fallback (one typeface on the ticket, not a raster line)
    "\u0218": "\u015e", "\u0219": "\u015f", "\u021a": "\u0162", "\u021b": "\u0163",
    # invisible bidi marks (kiosk.bidi) print nothing
    "\u200e": None, "\u200f": None, "\u061c": None,
})

_ALIGN = {Align.LEFT: "left", Align.CENTER: "center", Align.RIGHT: "right"}


def choose_code_page(text: str, profile: PrinterProfile) -> tuple[int, str] | None:
    """The first preferred code page the profile has that encodes the whole line."""
    for name in CODE_PAGE_PREFERENCE:
        if name not in profile.code_pages:
            continue
        try:
            text.encode(name.lower().replace("iso", "iso-"))
        except UnicodeEncodeError:
            continue
        return profile.code_pages[name], name
    return None


# Cyrillic і/І are missing from CP866 (the Cyrillic page of older models such as the
# TM-T88IV) but look exactly like Latin i/I: used only when no code page has the line.
LOOKALIKES = str.maketrans({"\u0456": "i", "\u0406": "I"})


def printable(text: str, profile: PrinterProfile) -> tuple[int, str, str] | None:
    """(ESC t number, codec, the text as printed), or None when the line must be
    printed as an image."""
    plain = text.translate(TYPOGRAPHIC)
    for candidate in (plain, plain.translate(LOOKALIKES)):
        chosen = choose_code_page(candidate, profile)
        if chosen is not None:
            return chosen[0], chosen[1].lower(), candidate
    return None


def encode_line(text: str, profile: PrinterProfile) -> tuple[int, bytes] | None:
    """(ESC t number, encoded text), or None when the line must be printed as an image."""
    found = printable(text, profile)
    if found is None:
        return None
    page, codec, plain = found
    return page, plain.encode(codec)


class _Format:
    """Sends alignment, emphasis and size only when they change: python-escpos's set()
    resends every mode on every call (about 15 bytes a line), which doubles a ticket."""

    def __init__(self, printer) -> None:
        self.printer = printer
        # what INIT (ESC @) leaves selected: no need to send it again
        self.align: int | None = 0
        self.bold: bool | None = False
        self.size: int | None = 1
        self.smooth: bool | None = False
        self.code_page: int | None = None  # unknown after INIT until we select one

    def code(self, page: int) -> None:
        if self.code_page != page:
            self.printer._raw(ESC + b"t" + bytes([page]))
            self.code_page = page

    def apply(self, align: Align, bold: bool, size: int) -> None:
        code = {Align.LEFT: 0, Align.CENTER: 1, Align.RIGHT: 2}[align]
        out = b""
        if self.align != code:
            out += ESC + b"a" + bytes([code])
        if self.bold != bold:
            out += ESC + b"E" + bytes([1 if bold else 0])
        if self.size != size:
            out += GS + b"!" + bytes([(size - 1) << 4 | (size - 1)])
        # smoothing (GS b) for enlarged characters: the number's edges are not staircases
        smooth = size > 1
        if self.smooth != smooth:
            out += GS + b"b" + bytes([1 if smooth else 0])
        self.align, self.bold, self.size, self.smooth = code, bold, size, smooth
        if out:
            self.printer._raw(out)


def native_qr(data: str, module_size: int) -> bytes:
    """GS ( k: module size, error correction M, store, print. Model 2 is the printers'
    default, so python-escpos's model command (9 bytes) is left out."""
    payload = data.encode("ascii")

    def fn(code: bytes, body: bytes) -> bytes:
        size = len(body) + 2
        return GS + b"(k" + bytes([size & 0xFF, size >> 8]) + b"1" + code + body

    return (fn(b"C", bytes([module_size])) + fn(b"E", b"1")
            + fn(b"P", b"0" + payload) + fn(b"Q", b"0"))


def render_document(doc: Document, profile: PrinterProfile) -> bytes:
    # imported at the first ticket (the app imports it in the idle time after its first
    # frame): python-escpos parses its capability file on every start, 0.1-0.4 s that
    # the start screen does not wait for (issue 9 item 3)
    from kiosk.devices.printer import escpos_compat

    printer = escpos_compat.byte_collector(profile.escpos_profile, profile.dots_per_line)
    printer._raw(ESC + b"@")  # INIT: printer back to its defaults (code page included)
    fmt = _Format(printer)
    for block in doc.blocks:
        if isinstance(block, Text):
            _text(printer, fmt, block, profile)
        elif isinstance(block, QrCode):
            fmt.apply(Align.CENTER, False, 1)
            if profile.native_qr:
                printer._raw(native_qr(block.data, module_size=6))
            else:
                # just the code's own width, centred by ESC a: center=True sends a
                # full-width image, four times the bytes (about 10 KB at 80 mm)
                printer.qr(block.data, size=6, native=False, center=False)
                fmt.code_page = None  # the library sent ESC t 0 on its own
        elif isinstance(block, Barcode):
            fmt.apply(Align.CENTER, False, 1)
            escpos_compat.barcode128(printer, block.data)
            fmt.align = None  # the library set the alignment itself
        elif isinstance(block, Rule):
            fmt.apply(Align.LEFT, False, 1)
            printer._raw(b"-" * (profile.dots_per_line // 12) + b"\n")
        elif isinstance(block, Feed):
            printer._raw(b"\n" * block.lines)
    if doc.cut:
        printer.cut(mode="PART", feed=True)
    return printer.output


def needs_raster(block: Text, profile: PrinterProfile) -> bool:
    """Right-to-left letters (printers neither shape nor reorder them) or a script no code
    page of the profile has. A Latin line on an Arabic ticket (an office name, the
    number) stays in the printer's font."""
    return has_strong(block.text, RTL) or printable(block.text, profile) is None


def _start_aligned(block: Text) -> Align:
    # in a right-to-left language LEFT/RIGHT are start/end: start is the right
    if is_rtl(block.lang) and block.align is not Align.CENTER:
        return Align.LEFT if block.align is Align.RIGHT else Align.RIGHT
    return block.align


def _text(printer, fmt: _Format, block: Text, profile: PrinterProfile) -> None:
    if needs_raster(block, profile):
        _raster_text(printer, fmt, block, profile)
        return
    page, codec, plain = printable(block.text, profile)
    fmt.apply(_start_aligned(block), block.bold, block.size.value)
    fmt.code(page)
    # wrap at word boundaries ourselves: the printer would break inside a word
    columns = max(1, profile.dots_per_line // (FONT_A_WIDTH_DOTS * block.size.value))
    for line in textwrap.wrap(glue(plain), columns) or [""]:
        printer._raw(unglue(line).encode(codec) + b"\n")


def _raster_text(printer, fmt: _Format, block: Text, profile: PrinterProfile) -> None:
    """One GS v 0 image per line, cropped to its ink and placed by ESC a; the space
    between lines is a feed (ESC J), not blank rows."""
    fmt.apply(_start_aligned(block), False, 1)
    gap = bytes([max(1, round(font_px(block.size.value) * LINE_GAP_EM))])
    for image in render_lines(block.text, block.lang, profile.dots_per_line,
                              scale=block.size.value, bold=block.bold):
        printer.image(image, center=False)
        printer._raw(ESC + b"J" + gap)
