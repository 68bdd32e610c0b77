"""Runs the health server as a child process of the app: started with it, started again
(with backoff) when it dies, terminated when the app closes. The child also exits by
itself when the app is killed (it watches its parent)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

BACKOFF_S = (1.0, 30.0)  # first and longest wait before a restart
STABLE_S = 60.0  # a child that ran this long restarts after the first wait again


def server_argv(state: Path, bind: str, port: int, token_file: str | None,
                stuck_after_s: float) -> list[str]:
    argv = [sys.executable, "-m", "kiosk.health.server", "--state", str(state),
            "--bind", bind, "--port", str(port), "--stuck-after", f"{stuck_after_s:g}"]
    if token_file:
        argv += ["--token-file", token_file]
    return argv


class ServerProcess:
    def __init__(self, argv: Sequence[str], backoff_s: tuple[float, float] = BACKOFF_S):
        self.argv, self.backoff_s = list(argv), backoff_s
        self.starts = 0
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> ServerProcess:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="health-server",
                                            daemon=True)
            self._thread.start()
        return self

    def close(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout_s)
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        wait = self.backoff_s[0]
        while not self._stop.is_set():
            with self._lock:
                if self._stop.is_set():
                    return
                try:
                    self._proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL)
                except OSError as err:
                    self._proc = None
                    log.error("health server: cannot start (%s)", err.strerror or err)
                proc = self._proc
            started = time.monotonic()
            if proc is not None:
                self.starts += 1
                code = proc.wait()
                if self._stop.is_set():
                    return
                if time.monotonic() - started >= STABLE_S:
                    wait = self.backoff_s[0]
                log.warning("health server exited (code %s); starting it again in %.0f s",
                            code, wait)
            self._stop.wait(wait)
            wait = min(wait * 2, self.backoff_s[1])
