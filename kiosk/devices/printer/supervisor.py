"""One worker thread owns the ticket printer: it prints jobs one at a time, polls the
real-time status while idle, reconnects with backoff after unplug or power-cycle, and
tells listeners when the state changes. Callers never block on a dead device longer
than their own timeout, and never get an exception for a device problem.

Reprint policy (no double tickets): a job is sent at most once. Only a job that failed
before a single byte left (printer offline, port gone) is tried again, once, if the
printer comes back within `retry_window_s`; anything else is reported as not printed
and the visitor keeps the number shown on screen.

The worker never ends while the app runs: an unexpected exception (a library bug, a
misspelt URL, a device without permission) is logged once, becomes an offline status
with its cause, fails the job in hand, and the normal reconnect follows. A change of
state is reported only when two consecutive readings agree, so one garbled reply never
reaches the screen as "paper out" or "cover open"."""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Callable

from kiosk.devices.printer.driver import (PrintResult, ask_status, describe, send_job,
                                         unexpected)
from kiosk.devices.printer.profiles import PrinterProfile
from kiosk.devices.printer.render import render_document
from kiosk.devices.printer.status import PrinterState, PrinterStatus
from kiosk.devices.printer.transports import PrinterTransport
from kiosk.devices.reconnect import Backoff, short_error
from kiosk.domain.documents import Document

log = logging.getLogger(__name__)

StatusListener = Callable[[PrinterStatus], None]
UNKNOWN = PrinterStatus(PrinterState.OFFLINE, "not checked yet")
STOPPED = "printer worker stopped"


@dataclass
class _Job:
    data: bytes
    future: Future
    queued_at: float


@dataclass
class _Probe:
    """A status reading asked for now (staff replaced the paper); the future resolves
    to the status the worker reports after it."""

    future: Future


