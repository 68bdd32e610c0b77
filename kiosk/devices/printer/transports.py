"""Byte transports to a ticket printer: serial (any pyserial URL) and file. The only
module of the printer that opens devices; protocols and rendering live elsewhere."""

from __future__ import annotations

import errno
import logging
import os
import time
from pathlib import Path
from typing import Protocol

import serial

from kiosk.devices.printer.status import PrinterStatus, query_status
from kiosk.devices.reconnect import PORT_ERRORS

log = logging.getLogger(__name__)

NO_PERMISSION = "no permission: is the udev rule installed?"


class TransportError(Exception):
    """The printer could not be reached; `reason` is short and has no personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeviceBusy(TransportError):
    pass


class PrinterTransport(Protocol):
    description: str

    def write(self, data: bytes) -> None: ...

    def status(self) -> PrinterStatus | None:
        """The printer's real-time status, or None when the transport cannot ask."""

    def close(self) -> None: ...


class FileTransport:
    """Appends raw ESC/POS bytes to a file (demo, tests, or a spool for another tool)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.description = f"file {self.path}"

    def write(self, data: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as err:
            raise TransportError(f"cannot write {self.path}: {err.strerror}") from err

    def status(self) -> PrinterStatus | None:
        return None

    def close(self) -> None:
        pass


class SerialTransport:
    """A serial printer through `serial_for_url`, so a pty, socket:// or spy:// can
    stand in. Opened exclusively: a second process gets 'device busy', never mixed bytes."""

    def __init__(self, url: str, baudrate: int = 9600, flow_control: str = "none",
                 write_timeout_s: float = 5.0, parity: str = "N") -> None:
        self.url, self.baudrate, self.flow_control = url, baudrate, flow_control
        self.parity = parity
        self.write_timeout_s = write_timeout_s
        self.description = f"serial {url} @ {baudrate}"
        self._port: serial.SerialBase | None = None
        self._sent_until = 0.0  # monotonic time the last job has left the wire

    def _open(self) -> serial.SerialBase:
        if self._port is not None and self._port.is_open:
            return self._port
        try:
            port = serial.serial_for_url(self.url, do_not_open=True)
            port.baudrate = self.baudrate
            port.parity = self.parity
            port.rtscts = self.flow_control == "rtscts"
            port.dsrdtr = self.flow_control == "dsrdtr"
            port.write_timeout = self.write_timeout_s
            port.timeout = 0.05
            if "://" not in self.url:
                port.exclusive = True
            port.open()
        except (*PORT_ERRORS, ValueError) as err:  # ValueError: an unknown URL scheme
            text = str(err)
            if "exclusively lock" in text or "Resource temporarily unavailable" in text:
                raise DeviceBusy(f"device busy: {self.url} is held by another process") from err
            raise TransportError(f"cannot open {self.url}: {short_reason(err)}") from err
        self._port = port
        return port

    def write(self, data: bytes) -> None:
        port = self._open()
        # a long raster ticket at 9600 baud needs longer than the configured timeout:
        # allow its wire time with a margin, so a slow line is not taken for a dead one
        wire_s = len(data) * 10 / self.baudrate
        needed = max(self.write_timeout_s, wire_s * 1.5 + 1.0)
        started = time.monotonic()
        try:
            if port.write_timeout != needed:
                port.write_timeout = needed  # reconfigures the port: may fail like open
            port.write(data)
            port.flush()
        except PORT_ERRORS as err:
            self.close()
            raise TransportError(f"write to {self.url} failed: {short_reason(err)}") from err
        # flush() waits for the UART on real ports but returns at once on a pty or a
        # USB adapter's buffer: a status request sent now would queue behind the job
        # and look like silence. 10 bits per byte on the wire.
        # counted from the start of the write: a write that blocked already waited
        self._sent_until = started + wire_s

    def status(self) -> PrinterStatus | None:
        port = self._open()
        wait = self._sent_until - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            return query_status(port)
        except PORT_ERRORS as err:
            self.close()
            raise TransportError(f"status from {self.url} failed: {short_reason(err)}") from err

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except PORT_ERRORS:
                pass


def short_reason(err: Exception) -> str:
    """One line for a status; a permission error names its usual cure."""
    if getattr(err, "errno", None) in (errno.EACCES, errno.EPERM):
        return NO_PERMISSION
    text = getattr(err, "strerror", None) or str(err)
    return text.splitlines()[0][:120]
