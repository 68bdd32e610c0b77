"""A network printer on 127.0.0.1: accepts ESC/POS on a TCP port like port 9100 of a
real printer, answers DLE EOT with status bytes, records the jobs."""

from __future__ import annotations

import socket
import threading


class TcpPrinter:
    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)  # before the thread starts: close() may come at once
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.status_byte = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
        self.silent = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(4096)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                for n in (1, 2, 3, 4):
                    request = b"\x10\x04" + bytes([n])
                    if request in chunk:
                        chunk = chunk.replace(request, b"")
                        if not self.silent:
                            conn.sendall(bytes([self.status_byte[n]]))
                self.received += chunk

    def close(self) -> None:
        self._stop.set()
        self.server.close()
        self._thread.join(2)
