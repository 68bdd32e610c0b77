"""The serial call-up signs attached to the server machine ([[display]] in the server's
config): each call and recall on the call bus goes to them at once (no polling), in the
sign's framing and with its counter label, as the terminal's call-up feed shows them."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from typing import Callable, Sequence

from kiosk.config_format import bounded_format
from kiosk.devices.display.calls import Call
from kiosk.domain.clock import business_day

log = logging.getLogger(__name__)


class BusSigns:
    """Keeps the newest calls (number, counter) of the business day and shows them on
    every sign; `displays` are started workers paired with their [[display]] config."""

    def __init__(self, displays: Sequence[tuple[object, object]], clock: Callable) -> None:
        self.displays, self.clock = list(displays), clock
        self.keep = max((cfg.max_calls for _, cfg in self.displays), default=0)
        self._lock = threading.Lock()
        self._calls: list[tuple[str, str]] = []
        self._day = None

    def start_with(self, recent: Sequence[tuple[str, str]]) -> None:
        """What the signs show when the server starts: the store's current calls."""
        with self._lock:
            self._day = business_day(self.clock())
            self._calls = list(recent)[:self.keep]
            self._push()

    def on_call(self, call: dict) -> None:
        """A bus listener (on the publishing thread): newest first, a recall moves its
        number to the top again."""
        with self._lock:
            day = business_day(self.clock())
            if day != self._day:  # yesterday's calls leave the sign at the day change
                self._day, self._calls = day, []
            entry = (str(call["number"]), str(call["counter"]))
            self._calls = [entry] + [c for c in self._calls if c[0] != entry[0]]
            del self._calls[self.keep:]
            self._push()

    def _push(self) -> None:
        for worker, cfg in self.displays:
            worker.show([Call(number, bounded_format(cfg.counter_format, "{counter}",
                                                     counter=counter))
                         for number, counter in self._calls[:cfg.max_calls]])


def attach(app, server) -> None:
    """Start the configured signs with the app and stop them with it."""
    if not server.config.displays:
        return
    state: dict = {}

    def start() -> None:
        from kiosk.wiring import build_display

        workers = [build_display(cfg) for cfg in server.config.displays]
        signs = BusSigns(list(zip(workers, server.config.displays)), server.clock)
        try:
            recent = server.store.recent_calls_at(business_day(server.clock()), signs.keep)
            signs.start_with([(t.number, t.counter) for t, _ in recent])
        except Exception as err:  # noqa: BLE001 - a store hiccup: the next call fills them
            log.warning("signs: the current calls cannot be read (%s)", type(err).__name__)
        state.update(workers=workers, stop=server.bus.listen(signs.on_call))
        log.info("call-up signs attached: %d", len(workers))

    def stop() -> None:
        if "stop" in state:
            state["stop"]()
        for worker in state.get("workers", ()):
            worker.close()

    outer = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application):
        start()
        try:
            async with outer(application) as inner:
                yield inner
        finally:
            stop()

    app.router.lifespan_context = lifespan
