"""The IT health endpoint: a small process beside the UI that serves /health, /ready,
/metrics and /status from the app's state.json (re-read only when it changed), never
from the store or a device, so no request ever takes the UI process's GIL. One thread
serves every connection (kiosk/health/http_loop.py): little CPU taken from the UI.

Run: python -m kiosk.health.server --state PATH [--bind B] [--port P]
                                   [--token-file F] [--stuck-after S]
                                   [--request-deadline S]"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import shutil
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, disable_created_metrics
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from kiosk import __version__
from kiosk.domain.clock import utc_now
from kiosk.health.assess import Verdict, assess, is_ready
from kiosk.health.http_loop import REQUEST_DEADLINE_S, HttpLoop, Request, Response, listen
from kiosk.health.metrics import SnapshotCollector
from kiosk.health.snapshot import Snapshot, SnapshotError, iso
from kiosk.health.state_file import _ago, pid_alive

log = logging.getLogger("kiosk.health.server")

AUTH_WINDOW_S = 60.0
AUTH_MAX_FAILURES = 5  # per client address and window; then 429 until the window clears
MAX_TRACKED_CLIENTS = 10_000  # bound on the limiter's memory under a scan
# /health, /ready and /metrics are rendered at most once per snapshot change and second
# (their ages and the stale verdict move with the clock) and served as ready bytes: a
# request costs a stat and a lookup, not a verdict, JSON and Prometheus text, so 200
# requests/s take little CPU from the UI beside this process
RENDER_EVERY_S = 1.0


class SnapshotSource:
    """The latest snapshot, parsed again only when the file's mtime, size or inode
    changed (the app replaces it atomically every few seconds)."""

    def __init__(self, path: Path, alive=pid_alive) -> None:
        self.path, self.alive = Path(path), alive
        self._key: tuple | None = None
        self._snapshot: Snapshot | None = None
        self._problem = ""
        self._lock = threading.Lock()

    def file_key(self) -> tuple | None:
        """What tells one written snapshot from the next (None: no readable file)."""
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def read(self, now: datetime) -> tuple[Snapshot | None, str]:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None, f"no kiosk state file ({self.path})"
        except OSError as err:
            return None, f"the kiosk's state file {self.path} is unreadable: {err.strerror}"
        key = (info.st_mtime_ns, info.st_size, info.st_ino)
        with self._lock:
            if key != self._key:
                self._key = key
                self._snapshot, self._problem = self._parse()
            snapshot, problem = self._snapshot, self._problem
        if snapshot is None:
            return None, problem
        if not self.alive(snapshot.pid):
            return None, (f"the kiosk's state file is stale (pid {snapshot.pid} is not "
                          f"running; last written {iso(snapshot.written_at)})")
        if not snapshot.is_fresh(now):
            return None, (f"the kiosk's state file is stale (written "
                          f"{_ago(snapshot.age_s(now))} by pid {snapshot.pid})")
        return snapshot, ""

    def _parse(self) -> tuple[Snapshot | None, str]:
        try:
            return Snapshot.from_json(self.path.read_bytes()), ""
        except OSError as err:
            return None, f"the kiosk's state file {self.path} is unreadable: {err.strerror}"
        except (SnapshotError, TypeError, ValueError, AttributeError) as err:
            return None, f"the kiosk's state file {self.path} is not usable: {err}"


class TokenCheck:
    """The bearer token from a file, kept only as its SHA-256 digest and compared in
    constant time. The file is read again when it changes (token rotation)."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self._key: tuple | None = None
        self._digest: bytes | None = None
        self.problem = "no [health] token_file is configured" if path is None else ""
        self._lock = threading.Lock()

    def _load(self) -> None:
        try:
            info = os.stat(self.path)
            key = (info.st_mtime_ns, info.st_size, info.st_ino)
        except OSError as err:
            self._key, self._digest = None, None
            self.problem = f"the token file {self.path} is not readable: {err.strerror}"
            return
        if key == self._key:
            return
        self._key = key
        try:
            token = self.path.read_bytes().strip()
        except OSError as err:
            self._digest = None
            self.problem = f"the token file {self.path} is not readable: {err.strerror}"
            return
        if len(token) < 16:
            self._digest = None
            self.problem = f"the token file {self.path} holds no token of 16+ characters"
            return
        self._digest, self.problem = hashlib.sha256(token).digest(), ""

    def enabled(self) -> bool:
        if self.path is None:
            return False
        with self._lock:
            self._load()
            return self._digest is not None

    def matches(self, header: str | None) -> bool:
        scheme, _, given = (header or "").partition(" ")
        offered = hashlib.sha256(given.strip().encode("utf-8", "replace")).digest()
        with self._lock:
            digest = self._digest
        # always compare (also for a missing header): the time says nothing either way
        same = hmac.compare_digest(offered, digest or b"\0" * 32)
        return same and digest is not None and scheme.lower() == "bearer"


