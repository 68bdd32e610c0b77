"""The IT health endpoint over real HTTP: the server process (python -m kiosk.health.server)
fed by a real SnapshotWriter or a running Terminal, the token and its rate limit, the
metric names, no ticket numbers in any answer, the stuck-UI verdict, the process
supervision, `kiosk health`, a headless `kiosk run`, and promtool on deploy/prometheus/."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kiosk.health import heartbeat
from kiosk.health.process import ServerProcess, server_argv
from kiosk.health.writer import SnapshotWriter, WatchedDevice
from kiosk.services.queue_ops import QueueOperations
from kiosk.wiring import Terminal
from tests.conftest import MINIMAL_CONFIG, ROOT, kiosk_env
from tests.waiting import wait_for

TOKEN = "it-test-token-0123456789abcdef"
PROMETHEUS = ROOT / "deploy" / "prometheus"
METRIC_NAMES = (
    "kiosk_tickets_issued_total", "kiosk_checkins_total", "kiosk_intakes_total",
    "kiosk_print_jobs_total", "kiosk_device_up", "kiosk_device_state", "kiosk_paper_low",
    "kiosk_queue_waiting", "kiosk_open", "kiosk_ui_frame_age_seconds",
    "kiosk_uptime_seconds", "kiosk_build_info", "kiosk_health_status",
    "kiosk_health_auth_failures_total")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, token: str | None = None, method: str = "GET"):
    """(status, headers, body bytes); an HTTP error status is an answer, not an error."""
    request = urllib.request.Request(url, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def answers(url: str) -> bool:
    try:
        get(url)
    except OSError:
        return False
    return True


class Device:
    """A device worker's interface as the writer sees it: a state and its listeners."""

    def __init__(self, state: str = "online", cause: str = "") -> None:
        self.state, self.cause, self.listeners = state, cause, []

    def read(self):
        return self.state, self.cause

    def set(self, state: str, cause: str = "") -> None:
        self.state, self.cause = state, cause
        for listener in self.listeners:
            listener(state)


class Server:
    def __init__(self, state: Path, port: int, *extra: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.health.server", "--state", str(state),
             "--port", str(port), *extra], stderr=subprocess.PIPE, text=True)
        assert wait_for(lambda: answers(self.base + "/health") or self.proc.poll() is not None,
                        30), "health server did not answer"
        assert self.proc.poll() is None, self.proc.stderr.read()

    def get(self, path: str, **kwargs):
        return get(self.base + path, **kwargs)

    def json(self, path: str, **kwargs):
        code, _headers, body = self.get(path, **kwargs)
        return code, json.loads(body)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def token_file(tmp_path) -> Path:
    path = tmp_path / "health-token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(state: Path, *extra: str) -> Server:
        servers.append(Server(state, free_port(), *extra))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def writer(tmp_path):
    """A real SnapshotWriter with one printer; the UI's first
    frame drawn and its heartbeat current (tests that need a silent UI reset it).
    Refreshing every second: fresh for 3 s, so a busy test machine does not read stale."""
    heartbeat.reset()
    heartbeat.frame_drawn()
    printer = Device()
    instance = SnapshotWriter(tmp_path / "state.json", "bb-07",
                              [WatchedDevice("printer", "TM-T88V", "/dev/kiosk-printer",
                                             printer.read, printer.listeners.append)],
                              None, ["anmeldung", "ausweis"], refresh_s=1.0,
                              open_now=lambda service, now: service == "anmeldung",
                              version="9.9.9", config_hash="0123456789ab").start()
    instance.printer = printer
    assert wait_for(lambda: instance.writes > 0, 10)
    yield instance
    instance.close()
    heartbeat.reset()


def test_health_ready_and_metrics_follow_the_snapshot(writer, serve, tmp_path):
    server = serve(writer.path)
    assert wait_for(lambda: server.json("/health") == (200, {
        "status": "ok", "reasons": [], "details": [], "terminal": "bb-07",
        "version": "9.9.9"}), 20)
    assert server.json("/ready") == (200, {"ready": True, "reasons": []})

    writer.count("tickets", "anmeldung")
    writer.count("checkins", "early")
    writer.printer.set("paper_out", "paper end")
    assert wait_for(lambda: server.json("/health")[1]["status"] == "degraded", 20)
    code, body = server.json("/health")
    assert code == 200 and body["reasons"] == ["printer_paper_out"]  # numbers still on screen

    code, headers, raw = server.get("/metrics")
    text = raw.decode()
    assert code == 200 and headers["Content-Type"].startswith("text/plain")
    for name in METRIC_NAMES:
        assert f"\n{name}" in text or text.startswith(name) or f"# TYPE {name}" in text, name
    assert 'kiosk_tickets_issued_total{service="anmeldung"} 1.0' in text
    assert 'kiosk_tickets_issued_total{service="ausweis"} 0.0' in text  # a series to alert on
    assert 'kiosk_checkins_total{outcome="early"} 1.0' in text
    assert 'kiosk_device_state{kind="printer",name="TM-T88V",state="paper_out"} 1.0' in text
    assert 'kiosk_device_up{kind="printer",name="TM-T88V"} 0.0' in text
    assert "kiosk_paper_low 1.0" in text
    assert 'kiosk_open{service="anmeldung"} 1.0' in text
    assert 'kiosk_open{service="ausweis"} 0.0' in text
    assert 'kiosk_build_info{config_hash="0123456789ab",terminal="bb-07",version="9.9.9"} 1.0' \
        in text
    assert "_created" not in text


