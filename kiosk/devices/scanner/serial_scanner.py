"""Serial (CDC-ACM) barcode/QR scanner: a worker thread turns terminated lines into scans.

The port is opened through ``serial.serial_for_url`` so a pty or ``socket://`` can
stand in; a lost device is reopened with backoff.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from serial import SerialBase

from kiosk.devices.reconnect import (
    PORT_ERRORS,
    Backoff,
    LinkStatus,
    SerialWorker,
)
from kiosk.devices.scanner.events import (
    RejectCallback,
    ScanCallback,
    ScanRejected,
    ScanSink,
)
from kiosk.devices.scanner.validate import validate_payload

logger = logging.getLogger(__name__)

_CR, _LF = 0x0D, 0x0A

class LineSplitter:
    """Splits a byte stream at ``terminator``, CR, LF or CR LF, with a bounded buffer.

    Yields complete lines (bytes, terminator removed) or ScanRejected.TOO_LONG once
    for a line that outgrew the buffer; the rest of such a line is discarded up
    to its terminator.
    """

    def __init__(self, terminator: bytes = b"\r", max_bytes: int = 2048) -> None:
        if not terminator:
            raise ValueError("terminator must not be empty")
        self.terminator = terminator
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._discarding = False
        self._after_cr = False

    def reset(self) -> None:
        self._buffer.clear()
        self._discarding = False
        self._after_cr = False

    def feed(self, data: bytes) -> Iterator[bytes | ScanRejected]:
        for byte in data:
            if byte == _LF and self._after_cr:
                self._after_cr = False  # second half of CR LF
                continue
            self._after_cr = byte == _CR
            if byte in (_CR, _LF):
                yield from self._end_line()
                continue
            self._buffer.append(byte)
            if self._buffer.endswith(self.terminator):
                del self._buffer[-len(self.terminator):]
                yield from self._end_line()
            elif self._discarding:
                del self._buffer[: -len(self.terminator)]  # just enough to spot the terminator
            elif len(self._buffer) > self.max_bytes:
                self._buffer.clear()
                self._discarding = True

    def _end_line(self) -> Iterator[bytes | ScanRejected]:
        if self._discarding:
            self._discarding = False
            self._buffer.clear()
            yield ScanRejected.TOO_LONG
            return
        line = bytes(self._buffer)
        self._buffer.clear()
        yield line


class SerialScanner(SerialWorker):
    """One serial scanner; ``on_scan`` / ``on_reject`` run on its worker thread."""

    _error_text_is_safe = False  # an error message could quote a scanned payload

    def __init__(
        self,
        url: str,
        baudrate: int = 9600,
        terminator: bytes = b"\r",
        max_length: int = 512,
        on_scan: ScanCallback | None = None,
        on_reject: RejectCallback | None = None,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 5.0,
        name: str = "scanner",
        encoding: str = "utf-8",
        read_timeout_s: float = 0.2,
    ) -> None:
        self.url = url
        self.name = name
        self.max_length = max_length
        self.encoding = encoding
        self.sink = ScanSink(name, on_scan, on_reject)
        self._port_kwargs: dict = dict(baudrate=baudrate, timeout=read_timeout_s)
        if "://" not in url:
            self._port_kwargs["exclusive"] = True
        # The buffer bound is in bytes: a character takes at most 4 of them.
        self._splitter = LineSplitter(terminator, max_bytes=4 * max_length)
        self._backoff = Backoff(reconnect_min_s, reconnect_max_s)
        self._status = LinkStatus(name)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._read_timeout_s = read_timeout_s

    def _join_timeout_s(self) -> float:
        return self._read_timeout_s + 5.0

    def feed(self, data: bytes) -> None:
        """Process received bytes (the worker's path; also usable without a port)."""
        for item in self._splitter.feed(data):
            if isinstance(item, ScanRejected):
                self.sink.reject(item)
                continue
            result = validate_payload(item, self.max_length, self.encoding)
            if isinstance(result, ScanRejected):
                self.sink.reject(result, len(item))
            else:
                self.sink.accept(result)

    def _run(self) -> None:
        port: SerialBase | None = None
        confirmed = False
        try:
            while not self._stop.is_set():
                if port is None:
                    port = self._open()
                    if port is None:
                        self._stop.wait(self._backoff.next_delay())
                        continue
                    self._splitter.reset()  # half a line from before the outage is no scan
                    confirmed = False
                try:
                    data = port.read(1)  # waits up to read_timeout_s, then the stop flag is checked
                    if data:
                        data += port.read(port.in_waiting)
                except PORT_ERRORS as err:
                    self._lost(port, err)
                    port = None
                    continue
                if not confirmed:
                    confirmed = True
                    self._confirm()
                if data:
                    self.feed(data)
        finally:
            if port is not None:
                self._close_port(port)
