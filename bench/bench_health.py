"""Issue 11 items 3-4: the IT health endpoint under load while the UI runs a visit loop.

What: a child process runs the real KioskApp headless (demo configuration, 1920x1080,
printer to a file, a fresh SQLite store, the real snapshot writer and UI heartbeat) and
drives a visit loop through Kivy's input path (English -> a service -> the ticket ->
start over), asking for a redraw every loop iteration (Kivy caps at 60 fps). The health
server runs as in `kiosk run`: a separate process started by the app, reading state.json.
A load generator (its own process: one thread, one selector over non-blocking sockets,
so it takes little of the CPU the UI shares) sends --rate requests/s, a new TCP
connection each, open loop (latency counted from the request's scheduled time, so a
stall is not hidden),
in blocks of BLOCK_S s of load and BLOCK_S s of none (the visit loop runs at its
own pace, not tied to the blocks), --duration s of load in all: the
frame rate under load is compared with the idle blocks between them, so the other work
on a shared machine drifts into both alike. In this order, in the same run:
  1. separate process (ours): GET /health and GET /metrics alternating;
  2. in-process alternative: prometheus_client.start_http_server inside the UI process
     with the same collector over the same snapshot, GET /metrics;
  3. separate process with the UI loop paused (nothing drawn, one block of --duration):
     what the server answers when it does not compete with the UI for the CPU.
Reported: p50/p99 latency per path and variant, the UI's drawn frames per second in
the load blocks against the idle blocks of the same phase, and the generator's own CPU
per request (info; bench_health_cpu.py compares it across commits).
Targets: p99 <= 20 ms (separate process), UI frame rate under load >= 0.9x idle.
Run: .venv/bin/python bench/bench_health.py [--duration S] [--rate N] [--only-ours]
--only-ours runs phase 1 alone (to compare the server's settings: KIOSK_HEALTH_NICE,
KIOSK_HEALTH_SCHED=batch, see kiosk/health/server.py, in the environment).
"""

from __future__ import annotations

import argparse
import errno
import http.client
import json
import os
import re
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import BENCH_DIR, demo_config, emit, log, percentile, row, verdict

CHILD_MARK = "HEALTH_BENCH "
LOAD_MARK = "HEALTH_LOAD "
TARGET_P99_S = 0.020
TARGET_RATIO = 0.9
BLOCK_S = 1.0