def test_ready_waits_for_the_first_frame(writer, serve):
    heartbeat.reset()  # an app whose window has not drawn yet
    server = serve(writer.path)
    assert wait_for(lambda: server.json("/ready")[0] == 503, 10)
    assert server.json("/ready")[1] == {"ready": False, "reasons": ["the UI has not drawn yet"]}
    heartbeat.frame_drawn()
    assert wait_for(lambda: server.json("/ready")[0] == 200, 20)


def test_stuck_ui_is_reported_down(writer, serve):
    server = serve(writer.path, "--stuck-after", "2")

    def beating_and_ok():
        heartbeat.beat()  # a UI loop that runs
        return server.json("/health")[1]["status"] == "ok"

    assert wait_for(beating_and_ok, 30)
    # the UI loop stops beating; the writer thread goes on writing the snapshot
    assert wait_for(lambda: server.json("/health")[0] == 503, 30)
    code, body = server.json("/health")
    assert body["status"] == "down" and body["reasons"] == ["ui_stuck"]
    assert "UI loop has not run" in body["details"][0]
    assert "kiosk_ui_frame_age_seconds" in server.get("/metrics")[2].decode()
    heartbeat.beat()  # it runs again: ok again with the next snapshot
    assert wait_for(lambda: server.json("/health")[0] == 200, 20)


def test_status_needs_the_token_and_limits_failures(writer, serve, token_file):
    server = serve(writer.path, "--token-file", str(token_file))
    assert wait_for(lambda: server.json("/health")[0] == 200, 20)
    code, body = server.json("/status", token=TOKEN)
    assert code == 200
    assert body["terminal"] == "bb-07" and body["devices"][0]["kind"] == "printer"
    assert body["disk"]["free_bytes"] > 0 and body["disk"]["total_bytes"] > 0
    assert "store_bytes" in body and "last_errors" in body
    code, headers, _ = server.get("/status")
    assert code == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    for wrong in ("", TOKEN[:-1], TOKEN + "x", "Basic " + TOKEN):
        request = urllib.request.Request(server.base + "/status")
        request.add_header("Authorization", wrong if wrong.startswith("Basic") else
                           f"Bearer {wrong}")
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError(f"accepted {wrong!r}")
        except urllib.error.HTTPError as err:
            assert err.code == 401, wrong
    # five failures from this address within the window: refused even with the token
    assert server.get("/status", token=TOKEN)[0] == 429
    assert server.get("/health")[0] == 200  # only /status is limited
    text = server.get("/metrics")[2].decode()
    assert "kiosk_health_auth_failures_total 6.0" in text


def test_status_without_a_token_file_is_switched_off(writer, serve):
    server = serve(writer.path)
    code, body = server.json("/status", token=TOKEN)
    assert code == 403 and "token_file" in body["error"]


def test_unknown_paths_and_other_methods(writer, serve):
    server = serve(writer.path)
    assert server.get("/nope")[0] == 404
    assert server.get("/health/../status")[0] == 404
    for method in ("POST", "PUT", "DELETE", "HEAD"):
        code, headers, _ = server.get("/health", method=method)
        assert code == 405 and headers["Allow"] == "GET", method


