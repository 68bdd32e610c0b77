"""Issue 11 item 5: CPU time the health server process spends per request, a number that
holds on a loaded machine (CPU time, not wall time, from /proc/PID/stat).

What: a real SnapshotWriter keeps state.json current (one printer, four services); the
server runs as `kiosk run` starts it (python -m kiosk.health.server, its own process);
--requests GET /health, then GET /metrics, one after the other, a new TCP connection
each. Reported: the server's user+system CPU per request, and the wall time per request
(which on a busy machine says more about the machine). The UI is not involved: this is
what each request takes from the CPU the UI shares.
Run: .venv/bin/python bench/bench_health_cpu.py [--requests N]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, emit, log, row

sys.path.insert(0, str(REPO))


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from kiosk.health import heartbeat
    from kiosk.health.writer import SnapshotWriter, WatchedDevice

    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-health-cpu-"))
    state = tmp / "state.json"
    heartbeat.frame_drawn()
    printer = WatchedDevice("printer", "TM-T88V", "/dev/kiosk-printer",
                            lambda: ("online", ""), lambda _listener: None)
    writer = SnapshotWriter(state, "bench", [printer], None,
                            ["anmeldung", "ausweis", "abholung", "fuehrungszeugnis"],
                            refresh_s=1.0, open_now=lambda _s, _n: True).start()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "kiosk.health.server", "--state",
                               str(state), "--port", str(port), "--no-parent-watch"],
                              stderr=subprocess.DEVNULL, cwd=REPO)

    def get(path: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()

    rows = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get("/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    log("the health server did not answer")
                    return 1
                time.sleep(0.1)
        for path in ("/health", "/metrics"):
            for _ in range(50):  # warm-up: imports, first render
                get(path)
            cpu, wall = _cpu_s(server.pid), time.perf_counter()
            for _ in range(args.requests):
                get(path)
            cpu, wall = _cpu_s(server.pid) - cpu, time.perf_counter() - wall
            rows.append(row(f"{path}: health server CPU per request ({args.requests} "
                            f"requests one after the other, a new connection each)",
                            "separate server process (ours)",
                            f"{cpu / args.requests * 1000:.3f} ms CPU; wall "
                            f"{wall / args.requests * 1000:.2f} ms per request"))
    finally:
        server.terminate()
        server.wait(10)
        writer.close()
    emit(rows, ["CPU from /proc/PID/stat (10 ms ticks, summed over all requests)"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
