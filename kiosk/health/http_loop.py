"""The health endpoint's HTTP/1.1 server: one thread running one selectors loop over
non-blocking sockets, so a request costs a handful of system calls and no thread, parser
object or buffered file. Requests are bounded in size and time (a slow or silent client
is cut off, never waited for) and the number of open connections is capped."""

from __future__ import annotations

import errno
import json
import logging
import selectors
import socket
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import NamedTuple

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 8192  # request line and headers; the endpoint reads no bodies
REQUEST_DEADLINE_S = 10.0  # a request must be whole this long after its first byte
IDLE_S = 30.0  # a keep-alive connection without a new request is closed after this
WRITE_DEADLINE_S = 10.0  # a client that does not read its answer is cut off after this
MAX_CONNECTIONS = 256  # at this many, a new connection closes the oldest idle or slow one
# (one more while every open one is being answered; then no accepting until one closes)
LISTEN_QUEUE = 128  # a burst of scrapes waits in the kernel, not refused or SYN-retried
SWEEP_S = 0.25  # how often deadlines are checked (and the loop's tick runs)
DEFER_ACCEPT_S = 5  # Linux hands over a connection once its first bytes are there
ACCEPT_BATCH = 64  # connections accepted per wake-up before the others get a turn
RECV_BYTES = 16384


class Request(NamedTuple):
    method: str
    target: str
    version: str
    headers: dict[str, str]  # lower-case names; the first value of a repeated header
    client: str  # the peer's address

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class Response(NamedTuple):
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


Handler = Callable[[Request], Response]


def listen(bind: str, port: int, family: int = socket.AF_INET) -> socket.socket:
    """A listening TCP socket; OSError when the address is taken or not ours."""
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((bind, port))
        listener.listen(LISTEN_QUEUE)
    except OSError:
        listener.close()
        raise
    defer = getattr(socket, "TCP_DEFER_ACCEPT", None)
    if defer is not None:
        try:  # a connection that sends nothing never wakes the loop (and costs no slot)
            listener.setsockopt(socket.IPPROTO_TCP, defer, DEFER_ACCEPT_S)
        except OSError:
            pass
    return listener


class _Connection:
    __slots__ = ("sock", "client", "inbox", "outbox", "keep_alive", "deadline", "idle",
                 "events", "closed")

    def __init__(self, sock: socket.socket, client: str, deadline: float) -> None:
        self.sock, self.client, self.deadline = sock, client, deadline
        self.inbox = bytearray()
        self.outbox: memoryview | None = None  # the unsent rest of an answer
        self.keep_alive = False
        self.idle = False  # between requests of a keep-alive connection
        self.events = 0  # what the selector watches for (0: not registered)
        self.closed = False


