"""ESC/POS preview: text in the selected code page, QR codes that scan, images, robustness."""

from __future__ import annotations

import random

import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image, ImageDraw

from kiosk.devices.printer.preview import (
    MAX_HEIGHT_PX,
    command_span,
    decode_text,
    render_preview,
)

UMLAUTS = "Straße Öffnung Über €"


def ticket_bytes() -> bytes:
    p = Dummy()
    p.charcode("CP858")
    p.text(UMLAUTS + "\n")
    p.set(align="center", double_height=True, double_width=True, bold=True)
    p.text("A017\n")
    p.qr("ref-1234", native=True, size=6)
    p.set(align="left", normal_textsize=True, bold=False)
    p.image(black_box())
    p.text("Bitte warten\n")
    p.cut()
    return p.output


def black_box() -> Image.Image:
    img = Image.new("1", (64, 32), 1)
    ImageDraw.Draw(img).rectangle((8, 8, 55, 23), fill=0)
    return img


def ink_box(img: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box of the black dots."""
    return img.convert("L").point(lambda v: 255 - v).getbbox()


def test_umlauts_and_euro_in_cp858():
    """GIVEN a ticket with CP858 selected by ESC t 19 WHEN decoding THEN umlauts and euro come back exactly."""
    data = ticket_bytes()
    assert b"\x1bt\x13" + "Straße".encode("cp858") in data
    lines = decode_text(data)
    assert lines[0] == UMLAUTS
    assert "A017" in lines and "Bitte warten" in lines


def test_init_resets_code_page_to_cp437():
    """GIVEN a euro sign in CP858, then ESC @, then the same byte WHEN decoding THEN it reads as CP437."""
    data = b"\x1bt\x13\xd5\n\x1b@\xd5\n"
    assert decode_text(data) == ["€", bytes([0xD5]).decode("cp437")]


@pytest.mark.parametrize(
    ("n", "codec"), [(0, "cp437"), (2, "cp850"), (16, "cp1252"), (17, "cp866"), (19, "cp858"), (99, "cp437")]
)
def test_code_page_table(n, codec):
    """GIVEN ESC t n WHEN decoding high bytes THEN the mapped code page is used (unknown n: CP437)."""
    high = bytes(range(0xC0, 0xD0))
    assert decode_text(b"\x1bt" + bytes([n]) + high + b"\n") == [high.decode(codec)]


def test_german_international_set():
    """GIVEN ESC R 2 (Germany) WHEN decoding brackets THEN they print as German letters."""
    assert decode_text(b"\x1bR\x02[\\]{|}~@\n") == ["ÄÖÜäöüß§"]


def test_native_qr_scans_from_preview():
    """GIVEN a ticket with a native QR (GS ( k) WHEN rendered THEN zxing-cpp reads it back."""
    img = render_preview(ticket_bytes())
    assert img.width == 576
    assert [code.text for code in zxingcpp.read_barcodes(img)] == ["ref-1234"]


@pytest.mark.parametrize("size", [2, 3, 8])
def test_qr_module_size(size):
    """GIVEN module size n (fn 67) WHEN rendered THEN the code is n dots per module and scans."""
    p = Dummy()
    p.qr("ref-1234", native=True, size=size)
    img = render_preview(p.output)
    box = ink_box(img)
    assert (box[2] - box[0]) % size == 0 and (box[2] - box[0]) // size == 21  # version 1
    assert [code.text for code in zxingcpp.read_barcodes(img)] == ["ref-1234"]


def test_raster_image_lands_where_sent():
    """GIVEN an image with a black box at (8..55, 8..23) WHEN rendered THEN exactly that box is black."""
    p = Dummy()
    p.image(black_box())
    img = render_preview(p.output)
    box = ink_box(img)
    top = box[1] - 8
    assert box == (8, top + 8, 56, top + 24)
    assert all(img.getpixel((x, top + y)) == 0 for x in (8, 30, 55) for y in (8, 15, 23))
    assert img.getpixel((4, top + 15)) == 255 and img.getpixel((60, top + 15)) == 255


def test_double_size_bold_and_alignment():
    """GIVEN double size, bold and centre alignment WHEN rendered THEN the text is big, heavy and centred."""
    normal = ink_box(render_preview(b"HH\n"))
    big = ink_box(render_preview(b"\x1b!\x30HH\n"))
    assert big[3] - big[1] >= 1.8 * (normal[3] - normal[1])
    assert big[2] - big[0] >= 1.8 * (normal[2] - normal[0])
    thin = render_preview(b"HH\n").histogram()[0]
    heavy = render_preview(b"\x1bE\x01HH\n").histogram()[0]
    assert heavy > thin
    centred = ink_box(render_preview(b"\x1ba\x01HH\n"))
    assert abs(centred[0] - (576 - centred[2])) <= 12
    right = ink_box(render_preview(b"\x1ba\x02HH\n"))
    assert right[2] > 560


def test_gs_size_multiplier():
    """GIVEN GS ! 0x33 (4x4) WHEN laid out THEN a character takes 4 cells: 12 of them wrap a line."""
    assert decode_text(b"\x1d!\x33" + b"X" * 13 + b"\n") == ["X" * 12, "X"]
    assert decode_text(b"x" * 50 + b"\n") == ["x" * 48, "xx"]


def test_cut_draws_dashed_line():
    """GIVEN a cut command WHEN rendered THEN a dashed line crosses the paper."""
    img = render_preview(b"\x1dV\x00")
    rows = [y for y in range(img.height) if img.getpixel((2, y)) == 0]
    assert rows, "no cut line"
    row = [img.getpixel((x, rows[0])) for x in range(576)]
    assert 0 in row and 255 in row


def test_command_span():
    """GIVEN commands with fixed, counted and declared lengths WHEN measured THEN spans are exact."""
    assert command_span(b"A") == (1, 0)
    assert command_span(b"\x1b") is None
    assert command_span(b"\x1bt\x13") == (3, 0)
    assert command_span(b"\x10\x04\x01") == (3, 0)
    assert command_span(b"\x1dV\x00") == (3, 0)
    assert command_span(b"\x1dVA") is None and command_span(b"\x1dVA\x03") == (4, 0)
    assert command_span(b"\x1dv0\x00\x02\x00\x03\x00") == (8, 6)
    assert command_span(b"\x1d(k\x0b\x001P0") == (5, 11)
    assert command_span(b"\x1dk\x04ABC\x00") == (7, 0)
    assert command_span(b"\x1dk\x00123\x00") == (7, 0)
    assert command_span(b"\x1dkI\x03123") == (4, 3)
    assert command_span(b"\x1b\xfe") == (2, 0)  # unknown: skip ESC and its letter only


def test_random_bytes_never_crash():
    """GIVEN thousands of random byte strings rich in command prefixes WHEN decoded/rendered THEN no crash."""
    rng = random.Random(20261)
    prefixes = [b"\x1b", b"\x1d", b"\x10", b"\x1c", b"\x1b!", b"\x1d!", b"\x1dv0", b"\x1d(k", b"\x1d(L",
                b"\x1b*", b"\x1dV", b"\x1bt", b"\x1bd", b"\x1dk", b"\x1bD", b"\x1d8L", b"\n"]
    for i in range(3000):
        parts = []
        for _ in range(rng.randint(0, 12)):
            if rng.random() < 0.5:
                parts.append(rng.choice(prefixes))
            parts.append(rng.randbytes(rng.randint(0, 24)))
        data = b"".join(parts)
        assert isinstance(decode_text(data), list)
        if i % 10 == 0:
            img = render_preview(data)
            assert img.width == 576 and img.height <= MAX_HEIGHT_PX


def test_absurd_sizes_are_bounded():
    """GIVEN huge feeds and huge declared images WHEN rendered THEN the picture stays bounded."""
    assert render_preview(b"\x1bd\xff" * 2000).height == MAX_HEIGHT_PX
    assert render_preview(b"\x1dv0\x00\xff\xff\xff\xff" + b"\xaa" * 1000).width == 576
    assert render_preview(b"").height > 0


def _row_runs(img: Image.Image) -> list[tuple[int, int]]:
    """(start, length) of every run of black dots along every row."""
    runs = []
    for y in range(img.height):
        row = [img.getpixel((x, y)) == 0 for x in range(img.width)]
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append((start, x - start))
            x += 1
    return runs


def test_smoothing_draws_enlarged_characters_without_steps():
    """GIVEN a character at 6x6 WHEN drawn without and with GS b 1 THEN without smoothing
    every edge is on the 6-dot grid (blocks), with smoothing it is not."""
    blocky = render_preview(b"\x1ba\x00\x1d!\x55A\n")
    smooth = render_preview(b"\x1ba\x00\x1d!\x55\x1db\x01A\n")
    assert all(start % 6 == 0 and length % 6 == 0 for start, length in _row_runs(blocky))
    off_grid = [r for r in _row_runs(smooth) if r[0] % 6 or r[1] % 6]
    assert len(off_grid) > 20
    assert abs(ink_box(smooth)[3] - ink_box(blocky)[3]) <= 6  # same baseline and size
