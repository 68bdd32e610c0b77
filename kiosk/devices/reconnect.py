"""Link state, reconnect throttling and the serial port's errors, shared by the device
workers (display, scanner; the printer's transports use the errors).

A device worker owns one port; when it fails it retries with exponential backoff
and reports ONLINE/OFFLINE through listeners, logging only on down and on recovery.
Whatever goes wrong inside, the worker thread keeps running until close().
"""

from __future__ import annotations

import enum
import errno
import logging
import termios
import threading
import traceback
from collections.abc import Callable

from serial import SerialBase, SerialException, serial_for_url

logger = logging.getLogger(__name__)

_MAX_ERROR_CHARS = 120

# what a serial port raises when its device goes away; termios.error is no OSError: a
# vanished pty raises it from tcdrain/tcflush (seen in tests)
PORT_ERRORS = (SerialException, OSError, termios.error)


class LinkState(enum.Enum):
    ONLINE = "online"
    OFFLINE = "offline"


StateListener = Callable[[LinkState], None]


class Backoff:
    """Exponential delays from min_s, doubling, capped at max_s; reset() after success."""

    def __init__(self, min_s: float = 0.2, max_s: float = 5.0, factor: float = 2.0) -> None:
        if min_s <= 0 or max_s < min_s or factor < 1:
            raise ValueError("need 0 < min_s <= max_s and factor >= 1")
        self.min_s = min_s
        self.max_s = max_s
        self.factor = factor
        self._next = min_s

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * self.factor, self.max_s)
        return delay

    def reset(self) -> None:
        self._next = self.min_s


def short_error(err: BaseException) -> str:
    """One line for status and logs: errno name when there is one, never a traceback."""
    code = getattr(err, "errno", None)
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    if isinstance(code, int) and code in errno.errorcode:
        text = f"{errno.errorcode[code]}: {text}"
    return text[:_MAX_ERROR_CHARS]


