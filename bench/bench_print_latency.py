"""Measurement 2: tap -> last ticket byte received by the printer, over a pty.

What: what the ticket button's worker thread does (kiosk/screens/walk_in.py `_issue_worker`):
`TicketService.issue("anmeldung", "de")` then `TicketService.print_ticket(issued)`, with
the printer on a serial PrinterConfig pointing at a `kiosk.devices.printer.simulator.
SimPrinter` pty link (the simulator reads no faster than baud/10 bytes per second, so
9600 baud feels like 9600 baud). Two kiosk printers, both built by kiosk.wiring:
  app      `build_printer_supervisor` - the printer `kiosk run` gives the app since the
           printer worker landed (render in the caller, job queued to the worker thread,
           status before and after); where a commit has no supervisor this is skipped;
  oneshot  `build_printer` - the synchronous TicketPrinter of `kiosk ticket` (and of the
           app before the printer worker).
The clock stops when the simulator has parsed the job's last byte (the cut command;
stamped in the simulator's reader thread by a 3-line subclass) and the job is in
`SimPrinter.jobs`. Also reported: when `print_ticket` returned (it waits for the line
to drain, asks status again, and records the result in the store).

TicketService gets min_interval_s=0 so its double-tap debounce does not refuse the
back-to-back runs; the store is a fresh SQLite file (durable writes, as shipped), the
configuration the shipped demo one (service "anmeldung", quota 120 > runs).

Against, in the same run (runs interleaved, each variant on its own simulator instance
at the same baud rate): stock python-escpos `escpos.printer.Serial(devfile=...,
baudrate=..., profile="TM-T88V")` with its other defaults (dsrdtr=True, timeout=1),
printing the same ticket content after the same `TicketService.issue` call: set()/text()
per line, default `qr()` (an image), `cut()`. It asks no status (the kiosk path asks
before and after printing), so it does strictly less than the kiosk path.
For information: the kiosk app path at 115200 with a store holding one year of history
(365 x 500 tickets), and one Arabic visitor's ticket (raster lines) at each baud rate.

Target: <= 50 ms p99 at 115200 baud (app path). One warm-up run per variant (opens the
port) is reported separately and left out of the percentiles.
Run: .venv/bin/python bench/bench_print_latency.py [--runs-115200 N] [--runs-9600 N]
     [--no-arabic]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import tempfile
import time
from pathlib import Path

from _common import (demo_config, emit, fill_history, log, median, percentile, row,
                     stock_escpos_ticket, verdict)

from _stamping import StampingSimPrinter

SERVICE = "anmeldung"
GAP_S = 0.05  # pause between runs (not measured): visitors do not arrive back to back


def printer_for(kind: str, printer_config):
    """The printer object the tap's path talks to (see the module docstring)."""
    import kiosk.wiring as wiring

    if kind == "app":
        if not hasattr(wiring, "build_printer_supervisor"):
            return None  # older commits: the app used build_printer as well
        return wiring.build_printer_supervisor(printer_config)
    return wiring.build_printer(printer_config)


class Variant:
    """kind: "app" (PrinterSupervisor, as kiosk run), "oneshot" (build_printer, as
    `kiosk ticket`) or "stock" (python-escpos Serial)."""

    def __init__(self, name: str, tmp: Path, baud: int, kind: str, history: bool = False):
        from kiosk.services.issue_ticket import TicketService
        from kiosk.store.sqlite import SqliteStore

        self.name, self.baud, self.kind = name, baud, kind
        self.stock = kind == "stock"
        folder = tmp / name
        folder.mkdir()
        self.sim = StampingSimPrinter(out_dir=None, pty_link=folder / "printer", baudrate=baud,
                                      preview=False)
        config = demo_config(folder)
        config = dataclasses.replace(config, printer=dataclasses.replace(
            config.printer, transport="serial", device=str(folder / "printer"), baudrate=baud))
        self.store = SqliteStore(folder / "kiosk.sqlite3", terminal_id="bench")
        if history:
            from kiosk.domain.clock import business_day, utc_now

            fill_history(self.store._db, business_day(utc_now()), 365, 500)
        self.printer = None
        if self.stock:
            from kiosk.devices.printer.escpos_compat import _escpos_printer

            self.escpos = _escpos_printer.Serial(devfile=str(folder / "printer"),
                                                 baudrate=baud, profile="TM-T88V")
        else:
            self.printer = printer_for(kind, config.printer)
            if self.printer is None:
                self.sim.close()
                self.store.close()
                raise LookupError(kind)
        self.service = TicketService(config, self.store, self.printer, min_interval_s=0)
        self.latency: list[float] = []
        self.returned: list[float] = []
        self.first: float | None = None
        self.job_bytes = 0

    def run_once(self) -> None:
        jobs_before = len(self.sim.jobs)
        self.sim.cut_event.clear()
        t0 = time.perf_counter()
        issued = self.service.issue(SERVICE, "de")  # the tap's worker thread starts here
        if self.stock:
            with contextlib.redirect_stdout(io.StringIO()):
                stock_escpos_ticket(self.escpos, self.service.document(issued))
        else:
            result = self.service.print_ticket(issued)
            if not result.printed:
                raise RuntimeError(f"{self.name}: not printed: {result.error}")
        t_return = time.perf_counter()
        t_cut, self.job_bytes = self.sim.last_job(
            jobs_before, lambda: f"{self.name}: the simulator got no complete job")
        if self.first is None:
            self.first = t_cut - t0
        else:
            self.latency.append(t_cut - t0)
            self.returned.append(t_return - t0)

    def arabic_once(self) -> str:
        """One Arabic visitor's ticket (raster lines): what printed and what was said."""
        self.sim.cut_event.clear()
        jobs_before = len(self.sim.jobs)
        t0 = time.perf_counter()
        issued = self.service.issue(SERVICE, "ar")
        sent = len(render_bytes(self.service, issued, self.printer))
        result = self.service.print_ticket(issued)
        t_return = time.perf_counter() - t0
        self.sim.wait_for_jobs(jobs_before + 1, 60)
        got = len(self.sim.jobs[-1]) if len(self.sim.jobs) > jobs_before else 0
        cut = (f"last byte after {self.sim.cut_times[-1] - t0:.2f} s"
               if self.sim.cut_event.is_set() else "no cut arrived")
        said = "printed" if result.printed else f"NOT printed ({result.error})"
        return (f"{sent:,} B ticket: service said {said} after {t_return:.2f} s; printer "
                f"received {got:,} of {sent:,} B, {cut}")

    def close(self) -> None:
        if self.stock:
            self.escpos.close()
        else:
            self.printer.close()
        self.store.close()
        self.sim.close()


