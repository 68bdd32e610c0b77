"""Keeps the state snapshot current: one thread rewrites it on every device state change
and every `refresh_s`, so `written_at` shows that the kiosk is alive. Store reads happen
on this thread, never on the UI thread; any failure is logged and retried, never fatal.
Counters (`count("checkins", outcome)`) may be bumped from any thread: a dict update
under a lock, written with the next snapshot. The families the store knows (tickets per
service and check-ins of the business day) are read from the store instead, so tickets
other kiosk processes issue (`kiosk ticket`) are in the figures too."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from kiosk.domain.clock import business_day, utc_now
from kiosk.health import heartbeat
from kiosk.health.snapshot import COUNTER_FAMILIES, DeviceView, Snapshot
from kiosk.health.state_file import write_atomic

log = logging.getLogger(__name__)

MAX_ERRORS = 10  # recent device/store errors kept in the snapshot for /status


@dataclass(frozen=True)
class WatchedDevice:
    """One device the kiosk owns, as the writer sees it."""

    kind: str
    name: str
    where: str
    read: Callable[[], tuple[str, str]]  # (state, cause) right now; cheap, no I/O
    subscribe: Callable[[Callable[..., None]], None]  # the worker's add_listener


class QueueFacts(Protocol):
    def waiting_count(self, service: str, day) -> int: ...

    def last_issued_at(self) -> datetime | None: ...

    # optional, read by _day_counts (a store without them leaves the families to
    # count(), which otherwise only wakes the writer): issued_today(service, day) -> int,
    # checkin_stats(day) -> [(service, outcome, n)]. Both per business day: the figures
    # start again from 0 at the day change.



class SnapshotWriter:
    def __init__(self, path: Path, terminal_id: str, devices: Sequence[WatchedDevice],
                 store: QueueFacts | None, services: Sequence[str],
                 print_counts: Callable[[], tuple[int, int]] | None = None,
                 refresh_s: float = 5.0, clock: Callable[[], datetime] = utc_now,
                 min_gap_s: float = 0.2,
                 open_now: Callable[[str, datetime], bool] | None = None,
                 store_file: Path | None = None, version: str = "",
                 config_hash: str = "",
                 server_link: Callable[[], dict] | None = None) -> None:
        self.path, self.terminal_id = Path(path), terminal_id
        self.server_link = server_link  # backend "http": the link's figures
        self.devices, self.store, self.services = tuple(devices), store, tuple(services)
        self.print_counts = print_counts
        self.open_now, self.store_file = open_now, store_file
        self.version, self.config_hash = version, config_hash
        self._counters: dict[str, dict[str, int]] = {f: {} for f in COUNTER_FAMILIES}
        self._errors: deque[tuple[datetime, str]] = deque(maxlen=MAX_ERRORS)
        self.refresh_s, self.clock, self.min_gap_s = refresh_s, clock, min_gap_s
        self.pid = os.getpid()
        self.started_at = clock()
        self.writes = 0
        self._seen: dict[int, tuple[str, datetime]] = {}  # device index -> (state, since)
        self._noticed: dict[int, datetime] = {}  # when a listener reported a change
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing: str | None = None  # the write error last logged
        self._store_failing = False
        self._store_counts: dict[str, dict[str, int]] = {}  # the last read that worked
        for index, device in enumerate(self.devices):
            device.subscribe(lambda *_args, i=index: self._on_change(i))

    # -- public ----------------------------------------------------------------------

    def start(self) -> SnapshotWriter:
        if self._thread is None:
            self._unlisten = heartbeat.on_first_frame(self.poke)
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="state-snapshot",
                                            daemon=True)
            self._thread.start()
        return self

    def poke(self) -> None:
        """Something changed (a ticket, a call): write soon, not at the next refresh."""
        self._wake.set()

    def count(self, family: str, label: str, n: int = 1) -> None:
        """One more event of `family` (tickets, print_jobs, checkins, intakes, or a new
        family) with `label` (a service id, an outcome code: never anything personal).
        Any thread; written with the next snapshot."""
        with self._lock:
            counts = self._counters.setdefault(family, {})
            counts[label] = counts.get(label, 0) + n
        self._wake.set()

    def close(self, timeout_s: float = 5.0) -> None:
        if getattr(self, "_unlisten", None) is not None:
            self._unlisten()
            self._unlisten = None
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.error("state snapshot: writer did not stop")
            self._thread = None

    def collect(self) -> Snapshot:
        now = self.clock()
        queues, last, store_error = self._queue_facts(now)
        printed, failed = self._counts()
        devices = tuple(self._view(i, d, now) for i, d in enumerate(self.devices))
        with self._lock:
            if store_error and (not self._errors or self._errors[-1][1] != store_error):
                self._errors.append((now, store_error))
            counters = {family: dict(counts) for family, counts in self._counters.items()}
            errors = tuple(self._errors)
        counters.update(self._store_counts)  # a store that failed: its last figures
        return Snapshot(
            terminal_id=self.terminal_id, pid=self.pid, started_at=self.started_at,
            written_at=now, refresh_s=self.refresh_s, devices=devices,
            last_ticket_at=last, queues=queues, store_error=store_error,
            printed=printed, print_failed=failed,
            ui_heartbeat_at=_seconds(heartbeat.last_beat()),
            first_frame_at=_seconds(heartbeat.first_frame()), counters=counters,
            open_services=self._open(now), store_bytes=self._store_bytes(),
            errors=errors, version=self.version, config_hash=self.config_hash,
            server=self._server())

    def _server(self) -> dict | None:
        if self.server_link is None:
            return None
        try:
            return self.server_link()
        except Exception as err:  # noqa: BLE001 - the outbox file: reported, not fatal
            log.warning("state snapshot: server link not readable: %s", type(err).__name__)
            return None

    def write_now(self) -> bool:
        try:
            write_atomic(self.path, self.collect().to_json())
        except Exception as err:  # noqa: BLE001 - a full disk must not end the writer
            reason = f"{type(err).__name__}: {getattr(err, 'strerror', None) or err}"[:160]
            if reason != self._failing:
                log.warning("state snapshot: cannot write %s (%s)", self.path, reason)
                self._failing = reason
            return False
        if self._failing is not None:
            log.info("state snapshot: writing %s again", self.path)
            self._failing = None
        self.writes += 1
        return True

    # -- worker ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self.write_now()
            written = time.monotonic()
            self._wake.wait(self.refresh_s)
            # a flapping device is written at most every min_gap_s, not once per flap
            rest = self.min_gap_s - (time.monotonic() - written)
            if rest > 0 and not self._stop.is_set():
                self._stop.wait(rest)
            self._wake.clear()

    def _on_change(self, index: int) -> None:
        # runs on the device's worker thread: note the time, wake the writer, no I/O
        with self._lock:
            self._noticed[index] = self.clock()
        self._wake.set()

    def _view(self, index: int, device: WatchedDevice, now: datetime) -> DeviceView:
        try:
            state, cause = device.read()
        except Exception as err:  # noqa: BLE001 - one odd device must not hide the rest
            state, cause = "error", f"state not readable: {type(err).__name__}"
        with self._lock:
            noticed = self._noticed.pop(index, None)
        seen = self._seen.get(index)
        if seen is None:
            since = self.started_at if noticed is None else noticed
        elif seen[0] != state:
            since = noticed or now
        else:
            since = seen[1]
        if (seen is None or seen[0] != state) and state != "online":
            what = f"{device.kind} {device.name}: {state}" + (f" ({cause})" if cause else "")
            with self._lock:
                self._errors.append((since, what[:200]))
        self._seen[index] = (state, since)
        return DeviceView(device.kind, device.name, device.where, state, cause or "", since)

    def _queue_facts(self, now: datetime):
        if self.store is None:
            return None, None, None
        try:
            day = business_day(now)
            queues = {service: self.store.waiting_count(service, day)
                      for service in self.services}
            last = self.store.last_issued_at()
            self._store_counts = self._day_counts(day)
        except Exception as err:  # noqa: BLE001 - a store fault is reported, not fatal
            text = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
            if not self._store_failing:
                log.warning("state snapshot: store not readable (%s)", text)
            self._store_failing = True
            return None, None, f"store not readable: {text}"
        self._store_failing = False
        # seconds only: the time of the last ticket, not a key to find that ticket
        return queues, last.replace(microsecond=0) if last else None, None

    def _day_counts(self, day) -> dict[str, dict[str, int]]:
        """The counter families the store knows, for the business day and from every
        kiosk process on this store (on this thread, never on a request)."""
        counts: dict[str, dict[str, int]] = {}
        issued = getattr(self.store, "issued_today", None)
        if issued is not None:  # walk-in tickets, as the issuing path counts them
            counts["tickets"] = {service: issued(service, day) for service in self.services}
        stats = getattr(self.store, "checkin_stats", None)
        if stats is not None:  # checked_in_early/_on_time/_late, refused_<why>, no_show
            checkins: dict[str, int] = {}
            for _service, outcome, n in stats(day):
                checkins[outcome] = checkins.get(outcome, 0) + n
            counts["checkins"] = checkins
        # intakes: the intake helpers' count_intake stats (schema v7) are read here the
        # same way once they exist; until then "intakes" is this process's count()
        return counts

    def _counts(self) -> tuple[int, int]:
        if self.print_counts is None:
            return 0, 0
        try:
            return self.print_counts()
        except Exception:  # noqa: BLE001
            return 0, 0

    def _open(self, now: datetime) -> dict[str, bool]:
        if self.open_now is None:
            return {}
        try:
            return {service: bool(self.open_now(service, now)) for service in self.services}
        except Exception:  # noqa: BLE001 - an unknown answer is left out, not guessed
            return {}

    def _store_bytes(self) -> int | None:
        if self.store_file is None:
            return None
        try:  # a stat, not a read: the store itself is never touched here
            return os.stat(self.store_file).st_size
        except OSError:
            return None


def _seconds(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(microsecond=0)
