"""A printer simulator that notes when each ticket's last byte (the cut) arrived: the end
point of the tap -> paper measurements in bench_print_latency.py and bench_checkin.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
import time

from kiosk.devices.printer.simulator import SimPrinter


class StampingSimPrinter(SimPrinter):
    """SimPrinter that notes when it parsed a cut (the last byte of a ticket job)."""

    def __init__(self, *args, **kwargs) -> None:
        self.cut_times: list[float] = []
        self.cut_event = threading.Event()
        super().__init__(*args, **kwargs)

    def _handle(self, pty, kind, value) -> None:  # reader thread, simulator lock held
        super()._handle(pty, kind, value)
        if kind == "cut":
            self.cut_times.append(time.perf_counter())
            self.cut_event.set()

    def last_job(self, jobs_before: int, failure: Callable[[], str]) -> tuple[float, int]:
        """(when the cut arrived, bytes of the job) once the next complete job is in;
        RuntimeError(failure()) when none comes within 30 s."""
        if not self.cut_event.wait(30) or not self.wait_for_jobs(jobs_before + 1, 30):
            raise RuntimeError(failure())
        return self.cut_times[-1], len(self.jobs[-1])
