"""Keeps one call-up display showing the wanted calls: one worker thread owns the port.

Callers only store the wanted state (``show``); the worker sends it, notices when
the sign goes away, reconnects with backoff and then resends the current state,
because a power-cycled sign comes back blank. The chime command runs one at a time,
is killed after ``chime_timeout_s`` and by close().
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence

from serial import SerialBase

from kiosk.devices.display.calls import Call, DisplayCodec
from kiosk.devices.reconnect import (
    PORT_ERRORS,
    Backoff,
    LinkStatus,
    SerialWorker,
    short_error,
)

logger = logging.getLogger(__name__)



class DisplaySupervisor(SerialWorker):
    """Owner of one display port.

    ``show`` never blocks and never raises. Listeners and the chime run on the
    worker thread. ``probe_interval_s`` is how often an idle worker checks that
    the port still exists (a read that fails once the device is gone).
    ``refresh_s`` resends the state periodically for signs behind an adapter
    that stays connected while the sign itself is power-cycled (off by default).
    """

    def __init__(
        self,
        url: str,
        codec: DisplayCodec,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 5.0,
        name: str = "display",
        chime_command: Sequence[str] | None = None,
        write_timeout_s: float = 2.0,
        probe_interval_s: float = 0.5,
        refresh_s: float | None = None,
        chime_timeout_s: float = 10.0,
    ) -> None:
        self.url = url
        self.codec = codec
        self.name = name
        self._port_kwargs: dict = dict(
            baudrate=baudrate, bytesize=bytesize, parity=parity, stopbits=stopbits,
            timeout=0, write_timeout=write_timeout_s,
        )
        if "://" not in url:
            # A plain device path: refuse to share it, so two processes never
            # interleave bytes on one sign.
            self._port_kwargs["exclusive"] = True
        self._backoff = Backoff(reconnect_min_s, reconnect_max_s)
        self._chime_command = list(chime_command) if chime_command else None
        self._write_timeout_s = write_timeout_s
        self._probe_interval_s = probe_interval_s
        self._refresh_s = refresh_s
        self._status = LinkStatus(name)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._calls: tuple[Call, ...] = ()
        self._version = 0
        self._chimed: Call | None = None  # worker-only: newest call the chime was run for
        self._chime_timeout_s = chime_timeout_s
        self._chime: subprocess.Popen | None = None
        self._chime_timer: threading.Timer | None = None
        self._chime_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.frames_sent = 0

    # --- caller side ------------------------------------------------------------

    def show(self, calls: Iterable[Call]) -> None:
        """Make ``calls`` (newest first) the wanted state; the worker sends it."""
        try:
            wanted = tuple(calls)
        except Exception as err:  # a caller bug must not reach the UI thread as a crash
            logger.error("%s: show() got an unusable value (%s)", self.name, type(err).__name__)
            return
        with self._lock:
            if self._version and wanted == self._calls:
                return  # unchanged: polling callers must not cause traffic
            self._calls = wanted
            self._version += 1
        self._wake.set()

    def _join_timeout_s(self) -> float:
        return self._write_timeout_s + 2.0

    def _interrupt(self) -> None:
        self._wake.set()

    # --- worker side ------------------------------------------------------------

    def _run(self) -> None:
        port: SerialBase | None = None
        sent_version = 0
        confirmed = False
        last_write = 0.0
        try:
            while not self._stop.is_set():
                if port is None:
                    port = self._open()
                    if port is None:
                        self._pause(self._backoff.next_delay(), until_deadline=True)
                        continue
                    sent_version, confirmed = 0, False  # a reconnected sign gets the state again
                calls, version = self._wanted()
                refresh_due = (
                    self._refresh_s is not None and version
                    and time.monotonic() - last_write >= self._refresh_s
                )
                try:
                    if version != sent_version or refresh_due:
                        frame = self._frame(calls)
                        if frame is not None:
                            port.write(frame)  # one write: a gap > 1 s would end an Alpha packet
                            self.frames_sent += 1
                            last_write = time.monotonic()
                        sent_version = version
                    else:
                        self._pause(self._probe_interval_s)
                        port.read(256)  # fails once the device is gone; the sign's replies are not used
                except PORT_ERRORS as err:
                    self._lost(port, err)
                    port = None
                    continue
                if not confirmed:
                    confirmed = True
                    self._confirm()
        finally:
            if port is not None:
                self._close_port(port)

    def _frame(self, calls: tuple[Call, ...]) -> bytes | None:
        try:
            return self.codec.frame(calls)
        except Exception:
            logger.exception("%s: codec failed; state not sent", self.name)
            return None

    def _pause(self, seconds: float, until_deadline: bool = False) -> None:
        """Sleep until woken by show()/close(); with ``until_deadline`` a show() only
        triggers the chime and the sleep goes on, so retries stay throttled."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self._wake.wait(remaining):
                self._wake.clear()
                self._wanted()  # runs the chime even while the sign is offline
                if not until_deadline:
                    return

    def _wanted(self) -> tuple[tuple[Call, ...], int]:
        """The wanted state; starts the chime when its newest call is new.

        Deciding here, on the state the worker is about to send, makes the chime
        start no later than the frame that shows the new call.
        """
        with self._lock:
            calls, version = self._calls, self._version
        newest = calls[0] if calls else None
        if newest is not None and newest != self._chimed:
            self._chimed = newest
            self._start_chime()
        return calls, version

    def _start_chime(self) -> None:
        if not self._chime_command or self._stop.is_set():
            return
        with self._chime_lock:
            if self._chime is not None and self._chime.poll() is None:
                # one at a time: calls in quick succession get one chime, not a pile
                logger.debug("%s: chime still running; not started again", self.name)
                return
            try:
                chime = subprocess.Popen(
                    self._chime_command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True,
                )
            except (OSError, ValueError) as err:
                logger.warning("%s: chime command failed: %s", self.name, short_error(err))
                return
            self._chime = chime
            self._chime_timer = threading.Timer(self._chime_timeout_s, self._chime_overdue,
                                                args=(chime,))
            self._chime_timer.daemon = True
            self._chime_timer.start()

    def _chime_overdue(self, chime: subprocess.Popen) -> None:
        with self._chime_lock:
            if chime.poll() is None:
                logger.warning("%s: chime command still running after %.0f s: killed",
                               self.name, self._chime_timeout_s)
                _kill(chime)

    def close(self) -> None:
        super().close()
        with self._chime_lock:
            chime, timer = self._chime, self._chime_timer
            if timer is not None:
                timer.cancel()
            if chime is not None and chime.poll() is None:
                _kill(chime)


def _kill(process: subprocess.Popen) -> None:
    """End a chime and whatever it started (its own session: a shell's children too)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=2.0)  # reaped: no zombie left behind
    except subprocess.TimeoutExpired:
        logger.error("chime process %d did not end", process.pid)
