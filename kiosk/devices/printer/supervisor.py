"""One worker thread owns the ticket printer: it prints jobs one at a time, polls the
real-time status while idle, reconnects with backoff after unplug or power-cycle, and
tells listeners when the state changes. Callers never block on a dead device longer
than their own timeout, and never get an exception for a device problem.

Reprint policy (no double tickets): a job is sent at most once. Only a job that failed
before a single byte left (printer offline, port gone) is tried again, once, if the
printer comes back within `retry_window_s`; anything else is reported as not printed
and the visitor keeps the number shown on screen."""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable

from kiosk.devices.printer.driver import PrintResult, ask_status, describe, send_job
from kiosk.devices.printer.profiles import PrinterProfile
from kiosk.devices.printer.render import render_document
from kiosk.devices.printer.status import PrinterState, PrinterStatus
from kiosk.devices.printer.transports import PrinterTransport
from kiosk.devices.reconnect import Backoff
from kiosk.domain.documents import Document

log = logging.getLogger(__name__)

StatusListener = Callable[[PrinterStatus], None]
UNKNOWN = PrinterStatus(PrinterState.OFFLINE, "not checked yet")


@dataclass
class _Job:
    data: bytes
    future: Future
    queued_at: float


class PrinterSupervisor:
    def __init__(self, transport: PrinterTransport, profile: PrinterProfile,
                 poll_interval_s: float = 2.0, retry_window_s: float = 3.0,
                 reconnect_min_s: float = 0.2, reconnect_max_s: float = 2.0,
                 name: str = "printer") -> None:
        self.transport, self.profile, self.name = transport, profile, name
        self.poll_interval_s, self.retry_window_s = poll_interval_s, retry_window_s
        self._backoff = Backoff(reconnect_min_s, reconnect_max_s)
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._status = UNKNOWN
        self._listeners: list[StatusListener] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.jobs_printed = 0
        self.jobs_failed = 0

    # -- public ----------------------------------------------------------------------

    def start(self) -> PrinterSupervisor:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"{self.name}-worker",
                                            daemon=True)
            self._thread.start()
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
        self._jobs.put(_Job(data, future, time.monotonic()))
        return future

    def print_document(self, doc: Document, timeout_s: float = 30.0) -> PrintResult:
        """Blocking form for services (called from a worker thread, never the UI)."""
        future = self.submit(doc)
        try:
            return future.result(timeout=timeout_s)
        except TimeoutError:
            return PrintResult(False, "printer did not finish in time", PrinterState.OFFLINE)

    def close(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        self._jobs.put(None)
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.transport.close()

    def __enter__(self) -> PrinterSupervisor:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- worker ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._poll()
            while not self._stopping.is_set():
                wait = self.poll_interval_s if self._status.state is not PrinterState.OFFLINE \
                    else self._backoff.next_delay()
                try:
                    job = self._jobs.get(timeout=wait)
                except queue.Empty:
                    self._poll()
                    continue
                if job is None:
                    break
                self._print(job)
        finally:
            self.transport.close()
            self._fail_pending("printer worker stopped")

    def _poll(self) -> PrinterStatus:
        status = ask_status(self.transport)
        self._set_status(status)
        return status

    def _print(self, job: _Job) -> None:
        before = self._poll()
        if before.state is PrinterState.OFFLINE:
            before = self._await_return(job)
        result, last = send_job(self.transport, job.data, before)
        self._set_status(last)
        self._finish(job, result)

    def _await_return(self, job: _Job) -> PrinterStatus:
        """Nothing was sent yet: give a reconnecting printer a short chance."""
        status = self._status
        deadline = job.queued_at + self.retry_window_s
        while time.monotonic() < deadline and not self._stopping.is_set():
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            status = self._poll()
            if status.state is not PrinterState.OFFLINE:
                break
        return status

    def _finish(self, job: _Job, result: PrintResult) -> None:
        if result.printed:
            self.jobs_printed += 1
        else:
            self.jobs_failed += 1
        job.future.set_result(result)

    def _fail_pending(self, reason: str) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None and not job.future.done():
                job.future.set_result(PrintResult(False, reason, PrinterState.OFFLINE))

    def _set_status(self, status: PrinterStatus) -> None:
        previous, self._status = self._status, status
        if status.state is not PrinterState.OFFLINE:
            self._backoff.reset()
        if status.state is previous.state:
            return
        # log transitions only: a printer out of paper all afternoon is one line
        if status.ok_to_print:
            log.info("%s: %s", self.name, status.state.value)
        else:
            log.warning("%s: %s", self.name, describe(status))
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:  # noqa: BLE001 - a listener must not stop the printer
                log.exception("%s: status listener failed", self.name)

