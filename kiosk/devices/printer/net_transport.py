"""ESC/POS over TCP (port 9100, "raw"/JetDirect), with connect, write and status
timeouts. Network printers answer DLE EOT on the same socket."""

from __future__ import annotations

import socket

from kiosk.devices.printer.status import PrinterStatus, query_status
from kiosk.devices.printer.transports import TransportError, short_reason


class _SocketPort:
    """The small pyserial-like surface query_status needs, over a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.timeout = 0.05

    def write(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def read(self, size: int = 1) -> bytes:
        self.sock.settimeout(self.timeout)
        try:
            return self.sock.recv(size)
        except (socket.timeout, BlockingIOError):
            return b""

    def reset_input_buffer(self) -> None:
        self.sock.setblocking(False)
        try:
            while self.sock.recv(256):
                pass
        except (BlockingIOError, OSError):
            pass
        finally:
            self.sock.setblocking(True)


class NetworkTransport:
    def __init__(self, host: str, port: int = 9100, connect_timeout_s: float = 3.0,
                 write_timeout_s: float = 5.0) -> None:
        self.host, self.port = host, port
        self.connect_timeout_s, self.write_timeout_s = connect_timeout_s, write_timeout_s
        self.description = f"network {host}:{port}"
        self._sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        if self._sock is None:
            try:
                sock = socket.create_connection((self.host, self.port),
                                                timeout=self.connect_timeout_s)
            except (OSError, OverflowError, ValueError) as err:  # also a port out of range
                raise TransportError(f"cannot connect to {self.host}:{self.port}: "
                                     f"{short_reason(err)}") from err
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
        return self._sock

    def write(self, data: bytes) -> None:
        sock = self._connect()
        try:
            sock.settimeout(self.write_timeout_s)
            sock.sendall(data)
        except OSError as err:
            self.close()
            raise TransportError(f"write to {self.host}:{self.port} failed: "
                                 f"{short_reason(err)}") from err

    def status(self) -> PrinterStatus | None:
        sock = self._connect()
        try:
            return query_status(_SocketPort(sock))
        except OSError as err:
            self.close()
            raise TransportError(f"status from {self.host}:{self.port} failed: "
                                 f"{short_reason(err)}") from err

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