class AuthLimiter:
    """Failed token checks per client address within a sliding window."""

    def __init__(self, max_failures: int = AUTH_MAX_FAILURES,
                 window_s: float = AUTH_WINDOW_S, clock=time.monotonic) -> None:
        self.max_failures, self.window_s, self.clock = max_failures, window_s, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def blocked(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client, self.clock())) >= self.max_failures

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            if client not in self._failures and len(self._failures) >= MAX_TRACKED_CLIENTS:
                for other in [c for c, t in self._failures.items()
                              if not self._recent(c, now)]:
                    del self._failures[other]
                if len(self._failures) >= MAX_TRACKED_CLIENTS:
                    self._failures.pop(next(iter(self._failures)))
            times = self._recent(client, now)
            times.append(now)
            self._failures[client] = times


class HealthApp:
    """What the handler asks: the verdict, metrics and status, all from the snapshot."""

    def __init__(self, state: Path, token_file: Path | None = None,
                 stuck_after_s: float = 30.0, clock=utc_now, alive=pid_alive) -> None:
        self.source = SnapshotSource(state, alive)
        self.token = TokenCheck(token_file)
        self.limiter = AuthLimiter()
        self.stuck_after_s, self.clock = stuck_after_s, clock
        disable_created_metrics()  # no *_created series: counters are plain totals
        self.registry = CollectorRegistry(auto_describe=False)
        self.auth_failures = Counter("kiosk_health_auth_failures",
                                     "Requests to /status refused (401 wrong or missing "
                                     "token, 429 too many failures)",
                                     registry=self.registry)
        self.registry.register(SnapshotCollector(self.current, __version__))
        self.refusals = 0  # the counter's value, part of the rendered answers' key
        self._rendered: dict[str, tuple[tuple, tuple[int, bytes, str]]] = {}
        self._render_lock = threading.Lock()

    def refused(self) -> None:
        """One more refused /status request (counted in /metrics)."""
        with self._render_lock:
            self.refusals += 1
        self.auth_failures.inc()

    def answer(self, path: str) -> tuple[int, bytes, str] | None:
        """(status, body, content type) of /health, /ready or /metrics, rendered at
        most once per snapshot file, second and refusal count; None for other paths."""
        render = {"/health": self._health_bytes, "/ready": self._ready_bytes,
                  "/metrics": self._metrics_bytes}.get(path)
        if render is None:
            return None
        stamp = (self.source.file_key(),
                 int(self.clock().timestamp() // RENDER_EVERY_S), self.refusals)
        with self._render_lock:
            cached = self._rendered.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        rendered = render()  # two threads may both render once: same bytes, no harm
        with self._render_lock:
            self._rendered[path] = (stamp, rendered)
        return rendered

    def _health_bytes(self) -> tuple[int, bytes, str]:
        return (*json_bytes(*self.health()), JSON_TYPE)

    def _ready_bytes(self) -> tuple[int, bytes, str]:
        return (*json_bytes(*self.ready()), JSON_TYPE)

    def _metrics_bytes(self) -> tuple[int, bytes, str]:
        return 200, self.metrics(), CONTENT_TYPE_LATEST

    def current(self) -> tuple[Snapshot | None, Verdict, datetime]:
        now = self.clock()
        snapshot, problem = self.source.read(now)
        return snapshot, assess(snapshot, problem, now, self.stuck_after_s), now

    def health(self) -> tuple[int, dict]:
        snapshot, verdict, _now = self.current()
        return verdict.http_status, {
            "status": verdict.status, "reasons": list(verdict.reasons),
            "details": list(verdict.details),
            "terminal": snapshot.terminal_id if snapshot else None,
            "version": (snapshot.version if snapshot else "") or __version__}

    def ready(self) -> tuple[int, dict]:
        snapshot, verdict, now = self.current()
        ready = is_ready(snapshot, now)
        why = [] if ready else (
            list(verdict.details) if snapshot is None else ["the UI has not drawn yet"])
        return (200 if ready else 503), {"ready": ready, "reasons": why}

    def metrics(self) -> bytes:
        return generate_latest(self.registry)

    def status(self) -> tuple[int, dict]:
        snapshot, verdict, now = self.current()
        body = {"status": verdict.status, "reasons": list(verdict.reasons),
                "details": list(verdict.details), "checked_at": iso(now),
                "disk": _disk(self.source.path.parent)}
        if snapshot is not None:
            body.update({
                "terminal": snapshot.terminal_id, "version": snapshot.version,
                "config_hash": snapshot.config_hash, "pid": snapshot.pid,
                "started_at": iso(snapshot.started_at),
                "written_at": iso(snapshot.written_at),
                "uptime_s": round((now - snapshot.started_at).total_seconds()),
                "ui_heartbeat_at": iso(snapshot.ui_heartbeat_at),
                "first_frame_at": iso(snapshot.first_frame_at),
                "devices": [d.as_dict() for d in snapshot.devices],
                "store_bytes": snapshot.store_bytes, "store_error": snapshot.store_error,
                "queues": snapshot.queues, "open_services": snapshot.open_services,
                "counters": snapshot.counters,
                "last_errors": [{"at": iso(at), "what": what}
                                for at, what in snapshot.errors]})
        return 200, body


JSON_TYPE = "application/json; charset=utf-8"


def json_bytes(code: int, body: dict) -> tuple[int, bytes]:
    return code, (json.dumps(body, ensure_ascii=False) + "\n").encode()


def _disk(folder: Path) -> dict:
    try:
        usage = shutil.disk_usage(folder)
    except OSError as err:
        return {"path": str(folder), "error": err.strerror or type(err).__name__}
    return {"path": str(folder), "free_bytes": usage.free, "total_bytes": usage.total}


NOT_FOUND = json_bytes(404, {"error": "not found",
                             "paths": ["/health", "/ready", "/metrics", "/status"]})[1]


class Routes:
    """GET /health, /ready, /metrics (ready bytes from HealthApp.answer) and /status
    (token, rate limit); 404 for other paths, 405 for other methods (HEAD included)."""

    def __init__(self, app: HealthApp) -> None:
        self.app = app

    def __call__(self, request: Request) -> Response:
        if request.method != "GET":
            return _json(405, {"error": f"method {request.method[:20]} not allowed"},
                         (("Allow", "GET"),))
        path = request.path
        ready = self.app.answer(path)
        if ready is not None:
            return Response(*ready)
        if path == "/status":
            return self._status(request)
        return Response(404, NOT_FOUND, JSON_TYPE)

    def _status(self, request: Request) -> Response:
        app, client = self.app, request.client
        if not app.token.enabled():
            # 403, not 404: the path exists, it is switched off on this terminal
            return _json(403, {"error": f"/status is disabled: {app.token.problem}"})
        if app.limiter.blocked(client):
            app.refused()
            return _json(429, {"error": "too many failed token checks; try again later"},
                         (("Retry-After", str(int(AUTH_WINDOW_S))),))
        if not app.token.matches(request.headers.get("authorization")):
            app.limiter.failed(client)
            app.refused()
            log.warning("health: /status refused for %s (wrong or missing token)", client)
            return _json(401, {"error": "a valid 'Authorization: Bearer <token>' is needed"},
                         (("WWW-Authenticate", 'Bearer realm="kiosk"'),))
        return _json(*app.status())


def _json(code: int, body: dict, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(*json_bytes(code, body), JSON_TYPE, headers)


def make_server(app: HealthApp, bind: str, port: int,
                request_deadline_s: float = REQUEST_DEADLINE_S) -> HttpLoop:
    """The endpoint on bind:port (an IPv6 literal listens on IPv6, anything else on
    IPv4): one thread, non-blocking sockets, TCP_NODELAY on every connection."""
    family = socket.AF_INET
    try:
        if ipaddress.ip_address(bind).version == 6:
            family = socket.AF_INET6
    except ValueError:
        pass  # a host name: IPv4
    return HttpLoop(listen(bind, port, family), Routes(app),
                    request_deadline_s=request_deadline_s)


def parent_watch() -> Callable[[], None]:
    """A check for the loop's tick: exit when the app that started this process is
    gone (killed without a chance to stop us): the parent changes to init or a
    subreaper."""
    parent = os.getppid()

    def check() -> None:
        if os.getppid() != parent:
            os._exit(0)

    return check


# The UI process keeps its normal priority: a burst of scrapes (or a scan by an
# over-eager monitoring system) must take CPU from this process, not from the screen.
# KIOSK_HEALTH_NICE (an integer) and KIOSK_HEALTH_SCHED=batch change that for
# measurements (bench/bench_health.py compares them); an operator may use them too.
NICENESS = 5


def _yield_to_the_ui() -> None:
    try:
        niceness = int(os.environ.get("KIOSK_HEALTH_NICE", NICENESS))
    except ValueError:
        niceness = NICENESS
    try:
        if niceness:
            os.nice(niceness)
        if os.environ.get("KIOSK_HEALTH_SCHED") == "batch":
            # no wake-up preemption: a request waits for the UI's time slice to end
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except OSError as err:  # e.g. a seccomp profile: serve anyway
        log.warning("health: could not lower the priority (%s)", err.strerror or err)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.health.server",
                                     description="The kiosk's IT health endpoint.")
    parser.add_argument("--state", required=True, help="the app's state.json")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8470)
    parser.add_argument("--token-file", help="file with the bearer token for /status")
    parser.add_argument("--stuck-after", type=float, default=30.0,
                        help="seconds without a UI heartbeat before /health says ui_stuck")
    parser.add_argument("--request-deadline", type=float, default=REQUEST_DEADLINE_S,
                        help="seconds a client has to send a whole request before its "
                             "connection is closed")
    parser.add_argument("--no-parent-watch", action="store_true",
                        help="keep running when the starting process is gone")
    args = parser.parse_args(argv)
    if not args.request_deadline > 0:
        parser.error("--request-deadline must be above 0")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = HealthApp(Path(args.state), Path(args.token_file) if args.token_file else None,
                    args.stuck_after)
    try:
        server = make_server(app, args.bind, args.port, args.request_deadline)
    except OSError as err:
        print(f"kiosk health server: cannot listen on {args.bind}:{args.port}: "
              f"{err.strerror or err}", file=sys.stderr)
        return 1
    if args.token_file and not app.token.enabled():
        log.warning("health: /status disabled: %s", app.token.problem)
    _yield_to_the_ui()
    log.info("health: serving on %s:%s", args.bind, server.server_address[1])
    try:
        server.serve_forever(tick=None if args.no_parent_watch else parent_watch())
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
