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

log = logging.getLogger(__name__)


class WriteQueue:
    """An exclusive flock on `path` with a deadline. flock has no timeout, so a waiter
    that finds the lock taken hands the blocking call to one helper thread and waits
    for it with a timeout; if it gives up first, the helper drops the lock on arrival.
    Only one caller at a time (the store's own lock serialises its threads). Plain locks
    for the hand-over: this runs for most writes while four processes issue."""

    def __init__(self, path: Path) -> None:
        # read-only is enough for flock; O_CREAT: the store made the folder private
        self._fd: int | None = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC,
                                       0o600)
        self._mutex = threading.Lock()  # guards the fields below
        self._wake = threading.Lock()   # released: the helper takes a request
        self._wake.acquire()
        self._done = threading.Lock()   # released: the helper got the lock for the caller
        self._done.acquire()
        self._pending = False     # a caller waits for the helper's flock
        self._granted = False     # the helper released _done for that caller
        self._helper_busy = False  # the helper has a request (owns the fd) until settled
        self._closed = False
        self._broken = False  # flock failed (ENOLCK, a file system without it)
        self._helper: threading.Thread | None = None

    def acquire(self, timeout_s: float) -> bool:
        """True once this process holds the lock, or when flock does not work here
        (then writers meet only at SQLite's lock); False after timeout_s."""
        with self._mutex:
            if self._broken:
                return True
            # not while the helper still waits for a caller that gave up: its flock()
            # would succeed on our own lock and then let it go
            if not self._helper_busy:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    pass
                except OSError as err:
                    self._give_up(err)
                    return True
                if self._helper is None:
                    self._helper = threading.Thread(
                        target=self._wait_for_lock, name="kiosk-store-write-queue",
                        daemon=True)
                    self._helper.start()
                self._helper_busy = True
                self._wake.release()
            self._pending = True  # a busy helper serves us when its flock() returns
        got = self._done.acquire(timeout=max(timeout_s, 0))
        with self._mutex:
            if not got and self._granted:  # granted just after the timeout
                got = self._done.acquire(blocking=False)
            if got:
                self._granted = False
            else:
                self._pending = False  # the helper lets go of the lock when it arrives
            return got

    def release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        except OSError:
            pass  # only when flock failed already (_broken); a lock goes with its fd

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

    def _wait_for_lock(self) -> None:
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
                if failed is not None and not self._broken:
                    self._give_up(failed)  # the waiting caller goes on, see acquire()
                if self._closed:
                    fd, self._fd = self._fd, None
                    os.close(fd)  # closing drops the lock
                    return
                if self._pending:
                    self._pending, self._granted = False, True
                    self._done.release()
                else:  # the caller gave up meanwhile
                    self.release()


def open_write_queue(path: Path) -> WriteQueue | None:
    """The queue for the store file at `path`, or None where the lock file cannot be
    made (a read-only folder): then writers meet only at SQLite's lock, as before."""
    try:
        return WriteQueue(Path(f"{path}-lock"))
    except OSError as err:
        log.info("queue store: no write queue (%s); writers wait at SQLite's lock",
                 err.strerror or err)
        return None