class FixedClock:
    """Monday 10:00 in Berlin: every demo service open."""

    def __call__(self) -> datetime:
        return datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the load generator (its own process: its CPU does not take the UI's GIL) -----------

REQUEST_TIMEOUT_S = 10.0
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


class _Request:
    """One request in flight: its own TCP connection, opened at its scheduled time."""

    __slots__ = ("sock", "path", "due", "inbox", "length", "head_end", "status")

    def __init__(self, sock: socket.socket, path: str, due: float) -> None:
        self.sock, self.path, self.due = sock, path, due
        self.inbox = bytearray()
        self.length: int | None = None  # Content-Length, once the head is in
        self.head_end = -1
        self.status = 0


def load(port: int, paths: list[str], rate: float, duration: float, start: float,
         block_s: float) -> dict:
    """Requests in blocks: `block_s` of load, `block_s` of none, from wall time `start`.

    Open loop: request i is sent at its scheduled time whatever the earlier ones do, on a
    new TCP connection, with the request line and headers http.client sends; its latency
    runs from the scheduled time to the answer's last byte. One thread and one selector
    over non-blocking sockets (not a thread per request in flight), so the generator
    takes little of the CPU it shares with the UI; its own CPU is in the result."""
    per_block = int(rate * block_s)
    dues = [start + b * 2 * block_s + i / rate
            for b in range(max(1, round(duration / block_s))) for i in range(per_block)]
    results: dict[str, list[float]] = {p: [] for p in paths}
    errors: dict[str, int] = {p: 0 for p in paths}
    wire = {p: (f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Accept-Encoding: identity\r\n\r\n").encode() for p in paths}
    selector = selectors.DefaultSelector()
    inflight: dict[int, _Request] = {}  # in the order sent: the first is the oldest

    def finish(key: int, ok: bool) -> None:
        request = inflight.pop(key)
        if request.sock.fileno() >= 0:
            try:
                selector.unregister(request.sock)
            except (KeyError, ValueError):
                pass
            request.sock.close()
        if ok and request.status in (200, 503):
            results[request.path].append(time.time() - request.due)
        else:
            errors[request.path] += 1

    def send(key: int, request: _Request, registered: bool) -> None:
        try:
            request.sock.send(wire[request.path])  # a few dozen bytes: one send
        except OSError as err:
            if not registered and getattr(err, "errno", None) in (
                    errno.EAGAIN, errno.ENOTCONN, errno.EINPROGRESS):
                # still connecting: send when the socket says it is writable
                selector.register(request.sock, selectors.EVENT_WRITE, key)
            else:
                finish(key, False)
            return
        if registered:
            selector.modify(request.sock, selectors.EVENT_READ, key)
        else:
            selector.register(request.sock, selectors.EVENT_READ, key)

    def receive(key: int, request: _Request) -> None:
        try:
            data = request.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            finish(key, False)
            return
        request.inbox += data
        if request.head_end < 0:
            request.head_end = request.inbox.find(b"\r\n\r\n")
            if request.head_end >= 0:
                head = bytes(request.inbox[:request.head_end])
                try:
                    request.status = int(head.split(b" ", 2)[1])
                except (IndexError, ValueError):
                    finish(key, False)
                    return
                length = CONTENT_LENGTH.search(head)
                request.length = int(length.group(1)) if length else None
        if not data:  # closed by the server: complete only if the answer is
            finish(key, request.head_end >= 0 and (
                request.length is None
                or len(request.inbox) - request.head_end - 4 >= request.length))
        elif request.length is not None and \
                len(request.inbox) - request.head_end - 4 >= request.length:
            finish(key, True)

    before = resource.getrusage(resource.RUSAGE_SELF)
    address = ("127.0.0.1", port)
    sent = 0
    while sent < len(dues) or inflight:
        now = time.time()
        while sent < len(dues) and dues[sent] <= now:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as http.client
            request = _Request(sock, paths[sent % len(paths)], dues[sent])
            inflight[sent] = request
            code = sock.connect_ex(address)
            if code in (0, errno.EINPROGRESS):
                # on loopback the handshake is usually done when connect returns: send
                # at once, and only wait for writability when it is not
                send(sent, request, registered=False)
            else:
                finish(sent, False)
            sent += 1
        while inflight:  # the oldest request past its time: counted as an error
            key, oldest = next(iter(inflight.items()))
            if now - oldest.due < REQUEST_TIMEOUT_S:
                break
            finish(key, False)
        wait = (dues[sent] - time.time()) if sent < len(dues) else 0.1
        for key, mask in selector.select(max(0.0, min(wait, 0.1))):
            request = inflight.get(key.data)
            if request is None:
                continue
            if mask & selectors.EVENT_WRITE:
                if request.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    finish(key.data, False)
                else:
                    send(key.data, request, registered=True)
            else:
                receive(key.data, request)
    after = resource.getrusage(resource.RUSAGE_SELF)
    selector.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"latencies": results, "errors": errors, "requests": len(dues), "cpu_s": cpu}


# -- the UI process ---------------------------------------------------------------------

def child(duration: float, rate: float, only_ours: bool = False) -> dict:
    import dataclasses

    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-health-"))
    os.environ["KIOSK_DATA_DIR"] = str(tmp / "data")
    try:
        from kiosk import kivy_env
        from kiosk.config import PrinterConfig

        config = demo_config(tmp)
        config = dataclasses.replace(config, printer=PrinterConfig(
            transport="file", path=str(tmp / "printer.bin"), profile="TM-T88V", width_mm=80))
        kivy_env.prepare(config.screen.width_px, config.screen.height_px,
                         fullscreen=False, headless=True)
        from kivy.base import EventLoop
        from kivy.core.window import Window

        from kiosk.app import KioskApp, find_button, start_embedded, step
        from kiosk.domain.clock import utc_now
        from kiosk.health import heartbeat
        from kiosk.health.assess import assess
        from kiosk.health.counting import CountingTickets
        from kiosk.health.metrics import SnapshotCollector
        from kiosk.health.process import ServerProcess, server_argv
        from kiosk.health.server import SnapshotSource
        from kiosk.health.state_file import state_path
        from kiosk.paths import data_dir
        from kiosk.services.issue_ticket import TicketService
        from kiosk.widgets.touch import SyntheticTouch
        from kiosk.wiring import build_printer_supervisor, build_state_writer, open_store

        store = open_store(config)
        printer = build_printer_supervisor(config.printer)
        writer = build_state_writer(config, store, printer, [])
        tickets = CountingTickets(TicketService(config, store, printer, clock=FixedClock(),
                                                min_interval_s=0), writer.count)
        heartbeat.reset()
        app = start_embedded(KioskApp(config, tickets, printer=printer))
        state = state_path(data_dir())
        port = free_port()
        server = ServerProcess(server_argv(state, "127.0.0.1", port, None, 30)).start()

        flips: list[float] = []
        Window.bind(on_flip=lambda *_a: flips.append(time.time()))
        ticket = app.root.get_screen("ticket")
        visits = [0]

        def tap(text: str) -> None:
            button = find_button(app.root, text)
            x, y = button.to_window(*button.center)
            touch = SyntheticTouch(x, y)
            touch.touch_down()
            touch.touch_up()

        # a visit loop at its own pace (an action 0.3 s after the last one, by the screen
        # shown): its cycle is not tied to the 1 s load blocks, so over many blocks the
        # load and the idle blocks see the same mix of UI work
        next_action = [0.0]

        def frame() -> None:
            """One iteration of the visit loop; a redraw asked for every iteration."""
            now = time.time()
            if now >= next_action[0]:
                next_action[0] = now + 0.3
                try:
                    current = app.root.current
                    if current == "language":
                        tap("English")
                    elif current == "services":
                        tap("Address registration")
                    elif current == "ticket" and ticket.printed is not None:
                        app.reset_visit()
                        visits[0] += 1
                except LookupError:
                    pass  # a screen still being built: the next action tries again
            Window.canvas.ask_update()
            EventLoop.idle()

        def run_for(seconds: float, until=None) -> None:
            started = time.time()
            while True:
                frame()
                if until is not None:
                    if until():
                        break
                elif time.time() - started >= seconds:
                    break

        def rates(start: float, blocks: int) -> dict:
            """Frames per second and the longest frame gap in the load and idle blocks."""
            out = {}
            for name, offset in (("load", 0.0), ("idle", BLOCK_S)):
                frames, gaps = 0, []
                for b in range(blocks):
                    low = start + b * 2 * BLOCK_S + offset
                    inside = [t for t in flips if low <= t < low + BLOCK_S]
                    frames += len(inside)
                    marks = [low, *inside, low + BLOCK_S]
                    gaps += [y - x for x, y in zip(marks, marks[1:])]
                out[name] = (frames / (blocks * BLOCK_S), max(gaps))
            return out

        def loaded(paths: list[str], load_port: int, paused: bool = False):
            block = duration if paused else BLOCK_S
            blocks = 1 if paused else max(1, round(duration / BLOCK_S))
            start = time.time() + 1.0  # the generator's start-up is not in a block
            proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--load", str(load_port),
                 "--paths", ",".join(paths), "--rate", str(rate),
                 "--duration", str(duration), "--start", repr(start),
                 "--block", str(block)], stdout=subprocess.PIPE, text=True, cwd=BENCH_DIR)
            end = start + blocks * 2 * block
            if paused:
                proc.wait()
            else:
                run_for(0, until=lambda: time.time() >= end and proc.poll() is not None)
            out = proc.stdout.read()
            line = next(x for x in out.splitlines() if x.startswith(LOAD_MARK))
            return json.loads(line[len(LOAD_MARK):]), None if paused else rates(start, blocks)

        def answers(p: int) -> bool:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", p, timeout=2)
                conn.request("GET", "/health")
                conn.getresponse().read()
                conn.close()
                return True
            except OSError:
                return False

        step(5)
        run_for(5)  # warm-up: every screen built and drawn once (fonts, textures)
        deadline = time.perf_counter() + 30
        while not answers(port) and time.perf_counter() < deadline:
            run_for(0.2)
        health_status = json.loads(_get(port, "/health"))["status"]

        separate, sep_frames = loaded(["/health", "/metrics"], port)
        if only_ours:
            server.close()
            app.detach()
            writer.close()
            printer.close()
            store.close()
            return {"separate": separate, "separate_frames": sep_frames,
                    "visits": visits[0], "health_status": health_status}

        # the alternative: prometheus_client's own server inside this (the UI) process
        from prometheus_client import CollectorRegistry, start_http_server

        source = SnapshotSource(state)

        def current():
            now = utc_now()
            snapshot, problem = source.read(now)
            return snapshot, assess(snapshot, problem, now, 30), now

        registry = CollectorRegistry(auto_describe=False)
        registry.register(SnapshotCollector(current, "bench"))
        inproc_port = free_port()
        started = start_http_server(inproc_port, addr="127.0.0.1", registry=registry)
        http_server = started[0] if isinstance(started, tuple) else None
        inproc, in_frames = loaded(["/metrics"], inproc_port)
        if http_server is not None:
            http_server.shutdown()
            http_server.server_close()
        paused, _none = loaded(["/health", "/metrics"], port, paused=True)

        server.close()
        app.detach()
        writer.close()
        printer.close()
        store.close()
        return {"separate": separate, "separate_frames": sep_frames,
                "inproc": inproc, "inproc_frames": in_frames, "paused": paused,
                "visits": visits[0], "health_status": health_status}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _get(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    body = conn.getresponse().read()
    conn.close()
    return body


def latency(result: dict, path: str) -> tuple[str, float]:
    values = result["latencies"][path]
    errors = result["errors"][path]
    if not values:
        return f"no answers ({errors} errors)", float("inf")
    p99 = percentile(values, 99)
    text = (f"p50 {percentile(values, 50) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"max {max(values) * 1000:.0f} ms ({len(values)} answers, {errors} errors)")
    return text, p99 if not errors else float("inf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only-ours", action="store_true",
                        help="only the separate server process under load")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--block", type=float, default=BLOCK_S, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(LOAD_MARK + json.dumps(load(args.load, args.paths.split(","), args.rate,
                                          args.duration, args.start, args.block)),
              flush=True)
        return 0
    if args.child:
        print(CHILD_MARK + json.dumps(child(args.duration, args.rate, args.only_ours)),
              flush=True)
        return 0

    log(f"health bench: {args.rate:g} requests/s, {args.duration:g} s per phase")
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                           "--duration", str(args.duration), "--rate", str(args.rate)]
                          + (["--only-ours"] if args.only_ours else []),
                          stdout=subprocess.PIPE, text=True, cwd=BENCH_DIR,
                          timeout=args.duration * 8 + 180)
    line = next((x for x in proc.stdout.splitlines() if x.startswith(CHILD_MARK)), None)
    if proc.returncode != 0 or line is None:
        log(f"child exited {proc.returncode}")
        return 1
    r = json.loads(line[len(CHILD_MARK):])
    rows = []
    load_text = (f"{args.rate:g} req/s, {args.duration:g} s in {BLOCK_S:g} s blocks, UI "
                 f"visit loop running")
    for path in ("/health", "/metrics"):
        text, p99 = latency(r["separate"], path)
        rows.append(row(f"{path} latency, {load_text} (alternating with "
                        f"{'/metrics' if path == '/health' else '/health'})",
                        "separate server process (ours)", text, "p99 <= 20 ms",
                        verdict(p99 <= TARGET_P99_S)))
    for path in ("/health", "/metrics") if "paused" in r else ():
        text, p99 = latency(r["paused"], path)
        rows.append(row(f"{path} latency, {args.rate:g} req/s for {args.duration:g} s, UI "
                        f"loop paused (alternating)", "separate server process (ours)",
                        text, "p99 <= 20 ms", verdict(p99 <= TARGET_P99_S)))
    if "inproc" in r:
        text, p99 = latency(r["inproc"], "/metrics")
        rows.append(row(f"/metrics latency, {load_text}",
                        "prometheus_client.start_http_server in the UI process", text,
                        "p99 <= 20 ms", verdict(p99 <= TARGET_P99_S)))
    for key, variant in (("separate", "separate server process (ours)"),
                         ("inproc", "prometheus_client.start_http_server in the UI process")):
        if f"{key}_frames" not in r:
            continue
        frames = r[f"{key}_frames"]
        (busy, busy_gap), (idle, idle_gap) = frames["load"], frames["idle"]
        ratio = busy / idle if idle else float("nan")
        rows.append(row("UI frames/s in the load blocks vs the idle blocks between them",
                        variant, f"{busy:.1f} vs {idle:.1f} fps = {ratio:.2f}x; longest "
                        f"frame gap {busy_gap * 1000:.0f} vs {idle_gap * 1000:.0f} ms",
                        ">= 0.9x", verdict(ratio >= TARGET_RATIO)))
    for key, variant in (("separate", "separate server process (ours)"),
                         ("inproc", "prometheus_client.start_http_server in the UI process"),
                         ("paused", "separate server process (ours), UI loop paused")):
        if key in r and r[key].get("requests"):
            done = r[key]
            rows.append(row("load generator's own CPU per request (its process, user + "
                            "system, while sending; info)", variant,
                            f"{done['cpu_s'] / done['requests'] * 1000:.3f} ms "
                            f"({done['requests']} requests)"))
    notes = ["Kivy caps the UI at 60 fps; headless, it renders with Mesa's llvmpipe on the "
             "CPU (a terminal renders on its GPU)",
             f"{r['visits']} visits completed; /health said {r['health_status']!r} at the "
             f"start; a new TCP connection per request; latency from the scheduled send "
             f"time (open loop)"]
    emit(rows, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
