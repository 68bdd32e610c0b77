"""The terminal's daily retention purge of sealed intakes: a daemon thread that calls
the purge at start and then every interval (a day), so an intake nobody exported is
deleted after [intake] retention_days even when nobody runs `kiosk intake purge`."""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)

DAY_S = 24 * 3600.0


class DailyPurge:
    def __init__(self, purge: Callable[[], int], interval_s: float = DAY_S) -> None:
        self._purge, self.interval_s = purge, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="intake-purge", daemon=True)
        self.runs = 0  # how many purges ran (tests and the staff screen may read it)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._purge()
            except Exception as err:  # noqa: BLE001 - tomorrow's run tries again
                log.error("intake purge failed: %s", " ".join(str(err).split()))
            self.runs += 1
            self._stop.wait(self.interval_s)