def test_a_slow_client_neither_holds_up_others_nor_stays(writer, serve):
    """A client that sends half a request line and waits: /health is answered to
    others meanwhile (the server never waits on one connection), and the half request
    is cut off once the request deadline has passed."""
    server = serve(writer.path, "--request-deadline", "1")
    port = int(server.base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
        slow.sendall(b"GET /hea")
        for _ in range(3):
            assert server.get("/health")[0] == 200
        try:
            assert slow.recv(1024) == b""  # closed by the server, no answer
        except ConnectionResetError:
            pass


def test_missing_and_broken_snapshots_are_down(tmp_path, serve):
    state = tmp_path / "state.json"
    server = serve(state)
    code, body = server.json("/health")
    assert code == 503 and body["reasons"] == ["snapshot_missing"]
    assert server.json("/ready")[0] == 503
    state.write_text('{"schema": 99}')
    assert wait_for(lambda: server.json("/health")[1]["reasons"] == ["snapshot_unreadable"])
    text = server.get("/metrics")[2].decode()
    assert 'kiosk_health_status{status="down"} 1.0' in text and "kiosk_snapshot_fresh 0.0" in text
    assert "kiosk_tickets_issued_total" not in text.replace("# HELP", "").split("# TYPE")[0]


def test_a_stopped_writer_goes_stale(writer, serve):
    server = serve(writer.path)
    assert wait_for(lambda: server.json("/health")[0] == 200, 20)
    writer.close()  # the app hangs or is gone: nobody rewrites the snapshot
    assert wait_for(lambda: server.json("/health")[1]["reasons"] == ["snapshot_stale"], 30)
    assert server.json("/health")[0] == 503


def test_a_day_of_tickets_leaves_no_ticket_in_any_answer(config, data_dir, serve,
                                                         token_file):
    """A Terminal with its real store and printer worker: tickets issued and printed on
    the app's own path; the counters show them, no answer names one."""
    heartbeat.reset()
    heartbeat.frame_drawn()
    terminal = Terminal(config)
    try:
        tickets = terminal.tickets
        tickets._tickets.min_interval_s = 0  # no double-tap pause between test visitors
        issued = [tickets.issue(service, lang) for service, lang in
                  (("anmeldung", "de"), ("anmeldung", "ar"), ("ausweis", "en"))]
        for ticket in issued:
            assert tickets.print_ticket(ticket).printed
        QueueOperations(config, terminal.store).call_next("3", ["anmeldung"])
        server = serve(data_dir / "state.json", "--token-file", str(token_file))
        # the store's figures and the print results reach the snapshot on their own
        # paths: wait for both
        assert wait_for(lambda: 'kiosk_tickets_issued_total{service="anmeldung"} 2.0'
                        in server.get("/metrics")[2].decode(), 20)
        assert wait_for(lambda: 'kiosk_print_jobs_total{result="printed"} 3.0'
                        in server.get("/metrics")[2].decode(), 20), [
            line for line in server.get("/metrics")[2].decode().splitlines()
            if line.startswith("kiosk_print_jobs_total")]
        text = server.get("/metrics")[2].decode()
        assert 'kiosk_queue_waiting{service="anmeldung"} 1.0' in text
        bodies = [server.get(path, token=TOKEN)[2].decode()
                  for path in ("/health", "/ready", "/metrics", "/status")]
        status = json.loads(bodies[3])
        assert status["counters"]["tickets"] == {"anmeldung": 2, "ausweis": 1}
        assert status["store_bytes"] > 0
    finally:
        terminal.close()
        heartbeat.reset()
    for body in bodies:
        for ticket in issued:
            assert ticket.ticket.number not in body
            assert ticket.ticket.reference not in body
            assert ticket.ticket.issued_at.isoformat(timespec="microseconds") not in body


def _kiosk_health(*args: str):
    return subprocess.run([sys.executable, "-m", "kiosk", "health", *args],
                          capture_output=True, text=True, timeout=60)


def test_kiosk_health_exit_codes(writer, serve):
    server = serve(writer.path)
    assert wait_for(lambda: server.json("/health")[0] == 200, 20)
    result = _kiosk_health("--url", server.base + "/health")
    assert result.returncode == 0 and "status: ok" in result.stdout and not result.stderr
    writer.printer.set("offline", "no answer")
    assert wait_for(lambda: server.json("/health")[1]["status"] == "degraded", 20)
    result = _kiosk_health("--url", server.base + "/health")
    assert result.returncode == 1 and "printer_offline" in result.stdout
    assert result.stderr.count("\n") == 1 and "degraded" in result.stderr
    result = _kiosk_health("--url", f"http://127.0.0.1:{free_port()}/health")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "unreachable" in result.stderr
    assert "Traceback" not in result.stderr
    assert _kiosk_health("--url", "localhost:8470").returncode == 2


def test_kiosk_health_reads_the_url_from_the_config(writer, serve, tmp_path):
    server = serve(writer.path)
    port = server.base.rsplit(":", 1)[1]
    config = tmp_path / "kiosk.toml"
    config.write_text(MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin"))
                      + f'\n[health]\nbind = "0.0.0.0"\nport = {port}\n')
    result = _kiosk_health("--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "terminal: bb-07" in result.stdout


def test_the_app_restarts_a_dead_server_and_stops_it(writer, tmp_path):
    port = free_port()
    process = ServerProcess(server_argv(writer.path, "127.0.0.1", port, None, 30),
                            backoff_s=(0.2, 1.0)).start()
    url = f"http://127.0.0.1:{port}/health"
    try:
        assert wait_for(lambda: answers(url), 30)
        first = process.pid
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: process.pid not in (None, first) and answers(url), 30)
        assert process.starts == 2
    finally:
        process.close()
    assert not answers(url)


def test_the_server_exits_when_the_app_is_killed(writer, tmp_path):
    """An app killed with SIGKILL cannot stop its children: the server notices that its
    parent is gone and exits by itself, freeing the port for the restarted app."""
    port = free_port()
    app = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from kiosk.health.process import ServerProcess, server_argv; "
        f"ServerProcess(server_argv({str(writer.path)!r}, '127.0.0.1', {port}, None, 30))"
        ".start(); time.sleep(120)")])
    url = f"http://127.0.0.1:{port}/health"
    try:
        assert wait_for(lambda: answers(url), 30)
    finally:
        app.kill()
        app.wait(10)
    assert wait_for(lambda: not answers(url), 30)