class HttpLoop:
    """Serves `handle(request) -> Response` on `listener` until stop(); one thread.
    Every answer has a Content-Length (keep-alive works) and `Cache-Control: no-store`;
    a HEAD answer has no body."""

    def __init__(self, listener: socket.socket, handle: Handler, *,
                 request_deadline_s: float = REQUEST_DEADLINE_S, idle_s: float = IDLE_S,
                 write_deadline_s: float = WRITE_DEADLINE_S,
                 max_connections: int = MAX_CONNECTIONS, server_name: str = "kiosk-health",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.listener, self.handle, self.clock = listener, handle, clock
        self.request_deadline_s, self.idle_s = request_deadline_s, idle_s
        self.write_deadline_s, self.max_connections = write_deadline_s, max_connections
        self._server_line = f"Server: {server_name}\r\n"
        listener.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, None)
        self._accepting = True
        self._resume_at = 0.0  # after an accept error (e.g. out of file descriptors)
        self._open: dict[_Connection, None] = {}  # oldest first
        self._stopping = False
        self._date_at, self._date_line = -1, ""

    @property
    def server_address(self) -> tuple:
        return self.listener.getsockname()

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def serve_forever(self, tick: Callable[[], None] | None = None) -> None:
        """Run until stop(); `tick` runs every SWEEP_S or so, between requests."""
        next_sweep = self.clock() + SWEEP_S
        while not self._stopping:
            for key, mask in self.selector.select(max(0.0, next_sweep - self.clock())):
                conn = key.data
                try:
                    if conn is None:
                        self._accept()
                    elif mask & selectors.EVENT_WRITE:
                        self._write(conn)
                    else:
                        self._read(conn)
                except Exception:  # noqa: BLE001 - a bug here costs one connection, not all
                    log.exception("health: connection handling failed")
                    if conn is not None:
                        self._close(conn)
            now = self.clock()
            if now >= next_sweep:
                next_sweep = now + SWEEP_S
                self._sweep(now)
                if tick is not None:
                    tick()

    def stop(self) -> None:
        """Ask serve_forever to return (within SWEEP_S; from any thread)."""
        self._stopping = True

    def close(self) -> None:
        for conn in list(self._open):
            self._close(conn)
        if self._accepting:
            self.selector.unregister(self.listener)
            self._accepting = False
        self.listener.close()
        self.selector.close()

    # -- connections -------------------------------------------------------------------

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            if not self._accepting:
                return
            try:
                sock, address = self.listener.accept()
            except BlockingIOError:
                return
            except OSError as err:
                if err.errno == errno.ECONNABORTED:
                    continue  # the client gave up while queued
                # out of file descriptors or buffers: the listen queue holds the rest
                log.warning("health: cannot accept a connection (%s)",
                            err.strerror or err)
                self._pause_accepting(self.clock() + SWEEP_S)
                return
            if len(self._open) >= self.max_connections and not self._evict():
                # every one is being answered: take this one, then wait for one to close
                self._pause_accepting(0.0)
            sock.setblocking(False)
            try:  # answers go out at once, not after Nagle's wait for an ACK
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            conn = _Connection(sock, str(address[0]), self.clock() + self.request_deadline_s)
            self._open[conn] = None
            self._read(conn)  # usually the request is there already (TCP_DEFER_ACCEPT)

    def _evict(self) -> bool:
        """Close the oldest connection that is not being answered (a keep-alive one
        between requests, or one still sending its request): a flood of slow clients
        pushes out the slowest, not the next one, whose request is already here."""
        for conn in self._open:
            if conn.outbox is None:
                self._close(conn)
                return True
        return False

    def _pause_accepting(self, resume_at: float) -> None:
        if self._accepting:
            self.selector.unregister(self.listener)
            self._accepting = False
        self._resume_at = resume_at

    def _maybe_resume(self, now: float) -> None:
        if (not self._accepting and len(self._open) < self.max_connections
                and now >= self._resume_at and not self._stopping):
            self.selector.register(self.listener, selectors.EVENT_READ, None)
            self._accepting = True

    def _watch(self, conn: _Connection, events: int) -> None:
        if conn.events == events:
            return
        if conn.events:
            self.selector.modify(conn.sock, events, conn)
        else:
            self.selector.register(conn.sock, events, conn)
        conn.events = events

    def _close(self, conn: _Connection) -> None:
        if conn.closed:
            return
        conn.closed = True
        if conn.events:
            self.selector.unregister(conn.sock)
            conn.events = 0
        conn.sock.close()
        self._open.pop(conn, None)
        if not self._accepting:
            self._maybe_resume(self.clock())

    def _sweep(self, now: float) -> None:
        for conn in [c for c in self._open if now >= c.deadline]:
            self._close(conn)  # too slow to send its request or to read its answer
        self._maybe_resume(now)

    # -- reading and answering -----------------------------------------------------------

    def _read(self, conn: _Connection) -> None:
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            self._watch(conn, selectors.EVENT_READ)
            return
        except OSError:
            self._close(conn)
            return
        if not data:  # the client closed its side
            self._close(conn)
            return
        if conn.idle:  # the first bytes of the next request on a kept-alive connection
            conn.idle = False
            conn.deadline = self.clock() + self.request_deadline_s
        conn.inbox += data
        self._serve(conn)

    def _serve(self, conn: _Connection) -> None:
        """Answer every whole request in the inbox, one after the other (pipelining)."""
        while not conn.closed and conn.outbox is None:
            inbox = conn.inbox
            while inbox[:1] in (b"\r", b"\n"):  # blank lines before a request (RFC 9112)
                del inbox[:1]
            end, gap = _end_of_head(inbox)
            if end < 0 or end > MAX_REQUEST_BYTES:
                if len(inbox) > MAX_REQUEST_BYTES:
                    self._fail(conn, 431, "request header too large")
                else:
                    self._watch(conn, selectors.EVENT_READ)
                return
            head = bytes(inbox[:end])
            del inbox[:end + gap]
            self._answer(conn, head)

    def _answer(self, conn: _Connection, head: bytes) -> None:
        parsed = _parse(head)
        if len(parsed) == 2:
            self._fail(conn, *parsed)
            return
        method, target, version, headers = parsed
        tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
        keep = ("keep-alive" in tokens) if version == "HTTP/1.0" else ("close" not in tokens)
        if headers.get("content-length", "0").strip() != "0" or "transfer-encoding" in headers:
            keep = False  # a body is never read: the connection ends with this answer
        try:
            response = self.handle(Request(method, target, version, headers, conn.client))
        except Exception:  # noqa: BLE001 - one broken answer must not end the server
            log.exception("health: answering %s failed", target.split("?", 1)[0][:100])
            response, keep = _error(500, "internal error"), False
        self._send(conn, self._encode(response, keep, method == "HEAD"), keep)

    def _fail(self, conn: _Connection, status: int, message: str) -> None:
        conn.inbox.clear()
        self._send(conn, self._encode(_error(status, message), False, False), False)

    def _encode(self, response: Response, keep: bool, head_only: bool) -> bytes:
        status, body, content_type, extra = response
        now = int(time.time())
        if now != self._date_at:  # one Date line per second, not one per request
            self._date_at = now
            self._date_line = f"Date: {formatdate(now, usegmt=True)}\r\n"
        head = (f"HTTP/1.1 {status} {_phrase(status)}\r\n{self._server_line}"
                f"{self._date_line}Content-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
                + "".join(f"{name}: {value}\r\n" for name, value in extra)
                + ("" if keep else "Connection: close\r\n") + "\r\n").encode("latin-1")
        return head if head_only else head + body

    def _send(self, conn: _Connection, data: bytes, keep: bool) -> None:
        conn.keep_alive = keep
        try:
            sent = conn.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._close(conn)
            return
        if sent < len(data):  # the rest when the client reads, or never after the deadline
            conn.outbox = memoryview(data)[sent:]
            conn.deadline = self.clock() + self.write_deadline_s
            self._watch(conn, selectors.EVENT_WRITE)
            return
        self._sent(conn)

    def _write(self, conn: _Connection) -> None:
        try:
            sent = conn.sock.send(conn.outbox)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        conn.outbox = conn.outbox[sent:]
        if len(conn.outbox):
            return
        self._sent(conn)
        self._serve(conn)  # a request that came in behind this answer

    def _sent(self, conn: _Connection) -> None:
        conn.outbox = None
        if not conn.keep_alive:
            self._close(conn)
            return
        conn.idle = not conn.inbox
        conn.deadline = self.clock() + (self.idle_s if conn.idle else self.request_deadline_s)


