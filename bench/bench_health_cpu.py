"""Issue 11 item 5: CPU time the health server process spends per request, and the CPU
bench_health.py's load generator spends per request, numbers that hold on a loaded
machine (CPU time, not wall time, from /proc/PID/stat and wait4).

What: a real SnapshotWriter keeps state.json current (one printer, four services); the
server runs as `kiosk run` starts it (python -m kiosk.health.server, its own process);
--requests GET /health, then GET /metrics, one after the other, a new TCP connection
each. Reported: the server's user and system CPU per request, and the wall time per
request (which on a busy machine says more about the machine). The UI is not involved:
this is what each request takes from the CPU the UI shares. Then bench_health.py's load
generator (`--load`, its own process, as bench_health.py starts it) sends --rate
requests/s for --gen-seconds to the server; its CPU (from wait4) minus that of the same
generator started with nothing to send is its CPU per request.
With --before REV the server and the generator of commit REV (a clean `git archive`)
are measured in the same run, round-robin with the work tree's (--rounds rounds), so
drift on a shared machine falls on both alike.
Run: .venv/bin/python bench/bench_health_cpu.py [--requests N] [--rounds R] [--before REV]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, emit, log, median, row, source_snapshot

sys.path.insert(0, str(REPO))


def _cpu_s(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    conn.getresponse().read()
    conn.close()


def start_server(state: Path, source: Path) -> tuple[subprocess.Popen, int]:
    """The server of the kiosk package in `source` (cwd comes first on sys.path)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.health.server", "--state",
                             str(state), "--port", str(port), "--no-parent-watch"],
                            stderr=subprocess.DEVNULL, cwd=source)
    deadline = time.monotonic() + 30
    while True:
        try:
            get(port, "/health")
            return proc, port
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the health server did not answer") from None
            time.sleep(0.1)


def server_cpu(proc: subprocess.Popen, port: int, path: str, requests: int):
    """(user, system, wall) seconds per request."""
    for _ in range(50):  # warm-up: imports, first render
        get(port, path)
    (user, system), wall = _cpu_s(proc.pid), time.perf_counter()
    for _ in range(requests):
        get(port, path)
    (user2, system2), wall2 = _cpu_s(proc.pid), time.perf_counter()
    return ((user2 - user) / requests, (system2 - system) / requests,
            (wall2 - wall) / requests)


def generator_cpu(script: Path, port: int, rate: float, seconds: float) -> float:
    """CPU seconds of one run of bench_health.py's load process (its start-up included)."""
    argv = [sys.executable, str(script), "--load", str(port), "--paths",
            "/health,/metrics", "--rate", f"{rate:g}", "--duration", f"{seconds:g}",
            "--start", repr(time.time() + 0.5), "--block", f"{seconds:g}"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, cwd=script.parent)
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{script} --load exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", metavar="REV", default="",
                        help="also measure the server and generator of commit REV")
    parser.add_argument("--rate", type=float, default=200.0,
                        help="the generator's requests/s (as bench_health.py)")
    parser.add_argument("--gen-seconds", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from kiosk.health import heartbeat
    from kiosk.health.writer import SnapshotWriter, WatchedDevice

    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-health-cpu-"))
    sources = {"work tree": REPO}
    if args.before:
        sha, folder = source_snapshot(args.before)
        label = args.before if sha.startswith(args.before) else f"{args.before}, {sha[:7]}"
        sources[f"commit {label}"] = Path(folder)
    state = tmp / "state.json"
    heartbeat.frame_drawn()
    printer = WatchedDevice("printer", "TM-T88V", "/dev/kiosk-printer",
                            lambda: ("online", ""), lambda _listener: None)
    writer = SnapshotWriter(state, "bench", [printer], None,
                            ["anmeldung", "ausweis", "abholung", "fuehrungszeugnis"],
                            refresh_s=1.0, open_now=lambda _s, _n: True).start()
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    cpu: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    gen: dict[str, list[tuple[float, float]]] = {}
    requests_sent = int(args.rate * args.gen_seconds)
    try:
        for name, source in sources.items():
            servers[name] = start_server(state, source)
        ours = servers["work tree"][1]
        for r in range(args.rounds):
            log(f"round {r + 1} of {args.rounds}, load average "
                f"{'%.2f %.2f %.2f' % os.getloadavg()}")
            for name, (proc, port) in servers.items():
                for path in ("/health", "/metrics"):
                    cpu.setdefault((name, path), []).append(
                        server_cpu(proc, port, path, args.requests))
            for name, source in sources.items():
                script = source / "bench" / "bench_health.py"
                idle = generator_cpu(script, ours, 0, args.gen_seconds)
                busy = generator_cpu(script, ours, args.rate, args.gen_seconds)
                gen.setdefault(name, []).append((busy, idle))
    finally:
        for proc, _port in servers.values():
            proc.terminate()
            proc.wait(10)
        writer.close()
        for name, source in sources.items():
            if source != REPO:
                shutil.rmtree(source, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)

    rows = []
    for (name, path), values in cpu.items():
        totals = [(u + s) * 1000 for u, s, _w in values]
        rows.append(row(
            f"{path}: health server CPU per request ({args.requests} requests one after "
            f"the other, a new connection each; {args.rounds} rounds)",
            f"server of the {name}",
            f"median {median(totals):.3f} ms CPU ("
            + ", ".join(f"{t:.3f}" for t in totals) + "; user "
            + ", ".join(f"{u * 1000:.3f}" for u, _s, _w in values) + ", system "
            + ", ".join(f"{s * 1000:.3f}" for _u, s, _w in values) + "); wall "
            + ", ".join(f"{w * 1000:.2f}" for _u, _s, w in values) + " ms per request"))
    for name, values in gen.items():
        per = [(busy - idle) / requests_sent * 1000 for busy, idle in values]
        rows.append(row(
            f"bench_health.py load generator CPU per request ({args.rate:g} req/s for "
            f"{args.gen_seconds:g} s, a new connection each, to the work tree's server; "
            f"{args.rounds} rounds)", f"generator of the {name}",
            f"median {median(per):.3f} ms CPU (" + ", ".join(f"{p:.3f}" for p in per)
            + "; whole process " + ", ".join(f"{b:.2f}" for b, _i in values)
            + " s, of which start-up " + ", ".join(f"{i:.2f}" for _b, i in values)
            + " s)"))
    emit(rows, ["server CPU from /proc/PID/stat (10 ms ticks, summed over all requests); "
                "generator CPU from wait4 (user+system), less a run with nothing to send"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
