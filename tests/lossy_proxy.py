"""A TCP proxy for HTTP/1.1 between a client and a real server that can lose answers:
the request reaches the server (which acts on it), the answer is thrown away and the
client's connection closed, as when the network drops after the server committed."""

from __future__ import annotations

import socket
import threading


def _read_message(sock: socket.socket, buffer: bytearray) -> bytes | None:
    """One HTTP message (headers + Content-Length body) from sock; None at EOF."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head_end = buffer.index(b"\r\n\r\n") + 4
    length = 0
    for line in bytes(buffer[:head_end]).split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(buffer) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    message = bytes(buffer[:head_end + length])
    del buffer[:head_end + length]
    return message


class LossyProxy:
    """`with LossyProxy(port) as proxy:` proxy.url; proxy.lose(n) loses the next n
    answers; proxy.forwarded counts the requests that reached the server."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._to_lose = 0
        self._lock = threading.Lock()
        self.forwarded = 0
        self._stop = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lose(self, n: int) -> None:
        with self._lock:
            self._to_lose = n

    def __enter__(self) -> "LossyProxy":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        from_client, from_server = bytearray(), bytearray()
        try:
            while True:
                request = _read_message(client, from_client)
                if request is None:
                    return
                upstream.sendall(request)
                answer = _read_message(upstream, from_server)
                with self._lock:
                    self.forwarded += 1
                    lost = self._to_lose > 0
                    if lost:
                        self._to_lose -= 1
                if answer is None or lost:
                    return  # the server has acted; the client hears nothing
                client.sendall(answer)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()
