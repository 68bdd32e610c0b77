"""ESC/POS to a printer character device such as /dev/usb/lp0 (the kernel's usblp
driver). Status is read back where the device allows it; a write-only device reports
no status rather than a guessed "online"."""

from __future__ import annotations

import errno
import os
import select

from kiosk.devices.printer.status import PrinterStatus, query_status
from kiosk.devices.printer.transports import DeviceBusy, TransportError, short_reason


class _FdPort:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.timeout = 0.05

    def write(self, data: bytes) -> int:
        return _write_all(self.fd, data, 1.0)

    def read(self, size: int = 1) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], self.timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, size)
        except BlockingIOError:
            return b""

    def reset_input_buffer(self) -> None:
        while select.select([self.fd], [], [], 0)[0]:
            try:
                if not os.read(self.fd, 256):
                    return
            except BlockingIOError:
                return


def _write_all(fd: int, data: bytes, timeout_s: float) -> int:
    view = memoryview(data)
    while view:
        _, ready, _ = select.select([], [fd], [], timeout_s)
        if not ready:
            raise TimeoutError(errno.ETIMEDOUT, "write timed out")
        sent = os.write(fd, view)
        view = view[sent:]
    return len(data)


class LpTransport:
    def __init__(self, device: str, write_timeout_s: float = 5.0) -> None:
        self.device = device
        self.write_timeout_s = write_timeout_s
        self.description = f"lp {device}"
        self._fd: int | None = None
        self._readable = True

    def _open(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.device, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)
                self._readable = True
            except PermissionError:
                # some setups grant write only: print, but say status is unknown
                self._fd = self._open_write_only()
            except OSError as err:
                if err.errno == errno.EBUSY:
                    raise DeviceBusy(f"device busy: {self.device}") from err
                raise TransportError(f"cannot open {self.device}: {short_reason(err)}") \
                    from err
        return self._fd

    def _open_write_only(self) -> int:
        try:
            fd = os.open(self.device, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as err:
            raise TransportError(f"cannot open {self.device}: {short_reason(err)}") from err
        self._readable = False
        return fd

    def write(self, data: bytes) -> None:
        fd = self._open()
        try:
            _write_all(fd, data, self.write_timeout_s)
        except OSError as err:
            self.close()
            raise TransportError(f"write to {self.device} failed: {short_reason(err)}") \
                from err

    def status(self) -> PrinterStatus | None:
        fd = self._open()
        if not self._readable:
            return None
        try:
            return query_status(_FdPort(fd))
        except OSError as err:
            self.close()
            raise TransportError(f"status from {self.device} failed: {short_reason(err)}") \
                from err

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
