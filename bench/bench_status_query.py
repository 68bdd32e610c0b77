"""Issue 4 bench: one real-time status query (DLE EOT) on a pty printer simulator.

Ours: kiosk.devices.printer.status.query_status (exact 1-byte reads, short timeout,
silence = offline). Against, in the same run and on the same simulator: stock
python-escpos 3.1 `Serial.is_online()` and `paper_status()` (reads 16 bytes and waits
for the timeout; maps silence to "paper adequate"). Also: how long each takes to call a
silent printer offline, and what each says about it."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import serial  # noqa: E402

from bench._common import median, percentile  # noqa: E402
from kiosk.devices.printer import escpos_compat  # noqa: E402,F401  (contained import)
from kiosk.devices.printer.simulator import SimPrinter  # noqa: E402
from kiosk.devices.printer.status import query_status  # noqa: E402

OURS_RUNS, STOCK_RUNS = 500, 5


def _timed(fn, runs):
    times, last = [], None
    for _ in range(runs):
        start = time.perf_counter()
        last = fn()
        times.append(time.perf_counter() - start)
        time.sleep(0.002)
    return times, last


def main() -> None:
    from escpos.printer import Serial as StockSerial

    with tempfile.TemporaryDirectory() as tmp, \
            SimPrinter(pty_link=Path(tmp) / "p", preview=False) as sim:
        link = str(Path(tmp) / "p")
        port = serial.serial_for_url(link, baudrate=115200, timeout=0.05)
        ours, status = _timed(lambda: query_status(port), OURS_RUNS)
        port.close()
        stock = StockSerial(devfile=link, baudrate=115200, timeout=1, dsrdtr=False)
        stock.open()
        online, online_answer = _timed(stock.is_online, STOCK_RUNS)
        paper, paper_answer = _timed(stock.paper_status, STOCK_RUNS)
        sim.set_fault(silent=True)
        silent_stock, silent_stock_answer = _timed(stock.paper_status, 2)
        stock.close()
        port = serial.serial_for_url(link, baudrate=115200, timeout=0.05)
        silent_ours, silent_answer = _timed(lambda: query_status(port), 20)
        port.close()
    rows = [
        ("ours: query_status (DLE EOT 1-4, full status)",
         f"median {median(ours) * 1000:.2f} ms, p99 {percentile(ours, 99) * 1000:.2f} ms "
         f"({OURS_RUNS} runs) -> {status.state.value}"),
        ("stock python-escpos Serial.is_online()",
         f"median {median(online) * 1000:.0f} ms ({STOCK_RUNS} runs) -> {online_answer}"),
        ("stock python-escpos Serial.paper_status()",
         f"median {median(paper) * 1000:.0f} ms ({STOCK_RUNS} runs) -> {paper_answer}"),
        ("silent printer, ours",
         f"median {median(silent_ours) * 1000:.1f} ms -> {silent_answer.state.value} "
         f"({silent_answer.cause})"),
        ("silent printer, stock paper_status()",
         f"median {median(silent_stock) * 1000:.0f} ms -> {silent_stock_answer} "
         "(2 = 'paper adequate': silence taken for fine)"),
    ]
    print("| variant | result |\n|---|---|")
    for name, result in rows:
        print(f"| {name} | {result} |")


if __name__ == "__main__":
    main()
