"""Keep the call-up displays showing the latest calls recorded in the store. Runs in
the process that owns the displays (the touchscreen app) and polls twice a second, so
a `kiosk call` from a counter reaches the sign within a second."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Callable, Protocol, Sequence

from kiosk.config_format import bounded_format
from kiosk.domain.clock import business_day, utc_now
from kiosk.services.ports import QueueStore

log = logging.getLogger(__name__)


class CallDisplay(Protocol):
    def show(self, calls: Sequence) -> None: ...


class CallupFeed:
    def __init__(self, store: QueueStore, displays: Sequence[tuple[CallDisplay, int, str]],
                 make_call: Callable[[str, str], object], interval_s: float = 0.5,
                 clock: Callable[[], datetime] = utc_now) -> None:
        """`displays`: (display, how many calls it shows, counter label format such as
        "Schalter {counter}"); `make_call(number, counter_text)` builds the device's Call."""
        self.store, self.displays, self.make_call = store, displays, make_call
        self.interval_s, self.clock = interval_s, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: tuple | None = None

    def tick(self) -> bool:
        """Read the latest calls and push them if they changed; True when pushed."""
        limit = max((n for _, n, _ in self.displays), default=0)
        if not limit:
            return False
        tickets = self.store.recent_calls(business_day(self.clock()), limit)
        key = tuple((t.number, t.counter) for t in tickets)
        if key == self._last:
            return False
        self._last = key
        for display, count, counter_format in self.displays:
            calls = [self.make_call(t.number, bounded_format(counter_format, "{counter}",
                                                             counter=t.counter))
                     for t in tickets[:count]]
            display.show(calls)
        return True

    def start(self) -> CallupFeed:
        self._thread = threading.Thread(target=self._run, name="callup-feed", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a store hiccup must not stop the feed
                log.exception("call-up feed: reading calls failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
