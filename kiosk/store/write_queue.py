"""Kiosk processes take turns at writing the queue file through a lock file next to it
(flock): a waiting writer sleeps in the kernel and wakes the moment the lock is free,
instead of polling SQLite's lock and sleeping past free moments. SQLite's own lock stays
what makes a write safe; this only orders the kiosk's writers."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# what became of a request handed to the helper thread
_WAITING, _TAKEN, _ABANDONED = "waiting", "taken", "abandoned"


class WriteQueueTimeout(Exception):
    """The lock was not free within the caller's timeout; nothing was run."""


class _Request:
    """One caller's wait, served by the helper: `work` to run under the lock, or None
    when the caller only wants the lock (acquire())."""

    __slots__ = ("work", "state", "result", "error", "done")

    def __init__(self, work: Callable[[], object] | None) -> None:
        self.work = work
        self.state = _WAITING
        self.result: object = None
        self.error: BaseException | None = None
        self.done = threading.Lock()  # released by the helper when it is settled
        self.done.acquire()


class WriteQueue:
    """An exclusive flock on `path` with a deadline. flock has no timeout, so a caller
    that finds the lock taken hands the blocking call to one helper thread and waits
    for it with a timeout; if it gives up first, the helper drops the lock on arrival.

    run() hands the helper the work itself: the thread the kernel wakes when the lock
    comes free runs the transaction at once and lets the lock go, and the caller is
    woken afterwards, outside the locked stretch (with acquire() the helper has to wake
    the caller first, and every process waits for that wake-up). Only one caller at a
    time (the store's own lock serialises its threads)."""

    def __init__(self, path: Path) -> None:
        # read-only is enough for flock; O_CREAT: the store made the folder private
        self._fd: int | None = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC,
                                       0o600)
        self._mutex = threading.Lock()  # guards the fields below and request states
        self._wake = threading.Lock()   # released: the helper takes a request
        self._wake.acquire()
        self._request: _Request | None = None  # the caller the helper's flock() is for
        self._helper_busy = False  # the helper is in flock() (owns the fd) until settled
        self._closed = False
        self._broken = False  # flock failed (ENOLCK, a file system without it)
        self._helper: threading.Thread | None = None

    def run(self, work: Callable[[], T], timeout_s: float) -> T:
        """work() while this process holds the lock, and its result (or exception).
        WriteQueueTimeout, with work not run, when the lock was not free within
        timeout_s. Where flock does not work, work() runs without it (writers then meet
        only at SQLite's lock)."""
        request = self._enter(work)
        if request is None:  # the lock is ours (or flock is out of service)
            try:
                return work()
            finally:
                self.release()
        if not self._wait(request, timeout_s):
            raise WriteQueueTimeout()
        error, request.error = request.error, None
        if error is not None:
            raise error
        return request.result  # type: ignore[return-value]

    def acquire(self, timeout_s: float) -> bool:
        """True once this process holds the lock, or when flock does not work here
        (then writers meet only at SQLite's lock); False after timeout_s. The caller
        calls release()."""
        request = self._enter(None)
        return True if request is None else self._wait(request, timeout_s)

    def release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        except (OSError, TypeError):
            pass  # only when flock failed already (_broken); a lock goes with its fd

    def _enter(self, work: Callable[[], object] | None) -> _Request | None:
        """None: the lock was free and is now held (or flock is out of service);
        else the request the helper serves."""
        with self._mutex:
            if self._broken:
                return None
            # not while the helper still waits for a caller that gave up: its flock()
            # would succeed on our own lock and then let it go
            if not self._helper_busy:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return None
                except BlockingIOError:
                    pass
                except OSError as err:
                    self._give_up(err)
                    return None
                if self._helper is None:
                    self._helper = threading.Thread(
                        target=self._serve, name="kiosk-store-write-queue", daemon=True)
                    self._helper.start()
                self._helper_busy = True
                self._wake.release()
            # a busy helper serves this request when its flock() returns
            self._request = request = _Request(work)
            return request

    def _wait(self, request: _Request, timeout_s: float) -> bool:
        """True once the helper took the request (and ran its work); False when the
        timeout came first and the request was withdrawn."""
        try:
            if request.done.acquire(timeout=max(timeout_s, 0)):
                return True
            return self._withdraw(request)
        except BaseException:  # interrupted: never leave the lock held for nobody
            if self._withdraw(request) and request.work is None:
                self.release()
            raise

    def _withdraw(self, request: _Request) -> bool:
        with self._mutex:
            if request.state == _WAITING:
                request.state = _ABANDONED  # the helper lets go of the lock on arrival
                if self._request is request:
                    self._request = None
                return False
        request.done.acquire()  # taken just now: its work is bounded by its own deadline
        return True

    def _give_up(self, err: OSError) -> None:
        log.warning("queue store: write queue out of service (%s); writers wait at "
                    "SQLite's lock", err.strerror or err)
        self._broken = True

    def close(self) -> None:
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            if self._helper_busy:
                return  # the helper closes the fd when its flock() returns
            fd, self._fd = self._fd, None
            if self._helper is not None:
                self._wake.release()  # the idle helper ends
        os.close(fd)

    def _serve(self) -> None:
        while True:
            self._wake.acquire()
            with self._mutex:
                if self._closed:
                    return
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)  # sleeps until the lock is free
                failed = None
            except OSError as err:
                failed = err
            with self._mutex:
                self._helper_busy = False
                request, self._request = self._request, None
                if failed is not None and not self._broken:
                    self._give_up(failed)  # the request goes on without the lock
                if self._closed:
                    fd, self._fd = self._fd, None
                    os.close(fd)  # closing drops the lock
                    return
                if request is None:  # the caller gave up meanwhile
                    self.release()
                    continue
                request.state = _TAKEN
            if request.work is None:  # acquire(): the caller writes and releases
                request.done.release()
                continue
            try:
                request.result = request.work()
            except BaseException as err:  # noqa: BLE001 - handed to the caller
                request.error = err
            finally:
                self.release()  # first: the other processes wait for this
                request.done.release()


def open_write_queue(path: Path) -> WriteQueue | None:
    """The queue for the store file at `path`, or None where the lock file cannot be
    made (a read-only folder): then writers meet only at SQLite's lock, as before."""
    try:
        return WriteQueue(Path(f"{path}-lock"))
    except OSError as err:
        log.info("queue store: no write queue (%s); writers wait at SQLite's lock",
                 err.strerror or err)
        return None