def _end_of_head(inbox: bytearray) -> tuple[int, int]:
    """(index, length) of the blank line ending the request head; (-1, 0) if none yet.
    A bare LF is accepted as a line end, as most servers do."""
    crlf, lf = inbox.find(b"\r\n\r\n"), inbox.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf, 4
    return (lf, 2) if lf >= 0 else (-1, 0)


def _parse(head: bytes) -> tuple[str, str, str, dict[str, str]] | tuple[int, str]:
    """(method, target, version, headers) of a request head, or (status, why) for a
    malformed one."""
    lines = head.decode("latin-1").split("\n")
    parts = lines[0].rstrip("\r").split(" ")
    if len(parts) != 3 or not all(parts):
        return 400, "malformed request line"
    method, target, version = parts
    if not version.startswith("HTTP/") or len(version) != 8 or version[6] != ".":
        return 400, "malformed request line"
    if version[5] != "1":
        return 505, "only HTTP/1.x is served"
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.rstrip("\r").partition(":")
        if not colon or not name or name != name.strip():
            return 400, "malformed header line"
        headers.setdefault(name.lower(), value.strip())
    return method, target, version, headers


def _error(status: int, message: str) -> Response:
    body = (json.dumps({"error": message}) + "\n").encode()
    return Response(status, body, "application/json; charset=utf-8")


_PHRASES = {status.value: status.phrase for status in HTTPStatus}


def _phrase(status: int) -> str:
    return _PHRASES.get(status, "Unknown")
