"""Measurement 5: bytes on the wire for one walk-in ticket, and what they cost in time.

What: `kiosk.devices.printer.render.render_document(TicketService.document(issued),
PROFILES["TM-T88V"])` for a German visitor's ticket with the reference QR code (demo
configuration, service "anmeldung", issued through TicketService on a temporary store).

Against, in the same run, the same content through stock python-escpos calls on
`Dummy(profile="TM-T88V")`: set() + text() per line, qr() with its default (an image),
cut(); and the same with qr(native=True). For information: the Arabic visitor's ticket
(its visitor-language lines are raster images), with its raster line count and what
its images would take if cropped to the rows/columns that carry ink (an estimate of
what full-width rasters cost; the kiosk does not crop).

Transfer time = bytes x 10 bits / baud, at 9600 and 115200 baud. Also the CPU time to
render each (median of 50 renders in this process).
Target: the German ticket with QR <= 256 bytes.
Run: /work/venv/bin/python bench/bench_ticket_bytes.py
"""

from __future__ import annotations

import contextlib
import io
import struct
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import emit, log, median, row, stock_escpos_ticket, verdict

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
RENDERS = 50


def issued_documents(tmp: Path):
    from kiosk.services.issue_ticket import TicketService
    from kiosk.store.sqlite import SqliteStore

    from _common import demo_config

    config = demo_config(tmp)
    store = SqliteStore(tmp / "bytes.sqlite3", terminal_id="bench")
    service = TicketService(config, store, None, clock=lambda: NOW, min_interval_s=0)
    docs = {lang: service.document(service.issue("anmeldung", lang)) for lang in ("de", "ar")}
    store.close()
    return docs


def raster_stats(data: bytes) -> tuple[int, int, int, int]:
    """(GS v 0 raster images, raster lines, raster bytes, raster bytes if each image were
    cropped to the rows and byte columns that hold ink) in an ESC/POS byte string."""
    images = rows = raw = cropped = 0
    i = data.find(b"\x1dv0")
    while i >= 0:
        _mode, width_bytes, height = struct.unpack_from("<BHH", data, i + 3)
        body = data[i + 8:i + 8 + width_bytes * height]
        images += 1
        rows += height
        raw += 8 + len(body)
        ink_rows = [r for r in range(height) if any(body[r * width_bytes:(r + 1) * width_bytes])]
        ink_cols = [c for c in range(width_bytes)
                    if any(body[r * width_bytes + c] for r in ink_rows)]
        if ink_rows:
            cropped += 8 + (ink_rows[-1] - ink_rows[0] + 1) * (ink_cols[-1] - ink_cols[0] + 1)
        i = data.find(b"\x1dv0", i + 8 + width_bytes * height)
    return images, rows, raw, cropped


def timed(render) -> tuple[bytes, float]:
    out = render()
    times = []
    for _ in range(RENDERS):
        t0 = time.perf_counter()
        render()
        times.append(time.perf_counter() - t0)
    return out, median(times)


def main() -> None:
    from kiosk.devices.printer.escpos_compat import _escpos_printer as escpos_printer
    from kiosk.devices.printer.profiles import PROFILES
    from kiosk.devices.printer.render import render_document

    profile = PROFILES["TM-T88V"]
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-bytes-") as tmp:
        docs = issued_documents(Path(tmp))

    def stock(doc, native):
        def render():
            printer = escpos_printer.Dummy(profile="TM-T88V")
            with contextlib.redirect_stdout(io.StringIO()):  # the library may print warnings
                stock_escpos_ticket(printer, doc, native_qr=native)
            return printer.output
        return render

    cases = [
        ("kiosk `render_document`, German, native QR", lambda: render_document(docs["de"], profile),
         True),
        ("stock python-escpos, German, default image `qr()`", stock(docs["de"], False), False),
        ("stock python-escpos, German, `qr(native=True)`", stock(docs["de"], True), False),
        ("kiosk `render_document`, Arabic visitor (info)",
         lambda: render_document(docs["ar"], profile), False),
    ]
    rows, sizes = [], {}
    for label, render, is_target in cases:
        data, cpu = timed(render)
        sizes[label] = len(data)
        images, lines, raw, cropped = raster_stats(data)
        raster = (f"; {images} raster images, {lines} raster lines = {raw:,} B; the same "
                  f"images cropped to their ink would be {cropped:,} B "
                  f"({(len(data) - raw + cropped):,} B ticket)") if images else ""
        result = (f"{len(data):,} B; wire {len(data) * 10 / 9600 * 1000:,.0f} ms @ 9600, "
                  f"{len(data) * 10 / 115200 * 1000:,.1f} ms @ 115200; render CPU "
                  f"{cpu * 1000:.2f} ms{raster}")
        log(f"[bytes] {label}: {result}")
        rows.append(row("5 ticket bytes", label, result, "<= 256 B" if is_target else "—",
                        verdict(len(data) <= 256) if is_target else "—"))
    notes = ["ticket bytes: German ticket = office, service (de), number (size 6), date/time, "
             "people ahead, estimate, 'watch the display', QR of the ticket's reference, "
             "cut; the stock variants send the same lines with set()/text()"]
    emit(rows, notes)


if __name__ == "__main__":
    main()
