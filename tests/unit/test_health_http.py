"""The health endpoint's single-threaded HTTP loop (kiosk/health/http_loop.py) over real
loopback sockets: keep-alive and pipelining, HTTP/1.0, HEAD, malformed and oversized
requests, and the faults a slow or hostile client brings (half a request, a trickle,
an answer never read, more connections than the cap): none may hold up the others."""

from __future__ import annotations

import socket
import threading

import pytest

from kiosk.health import http_loop
from kiosk.health.http_loop import HttpLoop, Request, Response, listen
from tests.waiting import wait_for

TIMEOUT_S = 10.0  # generous: a loaded test machine; never a measure of speed


class Served:
    """An HttpLoop on a free loopback port, run by a thread for one test."""

    def __init__(self, handle=None, **options) -> None:
        self.requests: list[Request] = []
        self.loop = HttpLoop(listen("127.0.0.1", 0), handle or self.echo, **options)
        self.port = self.loop.server_address[1]
        self.thread = threading.Thread(target=self.loop.serve_forever, daemon=True)
        self.thread.start()

    def echo(self, request: Request) -> Response:
        self.requests.append(request)
        return Response(200, f"{request.method} {request.target}\n".encode(), "text/plain",
                        (("X-Client", request.client),))

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT_S)

    def close(self) -> None:
        self.loop.stop()
        self.thread.join(TIMEOUT_S)
        self.loop.close()