class LinkStatus:
    """Thread-safe state + last error with change listeners.

    Listeners run on the device's worker thread: a Kivy UI must hop to its main
    thread itself (``@mainthread``). A failing listener is logged and skipped so
    it can never stop the worker.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        # state and last error in one tuple, replaced as a whole: readers take no lock,
        # and two attributes set one after the other could be read half old, half new
        self._reading: tuple[LinkState, str | None] = (LinkState.OFFLINE, None)
        self._reported_down = False
        self._listeners: list[StateListener] = []

    @property
    def state(self) -> LinkState:
        return self._reading[0]

    @property
    def last_error(self) -> str | None:
        return self._reading[1]

    def reading(self) -> tuple[LinkState, str | None]:
        """State and last error as they were set together."""
        return self._reading

    def add_listener(self, listener: StateListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: StateListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def set_online(self) -> None:
        with self._lock:
            changed = self._reading[0] is not LinkState.ONLINE
            was_down = self._reported_down
            self._reading = (LinkState.ONLINE, None)
            self._reported_down = False
        if was_down:
            logger.info("%s: recovered", self.name)
        elif changed:
            logger.info("%s: online", self.name)
        if changed:
            self._notify(LinkState.ONLINE)

    def set_offline(self, err: BaseException | str) -> None:
        reason = err if isinstance(err, str) else short_error(err)
        with self._lock:
            changed = self._reading[0] is not LinkState.OFFLINE
            first_report = not self._reported_down
            self._reading = (LinkState.OFFLINE, reason)
            self._reported_down = True
        # Only the transition is logged; retries that fail again stay quiet.
        if first_report:
            logger.warning("%s: offline (%s)", self.name, reason)
        if changed:
            self._notify(LinkState.OFFLINE)

    def _notify(self, state: LinkState) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(state)
            except Exception:
                logger.exception("%s: state listener failed", self.name)


class DeviceWorker:
    """What every device worker shares: one thread running `_run`, start/close, context
    manager, and the status surface. Subclasses set name, _status, _stop (an Event),
    _backoff and _thread = None in __init__, and may wake a sleeping worker in
    `_interrupt`.

    The thread never ends while the app runs: an exception `_run` lets through is
    logged (with its traceback once per kind of fault), becomes an offline status with
    its cause, and `_run` starts again after the backoff delay, reopening the device."""

    name: str
    _status: LinkStatus
    _stop: threading.Event
    _thread: threading.Thread | None
    _backoff: Backoff
    _error_text_is_safe = True  # False where a message may quote personal data (scans)

    def _run(self) -> None:
        raise NotImplementedError

    def _run_guarded(self) -> None:
        logged: tuple[str, str] | None = None
        while not self._stop.is_set():
            try:
                self._run()
                return  # _run returns when asked to stop
            except Exception as err:  # noqa: BLE001 - a device fault must not end the worker
                reason, signature = self._crash_reason(err)
                if signature != logged:
                    logged = signature
                    if self._error_text_is_safe:
                        logger.error("%s: worker error (%s); reconnecting", self.name,
                                     reason, exc_info=err)
                    else:
                        logger.error("%s: worker error (%s at %s); reconnecting", self.name,
                                     reason, signature[1])
                else:
                    logger.debug("%s: worker error again (%s)", self.name, reason)
                self._status.set_offline(reason)
                backoff = getattr(self, "_backoff", None) or Backoff()
                self._stop.wait(backoff.next_delay())

    def _crash_reason(self, err: Exception) -> tuple[str, tuple[str, str]]:
        """(reason for the status, signature that tells one kind of fault from another)."""
        kind = type(err).__name__
        if self._error_text_is_safe:
            return f"unexpected {kind}: {short_error(err)}", (kind, str(err))
        # the message stays out; where it happened tells a developer enough
        frames = traceback.extract_tb(err.__traceback__)
        where = "?"
        if frames:
            where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}"
        return f"unexpected {kind}", (kind, where)

    def _interrupt(self) -> None:
        """Wake the worker so it sees _stop (default: it polls _stop by itself)."""

    def _join_timeout_s(self) -> float:
        return 5.0

    def start(self):
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run_guarded,
                                            name=f"{self.name}-worker", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._interrupt()
        if self._thread is not None:
            self._thread.join(self._join_timeout_s())
            if self._thread.is_alive():
                logger.error("%s: worker did not stop", self.name)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def state(self) -> LinkState:
        return self._status.state

    @property
    def last_error(self) -> str | None:
        return self._status.last_error

    def reading(self) -> tuple[LinkState, str | None]:
        """State and last error as they were set together (read both through this)."""
        return self._status.reading()

    def add_listener(self, listener: StateListener) -> None:
        self._status.add_listener(listener)

    def remove_listener(self, listener: StateListener) -> None:
        self._status.remove_listener(listener)


class SerialWorker(DeviceWorker):
    """A device worker on one serial port (any pyserial URL). Subclasses also set url
    and _port_kwargs (serial_for_url's arguments) in __init__."""

    url: str
    _port_kwargs: dict

    def _open(self) -> SerialBase | None:
        """The port, or None with the reason in the status."""
        try:
            return serial_for_url(self.url, **self._port_kwargs)
        except (*PORT_ERRORS, ValueError) as err:  # ValueError: an unknown URL scheme
            self._status.set_offline(err)
            return None

    def _close_port(self, port: SerialBase) -> None:
        try:
            port.close()
        except Exception as err:  # closing a vanished device may fail; nothing left to do
            logger.debug("%s: close failed: %s", self.name, short_error(err))

    def _lost(self, port: SerialBase, err: BaseException) -> None:
        self._close_port(port)
        self._status.set_offline(err)

    def _confirm(self) -> None:
        """ONLINE only after real I/O worked, so a port that opens but cannot be used
        does not flap (and log) and reset the backoff on every retry."""
        self._backoff.reset()
        self._status.set_online()