class PrinterSupervisor:
    def __init__(self, transport: PrinterTransport, profile: PrinterProfile,
                 poll_interval_s: float = 2.0, retry_window_s: float = 3.0,
                 reconnect_min_s: float = 0.2, reconnect_max_s: float = 2.0,
                 name: str = "printer", first_status_wait_s: float = 1.0,
                 confirm_delay_s: float = 0.1) -> None:
        self.transport, self.profile, self.name = transport, profile, name
        self.poll_interval_s, self.retry_window_s = poll_interval_s, retry_window_s
        self.first_status_wait_s, self.confirm_delay_s = first_status_wait_s, confirm_delay_s
        self._backoff = Backoff(reconnect_min_s, reconnect_max_s)
        self._jobs: queue.Queue[_Job | _Probe | None] = queue.Queue()
        self._status = UNKNOWN
        self._reported_once = False
        self._pending: PrinterStatus | None = None  # a new reading awaiting a second one
        self._current: _Job | None = None
        self._crash_logged: tuple[str, str] | None = None
        self._first_status = threading.Event()
        self._listeners: list[StatusListener] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.jobs_printed = 0
        self.jobs_failed = 0
        self.polls = 0

    # -- public ----------------------------------------------------------------------

    def start(self) -> PrinterSupervisor:
        """Start the worker and wait (at most first_status_wait_s) for its first status,
        so a printer that is off at start is reported before the first frame."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"{self.name}-worker",
                                            daemon=True)
            self._thread.start()
            if not self._first_status.wait(self.first_status_wait_s):
                log.warning("%s: no status within %.1f s of start: offline until it answers",
                            self.name, self.first_status_wait_s)
        return self

    @property
    def status(self) -> PrinterStatus:
        return self._status

    def add_listener(self, listener: StatusListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def submit(self, doc: Document) -> Future:
        """Queue a document; the future resolves to a PrintResult, never an exception."""
        future: Future = Future()
        try:
            data = render_document(doc, self.profile)
        except Exception as err:  # noqa: BLE001 - a rendering bug must not lose the visit
            log.exception("%s: rendering failed", self.name)
            future.set_result(PrintResult(False, f"rendering failed: {type(err).__name__}"))
            return future
        with self._lock:  # close() cannot slip in between: no job queued after the last drain
            if self._stopping.is_set():
                future.set_result(PrintResult(False, STOPPED, PrinterState.OFFLINE))
            else:
                self._jobs.put(_Job(data, future, time.monotonic()))
        return future

    def print_document(self, doc: Document, timeout_s: float = 30.0) -> PrintResult:
        """Blocking form for services (called from a worker thread, never the UI)."""
        future = self.submit(doc)
        try:
            return future.result(timeout=timeout_s)
        except TimeoutError:
            return PrintResult(False, "printer did not finish in time", PrinterState.OFFLINE)

    def probe(self, timeout_s: float = 5.0) -> PrinterStatus:
        """Have the worker read the printer's status now instead of at its next poll
        (after "paper replaced"): its status after that reading, confirmed by a second
        one as always. The last known status when the worker is stopped or does not
        answer in time (busy with a job, a device call hanging)."""
        future: Future = Future()
        with self._lock:
            if self._stopping.is_set() or self._thread is None:
                return self._status
            self._jobs.put(_Probe(future))
        try:
            return future.result(timeout=timeout_s)
        except TimeoutError:
            return self._status

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the worker; every job not printed by then resolves to "not printed"
        (also when the worker is stuck in a device call and does not stop in time)."""
        with self._lock:
            self._stopping.set()
        self._jobs.put(None)
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                log.error("%s: worker did not stop within %.1f s", self.name, timeout_s)
        current = self._current
        if current is not None:
            self._resolve(current, PrintResult(False, STOPPED, PrinterState.OFFLINE))
        self._fail_pending(STOPPED)
        self._close_transport()  # also ends a device call the worker may be stuck in

    def __enter__(self) -> PrinterSupervisor:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- worker ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    if not self._first_status.is_set():
                        self._first_poll()
                    elif not self._next():
                        break
                except Exception as err:  # noqa: BLE001 - the worker must outlive any fault
                    self._crashed(err)
        finally:
            self._first_status.set()
            self._close_transport()
            self._fail_pending(STOPPED)

    def _first_poll(self) -> None:
        deadline = time.monotonic() + self.first_status_wait_s
        self._poll()
        while self._pending is not None and time.monotonic() < deadline \
                and not self._stopping.is_set():
            self._poll()  # the second reading that confirms the first
        self._first_status.set()

    def _next(self) -> bool:
        """Wait for a job or the next poll; False when told to stop."""
        if self._pending is not None:
            wait = self.confirm_delay_s
        elif self._status.state is PrinterState.OFFLINE:
            wait = self._backoff.next_delay()
        else:
            wait = self.poll_interval_s
        try:
            job = self._jobs.get(timeout=wait)
        except queue.Empty:
            self._poll()
            return True
        if job is None:
            return False
        if isinstance(job, _Probe):
            try:
                self._confirmed_status()  # two readings: a changed state is reported now
            finally:
                self._resolve(job, self._status)
            return True
        self._current = job  # _crashed() fails it if printing raises
        self._print(job)
        self._current = None
        return True

    def _poll(self) -> PrinterStatus:
        self.polls += 1
        self._observe(ask_status(self.transport))
        self._crash_logged = None  # the transport answered: a new fault is news again
        return self._status

    def _observe(self, reading: PrinterStatus) -> None:
        """Debounce: a reading of another state is reported when the next one agrees."""
        if reading.state is self._status.state:
            self._pending = None
            self._report(reading)  # same state: a new cause is no flapping
        elif self._pending is not None and _agree(self._pending, reading):
            self._pending = None
            self._report(reading)
        else:
            self._pending = reading

    def _confirmed_status(self) -> PrinterStatus:
        """Before a job: a reading that differs from the reported state needs a second."""
        self._poll()
        if self._pending is not None:
            self._poll()
        # two readings that differ from the reported state and from each other: trust the
        # later one rather than the old state
        return self._pending or self._status

    def _print(self, job: _Job) -> None:
        before = self._confirmed_status()
        if before.state is PrinterState.OFFLINE:
            before = self._await_return(job)
        result, last = send_job(self.transport, job.data, before)
        self._observe(last)
        self._finish(job, result)

    def _await_return(self, job: _Job) -> PrinterStatus:
        """Nothing was sent yet: give a reconnecting printer a short chance."""
        status = self._status
        deadline = job.queued_at + self.retry_window_s
        while time.monotonic() < deadline and not self._stopping.is_set():
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            self._poll()
            status = self._pending or self._status
            if status.state is not PrinterState.OFFLINE:
                break
        return status

    def _crashed(self, err: Exception) -> None:
        """An exception nobody expected: one log entry with its traceback per kind of
        fault, a status with the cause, the job in hand not printed; the offline status
        makes the loop back off before the next try."""
        reason = unexpected(err)
        signature = (type(err).__name__, str(err))
        if signature != self._crash_logged:
            self._crash_logged = signature
            log.error("%s: worker error (%s); reconnecting", self.name, reason, exc_info=err)
        else:
            log.debug("%s: worker error again (%s)", self.name, reason)
        job, self._current = self._current, None
        if job is not None:
            self._finish(job, PrintResult(False, reason, PrinterState.OFFLINE))
        self._close_transport()
        self._pending = None
        self._report(PrinterStatus(PrinterState.OFFLINE, reason))
        self._first_status.set()

    def _finish(self, job: _Job, result: PrintResult) -> None:
        if result.printed:
            self.jobs_printed += 1
        else:
            self.jobs_failed += 1
        self._resolve(job, result)

    @staticmethod
    def _resolve(job: _Job | _Probe, result: PrintResult | PrinterStatus) -> None:
        try:
            job.future.set_result(result)
        except InvalidStateError:
            pass  # close() gave up on this job already and said so

    def _fail_pending(self, reason: str) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if isinstance(job, _Probe):
                self._resolve(job, self._status)
            elif job is not None:
                self._resolve(job, PrintResult(False, reason, PrinterState.OFFLINE))

    def _close_transport(self) -> None:
        try:
            self.transport.close()
        except Exception as err:  # noqa: BLE001 - closing a broken device may fail too
            log.debug("%s: close failed: %s", self.name, short_error(err))

    def _report(self, status: PrinterStatus) -> None:
        previous, self._status = self._status, status
        first, self._reported_once = not self._reported_once, True
        if status.state is not PrinterState.OFFLINE:
            self._backoff.reset()
        if first:
            # a printer that is off at start is said so at once, not when a visitor waits
            level = logging.INFO if status.ok_to_print else logging.WARNING
            log.log(level, "%s: %s at start", self.name, describe(status))
        elif status == previous:
            return
        elif status.state is previous.state:
            log.info("%s: still %s", self.name, describe(status))
        elif status.ok_to_print:
            # transitions only: a printer out of paper all afternoon is one line
            log.info("%s: %s", self.name, describe(status))
        else:
            log.warning("%s: %s", self.name, describe(status))
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:  # noqa: BLE001 - a listener must not stop the printer
                log.exception("%s: status listener failed", self.name)


def _agree(a: PrinterStatus, b: PrinterStatus) -> bool:
    """Two readings confirm each other: same state, and for a fault the same fault (two
    different garbled error bits are noise); offline causes differ as a port goes away."""
    return a.state is b.state and (a.state is PrinterState.OFFLINE or a.cause == b.cause)