@pytest.fixture
def served():
    servers = []

    def start(handle=None, **options) -> Served:
        servers.append(Served(handle, **options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def read_answer(sock: socket.socket, pending: bytearray | None = None) -> tuple[bytes, bytes]:
    """(head, body) of one answer, by its Content-Length; what follows stays in pending."""
    data = pending if pending is not None else bytearray()
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {bytes(data)!r}")
        data += chunk
    end = data.index(b"\r\n\r\n")
    head = bytes(data[:end])
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(data) < end + 4 + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the body")
        data += chunk
    body = bytes(data[end + 4:end + 4 + length])
    del data[:end + 4 + length]
    return head, body


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed the connection (EOF or reset)."""
    try:
        return sock.recv(65536) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def get(server: Served, path: str = "/health") -> tuple[bytes, bytes]:
    with server.connect() as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        return read_answer(sock)


def test_an_answer_has_length_type_date_and_no_caching(served):
    server = served()
    head, body = get(server, "/metrics?x=1")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert body == b"GET /metrics?x=1\n"
    assert "Content-Type: text/plain" in lines and "Content-Length: 17" in lines
    assert "Cache-Control: no-store" in lines and "Server: kiosk-health" in lines
    assert "X-Client: 127.0.0.1" in lines
    assert any(line.startswith("Date: ") and line.endswith(" GMT") for line in lines)
    assert server.requests[0].path == "/metrics"


def test_keep_alive_pipelining_and_close(served):
    server = served()
    with server.connect() as sock:
        # two requests in one packet (pipelined), headers in any case, bare LF line ends
        sock.sendall(b"GET /a HTTP/1.1\r\nHOST: x\r\nauthorization: Bearer t\r\n\r\n"
                     b"GET /b HTTP/1.1\nHost: x\n\n")
        pending = bytearray()
        assert read_answer(sock, pending)[1] == b"GET /a\n"
        assert read_answer(sock, pending)[1] == b"GET /b\n"
        assert server.requests[0].headers["authorization"] == "Bearer t"
        sock.sendall(b"GET /c HTTP/1.1\r\nConnection: close\r\n\r\n")
        head, body = read_answer(sock, pending)
        assert body == b"GET /c\n" and b"Connection: close" in head
        assert wait_for(lambda: closed_by_server(sock), TIMEOUT_S)


def test_http_1_0_closes_unless_asked_to_keep_alive(served):
    server = served()
    with server.connect() as sock:
        sock.sendall(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert read_answer(sock)[1] == b"GET /a\n"
        sock.sendall(b"GET /b HTTP/1.0\r\n\r\n")
        head, body = read_answer(sock)
        assert body == b"GET /b\n" and b"Connection: close" in head
        assert wait_for(lambda: closed_by_server(sock), TIMEOUT_S)


def test_head_answers_without_a_body(served):
    server = served()
    with server.connect() as sock:
        sock.sendall(b"HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
        data = bytearray()
        while data.count(b"\r\n\r\n") < 2 or not data.endswith(b"GET /b\n"):
            data += sock.recv(65536)
        assert b"HEAD /a" not in data and b"Content-Length: 8\r\n" in data  # its length
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")


@pytest.mark.parametrize("request_line, status", [
    (b"GARBAGE\r\n\r\n", b"400"), (b"GET /a HTTP/2.0\r\n\r\n", b"505"),
    (b"GET /a FTP/1.1\r\n\r\n", b"400"), (b"GET /a HTTP/1.1\r\n folded\r\n\r\n", b"400"),
    (b"GET /a HTTP/1.1\r\nno colon\r\n\r\n", b"400")])
def test_malformed_requests_are_refused_and_closed(served, request_line, status):
    server = served()
    with server.connect() as sock:
        sock.sendall(request_line)
        head, body = read_answer(sock)
        assert head.startswith(b"HTTP/1.1 " + status) and b"Connection: close" in head
        assert b'"error"' in body
        assert wait_for(lambda: closed_by_server(sock), TIMEOUT_S)
    assert get(server)[0].startswith(b"HTTP/1.1 200")
    assert server.requests[-1].target == "/health"


def test_an_oversized_request_is_refused(served):
    server = served()
    with server.connect() as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\nX-Big: " + b"a" * (http_loop.MAX_REQUEST_BYTES + 10))
        head, _body = read_answer(sock)
        assert head.startswith(b"HTTP/1.1 431")
    assert server.requests == []


def test_a_request_with_a_body_ends_the_connection(served):
    """The endpoint reads no bodies: what follows the head must not be taken for the
    next request."""
    server = served()
    with server.connect() as sock:
        sock.sendall(b"POST /a HTTP/1.1\r\nContent-Length: 26\r\n\r\n"
                     b"GET /smuggled HTTP/1.1\r\n\r\n")
        head, body = read_answer(sock)
        assert body == b"POST /a\n" and b"Connection: close" in head
        assert wait_for(lambda: closed_by_server(sock), TIMEOUT_S)
    assert [r.target for r in server.requests] == ["/a"]


def test_a_failing_handler_answers_500_and_the_loop_goes_on(served):
    def handle(request: Request) -> Response:
        if request.path == "/boom":
            raise RuntimeError("a bug")
        return Response(200, b"fine", "text/plain")

    server = served(handle)
    assert get(server, "/boom")[0].startswith(b"HTTP/1.1 500")
    assert get(server, "/ok")[1] == b"fine"


def test_a_half_sent_request_does_not_hold_up_others(served):
    """A client that sends half a request line and waits: the loop never blocks on one
    connection, so other clients are answered meanwhile (a server that reads one
    connection at a time would hang here until the client's timeout)."""
    server = served(request_deadline_s=60.0)
    with server.connect() as slow:
        slow.sendall(b"GET /hea")
        assert wait_for(lambda: server.loop.open_connections == 1, TIMEOUT_S)
        for _ in range(3):
            assert get(server)[0].startswith(b"HTTP/1.1 200")
        slow.sendall(b"lth HTTP/1.1\r\n\r\n")  # and it is answered when it is whole
        assert read_answer(slow)[1] == b"GET /health\n"


def test_a_trickling_client_is_cut_off_at_the_deadline(served):
    """A client that sends a byte now and then, never a whole request (slowloris): its
    connection is closed once the request deadline has passed since its first byte,
    however often it sends."""
    server = served(request_deadline_s=1.0)
    sock = server.connect()
    sock.settimeout(0.05)
    closed = False
    try:
        for byte in (b"GET /health HTTP/1.1\r\nX-Slow: " + b"a" * 400):
            try:
                sock.send(bytes([byte]))
            except OSError:
                closed = True  # reset by the server
                break
            try:
                if sock.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass  # still open
            except OSError:
                closed = True
                break
    finally:
        sock.close()
    assert closed, "the server let a request trickle in for 400 x 50 ms or more"
    assert wait_for(lambda: server.loop.open_connections == 0, TIMEOUT_S)
    assert server.requests == []


def test_a_client_that_never_reads_its_answer_is_cut_off(served):
    """An answer too big for the socket buffers and a client that does not read it:
    the rest waits for the client without holding up others, until the write deadline."""
    big = b"x" * (16 * 1024 * 1024)
    server = served(lambda request: Response(200, big if request.path == "/big" else b"ok",
                                             "text/plain"), write_deadline_s=1.0)
    with server.connect() as stuck:
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.sendall(b"GET /big HTTP/1.1\r\n\r\n")
        assert get(server, "/small")[1] == b"ok"
        assert wait_for(lambda: server.loop.open_connections == 0, TIMEOUT_S)


def test_more_connections_than_the_cap_push_out_the_oldest_waiting(served):
    """At the connection cap, a new connection closes the oldest one that is still
    sending its request: a flood of slow clients cannot lock others out (here the
    deadline is far away, so only that makes room)."""
    server = served(request_deadline_s=120.0, max_connections=2)
    first, second = server.connect(), server.connect()
    try:
        first.sendall(b"GET /a")
        second.sendall(b"GET /b")
        assert wait_for(lambda: server.loop.open_connections == 2, TIMEOUT_S)
        assert get(server)[1] == b"GET /health\n"
        assert wait_for(lambda: closed_by_server(first), TIMEOUT_S)
        second.sendall(b" HTTP/1.1\r\n\r\n")  # the younger one is still served
        assert read_answer(second)[1] == b"GET /b\n"
    finally:
        first.close()
        second.close()
