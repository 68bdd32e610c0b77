"""What the queue says about each service (open, quota reached, all numbers used, not
readable), read by one worker thread and kept as a snapshot, so the services screen
draws without waiting for the store while another process holds its write lock."""

from __future__ import annotations

import logging
import threading
from typing import Callable, Iterable

from kiosk.config import ServiceConfig
from kiosk.services.issue_ticket import TicketService
from kiosk.store.errors import StoreError

log = logging.getLogger(__name__)

# A service's state when the queue cannot be read: shown unavailable, never a crash.
STORE_TROUBLE = "store_error"
UNKNOWN = "open"  # before the first reading: the tap's issue() decides and explains
REFRESH_S = 3.0  # another terminal or a counter changes the queue: re-read this often


class AvailabilitySnapshot:
    """Reads `queue_availability` of every service in its own thread: every REFRESH_S,
    and at once after `refresh_soon()`. `on_change(states)` is called in that thread
    when a state changed (and after the first reading): hand it to the UI thread."""

    def __init__(self, tickets: TicketService, services: Iterable[ServiceConfig],
                 on_change: Callable[[dict[str, str]], None],
                 interval_s: float = REFRESH_S) -> None:
        self.tickets, self.services = tickets, list(services)
        self.on_change, self.interval_s = on_change, interval_s
        self._states: dict[str, str] = {}
        self._read = False  # a first reading is there
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kiosk-availability",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the worker. It may be waiting for the store (a held write lock); then
        it ends after that read, discarding it, and the join gives up after timeout_s."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def refresh_soon(self) -> None:
        """Read again now (the services screen is entered, a ticket was issued)."""
        self._wake.set()

    def state(self, service_id: str) -> str:
        """The last reading for the service; UNKNOWN ("open") before the first one."""
        with self._lock:
            return self._states.get(service_id, UNKNOWN)

    @property
    def ready(self) -> bool:
        with self._lock:
            return self._read

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.read_once()
            except Exception:  # noqa: BLE001 - the worker outlives any surprise
                log.exception("availability snapshot: reading failed")
            self._wake.wait(self.interval_s)

    def read_once(self) -> None:
        now = self.tickets.clock()
        states: dict[str, str] = {}
        for service in self.services:
            if self._stop.is_set():
                return
            try:
                states[service.id] = self.tickets.queue_availability(service, now).value
            except StoreError as err:
                # the queue file is unreadable (disk, corrupt): the visitor sees the
                # service as unavailable and is sent to the desk; staff find the reason
                # in the log, once per service until it is readable again
                if self.state(service.id) != STORE_TROUBLE:
                    log.error("services screen: availability of %s not readable: %s",
                              service.id, err)
                states[service.id] = STORE_TROUBLE
        with self._lock:
            changed = states != self._states or not self._read
            self._states, self._read = states, True
        if changed and not self._stop.is_set():
            self.on_change(dict(states))
