"""Measurement 5: bytes on the wire for one walk-in ticket, and what they cost in time.

What: `kiosk.devices.printer.render.render_document(TicketService.document(issued),
PROFILES["TM-T88V"])` for a German visitor's ticket with the reference QR code (demo
configuration, service "anmeldung", issued through TicketService on a temporary store).

Against, in the same run, the same content through stock python-escpos calls on
`Dummy(profile="TM-T88V")`: set() + text() per line, qr() with its default (an image),
cut(); and the same with qr(native=True). The Arabic and Persian visitors' tickets (their
visitor-language lines are raster images: one 1-bit image per line, cropped to its ink),
with their raster line count and what the images would take if cropped further to the
rows/columns that carry ink (0 B to gain when the renderer crops). For information: the
Romanian ticket (ș/ț as CP852's ş/ţ, no raster).

Transfer time = bytes x 10 bits / baud, at 9600 and 115200 baud. Also the CPU time to
render each (median of 50 renders in this process).
Targets: the German ticket with QR <= 256 bytes; Arabic and Persian <= 3,000 bytes.
Before the one-image-per-line rasters (commit d05d996, measured with this script):
German 219 B, Arabic 9,081 B, Persian 10,169 B, Romanian 5,345 B (two raster lines for
ș/ț); after: German 245 B (GS b and the QR caption added), Arabic 2,097 B, Persian
2,388 B, Romanian 301 B. Worst case in the unit tests (longest service names): about
2,700 B.
Run: .venv/bin/python bench/bench_ticket_bytes.py
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
    docs = {lang: service.document(service.issue("anmeldung", lang))
            for lang in ("de", "ar", "fa", "ro")}
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

    def kiosk(lang):
        return lambda: render_document(docs[lang], profile)

    # (label, render, target in bytes or None)
    cases = [
        ("kiosk `render_document`, German, native QR", kiosk("de"), 256),
        ("stock python-escpos, German, default image `qr()`", stock(docs["de"], False), None),
        ("stock python-escpos, German, `qr(native=True)`", stock(docs["de"], True), None),
        ("kiosk `render_document`, Arabic visitor", kiosk("ar"), 3000),
        ("kiosk `render_document`, Persian visitor", kiosk("fa"), 3000),
        ("kiosk `render_document`, Romanian visitor (info)", kiosk("ro"), None),
    ]
    rows, sizes = [], {}
    for label, render, target in cases:
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
        rows.append(row("5 ticket bytes", label, result, f"<= {target:,} B" if target else "—",
                        verdict(len(data) <= target) if target else "—"))
    notes = ["ticket bytes: German ticket = office, service (de), number (size 6, smoothed), "
             "date/time, people ahead, estimate, 'watch the display', QR of the ticket's "
             "reference with its caption, cut; the stock variants send the same lines with "
             "set()/text(); other languages add the service in the visitor's language"]
    emit(rows, notes)


if __name__ == "__main__":
    main()