def test_headless_kiosk_run_serves_health(tmp_path, data_dir, token_file):
    """`kiosk run` without a display: the app starts the server process, /ready turns 200
    once the first frame is drawn, and SIGTERM (systemd's stop) ends the app with exit 0
    and stops the server."""
    port = free_port()
    config = tmp_path / "kiosk.toml"
    config.write_text(MINIMAL_CONFIG.replace("{printer_path}", str(tmp_path / "p.bin"))
                      + f'\n[health]\nport = {port}\ntoken_file = "{token_file}"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    app = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--config", str(config)],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: answers(base + "/ready") and get(base + "/ready")[0] == 200
                        or app.poll() is not None, 90), "no /ready 200"
        assert app.poll() is None, app.stderr.read()[-2000:]
        code, _headers, body = get(base + "/health")
        assert code == 200 and json.loads(body)["terminal"] == "test-01"
        status = json.loads(get(base + "/status", token=TOKEN)[2])
        assert status["ui_heartbeat_at"] and status["first_frame_at"]
        assert len(status["config_hash"]) == 12
    finally:
        app.send_signal(signal.SIGTERM)  # what `systemctl stop kiosk` sends
        try:
            stopped = app.wait(30)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(10)
            stopped = "still running 30 s after SIGTERM"
    assert stopped == 0, stopped
    assert wait_for(lambda: not answers(base + "/health"), 30)


# -- deploy/prometheus --------------------------------------------------------------------


def _promtool(*args: str) -> subprocess.CompletedProcess:
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: install Debian's prometheus package " \
                     "(scripts/setup test does)"
    return subprocess.run([promtool, *args], cwd=PROMETHEUS, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args", [("check", "config", "prometheus.yml"),
                                  ("check", "rules", "kiosk-alerts.yml"),
                                  ("test", "rules", "kiosk-alerts.test.yml")])
def test_prometheus_files_pass_promtool(args):
    result = _promtool(*args)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_use_metrics_the_endpoint_serves():
    rules = (PROMETHEUS / "kiosk-alerts.yml").read_text()
    for name in ("kiosk_health_status", "kiosk_device_state", "kiosk_paper_low",
                 "kiosk_ui_frame_age_seconds", "kiosk_open", "kiosk_tickets_issued_total"):
        assert name in rules and name in METRIC_NAMES, name


def test_the_server_runs_below_the_ui_in_priority(writer, serve):
    """A burst of scrapes must take CPU from the endpoint, not from the screen: the
    server process lowers its own priority (niceness above the starting process's)."""
    from kiosk.health.server import NICENESS

    writer.write_now()
    server = serve(writer.path)
    stat = Path(f"/proc/{server.proc.pid}/stat").read_text()
    niceness = int(stat.rsplit(")", 1)[1].split()[16])  # field 19 of proc(5)
    assert niceness == os.nice(0) + NICENESS


def test_tickets_from_another_process_reach_the_metrics(config_file, config, data_dir,
                                                        serve):
    """GIVEN a running Terminal (its snapshot writer) WHEN a ticket is issued by a
    separate `kiosk ticket` process on the same store THEN /metrics counts it: the
    figures are the store's, not the app process's own counters."""
    heartbeat.reset()
    heartbeat.frame_drawn()
    terminal = Terminal(config)
    try:
        server = serve(data_dir / "state.json")
        assert wait_for(lambda: 'kiosk_tickets_issued_total{service="anmeldung"} 0.0'
                        in server.get("/metrics")[2].decode(), 20)
        result = subprocess.run(
            [sys.executable, "-m", "kiosk", "ticket", "anmeldung", "--config",
             str(config_file)], capture_output=True, text=True, timeout=120,
            env=kiosk_env(KIOSK_DATA_DIR=str(data_dir)))
        assert result.returncode == 0, result.stderr
        assert wait_for(lambda: 'kiosk_tickets_issued_total{service="anmeldung"} 1.0'
                        in server.get("/metrics")[2].decode(), 30)
    finally:
        terminal.close()
        heartbeat.reset()
