"""Issue 13 bench: a counter's click (POST /api/v1/counters/{c}/call on a real `kiosk
serve`) until the waiting area has it: the board's server-sent event received by an SSE
client, and the call-up sign attached to the server (alpha framing over a pty, decoded
by the display simulator) showing the number on top. p50/p99 over N calls made one
after the other; target: within 1 s.

The board's browser adds its own rendering after the event (not measured here; the
browser test checks it shows the call). SQLite store in a temp data dir.

Run: .venv/bin/python bench/bench_callup.py [--calls 200] [--json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx2 as httpx  # noqa: E402  (the httpx line starlette now uses)
from _common import emit, log, percentile, row, verdict  # noqa: E402

from kiosk.devices.display.simulator import SimDisplay  # noqa: E402
from tests.conftest import MINIMAL_CONFIG  # noqa: E402
from tests.server_process import ServerProcess  # noqa: E402

TARGET_S = 1.0
COUNTER = "3"


class StreamClient:
    """Reads /api/v1/calls/stream like the board does; the time each number arrived."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.arrived: dict[str, float] = {}
        self.changed = threading.Condition()
        self.connected = threading.Event()
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import json

        headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        with httpx.stream("GET", self.url + "/api/v1/calls/stream", headers=headers,
                          timeout=httpx.Timeout(10, read=None)) as response:
            self.connected.set()
            event = None
            for line in response.iter_lines():
                if self._stop:
                    return
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "call":
                    number = json.loads(line[5:])["number"]
                    with self.changed:
                        self.arrived.setdefault(number, time.perf_counter())
                        self.changed.notify_all()

    def wait(self, number: str, timeout_s: float) -> float | None:
        with self.changed:
            self.changed.wait_for(lambda: number in self.arrived, timeout_s)
            return self.arrived.get(number)


class SignWatcher:
    """The time the sign's top line first showed each number (a thread waiting on the
    simulator's change notice, so the time is when the frame was decoded, not when the
    bench looked)."""

    def __init__(self, sign: SimDisplay) -> None:
        self.sign, self.arrived = sign, {}
        self.changed = threading.Condition()
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        top = None
        while not self._stop:
            if self.sign.wait_until(lambda s: (s.shown[:1] or [None])[0] != top, 0.5):
                top = (self.sign.shown[:1] or [None])[0]
                if top:
                    with self.changed:
                        self.arrived.setdefault(top.split(" ")[0], time.perf_counter())
                        self.changed.notify_all()

    def wait(self, number: str, timeout_s: float) -> float | None:
        with self.changed:
            self.changed.wait_for(lambda: number in self.arrived, timeout_s)
            return self.arrived.get(number)


def measure(calls: int) -> tuple[list[dict], list[str]]:
    with tempfile.TemporaryDirectory(prefix="bench-callup-") as tmp:
        tmp = Path(tmp)
        link = tmp / "sign"
        config = MINIMAL_CONFIG + f'\n[[display]]\nid = "lobby"\ndevice = "{link}"\n' \
                                  'framing = "alpha"\nmax_calls = 3\n'
        with SimDisplay(pty_link=link).start() as sign, \
                ServerProcess(tmp / "srv", config_text=config) as srv:
            http = httpx.Client(base_url=srv.url, timeout=10)
            log(f"issuing {calls} tickets")
            for _ in range(calls):
                r = http.post("/api/v1/tickets", json={"service": "anmeldung",
                              "language": "de"}, headers=srv.headers("terminal"))
                r.raise_for_status()
            stream = StreamClient(srv.url, srv.tokens["board"])
            stream.thread.start()
            stream.connected.wait(10)
            time.sleep(0.5)  # the server has subscribed the stream to its bus
            watcher = SignWatcher(sign)
            watcher.thread.start()
            answered, board, signs, missed = [], [], [], 0
            log(f"{calls} calls, one after the other")
            for _ in range(calls):
                start = time.perf_counter()
                r = http.post(f"/api/v1/counters/{COUNTER}/call",
                              json={"services": ["anmeldung"]},
                              headers=srv.headers("counter"))
                answered.append(time.perf_counter() - start)
                r.raise_for_status()
                number = r.json()["number"]
                at_sign = watcher.wait(number, 10)
                at_board = stream.wait(number, 10)
                if at_sign is None or at_board is None:
                    missed += 1
                    continue
                signs.append(at_sign - start)
                board.append(at_board - start)
                time.sleep(0.02)
            stream._stop = watcher._stop = True
            http.close()
    rows = []
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    rows.append(row("counter click -> POST answered", "kiosk serve, SQLite",
                    f"p50 {ms(percentile(answered, 50))}, p99 {ms(percentile(answered, 99))}"
                    f" ({len(answered)} calls)"))
    for what, values in (("counter click -> board (SSE event received)", board),
                         ("counter click -> serial sign shows it (alpha, pty)", signs)):
        p99 = percentile(values, 99)
        rows.append(row(what, "call bus, no polling",
                        f"p50 {ms(percentile(values, 50))}, p99 {ms(p99)}, max "
                        f"{ms(max(values))} ({len(values)}/{calls} calls)",
                        "p99 <= 1 s", verdict(p99 <= TARGET_S and not missed)))
    notes = [f"{missed} of {calls} calls did not reach board and sign within 10 s"] \
        if missed else []
    return rows, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows, notes = measure(args.calls)
    emit(rows, notes)


if __name__ == "__main__":
    main()
