"""Issue 4 bench: time from a printer / call-up sign coming back (pty re-created after
an unplug) to the kiosk using it again, without restarting anything.

Ours: PrinterSupervisor (status polling with backoff capped at 2 s) and
DisplaySupervisor (backoff capped at 5 s). Against, in the same run: stock python-escpos
`Serial`, which never reopens a port by itself (every write after the replug fails)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import median  # noqa: E402
from kiosk.devices.display.alpha import AlphaCodec  # noqa: E402
from kiosk.devices.display.calls import Call  # noqa: E402
from kiosk.devices.display.simulator import SimDisplay  # noqa: E402
from kiosk.devices.printer import escpos_compat  # noqa: E402,F401
from kiosk.devices.printer.profiles import PROFILES  # noqa: E402
from kiosk.devices.printer.simulator import SimPrinter  # noqa: E402
from kiosk.devices.printer.status import PrinterState  # noqa: E402
from kiosk.devices.printer.supervisor import PrinterSupervisor  # noqa: E402
from kiosk.devices.printer.transports import SerialTransport  # noqa: E402
from kiosk.devices.reconnect import LinkState  # noqa: E402

AWAY_S = (0.5, 3.0, 8.0)  # how long the device stays unplugged
RUNS = 3


def _wait(predicate, timeout_s=15.0) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.01)
    return None


def printer_rows(tmp: Path) -> list[tuple[str, str]]:
    rows = []
    with SimPrinter(pty_link=tmp / "p", preview=False) as sim:
        sup = PrinterSupervisor(SerialTransport(str(tmp / "p"), 115200),
                                PROFILES["TM-T88V"]).start()
        try:
            _wait(lambda: sup.status.state is PrinterState.ONLINE)
            for away in AWAY_S:
                times = []
                for _ in range(RUNS):
                    sim.disappear()
                    _wait(lambda: sup.status.state is PrinterState.OFFLINE)
                    time.sleep(away)
                    sim.reappear()
                    times.append(_wait(lambda: sup.status.state is PrinterState.ONLINE))
                got = [t for t in times if t is not None]
                rows.append((f"ours: printer worker, unplugged {away:g} s",
                             f"back online after median {median(got) * 1000:.0f} ms, max "
                             f"{max(got) * 1000:.0f} ms ({len(got)}/{RUNS} recovered)"))
        finally:
            sup.close()
        from escpos.printer import Serial as StockSerial

        stock = StockSerial(devfile=str(tmp / "p"), baudrate=115200, timeout=1, dsrdtr=False)
        stock.open()
        sim.disappear()
        time.sleep(0.5)
        sim.reappear()
        time.sleep(2.0)
        try:
            stock.text("after replug\n")
            verdict = "write accepted (no error)"
        except Exception as err:  # noqa: BLE001 - we report what the library does
            verdict = f"write fails: {type(err).__name__}; the app must reopen it itself"
        rows.append(("stock python-escpos Serial after replug (2 s later)", verdict))
    return rows


def display_rows(tmp: Path) -> list[tuple[str, str]]:
    rows = []
    calls = [Call("A017", "Schalter 3")]
    with SimDisplay(pty_link=tmp / "d").start() as sign:
        from kiosk.devices.display.supervisor import DisplaySupervisor

        with DisplaySupervisor(str(tmp / "d"), AlphaCodec()) as sup:
            sup.show(calls)
            sign.wait_until(lambda s: bool(s.shown), 5)
            for away in AWAY_S:
                times = []
                for _ in range(RUNS):
                    sign.disappear()
                    _wait(lambda: sup.state is LinkState.OFFLINE)
                    time.sleep(away)
                    sign.reappear()
                    times.append(_wait(lambda: bool(sign.shown)))
                got = [t for t in times if t is not None]
                rows.append((f"ours: call-up sign worker, unplugged {away:g} s",
                             f"calls shown again after median {median(got) * 1000:.0f} ms, "
                             f"max {max(got) * 1000:.0f} ms ({len(got)}/{RUNS})"))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = printer_rows(Path(tmp)) + display_rows(Path(tmp))
    print("| variant | result |\n|---|---|")
    for name, result in rows:
        print(f"| {name} | {result} |")


if __name__ == "__main__":
    main()