def render_bytes(service, issued, printer) -> bytes:
    from kiosk.devices.printer.render import render_document

    return render_document(service.document(issued), printer.profile)


def measure(variants: list[Variant], runs: int) -> None:
    for v in variants:
        v.run_once()  # warm-up: opens the port
        time.sleep(GAP_S)
    for _ in range(runs):
        for v in variants:
            v.run_once()
            time.sleep(GAP_S)


LABELS = {
    "app": "kiosk app path: `issue` + `print_ticket` via `build_printer_supervisor`",
    "oneshot": "kiosk one-shot path (`kiosk ticket`): via `build_printer`",
    "stock": "stock python-escpos `Serial`, image `qr()`, `cut()`",
}


def make_variants(tmp: Path, baud: int) -> list[Variant]:
    variants = []
    for kind in ("app", "oneshot", "stock"):
        try:
            variants.append(Variant(f"{kind}-{baud}", tmp, baud, kind))
        except LookupError:
            log(f"[print] no {kind} printer in this commit: skipped")
    if baud == 115200:
        kind = "app" if variants[0].kind == "app" else "oneshot"
        variants.append(Variant(f"{kind}-history-{baud}", tmp, baud, kind, history=True))
    return variants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-115200", type=int, default=50)
    parser.add_argument("--runs-9600", type=int, default=30)
    parser.add_argument("--no-arabic", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-print-") as tmp_name:
        tmp = Path(tmp_name)
        for baud, runs in ((115200, args.runs_115200), (9600, args.runs_9600)):
            variants = make_variants(tmp, baud)
            arabic = ""
            try:
                log(f"[print] {baud} baud: {runs} runs per variant")
                measure(variants, runs)
                if not args.no_arabic:
                    log(f"[print] {baud} baud: one Arabic visitor's ticket on the "
                        f"{variants[0].kind} path")
                    arabic = variants[0].arabic_once()
            finally:
                for v in variants:
                    v.close()
            for v in variants:
                p50, p99 = percentile(v.latency, 50) * 1000, percentile(v.latency, 99) * 1000
                result = (f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max "
                          f"{max(v.latency) * 1000:.1f} ms ({len(v.latency)} runs, "
                          f"{v.job_bytes:,} B job, bytes x 10 / baud = "
                          f"{v.job_bytes * 10 / baud * 1000:.1f} ms); first ticket "
                          f"(port opened) {v.first * 1000:.1f} ms")
                if not v.stock:
                    result += (f"; `print_ticket` returned after p50 "
                               f"{median(v.returned) * 1000:.1f} ms")
                label = LABELS[v.kind] + (", store with 1 year of history (info)"
                                          if "history" in v.name else "") + f" @ {baud}"
                is_target = v.kind == "app" and "history" not in v.name and baud == 115200
                rows.append(row("2 tap -> last byte (pty)", label, result,
                                "p99 <= 50 ms" if is_target else "—",
                                verdict(p99 <= 50) if is_target else "—"))
                log(f"[print] {label}: {result}")
            if arabic:
                rows.append(row("2 tap -> last byte (pty)", f"Arabic visitor, 1 run (info), "
                                f"{variants[0].kind} path @ {baud}", arabic))
                log(f"[print] Arabic @ {baud}: {arabic}")
    notes = ["tap -> last byte: TicketService(min_interval_s=0) so the 0.5 s double-tap "
             f"debounce does not refuse back-to-back runs; {GAP_S * 1000:.0f} ms pause "
             "between runs; variants interleaved run by run, each with its own simulator "
             "instance; the end is the simulator's parse of the cut command (last byte) in "
             "its reader thread. The simulator lets a burst of up to 64 B (5 ms of line "
             "time) through at once, so at 115200 it is ~5 ms faster than bytes x 10 / baud"]
    emit(rows, notes)


if __name__ == "__main__":
    main()
